"""The worker process: ``python -m treesvsnets.bench.execute.worker FD CRASH_FILE [IDLE_SECONDS]``.

It talks to the harness over the socket ``FD`` (pickled messages), never over
stdout, so whatever an estimator prints cannot corrupt the protocol:

    harness -> worker   ("setup", WorkerSetup)   first (again when a later run takes it)
                        ("job", Job)             one at a time (a CellJob, FoldGroupJob or TrialJob)
                        ("stop", None)
    worker -> harness   ("ready", fresh_mb)       after each setup; fresh_mb: its resident
                                                  memory in MB before its first setup (None
                                                  where unknown)
                        ("setup_failed", message) and exits
                        ("started", None)         data loaded; the cell's clock starts
                        ("holds", [name, ...])    after each job: the nets' libraries its jobs
                                                  have loaded (torch...; not a setup, under
                                                  this run's or an earlier one's), then
                        ("spoilt", reason)        before them, where the job left threads
                                                  running or memory held (see
                                                  :class:`JobTraces`); it exits after its rows
                        ("rows", [dict, ...])     the result row of each of the job's cells

A crash in native code leaves the Python traceback in ``CRASH_FILE``
(faulthandler), which the harness stores on the cell's row.
The worker lives for many cells (its datasets stay loaded); the harness kills
it, and starts another, only when a cell hits a limit or it dies. On Linux the worker dies
with its parent (no orphan keeps training), and it ignores Ctrl-C: the harness decides when
a cell stops.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from treesvsnets.bench.cells.measure import rss_mb_of
from treesvsnets.bench.plan.jobs import JobRunner
from treesvsnets.child_processes import die_with_parent, stop_escaped_children

#: the deep-learning libraries a net's cell may load, each hundreds of MB that stay resident
#: in its worker (the harness gives the next cell of any other estimator a new worker, unless
#: the worker's setup loaded them: a plugin file that imports torch, which a new one would too)
NET_LIBRARIES = ("torch", "tensorflow", "jax")


#: a job that leaves this much more resident memory than it found once its data was loaded
#: (a plugin's cache at module level, say) spoils its worker: the next cell's memory reading,
#: and its headroom under ``--max-memory``, would carry it
LEFT_MB = 128.0

#: how long the threads a job started may take to end after it, in all, before they spoil
#: the worker: a library's thread pool winds down just after the call that used it returns
#: (scikit-learn's forest, through joblib's threads, left one waiting for its pool's last
#: message in one run of three, and the next cell paid for a new worker's imports)
THREADS_GRACE_SECONDS = 0.5


#: the signals whose handlers a job may change (the worker ignores Ctrl-C; an alarm's handler)
_HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)


def _numpy_state() -> tuple:
    import numpy as np

    return np.geterr(), np.random.get_state()


def _numpy_restore(state: tuple) -> None:
    import numpy as np

    np.seterr(**state[0])
    np.random.set_state(state[1])


def _sklearn_state() -> dict:
    import sklearn

    return sklearn.get_config()


def _sklearn_restore(state: dict) -> None:
    import sklearn

    sklearn.set_config(**state)


def _torch_state() -> Any:
    import torch

    return torch.get_default_dtype()


def _torch_restore(state: Any) -> None:
    import torch

    torch.set_default_dtype(state)


#: a library's global settings a job may change (np.seterr, numpy's global random state,
#: scikit-learn's set_config, torch's default dtype), read before the job where the library
#: is loaded, and put back after it
_LIBRARY_STATE = {
    "numpy": (_numpy_state, _numpy_restore),
    "sklearn": (_sklearn_state, _sklearn_restore),
    "torch": (_torch_state, _torch_restore),
}


def _net_libraries() -> set[str]:
    return {name for name in NET_LIBRARIES if name in sys.modules}


class JobTraces:
    """What one job may leave in its worker for the next. Put back after it, as a new worker
    would have them: the environment (an estimator that set ``OMP_NUM_THREADS``), the working
    folder, the recursion limit, ``sys.path``, the signal handlers and a pending alarm, and
    the libraries' global settings (:data:`_LIBRARY_STATE`). Not put back, but said
    (:meth:`spoilt`), so the harness gives the next job a new worker: threads still running
    (they would share the next cell's cores), its stdout or stderr closed, and memory a
    plugin's estimator kept (:data:`LEFT_MB`; not a net's library, which the harness handles
    itself, nor the job's data, loaded before its clock starts)."""

    def __init__(self) -> None:
        self.environment = dict(os.environ)
        self.cwd = os.getcwd()
        self.recursion_limit = sys.getrecursionlimit()
        self.path = list(sys.path)
        self.handlers = {number: signal.getsignal(number) for number in _HANDLED}
        self.libraries = {
            name: take() for name, (take, _) in _LIBRARY_STATE.items() if name in sys.modules
        }
        self.threads = set(threading.enumerate())
        self.net_libraries = _net_libraries()
        self.loaded_mb: float | None = None

    def started(self) -> None:
        """The job's data is loaded: what it holds from now on is the estimator's."""
        self.loaded_mb = rss_mb_of()

    def restore(self) -> None:
        if os.environ != self.environment:
            os.environ.clear()
            os.environ.update(self.environment)
        if os.getcwd() != self.cwd:
            os.chdir(self.cwd)
        sys.setrecursionlimit(self.recursion_limit)
        sys.path[:] = self.path
        signal.setitimer(signal.ITIMER_REAL, 0)  # an alarm the job set and did not cancel
        for number, handler in self.handlers.items():
            if signal.getsignal(number) is not handler and handler is not None:
                signal.signal(number, handler)
        for name, state in self.libraries.items():
            _LIBRARY_STATE[name][1](state)

    def _running_threads(self) -> list[str]:
        """The names of the threads the job started that have not ended within
        :data:`THREADS_GRACE_SECONDS` of its end."""
        deadline = time.monotonic() + THREADS_GRACE_SECONDS
        started = [t for t in threading.enumerate() if t not in self.threads]
        for thread in started:
            try:
                thread.join(max(0.0, deadline - time.monotonic()))
            except (AssertionError, RuntimeError):  # one Python did not start: not joined
                pass
        return [t.name for t in started if t.is_alive()]

    def spoilt(self, by_plugin: bool) -> str | None:
        """Why the next job should have another worker, or None; memory is weighed for an
        estimator a plugin registered (``by_plugin``) only: a built-in's allocator keeps what
        a big table's fit freed, and a new worker per cell would load the table each time."""
        running = self._running_threads()
        if running:
            return f"the job left {len(running)} thread(s) running ({', '.join(running[:3])})"
        try:
            os.fstat(1), os.fstat(2)
        except OSError:
            return "the job closed the worker's stdout or stderr"
        if not by_plugin:
            return None
        now = rss_mb_of()
        if self.loaded_mb is None or now is None or _net_libraries() - self.net_libraries:
            return None
        if now - self.loaded_mb > LEFT_MB:
            return f"the job left {now - self.loaded_mb:.0f} MB more resident memory held"
        return None


def _preload() -> None:
    """Import what every cell needs (pandas, scikit-learn: about a second) first thing, while
    the harness is still preparing the run (a spare, :mod:`.spawn`, starts before the harness
    has imported them itself), rather than when the first cell's data is loaded."""
    import pandas  # noqa: F401
    import sklearn.base  # noqa: F401
    import sklearn.pipeline  # noqa: F401


#: :func:`serve`'s answer when a job spoilt the worker: it exits at once, not waiting for the
#: threads the job left running
SPOILT = 3


def serve(
    connection: Connection, idle_seconds: float | None = None, fresh_mb: float | None = None
) -> int:
    """Answer the harness until it stops this worker, goes away, leaves it idle for
    ``idle_seconds``, or a job spoils it (:data:`SPOILT`). A later setup replaces the
    earlier one (a parked worker taken by another run:
    :func:`treesvsnets.bench.execute.executors._worker_for`)."""
    runner: JobRunner | None = None
    by_jobs: set[str] = set()  # the nets' libraries its jobs loaded (not a setup: a plugin's)
    while True:
        if idle_seconds is not None and not connection.poll(idle_seconds):
            return 0  # nobody has needed this worker for a while
        try:
            kind, payload = connection.recv()
        except (EOFError, OSError):  # OSError: the connection was reset
            return 0  # the harness went away
        if kind == "setup":
            try:
                runner = JobRunner.from_setup(payload)
            except Exception as exc:  # noqa: BLE001 - reported to the harness, which records it
                connection.send(("setup_failed", f"{type(exc).__name__}: {exc}"))
                return 1
            connection.send(("ready", fresh_mb))
        elif kind == "job":
            assert runner is not None, "a job came before the setup"
            traces = JobTraces()

            def started(traces: JobTraces = traces) -> None:
                traces.started()
                connection.send(("started", None))

            rows = runner.run(payload, started=started)
            traces.restore()
            stop_escaped_children()  # what killing this worker's group would not reach
            by_jobs |= _net_libraries() - traces.net_libraries
            names = {row.get("estimator") for row in rows}
            by_plugin = any(
                spec.source != "builtin"
                for (name, _), spec in runner.specs.items()
                if name in names
            )
            spoilt = traces.spoilt(by_plugin)
            if spoilt is not None:
                connection.send(("spoilt", spoilt))
            connection.send(("holds", sorted(by_jobs)))
            connection.send(("rows", rows))
            if spoilt is not None:
                return SPOILT
        elif kind == "stop":
            return 0


def main(argv: list[str]) -> int:
    die_with_parent()  # no orphan keeps training
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the harness decides when a cell stops
    connection = Connection(int(argv[1]))
    # the harness made the file (opened here without creating it): where it is gone, the
    # harness was killed before this could die with it, and a later run removed its files
    try:
        crash_file = open(argv[2], "r+")
    except FileNotFoundError:
        return 0  # an orphan: nobody to serve
    with crash_file:
        faulthandler.enable(crash_file)  # a segfault leaves its Python traceback there
        idle_seconds = float(argv[3]) if len(argv) > 3 else None
        _preload()
        code = serve(connection, idle_seconds, rss_mb_of())
    if code == SPOILT:
        os._exit(0)  # a thread the job left would keep an orderly exit waiting
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
