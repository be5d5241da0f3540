"""Clocks and memory gauges for one cell.

Peak memory is the process's resident-set high-water mark (VmHWM on Linux),
reset at the start of each cell by writing ``5`` to ``/proc/self/clear_refs``,
so each row gets its own peak rather than the run's. Where that is not
possible the row falls back to the process's lifetime peak and says so.

:class:`Stopwatch` times named phases (``time.perf_counter``); :func:`reset_peak_rss`,
:func:`peak_memory`, :func:`peak_rss_mb_of` (another process's peak, which the harness
reads of a worker) and :func:`rss_mb_of` (its resident set now) measure memory;
:func:`cpu_count` is the cores this process may use.
"""

from __future__ import annotations

import os
import re
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


def _read_status_kb(field: str, pid: int | str = "self") -> int | None:
    """A memory field of ``/proc/PID/status`` in kB (Linux); None where unknown."""
    try:
        with open(f"/proc/{pid}/status") as status:
            match = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def reset_peak_rss() -> bool:
    """Start this process's resident-set high-water mark afresh (Linux); False elsewhere."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def peak_rss_mb_of(pid: int) -> float | None:
    """Process ``pid``'s resident-set high-water mark in MB (VmHWM), None where unknown."""
    peak = _read_status_kb("VmHWM", pid)
    return None if peak is None else peak / 1024


def rss_mb_of(pid: int | str = "self") -> float | None:
    """Process ``pid``'s resident set now in MB (VmRSS), None where unknown."""
    resident = _read_status_kb("VmRSS", pid)
    return None if resident is None else resident / 1024


def _lifetime_peak_kb() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS reports bytes


@dataclass
class MemoryReading:
    peak_rss_mb: float | None = None
    per_cell: bool = False


@contextmanager
def peak_memory() -> Iterator[MemoryReading]:
    """Measure the peak resident memory of this process during the ``with`` block."""
    reading = MemoryReading()
    reading.per_cell = reset_peak_rss()
    try:
        yield reading
    finally:
        peak = _read_status_kb("VmHWM") if reading.per_cell else None
        reading.peak_rss_mb = (peak if peak is not None else _lifetime_peak_kb()) / 1024


class Stopwatch:
    """Wall-clock seconds of each named phase, read with ``time.perf_counter``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def time(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] = time.perf_counter() - start


def cpu_count() -> int:
    """Cores this process may use (respects CPU affinity where the OS exposes it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
