"""What machine and which library versions produced a run: :func:`describe_environment`
(machine, CPU, Python, the library versions read from their metadata, nothing imported; the
CUDA devices, from the NVIDIA driver, only when an estimator of the run can use a GPU)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from importlib import metadata

from treesvsnets.bench.cells.measure import cpu_count

#: Distributions whose versions change results or timings.
TRACKED_PACKAGES = (
    "treesvsnets",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "xgboost",
    "lightgbm",
    "torch",
    "torchvision",
    "threadpoolctl",
)


def package_versions() -> dict[str, str | None]:
    """Installed versions, read from metadata (nothing is imported)."""
    versions: dict[str, str | None] = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def versions_hash(versions: dict[str, str | None]) -> str:
    payload = json.dumps({"python": platform.python_version(), **versions}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_names() -> list[str]:
    """The CUDA devices a net's cell may use, by name, without importing torch here (it cost
    a run with nets 1 to 2 s and 600 MB in the command, for one line of its manifest):
    torch's own list where this process has imported it already; else the NVIDIA driver's,
    from ``nvidia-smi``, less those ``CUDA_VISIBLE_DEVICES`` hides (by index or UUID, up to
    its first entry that is neither, or names a device again, as CUDA reads it); none without
    a driver. The driver's list is the machine's: a CPU-only torch sees none of them (its
    nets' rows say ``cpu``), and indices follow the driver's order, which is CUDA's where
    the GPUs are alike."""
    torch = sys.modules.get("torch")
    if torch is not None:
        if not torch.cuda.is_available():
            return []
        return [torch.cuda.get_device_name(index) for index in range(torch.cuda.device_count())]
    try:
        listed = subprocess.run(
            ["nvidia-smi", "--query-gpu=uuid,name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if listed.returncode != 0:
        return []
    devices = [line.split(",", 1) for line in listed.stdout.splitlines() if "," in line]
    devices = [(uuid.strip(), name.strip()) for uuid, name in devices]
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return [name for _, name in devices]
    chosen: list[int] = []
    for entry in (part.strip() for part in visible.split(",")):
        if entry.isdigit() and int(entry) < len(devices):
            index = int(entry)
        elif entry and (
            match := [i for i, (uuid, _) in enumerate(devices) if uuid.startswith(entry)]
        ):
            index = match[0]
        else:
            break
        if index in chosen:  # a device named twice ends the list, as an unknown one does
            break
        chosen.append(index)
    return [devices[index][1] for index in chosen]


def describe_environment(with_gpu: bool = False) -> dict[str, object]:
    """Machine, Python and library versions; ``with_gpu`` adds the CUDA devices."""
    versions = package_versions()
    environment: dict[str, object] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": cpu_count(),
        "packages": versions,
        "versions_hash": versions_hash(versions),
    }
    if with_gpu:
        environment["gpus"] = gpu_names()
    return environment
