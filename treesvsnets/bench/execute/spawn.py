"""Starting a worker process, and starting one before the harness knows it needs it.

:func:`spawn` starts ``python -m treesvsnets.bench.execute.worker`` in its own session
with a socket pair to talk over (:mod:`.isolation` wraps it in a ``WorkerProcess``).
:func:`start_spares` is what the ``run`` command calls first, before the harness imports
pandas and scikit-learn and resolves the run: the spares import those (about a second)
while the harness does the same, instead of after it; :func:`take_spare` hands one to the
first executor that needs a worker, which then sends it the run's setup. Spares nobody
took are killed at exit. Only the standard library is imported here, so the command
pays nothing for starting them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path


@dataclass
class Spawned:
    """A started worker process: its handle, the socket to it and its crash file."""

    process: subprocess.Popen[bytes]
    connection: Connection
    crash_file: str
    idle_seconds: float | None
    started: float = field(default_factory=time.monotonic)
    #: the environment it was started with (this process's at the time)
    environment: dict[str, str] = field(default_factory=lambda: dict(os.environ))


def spawn(idle_seconds: float | None) -> Spawned:
    """Start a worker that exits after ``idle_seconds`` without a message (None: never)."""
    ours, theirs = socket.socketpair()
    crash_file = new_crash_file()
    command = [sys.executable, *_safe_path(), "-m", "treesvsnets.bench.execute.worker"]
    command += [str(theirs.fileno()), crash_file]
    if idle_seconds is not None:
        command.append(str(idle_seconds))
    try:
        process = subprocess.Popen(
            command,
            pass_fds=(theirs.fileno(),),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=_errors_stream(),
        )
    finally:
        theirs.close()
    return Spawned(process, Connection(ours.detach()), crash_file, idle_seconds)


def _errors_stream() -> int | None:
    """The worker's stdout: this process's stderr, so what an estimator prints, natively
    too (a library's C++ log), goes beside the progress, not into the leaderboard a user
    sends to a file (`treesvsnets run > board.txt`); this process's stdout where it has no
    stderr to give."""
    try:
        return sys.__stderr__.fileno() if sys.__stderr__ is not None else None
    except (AttributeError, OSError, ValueError):  # closed, or a stream without a descriptor
        return None


def _safe_path() -> list[str]:
    """``-P``: the worker's ``sys.path`` without the working folder, which ``python -m`` puts
    first, so that a file there named as a module (an ``html.py`` beside the user's data)
    cannot replace the one every cell imports (every cell, the baseline's too, crashed);
    not where the package is imported from that folder itself (a checkout not installed)."""
    import treesvsnets

    root = Path(treesvsnets.__file__).resolve().parents[1]
    try:
        here = Path.cwd().resolve()
    except OSError:  # the working folder was removed: nothing of it to import
        return ["-P"]
    return [] if root == here else ["-P"]


#: a crash file's name: the harness's process id, then mkstemp's random part
CRASH_FILE_PREFIX = "treesvsnets-worker-"
_swept = False


def new_crash_file() -> str:
    """An empty file for a new worker's crash traceback (faulthandler writes it there),
    named after this process. The first call also removes those of harnesses that are gone
    (killed before they could remove their workers' files)."""
    global _swept
    if not _swept:
        _swept = True
        _remove_orphaned_crash_files(Path(tempfile.gettempdir()))
    handle, crash_file = tempfile.mkstemp(
        prefix=f"{CRASH_FILE_PREFIX}{os.getpid()}-", suffix=".txt"
    )
    os.close(handle)
    return crash_file


#: a crash file is removed as an orphan only once this old: a harness in another process
#: namespace that shares the temp folder may have the number of one that is gone here
ORPHAN_SECONDS = 60.0


#: a crash file named as before harnesses put their process id in it is removed this old
#: (only a harness of an older version, running for a day, could still read it)
UNNAMED_ORPHAN_SECONDS = 86400.0


def _remove_orphaned_crash_files(folder: Path) -> None:
    """Remove the crash files of harnesses no longer running: nobody will read them. A name
    with something else than a process id in plain digits is left alone."""
    for path in folder.glob(f"{CRASH_FILE_PREFIX}*.txt"):
        pid, dash, _ = path.name[len(CRASH_FILE_PREFIX) :].partition("-")
        if not dash:  # mkstemp's random part alone: an older version's name
            _remove_older_than(path, UNNAMED_ORPHAN_SECONDS)
        elif pid.isascii() and pid.isdigit() and not _running(int(pid)):
            _remove_older_than(path, ORPHAN_SECONDS)


def _remove_older_than(path: Path, seconds: float) -> None:
    with contextlib.suppress(OSError):  # another user's, or removed meanwhile
        if time.time() - path.stat().st_mtime > seconds:
            path.unlink()


def _running(pid: int) -> bool:
    """Whether process ``pid`` may be running (no such number: it may)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):  # another user's; no process id
        return True
    return True


#: A worker idle this much less than its idle timeout is not sent anything new (a spare is
#: not taken, a parked worker gets no cell), so nothing races the worker's own decision to exit.
IDLE_MARGIN_SECONDS = 5.0
#: A local worker with nothing to do exits after this long; until then a later run in this
#: process with the same estimators reuses it (its imports and datasets are warm).
IDLE_SECONDS = 120.0
_spares: list[Spawned] = []


def start_spares(count: int, idle_seconds: float = IDLE_SECONDS) -> None:
    """Start ``count`` workers now, for the executor about to be built to take."""
    _spares.extend(spawn(idle_seconds) for _ in range(count - len(_spares)))


def take_spare(idle_seconds: float | None) -> Spawned | None:
    """A spare that is still running with the same idle timeout, and not about to exit for
    having waited nearly that long, if one was started."""
    while _spares:
        spare = _spares.pop(0)
        waited = time.monotonic() - spare.started
        timely = spare.idle_seconds is None or waited < spare.idle_seconds - IDLE_MARGIN_SECONDS
        if spare.process.poll() is None and spare.idle_seconds == idle_seconds and timely:
            return spare
        _kill(spare)
    return None


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill a worker and every process it started (its session's process group), and reap it.
    The group is killed even when the worker is gone (it crashed): what it started lives on
    in that group, whose number no new process takes while it has members."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # no member left, or not ours
        if process.poll() is None:
            process.kill()
    process.wait()


def _kill(spare: Spawned) -> None:
    kill_group(spare.process)
    spare.connection.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(spare.crash_file)


@atexit.register
def kill_spares() -> None:
    """Spares no executor took (a run in this process, a refused config) go at exit."""
    while _spares:
        _kill(_spares.pop())
