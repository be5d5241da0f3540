"""Which device a net trains on, and honest clocks on it."""

from __future__ import annotations

import torch

from treesvsnets.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str) -> torch.device:
    """``auto`` picks CUDA when a GPU is present, else the CPU; ``cuda`` without one is an error."""
    if device not in DEVICES and not str(device).startswith("cuda:"):
        raise ConfigError(f"device must be one of {', '.join(DEVICES)}, got {device!r}.")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} was asked for, but CUDA is not available here.")
    return torch.device(device)


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so that a clock read afterwards measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
