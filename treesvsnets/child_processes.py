"""Child processes: where a forked one can work beside this process, one that dies with its
parent, one waited for with a deadline, and how one ended, in words. Shared by the worker
processes (:mod:`treesvsnets.bench.execute.isolation`), the report's drawing child
(:mod:`treesvsnets.reports.rendering`), the reports' process beside a run's cells
(:mod:`treesvsnets.beside_cells`) and ``check``'s children (:mod:`treesvsnets.plugin_checks`).
Only the standard library is imported here."""

from __future__ import annotations

import os
import signal
import sys
import time

#: how often a child is asked whether it has ended
POLL_SECONDS = 0.005


def two_cores_on_linux() -> bool:
    """Linux (where a child is forked), with two cores or more this process may use (where a
    child works beside it rather than in its turn)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return sys.platform == "linux" and cores >= 2


def die_with_parent() -> None:
    """Linux: get SIGKILL when the parent dies, so no orphan goes on working."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def stop_escaped_children() -> None:
    """Kill this process's children that left its process group (``start_new_session``,
    ``process_group=0``): killing the group, as a worker's or a check's parent does, would
    not reach them, and they would outlive the run. Read from Linux's
    ``/proc/self/task/*/children``; elsewhere nothing is done."""
    own = os.getpgrp()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children") as handle:
                children = [int(pid) for pid in handle.read().split()]
        except (OSError, ValueError):
            continue
        for pid in children:
            try:
                if os.getpgid(pid) != own:
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                continue  # gone meanwhile


def flush_standard_streams() -> None:
    """Flush stdout and stderr, as a process does before it forks (nothing buffered is then
    written twice) or leaves with ``os._exit``; a closed pipe or no console is no error."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed, or None (no console)
            pass


def wait_for(pid: int, seconds: float) -> int | None:
    """The exit code of the forked child ``pid`` (negative: the signal that ended it) once it
    ends within ``seconds``; None when it runs past them (it is killed and reaped) or was
    reaped already (SIGCHLD ignored)."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            time.sleep(POLL_SECONDS)
    except ChildProcessError:
        return None
    kill_and_reap(pid)
    return None


def kill_and_reap(pid: int) -> None:
    """Kill the forked child ``pid`` and reap it; nothing when it is gone already."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass


def ending(code: int) -> str:
    """How a process that ended with exit code ``code`` (negative: the signal) ended:
    'was killed by SIGSEGV (a crash in native code)', 'exited with code 3'."""
    if code >= 0:
        return f"exited with code {code}"
    hint = (
        " (the system may have run out of memory and killed it)"
        if -code == signal.SIGKILL
        else " (a crash in native code)"
        if -code in (signal.SIGSEGV, signal.SIGBUS)
        else ""
    )
    return f"was killed by {signal.Signals(-code).name}{hint}"
