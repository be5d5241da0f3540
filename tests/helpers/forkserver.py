"""The command started from a process that has already imported what it imports.

Each ``treesvsnets`` command the tests run in a subprocess would otherwise spend most of its
time importing: pandas, scikit-learn (with SciPy) and matplotlib in the command, and pandas
and scikit-learn again in its worker, about 2.5 s of a 3.6 s run of iris on a slow 2-core
machine. So the tests start one *fork server* (this file run as a script): a process that
imports those once, then forks a child for each command. The child is a new process with
its own standard streams (the test's pipes), working directory, environment, arguments and
exit code, and runs the command's own entry point (:func:`treesvsnets.cli.entry`), as
``python -m treesvsnets`` does after its imports. Its workers are forked from it the same
way, before the command has done anything (:func:`forked_spawn`), instead of started as a
new interpreter that imports everything again.

What a child cannot have fresh, the command then gets from a real interpreter
(:func:`tests.helpers.cli.cli` falls back to ``subprocess.run``): an environment that
differs from the server's in a variable read at start-up (``PYTHONPATH``, thread
settings...: :data:`tests.helpers.cli.STARTUP_VARIABLES`), a platform without ``fork`` or Unix
sockets, or a server whose imports printed anything (a warning the command would print
must reach the test). A command that needs a worker later in its run, after a thread has
started in it (or after torch was imported), starts it as a new interpreter as usual.

Protocol, over a Unix ``SOCK_SEQPACKET`` socket (one message each way per step):

    test   -> server   pickled (argv, cwd, environment), with stdin, stdout, stderr as fds
    server -> test     ("pid", pid)          the command's process, which the test may kill
    server -> test     ("exit", code)        its exit code (negative: the signal that ended it)

The server forks a handler per request (so commands may overlap), which forks the command
and waits for it.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

#: what every command imports at its start, its worker before its first cell, and its
#: report at the end
PRELOAD = (
    "pandas",
    "sklearn.base",
    "sklearn.pipeline",
    "sklearn.model_selection",
    "sklearn.metrics",
    "sklearn.datasets",
    "matplotlib",
    "matplotlib.pyplot",
    "treesvsnets.cli",
    "treesvsnets.api",
    "treesvsnets.bench.execute.worker",
    "treesvsnets.reports.report",
)


class ForkedProcess:
    """A child made with ``os.fork``, with the part of ``subprocess.Popen``'s interface the
    harness uses on its workers (``pid``, ``poll``, ``wait``, ``kill``, ``returncode``)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                done, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: it has ended
                self.returncode = -signal.SIGKILL
            else:
                if done:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.0005
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"forked process {self.pid}", timeout)
            time.sleep(delay)
            delay = min(delay * 2, 0.02)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)


def forked_spawn(idle_seconds: float | None):
    """:func:`treesvsnets.bench.execute.spawn.spawn`, forking this process instead of starting
    a new interpreter: the worker begins where a new one would be after its imports. Only
    while this process is single-threaded and has not imported torch (a fork then is safe
    and starts the worker as lean as a new one); otherwise the real ``spawn``."""
    from multiprocessing.connection import Connection

    from treesvsnets.bench.execute import spawn as spawning
    from treesvsnets.bench.execute import worker

    if threading.active_count() > 1 or "torch" in sys.modules:
        return _real_spawn(idle_seconds)
    ours, theirs = socket.socketpair()
    handle, crash_file = tempfile.mkstemp(prefix="treesvsnets-worker-", suffix=".txt")
    os.close(handle)
    _flush()
    pid = os.fork()
    if pid == 0:  # the worker, as `python -m treesvsnets.bench.execute.worker` runs it
        code = 1
        try:
            os.setsid()  # its own session, as start_new_session=True gives
            ours.close()
            _point(0, os.open(os.devnull, os.O_RDONLY))
            for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
                signal.signal(number, signal.SIG_DFL)
            argv = ["worker", str(theirs.fileno()), crash_file]
            code = worker.main(argv + ([] if idle_seconds is None else [str(idle_seconds)]))
        finally:
            _flush()
            os._exit(code)
    theirs.close()
    return spawning.Spawned(ForkedProcess(pid), Connection(ours.detach()), crash_file, idle_seconds)


_real_spawn = None


def _use_forked_workers() -> None:
    global _real_spawn
    from treesvsnets.bench.execute import isolation
    from treesvsnets.bench.execute import spawn as spawning

    _real_spawn = spawning.spawn
    spawning.spawn = isolation.spawn = forked_spawn


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _point(target: int, fd: int) -> None:
    os.dup2(fd, target)
    os.close(fd)


# -- the server ------------------------------------------------------------------------------


def _run_command(argv: list[str], cwd: str, environment: dict[str, str]) -> None:
    """In the forked child: become ``python -m treesvsnets ARGV`` in ``cwd``; never returns."""
    try:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(environment)
        import treesvsnets

        sys.path[0] = os.getcwd()  # as `python -m` puts the working directory first
        sys.argv = [os.path.join(os.path.dirname(treesvsnets.__file__), "__main__.py"), *argv]
        _use_forked_workers()
        from treesvsnets.cli import entry

        entry()  # ends the process with the command's exit code
    except SystemExit as exc:
        _flush()
        os._exit(exc.code if isinstance(exc.code, int) else 1)
    except BaseException:  # noqa: BLE001 - printed as an uncaught exception would be
        import traceback

        traceback.print_exc()
        _flush()
        os._exit(1)


def _handle(connection: socket.socket) -> None:
    """In a handler forked for one request: fork the command, report its pid and exit code."""
    try:
        message, fds, _flags, _address = socket.recv_fds(connection, 1 << 22, 3)
        argv, cwd, environment = pickle.loads(message)
        _flush()
        pid = os.fork()
        if pid == 0:
            connection.close()
            for target, fd in enumerate(fds):
                _point(target, fd)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _run_command(argv, cwd, environment)
        for fd in fds:
            os.close(fd)
        connection.send(pickle.dumps(("pid", pid)))
        _, status = os.waitpid(pid, 0)
        connection.send(pickle.dumps(("exit", os.waitstatus_to_exitcode(status))))
    finally:
        os._exit(0)


def serve(path: str) -> None:
    """Import :data:`PRELOAD`, say ``ready`` (or why not) on stdout, then fork a handler per
    request until the tests' process goes away."""
    import ctypes
    import importlib
    import io
    import json

    try:  # die with the tests' process
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    before = dict(os.environ)
    printed = io.StringIO()
    real_stderr, sys.stderr = sys.stderr, printed
    try:
        for name in PRELOAD:
            importlib.import_module(name)
    finally:
        sys.stderr = real_stderr
    if printed.getvalue():
        print(f"not used: its imports printed {printed.getvalue()!r}", flush=True)
        return
    if threading.active_count() > 1:
        print("not used: its imports started a Python thread", flush=True)
        return
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(16)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # handlers are reaped by the kernel
    # the variables its imports set (scikit-learn sets two KMP_ ones), as a command's would
    print("ready", json.dumps({k: v for k, v in os.environ.items() if k not in before}), flush=True)
    while True:
        connection, _ = listener.accept()
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the handler waits for its command
            _handle(connection)
        connection.close()


if __name__ == "__main__":
    serve(sys.argv[1])
