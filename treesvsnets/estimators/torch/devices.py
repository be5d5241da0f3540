"""Which device a net trains on, how its rows get there, and honest clocks on it:
:func:`resolve_device` (auto, cpu, cuda; :func:`check_device` refuses another name),
:func:`to_device` (float32; to a GPU through pinned memory, without waiting) and
:func:`synchronize` (before a clock is read); and the thread budget of a fit,
:func:`torch_threads` (torch's threads for a block, then put back: never a global policy)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch

from treesvsnets.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")


def check_device(device: str) -> None:
    """Refuse a device name that is not auto, cpu, cuda or cuda:N, in one sentence."""
    if device not in DEVICES and not str(device).startswith("cuda:"):
        raise ConfigError(f"device must be one of {', '.join(DEVICES)}, got {device!r}.")


def resolve_device(device: str) -> torch.device:
    """``auto`` picks CUDA when a GPU is present, else the CPU; ``cuda`` without one is an error."""
    check_device(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} was asked for, but CUDA is not available here.")
    return torch.device(device)


def to_device(X: np.ndarray, device: torch.device) -> torch.Tensor:
    """Rows as float32 on ``device`` (through pinned memory, without waiting, to a GPU); a
    read-only array (a float32 DataFrame's, under pandas' copy-on-write) copied, as torch
    warns it would share memory it may not write."""
    rows = np.ascontiguousarray(X, dtype=np.float32)
    tensor = torch.from_numpy(rows if rows.flags.writeable else rows.copy())
    if device.type == "cuda":
        tensor = tensor.pin_memory()
    return tensor.to(device, non_blocking=True)


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so that a clock read afterwards measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """torch's intra-op threads set to ``threads`` for the block (left as they are for None),
    then put back, even when the block raises."""
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
