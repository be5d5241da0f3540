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
from multiprocessing.connection import Connection

from treesvsnets.bench.cells.measure import rss_mb_of
from treesvsnets.bench.plan.jobs import JobRunner
from treesvsnets.child_processes import die_with_parent

#: the deep-learning libraries a net's cell may load, each hundreds of MB that stay resident
#: in its worker (the harness gives the next cell of any other estimator a new worker, unless
#: the worker's setup loaded them: a plugin file that imports torch, which a new one would too)
NET_LIBRARIES = ("torch", "tensorflow", "jax")


def _restore(environment: dict[str, str]) -> None:
    """Put back the environment a job changed (an estimator that set ``OMP_NUM_THREADS`` or
    its own variables in ``fit``): the next job starts with the worker's, as in a new one."""
    if os.environ != environment:
        os.environ.clear()
        os.environ.update(environment)


def _net_libraries() -> set[str]:
    return {name for name in NET_LIBRARIES if name in sys.modules}


def _preload() -> None:
    """Import what every cell needs (pandas, scikit-learn: about a second) first thing, while
    the harness is still preparing the run (a spare, :mod:`.spawn`, starts before the harness
    has imported them itself), rather than when the first cell's data is loaded."""
    import pandas  # noqa: F401
    import sklearn.base  # noqa: F401
    import sklearn.pipeline  # noqa: F401


def serve(
    connection: Connection, idle_seconds: float | None = None, fresh_mb: float | None = None
) -> int:
    """Answer the harness until it stops this worker, goes away, or leaves it idle for
    ``idle_seconds``. A later setup replaces the earlier one (a parked worker taken by
    another run: :func:`treesvsnets.bench.execute.executors._worker_for`)."""
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
            environment, before = dict(os.environ), _net_libraries()
            rows = runner.run(payload, started=lambda: connection.send(("started", None)))
            _restore(environment)
            by_jobs |= _net_libraries() - before
            connection.send(("holds", sorted(by_jobs)))
            connection.send(("rows", rows))
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
        return serve(connection, idle_seconds, rss_mb_of())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
