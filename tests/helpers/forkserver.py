"""Commands and workers started from a process that has already imported what they import.

A ``treesvsnets`` command run in a subprocess spends most of its time importing: pandas,
scikit-learn (with SciPy) and matplotlib in the command, pandas and scikit-learn again in
its worker (about 2.5 s of a 3.6 s run of iris on a slow 2-core machine); a worker the
tests' own runs start (``treesvsnets.run`` in this process) imports them too. So the tests
start one *fork server* (this file run as a script): a process that imports those once,
then forks a child for each request:

- a **command** (:func:`run_command`, which :func:`tests.helpers.cli.cli` uses): a new
  process with the test's pipes as its standard streams, its working directory,
  environment, arguments and exit code, running the command's own entry point
  (:func:`treesvsnets.cli.entry`) as ``python -m treesvsnets`` does after its imports. Its
  workers are forked from it the same way, before the command has done anything
  (:func:`forked_spawn`), instead of started as a new interpreter that imports it all again;
- a **worker** for a run in the tests' process (:func:`served_spawn`, which the session
  fixture in tests/conftest.py puts in place of
  :func:`treesvsnets.bench.execute.spawn.spawn`): the worker
  ``python -m treesvsnets.bench.execute.worker`` would be once imported, with this
  process's working directory, environment and standard streams. It is the server's
  grandchild, not this process's child, so :class:`ServedProcess` learns its exit code
  from the server.

The code under test is the same; only the imports before it are shared. Where a child
cannot be what a new interpreter would be, the real one starts: an environment that differs
from the server's in a variable read at start-up (:data:`STARTUP_VARIABLES`: ``PYTHONPATH``,
thread settings...), a platform without ``fork`` or Unix sockets, a server whose imports
printed anything (a warning the command would print must reach the test). A command that
needs a worker later in its run, after a thread has started in it (or after torch was
imported), starts it as a new interpreter as usual.

Protocol, over a Unix ``SOCK_SEQPACKET`` socket (one message each way per step):

    test   -> server   pickled (kind, arguments, cwd, environment), with three fds:
                       kind "command": arguments argv; fds stdin, stdout, stderr
                       kind "worker":  arguments [crash_file, idle_seconds];
                                       fds its socket to the harness, stdout, stderr
    server -> test     ("pid", pid)          the child, which the test may kill
    server -> test     ("exit", code)        its exit code (negative: the signal that ended it)

The server forks a handler per request (so requests may overlap), which forks the child and
waits for it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from treesvsnets.child_processes import flush_standard_streams

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
#: variables read by the interpreter as it starts (``PYTHONPATH``...), or by the libraries the
#: server imports as they load (thread counts, allocator, locale, matplotlib's, NumPy's,
#: SciPy's, scikit-learn's and pandas' settings): a child whose environment differs from the
#: server's in one of these starts as a new interpreter instead
STARTUP_VARIABLES = (
    "PYTHON", "OMP_", "OPENBLAS", "GOTO", "MKL_", "KMP_", "MALLOC_", "LD_", "LC_", "LANG",
    "TZ", "MPL", "NPY_", "NUMPY_", "SCIPY_", "SKLEARN_", "PANDAS_", "ARROW_",
)  # fmt: skip
#: how long the server may take to import :data:`PRELOAD` before the tests do without it
READY_SECONDS = 120.0
#: ``socket.socket.connect`` before a test that refuses the network replaces it (the server
#: is on this machine, behind a Unix socket)
_connect = socket.socket.connect
#: the environment the tests started with, which the server is started with
_ENVIRONMENT = dict(os.environ)


# -- in the tests' process ---------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[str]
    path: str
    ready: bool | None = None  # None: not yet known
    #: the variables its imports set in its environment, which a command's imports would set
    imports_set: dict[str, str] | None = None

    def usable(self) -> bool:
        if self.ready is None:
            waited = select.select([self.process.stdout], [], [], READY_SECONDS)[0]
            line = self.process.stdout.readline().strip() if waited else "not ready in time"
            self.ready = line.startswith("ready ")
            if self.ready:
                self.imports_set = json.loads(line.removeprefix("ready "))
            else:
                print(f"tests: the fork server is {line or 'gone'}", file=sys.stderr)
        return self.ready and self.process.poll() is None

    def takes(self, environment: dict[str, str]) -> bool:
        """Whether a child with this environment is what a new interpreter would be: the same
        start-up variables as the server's, once a child's imports have set theirs
        (scikit-learn sets two KMP_ variables where they are unset)."""
        child = self.imports_set | environment
        return _read_at_start_up(child) == _read_at_start_up(_ENVIRONMENT | self.imports_set)

    def request(
        self, kind: str, arguments: list, fds: list[int], cwd: str, environment: dict[str, str]
    ) -> tuple[socket.socket, int]:
        """Send a request; the connection (on which the exit code will come) and the child's
        pid."""
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            _connect(connection, self.path)
            message = pickle.dumps((kind, arguments, cwd, environment))
            socket.send_fds(connection, [message], fds)
            _, pid = pickle.loads(connection.recv(1 << 16))
        except BaseException:
            connection.close()
            raise
        return connection, pid


_server: Server | None = None
_started = False


def server(environment: dict[str, str]) -> Server | None:
    """The fork server (started at the first call), if it can serve a child with this
    environment."""
    global _server, _started
    if not _started:
        _server, _started = _start(), True
    if _server is None or not _server.usable() or not _server.takes(environment):
        return None
    return _server


def _start() -> Server | None:
    if not hasattr(os, "fork") or not hasattr(socket, "send_fds") or sys.platform != "linux":
        return None
    folder = tempfile.mkdtemp(prefix="treesvsnets-forkserver-")
    process = subprocess.Popen(
        [sys.executable, __file__, f"{folder}/socket"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        env=_ENVIRONMENT,
        start_new_session=True,
    )

    @atexit.register
    def stop() -> None:
        process.kill()
        process.wait()
        process.stdout.close()
        with contextlib.suppress(OSError):
            os.unlink(f"{folder}/socket")
            os.rmdir(folder)

    return Server(process, f"{folder}/socket")


def run_command(
    argv: list[str], cwd: Any, env: dict[str, str] | None, timeout: float
) -> subprocess.CompletedProcess | None:
    """``python -m treesvsnets ARGV`` run by the fork server, as ``subprocess.run`` with
    ``capture_output=True, text=True`` would give it; None where the server cannot run it."""
    environment = dict(os.environ if env is None else env)
    serving = server(environment)
    if serving is None:
        return None
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        where = str(cwd or os.getcwd())
        fds = [null, out_write, err_write]
        connection, pid = serving.request("command", argv, fds, where, environment)
    except OSError:  # the server has gone (killed under memory pressure...): without it
        serving.ready = False
        os.close(out_read)
        os.close(err_read)
        return None
    finally:
        for fd in (null, out_write, err_write):
            os.close(fd)
    with connection:
        out, err = _read_until_closed(out_read, err_read, timeout, pid, argv)
        _, code = pickle.loads(connection.recv(1 << 16))
    command = [sys.executable, "-m", "treesvsnets", *argv]
    return subprocess.CompletedProcess(command, code, _text(out), _text(err))


def _read_at_start_up(environment: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in environment.items() if k.startswith(STARTUP_VARIABLES)}


def _read_until_closed(
    out: int, err: int, timeout: float, pid: int, argv: list[str]
) -> tuple[bytes, bytes]:
    """Both streams, read as they come (neither pipe fills and blocks the command) until every
    process that holds them has closed them, as ``subprocess.run`` reads them."""
    deadline = time.monotonic() + timeout
    chunks: dict[int, list[bytes]] = {out: [], err: []}
    open_fds = set(chunks)
    try:
        while open_fds:
            left = deadline - time.monotonic()
            if left <= 0:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                raise subprocess.TimeoutExpired(["treesvsnets", *argv], timeout)
            readable, _, _ = select.select(list(open_fds), [], [], left)
            for fd in readable:
                data = os.read(fd, 1 << 16)
                if data:
                    chunks[fd].append(data)
                else:
                    open_fds.discard(fd)
    finally:
        os.close(out)
        os.close(err)
    return b"".join(chunks[out]), b"".join(chunks[err])


def _text(data: bytes) -> str:
    """As ``subprocess.run(..., text=True)`` decodes: the locale's encoding, universal
    newlines."""
    import locale

    decoded = data.decode(locale.getpreferredencoding(False))
    return decoded.replace("\r\n", "\n").replace("\r", "\n")


class ServedProcess:
    """A worker the server forked for this process: ``subprocess.Popen``'s ``pid``, ``poll``,
    ``wait``, ``kill`` and ``returncode``, the exit code coming from the server."""

    def __init__(self, pid: int, connection: socket.socket) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._connection = connection

    def poll(self) -> int | None:
        return self._wait_for_exit(0)

    def wait(self, timeout: float | None = None) -> int:
        if self._wait_for_exit(timeout) is None:
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def _wait_for_exit(self, timeout: float | None) -> int | None:
        if self.returncode is None and select.select([self._connection], [], [], timeout)[0]:
            message = self._connection.recv(1 << 16)
            # no message: the handler is gone (the server was stopped), and so is the worker
            self.returncode = pickle.loads(message)[1] if message else -signal.SIGKILL
            self._connection.close()
        return self.returncode


def served_spawn(idle_seconds: float | None):
    """:func:`treesvsnets.bench.execute.spawn.spawn` for a run in this process: the worker
    forked by the server (the real ``spawn`` where the server cannot)."""
    from multiprocessing.connection import Connection

    from treesvsnets.bench.execute import spawn as spawning

    serving = server(dict(os.environ))
    if serving is None:
        return _real_spawn(idle_seconds)
    ours, theirs = socket.socketpair()
    crash_file = spawning.new_crash_file()
    try:
        arguments, fds = [crash_file, idle_seconds], [theirs.fileno(), 1, 2]
        connection, pid = serving.request("worker", arguments, fds, os.getcwd(), dict(os.environ))
    except OSError:  # the server has gone: without it
        serving.ready = False
        ours.close()
        os.unlink(crash_file)
        return _real_spawn(idle_seconds)
    finally:
        theirs.close()
    process = ServedProcess(pid, connection)
    return spawning.Spawned(process, Connection(ours.detach()), crash_file, idle_seconds)


def use_served_workers() -> None:
    """Have runs in this process take their workers from the server (tests/conftest.py)."""
    _replace_spawn(served_spawn)


def _replace_spawn(replacement) -> None:
    global _real_spawn
    from treesvsnets.bench.execute import isolation
    from treesvsnets.bench.execute import spawn as spawning

    if _real_spawn is None:
        _real_spawn = spawning.spawn
    spawning.spawn = isolation.spawn = replacement


_real_spawn = None


# -- in a command the server forked ------------------------------------------------------------


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
    """:func:`treesvsnets.bench.execute.spawn.spawn` in a command, forking it instead of
    starting a new interpreter: the worker begins where a new one would be after its imports.
    Only while the command is single-threaded and has not imported torch (a fork then is safe
    and starts the worker as lean as a new one); otherwise the real ``spawn``."""
    from multiprocessing.connection import Connection

    from treesvsnets.bench.execute import spawn as spawning

    if threading.active_count() > 1 or "torch" in sys.modules:
        return _real_spawn(idle_seconds)
    ours, theirs = socket.socketpair()
    crash_file = spawning.new_crash_file()
    flush_standard_streams()
    pid = os.fork()
    if pid == 0:
        ours.close()
        _become_worker(theirs.fileno(), crash_file, idle_seconds)
    theirs.close()
    return spawning.Spawned(ForkedProcess(pid), Connection(ours.detach()), crash_file, idle_seconds)


def _become_worker(fd: int, crash_file: str, idle_seconds: float | None) -> NoReturn:
    """In a forked child: be ``python -m treesvsnets.bench.execute.worker FD CRASH_FILE
    [IDLE_SECONDS]`` (its own session, stdin from /dev/null), then exit with its code."""
    from treesvsnets.bench.execute import worker

    code = 1
    try:
        os.setsid()  # as start_new_session=True gives
        _point(0, os.open(os.devnull, os.O_RDONLY))
        os.dup2(2, 1)  # its stdout is the harness's stderr, as spawn gives it
        for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(number, signal.SIG_DFL)
        argv = ["worker", str(fd), crash_file]
        code = worker.main(argv + ([] if idle_seconds is None else [str(idle_seconds)]))
    finally:
        flush_standard_streams()
        os._exit(code)


def _point(target: int, fd: int) -> None:
    os.dup2(fd, target)
    os.close(fd)


# -- in the server -----------------------------------------------------------------------------


def _enter(cwd: str, environment: dict[str, str]) -> None:
    """Take the request's working directory and environment, and put the working directory
    first on the import path, as ``python -m`` does."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(environment)
    sys.path[0] = os.getcwd()


