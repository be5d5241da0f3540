"""Where cells run: in this process, in a local pool of worker processes, or on Dask.

Every executor takes the same feed of jobs (a :class:`~treesvsnets.bench.plan.jobs.CellJob`
per cell, a ``FoldGroupJob`` for folds trained together, a ``TrialJob`` per trial of a
search; :mod:`treesvsnets.bench.plan.feed`), takes a job whenever a worker is free, and yields one
result row per cell (or trial) as they finish, in any order; the harness records each row
with the feed before the executor goes on (a search's next trial depends on it), and
alone writes them to the store, so there is one writer however many workers.

- :class:`InProcessExecutor` (``--in-process``): cells run one after another in
  the harness itself. No limits, nothing to survive a crash, easiest to debug.
- :class:`LocalPoolExecutor` (the default, ``--jobs N``): N reusable worker
  processes under the cells' hard limits (see :mod:`treesvsnets.bench.execute.isolation`).
- :class:`~treesvsnets.bench.execute.dask.DaskExecutor` (``--scheduler ADDRESS``): the
  jobs go to a Dask cluster, where each Dask worker thread keeps a worker
  process of its own and applies the same limits.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator, Sequence
from multiprocessing.connection import wait
from typing import Any, Protocol

from treesvsnets.bench.cells.measure import cpu_count
from treesvsnets.bench.execute.isolation import WorkerProcess
from treesvsnets.bench.execute.spawn import IDLE_SECONDS
from treesvsnets.bench.plan.feed import JobFeed
from treesvsnets.bench.plan.jobs import Job, JobRunner, WorkerSetup
from treesvsnets.stopping import signals_held


class Executor(Protocol):
    description: str

    def run(self, jobs: JobFeed | Sequence[Job]) -> Iterator[dict[str, Any]]: ...

    def close(self) -> None: ...


def as_feed(jobs: JobFeed | Sequence[Job]) -> JobFeed:
    return jobs if isinstance(jobs, JobFeed) else JobFeed(jobs)


def stalled(feed: JobFeed) -> RuntimeError:
    """A feed with jobs left that gives none while nothing runs: a harness bug, said so."""
    return RuntimeError(f"the job feed stalled with {feed.cells} cell(s) left and none running")


class InProcessExecutor:
    """Cells one after another in this process (no isolation, no limits)."""

    description = "in this process"

    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    def run(self, jobs: JobFeed | Sequence[Job]) -> Iterator[dict[str, Any]]:
        feed = as_feed(jobs)
        while (job := feed.take()) is not None:
            yield from self.runner.run(job)
        if not feed.exhausted:
            raise stalled(feed)

    def close(self) -> None:
        pass


_parked: list[WorkerProcess] = []


def _sweep_parked() -> None:
    """Reap parked workers that have exited after their idle time (no zombie is left), and
    stop those started before this process's environment changed (they read it as it was)."""
    for worker in [w for w in _parked if not w.fresh or not w.environment_unchanged()]:
        _parked.remove(worker)
        worker.kill()


def _worker_for(setup: WorkerSetup) -> WorkerProcess:
    """A parked worker of an earlier run in this process, started with the environment this
    process has now: one with the same setup (its datasets loaded); else one with the same
    imports that holds no more memory than a fresh worker
    (:meth:`~.isolation.WorkerProcess.lean`), given this run's setup, which saves the second
    or so a new worker spends importing; else a new one."""
    _sweep_parked()
    for worker in _parked:
        if worker.setup.key == setup.key:
            _parked.remove(worker)
            if worker.fresh:
                return worker
            worker.kill()
            break
    lean = _parked_worker(setup, holds_net=False)
    return lean if lean is not None else WorkerProcess(setup, idle_seconds=IDLE_SECONDS)


def _park(worker: WorkerProcess) -> None:
    """Keep an idle, healthy worker for the next run; stop the oldest beyond one per core."""
    if worker.busy or not worker.fresh:
        worker.kill()
        return
    _sweep_parked()
    _parked.append(worker)
    while len(_parked) > cpu_count():
        _parked.pop(0).stop()


@atexit.register
def stop_parked_workers() -> None:
    """At exit nobody will reuse them: kill at once rather than wait for each to exit (a
    worker's own interpreter shutdown costs a quarter of a second)."""
    while _parked:
        _parked.pop().kill()


