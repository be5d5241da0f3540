"""Worker processes the harness can kill: hard time and memory limits, crash detection.

Each :class:`WorkerProcess` is a ``python -m treesvsnets.bench.execute.worker`` child in
its own session (a terminal's Ctrl-C reaches only the harness, and killing the
session's process group also stops any helper processes the estimator
started). Workers are reused from cell to cell, so a run pays the start-up
(about a second: the interpreter and the imports) once per worker, not per
cell; a worker is replaced after it was stopped at a limit, died or was spoilt by its last
job (a thread left running, memory kept: ``worker.JobTraces``), and before a cell of an
estimator that is not a net when it holds a net's library (torch): the memory a cell records
is then what it would be in a new worker, and so is its headroom under a memory limit (a
local pool sets such a worker aside for the nets' next cells instead: ``executors``).

Limits are enforced from the harness side:

- time: the clock starts when the worker reports that the cell's data is
  loaded; past ``Limits.seconds`` the process group is killed -> ``timeout``.
- memory: the resident memory of the worker and its child processes is read
  every ``MEMORY_POLL_SECONDS`` (50 ms); past ``Limits.memory_mb`` it is killed ->
  ``oom``. The worker's own reading is its peak since the cell started (VmHWM, reset by
  the worker before it says the cell started), so a spike between two readings counts; a
  child process can overshoot by what it allocates between two readings.
- a worker that exits or is killed by a signal mid-cell -> ``crashed``.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from treesvsnets.bench.cells.measure import peak_rss_mb_of, rss_mb_of
from treesvsnets.bench.execute.spawn import IDLE_MARGIN_SECONDS, kill_group, spawn, take_spare
from treesvsnets.bench.plan.jobs import Job, WorkerSetup
from treesvsnets.child_processes import ending
from treesvsnets.results.row import now

#: How often the resident memory of a cell with a memory limit is read.
MEMORY_POLL_SECONDS = 0.05
#: How often the list of the worker's own child processes is refreshed.
CHILDREN_POLL_SECONDS = 1.0
#: How much more resident memory than it held fresh an idle worker may hold and still be
#: set up for another run's estimators (see ``WorkerProcess.lean``)
LEAN_MB = 32.0
#: Before a cell starts, its worker may still be starting up or loading the dataset; that is
#: not the cell's time, but a worker stuck there is stopped after the limit plus this much.
PREPARE_SECONDS = 120.0


#: what importing a library sets in the environment where unset (scikit-learn: Intel
#: OpenMP's settings); a worker importing it gets the same
SET_BY_IMPORTS = {"KMP_DUPLICATE_LIB_OK": "True", "KMP_INIT_AT_FORK": "FALSE"}
#: what a test runner changes from one test to the next, and no worker reads (pytest: the
#: test's name)
NOT_READ = ("PYTEST_CURRENT_TEST",)


def _as_read(environment: Mapping[str, str]) -> dict[str, str]:
    """An environment as a worker's libraries read it (see ``environment_unchanged``)."""
    read = {**SET_BY_IMPORTS, **environment}
    for name in NOT_READ:
        read.pop(name, None)
    return read