def _run_command(argv: list[str]) -> NoReturn:
    """In a forked child: be ``python -m treesvsnets ARGV``; exit with its code."""
    try:
        import treesvsnets

        sys.argv = [os.path.join(os.path.dirname(treesvsnets.__file__), "__main__.py"), *argv]
        _replace_spawn(forked_spawn)
        from treesvsnets.cli import entry

        entry()  # ends the process with the command's exit code
    except SystemExit as exc:
        flush_standard_streams()
        os._exit(exc.code if isinstance(exc.code, int) else 1)
    except BaseException:  # noqa: BLE001 - printed as an uncaught exception would be
        import traceback

        traceback.print_exc()
        flush_standard_streams()
        os._exit(1)


def _handle(connection: socket.socket) -> NoReturn:
    """In a handler forked for one request: fork the child, report its pid and exit code."""
    try:
        message, fds, _flags, _address = socket.recv_fds(connection, 1 << 22, 3)
        kind, arguments, cwd, environment = pickle.loads(message)
        flush_standard_streams()
        pid = os.fork()
        if pid == 0:
            connection.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            if kind == "command":
                for target, fd in enumerate(fds):
                    _point(target, fd)
                _enter(cwd, environment)
                _run_command(arguments)
            _point(1, fds[1])
            _point(2, fds[2])
            _enter(cwd, environment)
            _become_worker(fds[0], *arguments)
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
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the handler waits for its child
            _handle(connection)
        connection.close()


if __name__ == "__main__":
    sys.path[0] = str(Path(__file__).resolve().parents[2])  # `tests.helpers...` importable
    serve(sys.argv[1])
