"""The run's record of its machine: the CUDA devices a net may use are read from the NVIDIA
driver, not from torch, so that a run with nets does not import torch in the command."""

from __future__ import annotations

import os
import sys

import pytest

from treesvsnets.bench.cells.environment import describe_environment, gpu_names

LISTED = (
    "GPU-aaaa1111-0000-0000-0000-000000000000, NVIDIA H100 80GB HBM3\n"
    "GPU-bbbb2222-0000-0000-0000-000000000000, NVIDIA A100-SXM4-40GB\n"
)


@pytest.fixture
def driver(tmp_path, monkeypatch):
    """An ``nvidia-smi`` on PATH that lists two GPUs, and no torch imported in this process."""
    script = tmp_path / "nvidia-smi"
    script.write_text(f"#!/bin/sh\nprintf '{LISTED}'\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    for name in [name for name in sys.modules if name == "torch" or name.startswith("torch.")]:
        monkeypatch.delitem(sys.modules, name)


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for nvidia-smi")
@pytest.mark.parametrize(
    ("visible", "expected"),
    [
        (None, ["NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-40GB"]),
        ("1", ["NVIDIA A100-SXM4-40GB"]),
        ("GPU-bbbb2222,0", ["NVIDIA A100-SXM4-40GB", "NVIDIA H100 80GB HBM3"]),
        ("0,7,1", ["NVIDIA H100 80GB HBM3"]),  # CUDA stops at the first device it cannot find
        ("0,0,1", ["NVIDIA H100 80GB HBM3"]),  # or at one named again
        ("", []),
    ],
)
def test_the_gpus_are_the_drivers_less_those_cuda_visible_devices_hides(
    driver, monkeypatch, visible, expected
):
    if visible is not None:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert gpu_names() == expected
    assert describe_environment(with_gpu=True)["gpus"] == expected
    assert "torch" not in sys.modules


def test_without_a_driver_there_is_no_gpu(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi anywhere
    for name in [name for name in sys.modules if name == "torch" or name.startswith("torch.")]:
        monkeypatch.delitem(sys.modules, name)
    assert gpu_names() == []
    assert "torch" not in sys.modules
    assert "gpus" not in describe_environment()  # asked only where a net may use one