class WorkerProcess:
    """One worker process, running one cell at a time under the cell's limits."""

    def __init__(self, setup: WorkerSetup, idle_seconds: float | None = None) -> None:
        self.setup = setup
        self.idle_seconds = idle_seconds
        self.process: subprocess.Popen[bytes] | None = None
        self.connection: Connection | None = None
        self.job: Job | None = None
        self.crash_file: str | None = None
        self.environment: dict[str, str] = {}
        self.last_active = 0.0
        #: its resident memory in MB before its first setup, as it said when ready
        self.fresh_mb: float | None = None
        #: the nets' libraries it has loaded (torch...), as it said after its last job
        self.net_libraries: tuple[str, ...] = ()
        #: its least resident memory in MB after a job while it held one of them
        self.net_mb: float | None = None
        #: why its last job left it unfit for another (it exits after that job's rows)
        self.spoilt: str | None = None
        self._reset_cell()

    # -- life cycle -------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def busy(self) -> bool:
        return self.job is not None

    def start(self) -> None:
        """Send the setup to a spare started ahead of the run (:mod:`.spawn`), else to a new
        worker process."""
        started = take_spare(self.idle_seconds) or spawn(self.idle_seconds)
        self.process, self.connection = started.process, started.connection
        self.crash_file = started.crash_file
        self.environment = started.environment
        self.connection.send(("setup", self.setup))
        self.last_active = time.monotonic()
        self.fresh_mb = None
        self.net_libraries = ()
        self.net_mb = None
        self.spoilt = None
        self._psutil = None
        self._children: list[Any] = []
        self._children_read = 0.0

    def take_setup(self, setup: WorkerSetup) -> None:
        """Set this idle worker up for another run (the same imports: see :meth:`lean`)."""
        self.setup = setup
        self.connection.send(("setup", setup))
        self.last_active = time.monotonic()

    def environment_unchanged(self) -> bool:
        """Whether this process's environment is still the one the worker started with (a
        notebook that has set ``$TREESVSNETS_DATA_DIR`` or ``$OMP_NUM_THREADS`` since needs a
        new worker, which reads them). The variables a library sets where they are unset,
        as it is imported (:data:`SET_BY_IMPORTS`), are the same in the worker, which
        imports it too: a worker started before this process imported scikit-learn is not
        set apart for that; nor for the variables no worker reads (:data:`NOT_READ`)."""
        return _as_read(self.environment) == _as_read(os.environ)

    def lean(self) -> bool:
        """Whether this idle worker holds at most :data:`LEAN_MB` more resident memory than
        it did fresh: the memory a cell records in it, and a memory limit, are then what
        they would be in a new worker (one that imported torch, or kept a big table, is
        not)."""
        return self._within_lean_mb_of(self.fresh_mb)

    def _within_lean_mb_of(self, baseline_mb: float | None) -> bool:
        """Whether this live worker holds at most :data:`LEAN_MB` more than ``baseline_mb``."""
        if baseline_mb is None or not self.alive:
            return False
        resident = rss_mb_of(self.process.pid)
        return resident is not None and resident <= baseline_mb + LEAN_MB

    def _holds(self, libraries: tuple[str, ...]) -> None:
        """The nets' libraries its jobs loaded, as it said after a job; while it holds one,
        the least resident memory it has had after a job (:meth:`lean_for_nets`)."""
        self.net_libraries = libraries
        resident = rss_mb_of(self.process.pid) if libraries and self.alive else None
        if resident is not None:
            self.net_mb = resident if self.net_mb is None else min(self.net_mb, resident)

    def lean_for_nets(self) -> bool:
        """Whether this idle worker, which holds a net's library, holds at most
        :data:`LEAN_MB` more than it did after its lightest job since (a net's cell in it
        reads torch's memory, as it would in any worker that ran a net, but not what a
        leaky estimator or a big table of an earlier run left)."""
        return self._within_lean_mb_of(self.net_mb)

    def stop(self, grace_seconds: float = 2.0) -> None:
        """Ask the worker to exit; kill it if it does not (or if it is mid-cell)."""
        if self.process is None:
            return
        if self.alive and not self.busy:
            try:
                self.connection.send(("stop", None))
                self.process.wait(grace_seconds)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self) -> None:
        """Kill the worker and every process it started (its whole process group)."""
        if self.process is None:
            return
        kill_group(self.process)
        if self.connection is not None:
            self.connection.close()
        if self.crash_file is not None:
            Path(self.crash_file).unlink(missing_ok=True)
            self.crash_file = None
        self.process = None
        self.connection = None
        self.job = None

    # -- one cell ----------------------------------------------------------------------------

    def _reset_cell(self) -> None:
        self.submitted = 0.0
        self.submitted_at: str | None = None  # a cell that never started: when it was sent
        self.started: float | None = None
        self.started_at: str | None = None
        self.peak_mb = 0.0
        self._memory_read = 0.0

    @property
    def fresh(self) -> bool:
        """Alive, not spoilt by its last job, and not about to exit for being idle (so a cell
        sent now is not lost)."""
        if not self.alive or self.spoilt is not None:
            return False
        if self.idle_seconds is None:
            return True
        return time.monotonic() - self.last_active < self.idle_seconds - IDLE_MARGIN_SECONDS

    def submit(self, job: Job) -> None:
        """Send ``job``; to a new worker when this one is not :attr:`fresh`, or holds a net's
        library the job's estimator does not load (``Job.wants_lean_worker``)."""
        if not self.fresh or (self.net_libraries and job.wants_lean_worker):
            self.kill()
            self.start()
        self.job = job
        self._reset_cell()
        self.submitted = time.monotonic()
        self.submitted_at = now()
        try:
            self.connection.send(("job", job))
        except OSError:  # it died meanwhile (its setup failed): poll() says how, on its rows
            pass

    def next_check_in(self) -> float:
        """Seconds until this busy worker's limits need looking at again."""
        job = self.job
        if job is None:
            return CHILDREN_POLL_SECONDS
        waits = [CHILDREN_POLL_SECONDS]
        if job.limits.memory_mb is not None:
            waits.append(MEMORY_POLL_SECONDS)
        if job.limits.seconds is not None:
            since = self.started if self.started is not None else self.submitted
            waits.append(max(0.0, since + job.limits.seconds - time.monotonic()))
        return min(waits)

    def poll(self) -> list[dict[str, Any]] | None:
        """The job's rows once it is over (done, stopped at a limit, or crashed), else None."""
        job = self.job
        if job is None:
            return None
        try:
            while self.connection.poll():
                kind, payload = self.connection.recv()
                if kind == "started":
                    self.started = time.monotonic()
                    self.started_at = now()
                elif kind == "rows":
                    self.job = None
                    self.last_active = time.monotonic()
                    return payload
                elif kind == "holds":
                    self._holds(tuple(payload))
                elif kind == "spoilt":
                    self.spoilt = payload
                elif kind == "ready":
                    self.fresh_mb = payload
                elif kind == "setup_failed":
                    return self._give_up(
                        "crashed", f"the worker process could not start: {payload}"
                    )
        except (EOFError, OSError):
            pass  # the worker died; its exit status says how
        if not self.alive:
            return self._give_up("crashed", self._describe_death(), self._crash_traceback())
        return self._check_limits(job)

    def run(self, job: Job) -> list[dict[str, Any]]:
        """Run one job and wait for its rows (used where one worker serves one thread)."""
        self.submit(job)
        while True:
            wait([self.connection], self.next_check_in())
            rows = self.poll()
            if rows is not None:
                return rows

    def _check_limits(self, job: Job) -> list[dict[str, Any]] | None:
        limits = job.limits
        clock = time.monotonic()
        if job.limits.memory_mb is not None or clock - self._memory_read >= CHILDREN_POLL_SECONDS:
            self._memory_read = clock
            self.peak_mb = max(self.peak_mb, self._resident_mb())
        if limits.memory_mb is not None and self.peak_mb > limits.memory_mb:
            return self._give_up(
                "oom",
                f"stopped at {self.peak_mb:.0f} MB resident: the cell exceeded the memory "
                f"limit of {limits.memory_mb:.0f} MB (--max-memory).",
            )
        if limits.seconds is not None and self.started is None:
            allowed = limits.seconds + PREPARE_SECONDS
            if clock - self.submitted > allowed:
                return self._give_up(
                    "timeout",
                    f"stopped after {clock - self.submitted:.1f} s before the cell started: "
                    f"the worker did not load its data and estimator within {allowed:g} s "
                    f"({limits.seconds_from} plus {PREPARE_SECONDS:g} s to prepare).",
                )
            return None
        since = self.started
        if limits.seconds is not None and clock - since > limits.seconds:
            return self._give_up(
                "timeout",
                f"stopped after {clock - since:.1f} s: the cell exceeded the time limit of "
                f"{limits.seconds:g} s ({limits.seconds_from}).",
            )
        return None

    def _resident_mb(self) -> float:
        """Resident memory of the worker (its peak since the cell started, where the OS keeps
        one) and the processes it started, in MB."""
        import psutil

        try:
            if self._psutil is None or self._psutil.pid != self.process.pid:
                self._psutil = psutil.Process(self.process.pid)
            clock = time.monotonic()
            if clock - self._children_read >= CHILDREN_POLL_SECONDS:
                self._children_read = clock
                self._children = self._psutil.children(recursive=True)
            total = self._psutil.memory_info().rss
            if self.started is not None:  # the cell's peak so far, seen between two reads too
                peak = peak_rss_mb_of(self.process.pid)
                total = max(total, int((peak or 0) * 2**20))
            for child in self._children:
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            return 0.0
        return total / 2**20

    def _describe_death(self) -> str:
        code = self.process.wait() if self.process is not None else None
        elapsed = time.monotonic() - (self.started or self.submitted)
        facts = f"after {elapsed:.1f} s" + (
            f", {self.peak_mb:.0f} MB resident when last read" if self.peak_mb else ""
        )
        if code is not None and code < 0:
            return f"the worker process {ending(code)} {facts}."
        return (
            f"the worker process exited with code {code} {facts}; the estimator may have "
            "called os._exit or sys.exit, or crashed."
        )

    def _crash_traceback(self) -> str | None:
        """The Python stack faulthandler wrote when the worker crashed, if it did."""
        try:
            text = Path(self.crash_file).read_text(errors="replace") if self.crash_file else ""
        except OSError:
            return None
        stack = text.split("\nExtension modules:")[0].strip()  # drop the long module list
        return stack or None

    def _give_up(
        self, status: str, error: str, traceback: str | None = None
    ) -> list[dict[str, Any]]:
        job = self.job
        assert job is not None
        rows = job.failure_rows(  # each kind of job says its own
            status,
            error,
            started_at=self.started_at or self.submitted_at,
            peak_rss_mb=round(self.peak_mb, 1) if self.peak_mb else None,
            traceback=traceback,
            seconds=time.monotonic() - (self.started or self.submitted),
        )
        self.kill()
        return rows
