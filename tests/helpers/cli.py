"""Run the real ``treesvsnets`` command in a subprocess, as a user would.

:func:`cli` runs it in a process forked from a server that has already imported what the
command imports (:mod:`tests.helpers.forkserver`), where it can: the same entry point,
arguments, working directory, environment, streams and exit code as ``python -m treesvsnets``
in a new interpreter, without paying its imports again for each of the tests' commands.
Where it cannot, and in :func:`cli_in_background`, the command starts as a new interpreter.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import locale
import os
import pickle
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: ``socket.socket.connect`` before a test that refuses the network replaces it (the server
#: is on this machine, a Unix socket; the command itself is another process)
_connect = socket.socket.connect
#: the environment the tests started with, which the fork server is started with
_ENVIRONMENT = dict(os.environ)
#: variables read by the interpreter as it starts (``PYTHONPATH``...), or by the libraries the
#: fork server imports as they load (thread counts, allocator, locale, matplotlib's,
#: NumPy's, SciPy's, scikit-learn's and pandas' settings): a command whose environment differs
#: from the server's in one of these starts as a new interpreter
STARTUP_VARIABLES = (
    "PYTHON", "OMP_", "OPENBLAS", "GOTO", "MKL_", "KMP_", "MALLOC_", "LD_", "LC_", "LANG",
    "TZ", "MPL", "NPY_", "NUMPY_", "SCIPY_", "SKLEARN_", "PANDAS_", "ARROW_",
)  # fmt: skip


def cli(*args, cwd=None, env=None, timeout=600) -> subprocess.CompletedProcess:
    argv = [str(arg) for arg in args]
    done = _forked(argv, cwd, env, timeout)
    if done is not None:
        return done
    return subprocess.run(
        [sys.executable, "-m", "treesvsnets", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def cli_in_background(*args, cwd=None) -> subprocess.Popen:
    """The command started and left running (stderr and stdout piped), to be signalled.

    Ctrl-C is a signal the command must hear: a shell that starts a job in the background
    without job control makes it (and its children) ignore SIGINT, and Python then never
    raises KeyboardInterrupt, so the child gets SIGINT's default back before it starts."""
    return subprocess.Popen(
        [sys.executable, "-m", "treesvsnets", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


# -- through the fork server -------------------------------------------------------------------


@dataclass
class _Server:
    process: subprocess.Popen[str]
    path: str
    ready: bool | None = None  # None: not yet known
    #: the variables its imports set in its environment, which a command's imports would set
    imports_set: dict[str, str] | None = None

    def usable(self) -> bool:
        if self.ready is None:
            line = self.process.stdout.readline().strip()
            self.ready = line.startswith("ready ")
            if self.ready:
                self.imports_set = json.loads(line.removeprefix("ready "))
            else:
                print(f"tests: the command's fork server is {line or 'gone'}", file=sys.stderr)
        return self.ready and self.process.poll() is None


def _start_server() -> _Server | None:
    if not hasattr(os, "fork") or not hasattr(socket, "AF_UNIX") or sys.platform != "linux":
        return None
    folder = tempfile.mkdtemp(prefix="treesvsnets-forkserver-")
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("forkserver.py")), f"{folder}/socket"],
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
        with contextlib.suppress(OSError):
            os.unlink(f"{folder}/socket")
            os.rmdir(folder)

    return _Server(process, f"{folder}/socket")


_server: _Server | None = None
_started = False


def _forked(argv: list[str], cwd, env, timeout: float) -> subprocess.CompletedProcess | None:
    """The command run by the fork server, or None where it cannot be (see the module)."""
    global _server, _started
    if not _started:
        _server, _started = _start_server(), True
    if _server is None or not _server.usable():
        return None
    environment = dict(os.environ if env is None else env)
    # as the command's environment is once its imports have set theirs (scikit-learn sets two
    # KMP_ variables where they are unset), against the server's
    after_imports = _server.imports_set | environment
    if _read_at_start_up(after_imports) != _read_at_start_up(_ENVIRONMENT | _server.imports_set):
        return None
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    null = os.open(os.devnull, os.O_RDONLY)
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as connection:
        try:
            _connect(connection, _server.path)
            request = pickle.dumps((argv, str(cwd or os.getcwd()), environment))
            socket.send_fds(connection, [request], [null, out_write, err_write])
        finally:
            for fd in (null, out_write, err_write):
                os.close(fd)
        _, pid = pickle.loads(connection.recv(1 << 16))
        out, err = _read_until_closed(out_read, err_read, timeout, pid, argv)
        _, code = pickle.loads(connection.recv(1 << 16))
    command = [sys.executable, "-m", "treesvsnets", *argv]
    return subprocess.CompletedProcess(command, code, _text(out), _text(err))


def _read_at_start_up(environment: dict[str, str]) -> dict[str, str]:
    """The variables the interpreter, or a library the server has imported, reads as it
    starts (any other is read by the command, which runs with the environment it is given)."""
    return {k: v for k, v in environment.items() if k.startswith(STARTUP_VARIABLES)}


def _read_until_closed(
    out: int, err: int, timeout: float, pid: int, argv: list[str]
) -> tuple[bytes, bytes]:
    """Both streams, read as they come (neither pipe fills and blocks the command) until every
    process that holds them has closed them, as ``subprocess.run`` reads them."""
    deadline = time.monotonic() + timeout
    chunks: dict[int, list[bytes]] = {out: [], err: []}
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                for fd in chunks:
                    os.close(fd)
                raise subprocess.TimeoutExpired(["treesvsnets", *argv], timeout)
            for key, _ in selector.select(left):
                data = os.read(key.fd, 1 << 16)
                if data:
                    chunks[key.fd].append(data)
                else:
                    selector.unregister(key.fd)
                    os.close(key.fd)
    return b"".join(chunks[out]), b"".join(chunks[err])


def _text(data: bytes) -> str:
    """As ``subprocess.run(..., text=True)`` decodes: the locale's encoding, universal
    newlines."""
    decoded = data.decode(locale.getpreferredencoding(False))
    return decoded.replace("\r\n", "\n").replace("\r", "\n")