def _parked_worker(setup: WorkerSetup, *, holds_net: bool) -> WorkerProcess | None:
    """A parked worker that holds a net's library (``holds_net``: and no more memory than
    after its lightest job since) or is lean, given ``setup`` if it had another with the same
    imports; None if no such worker is parked."""
    _sweep_parked()
    for worker in _parked:
        if bool(worker.net_libraries) != holds_net or not worker.setup.same_imports(setup):
            continue
        if not (worker.lean_for_nets() if holds_net else worker.lean()):
            continue
        _parked.remove(worker)
        if worker.setup.key != setup.key:
            worker.take_setup(setup)
        return worker
    return None


class LocalPoolExecutor:
    """``jobs`` worker processes on this machine (``--jobs``), each running one job at a time.

    Workers outlive the run for a while (``IDLE_SECONDS``): a notebook or a
    script calling ``run`` again finds them warm, with their datasets loaded for the same
    estimators and datasets, or set up anew for others where they hold no more memory than
    a fresh worker (:func:`_worker_for`).
    """

    def __init__(self, setup: WorkerSetup, jobs: int = 1) -> None:
        self.setup = setup
        self.size = jobs  # how many workers (--jobs)
        self.workers: list[WorkerProcess] = []
        #: per slot, its other worker, idle: the one that holds a net's library while the
        #: slot runs other cells, or the other way round (see :meth:`_worker_for_job`)
        self.aside: dict[int, WorkerProcess] = {}
        self.description = f"{jobs} worker process{'es' if jobs > 1 else ''}"

    def warm(self) -> None:
        """Start the workers now, so their start-up and imports overlap what the harness
        still does before the first cell (the run folder, the manifest, the job list)."""
        while len(self.workers) < self.size:
            worker = _worker_for(self.setup)
            if not worker.fresh:
                worker.start()
            self.workers.append(worker)

    def run(self, jobs: JobFeed | Sequence[Job]) -> Iterator[dict[str, Any]]:
        feed = as_feed(jobs)
        wanted = min(self.size, feed.width())
        while len(self.workers) < wanted:
            self.workers.append(_worker_for(self.setup))
        for spare in self.workers[wanted:]:  # warmed, but fewer jobs than workers
            _park(spare)
        self.workers = self.workers[:wanted]
        while True:
            self._hand_out(feed)
            busy = [worker for worker in self.workers if worker.busy]
            if not busy:
                if feed.exhausted:
                    return
                raise stalled(feed)
            wait([worker.connection for worker in busy], min(w.next_check_in() for w in busy))
            done = [rows for worker in busy if (rows := worker.poll()) is not None]
            if done and not feed.learns:  # the next cells start while these rows are stored
                self._hand_out(feed)
            for rows in done:
                yield from rows

    def _hand_out(self, feed: JobFeed) -> None:
        """Give each idle worker the feed's next job, while it has one ready."""
        for slot, worker in enumerate(self.workers):
            if not worker.busy and (job := feed.take()) is not None:
                self._worker_for_job(slot, job).submit(job)

    def _worker_for_job(self, slot: int, job: Job) -> WorkerProcess:
        """The worker of ``slot`` that ``job`` should run in. A worker whose jobs loaded a
        net's library (torch) is set aside, alive and idle, when a cell of another family
        comes, which gets the slot's other worker (started the first time, or one an
        earlier run in this process parked); the nets' next cell gets the torch worker back,
        or a parked one that holds torch already. So a tree's memory reads as in a worker
        that never held torch, and torch is imported once per slot, not once per switch
        (nor once per run, in a notebook or a script that runs again)."""
        worker = self.workers[slot]
        wants_net = not job.wants_lean_worker
        holds_net = bool(worker.net_libraries)
        if holds_net == wants_net:
            return worker
        other = self.aside.pop(slot, None)
        if other is not None and (not other.fresh or bool(other.net_libraries) == holds_net):
            other.kill()  # gone idle past its time, or no help
            other = None
        if other is None:
            other = _parked_worker(self.setup, holds_net=wants_net)
        if other is None:
            if wants_net:
                return worker  # a lean worker about to import torch: none is waiting
            other = WorkerProcess(self.setup, idle_seconds=IDLE_SECONDS)
        self.aside[slot] = worker
        self.workers[slot] = other
        return other

    def discard(self) -> None:
        """Kill every worker at once (a run refused before its first cell: nothing to reuse)."""
        for worker in [*self.workers, *self.aside.values()]:
            worker.kill()
        self.workers, self.aside = [], {}

    def close(self) -> None:
        """Kill the workers still busy (an interrupted run); park the others. Ctrl-C again
        meanwhile waits (a few milliseconds): no worker or file of theirs is left behind."""
        with signals_held():
            for worker in [*self.workers, *self.aside.values()]:
                _park(worker)
            self.workers, self.aside = [], {}
