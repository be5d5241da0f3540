"""Cells on a Dask distributed cluster (``--scheduler tcp://HOST:8786``).

The harness sends each cell as a small :class:`~treesvsnets.bench.plan.jobs.CellJob`
(names, seeds, hashes; no arrays) and the run's :class:`WorkerSetup` once
(scattered to every worker). A table's cleaned copy (written by the harness into the run
folder, :mod:`treesvsnets.bench.plan.copies`) is scattered as bytes once per run and
fetched by each Dask worker once, which writes it to its own local folder: a worker needs
neither the user's file nor the run folder. On the Dask worker, each thread keeps one
:class:`~treesvsnets.bench.execute.isolation.WorkerProcess`, which loads each dataset
once and runs the cells under the run's time and memory limits, exactly as
the local pool does; the rows come back to the harness, which alone writes
the store. A fixed list of jobs goes to the scheduler at once; a tuning feed is kept twice
the cluster's threads ahead (later trials learn from earlier ones), jobs added as rows come
back.

Starting a cluster (see docs/scaling.md)::

    dask scheduler                                  # prints tcp://HOST:8786
    dask worker tcp://HOST:8786 --nworkers 2 --nthreads 1   # on each machine
    treesvsnets run --scheduler tcp://HOST:8786 ...
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from treesvsnets.bench.cells.measure import cpu_count
from treesvsnets.bench.execute.isolation import WorkerProcess
from treesvsnets.bench.plan.feed import JobFeed, TuningFeed
from treesvsnets.bench.plan.jobs import Job, WorkerSetup
from treesvsnets.errors import ConfigError

#: A Dask worker's idle worker process exits after this long without a cell.
IDLE_SECONDS = 300.0
CONNECT_SECONDS = 10

_local = threading.local()


def _threads_on_this_worker(threads_by_host: dict[str, int]) -> int:
    """This machine's cores shared by every Dask worker thread on it, of every worker."""
    from distributed import get_worker

    worker = get_worker()
    nthreads = getattr(getattr(worker, "state", None), "nthreads", None) or worker.nthreads
    sharing = threads_by_host.get(_host(worker.address), nthreads)
    return max(1, cpu_count() // max(1, sharing))


def _host(address: str) -> str:
    """``tcp://10.0.0.5:40123`` -> ``10.0.0.5``."""
    return address.split("://")[-1].rsplit(":", 1)[0]


def run_on_dask_worker(
    setup: WorkerSetup, job: Job, threads_by_host: dict[str, int], table: bytes | None = None
) -> list[dict[str, Any]]:
    """What Dask runs (a Dask task, in Dask's word): ``job`` in this thread's worker process,
    under its limits; ``table``, the bytes of its dataset's cleaned copy, shipped by the
    harness, is written once to this Dask worker's own folder and read from there."""
    if table is not None:
        job = job.with_table(_local_copy(job, table))
    worker: WorkerProcess | None = getattr(_local, "worker", None)
    if worker is None or worker.setup.key != setup.key:
        if worker is not None:
            worker.stop()
        worker = _local.worker = WorkerProcess(setup, idle_seconds=IDLE_SECONDS)
    if job.members[0].cell.threads is None:
        job = job.with_threads(_threads_on_this_worker(threads_by_host))
    return worker.run(job)


def _local_copy(job: Job, table: bytes) -> str:
    """The path of the job's cleaned table in this Dask worker's local folder (written the
    first time; its name carries the data's fingerprint, so another run's table is another
    file)."""
    import os
    import tempfile
    from pathlib import Path

    from distributed import get_worker

    request = job.dataset
    folder = Path(get_worker().local_directory) / "treesvsnets-tables"
    path = folder / f"{request.fingerprint}-{Path(request.table or request.name).name}"
    if not path.is_file():  # two threads may write it at once: each to its own, then rename
        folder.mkdir(parents=True, exist_ok=True)
        handle, scratch = tempfile.mkstemp(prefix=f".{path.name}-", dir=folder)
        with os.fdopen(handle, "wb") as file:
            file.write(table)
        os.replace(scratch, path)
    return str(path)


class DaskExecutor:
    """Send the cells to the Dask scheduler at ``address``; yield rows as they come back."""

    def __init__(self, address: str, setup: WorkerSetup) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise ConfigError(
                "--scheduler needs Dask's distributed package: pip install 'treesvsnets[dask]'."
            ) from None
        try:
            self.client = Client(address, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None
        self.address = address
        self.setup = setup
        self._futures: list[Any] = []
        self._tables: dict[str, Any] = {}  # a cleaned copy's path -> its scattered bytes
        workers = self.client.scheduler_info().get("workers", {})
        threads = sum(info.get("nthreads", 0) for info in workers.values())
        self.threads = threads
        self.threads_by_host: dict[str, int] = {}
        for worker_address, info in workers.items():
            host = _host(worker_address)
            self.threads_by_host[host] = self.threads_by_host.get(host, 0) + info.get("nthreads", 1)
        self.description = f"Dask cluster {address} ({len(workers)} workers, {threads} threads)"

    def run(self, jobs: JobFeed | Sequence[Job]) -> Iterator[dict[str, Any]]:
        from distributed import as_completed

        from treesvsnets.bench.execute.executors import as_feed, stalled

        feed = as_feed(jobs)
        if feed.exhausted:
            return
        setup = self.client.scatter(self.setup, broadcast=True)
        # a fixed list goes to the scheduler at once; a tuning feed is kept a few jobs ahead
        # of the cluster's threads, since later trials learn from earlier ones
        ahead = max(1, 2 * self.threads) if isinstance(feed, TuningFeed) else None
        by_future: dict[Any, Job] = {}
        completed = as_completed()

        def fill() -> None:
            while ahead is None or sum(not f.done() for f in by_future) < ahead:
                job = feed.take()
                if job is None:
                    return
                future = self.client.submit(
                    run_on_dask_worker,
                    setup,
                    job,
                    self.threads_by_host,
                    self._shipped(job),
                    pure=False,
                )
                by_future[future] = job
                self._futures.append(future)
                completed.add(future)

        fill()
        for future in completed:
            job = by_future.pop(future)
            try:
                rows = future.result()
            except Exception as exc:  # noqa: BLE001 - e.g. the Dask worker itself died
                rows = job.failure_rows(
                    "crashed", f"the Dask task failed: {type(exc).__name__}: {exc}"
                )
            yield from rows
            fill()
        if not feed.exhausted:
            raise stalled(feed)

    def _shipped(self, job: Job) -> Any:
        """The job's cleaned table as data on the cluster (None: the dataset is no table).
        Its bytes are scattered once per run; each Dask worker fetches them once, when its
        first job on that table arrives, so no worker needs the user's file or the run
        folder."""
        path = job.dataset.table
        if path is None:
            return None
        if path not in self._tables:
            from pathlib import Path

            self._tables[path] = self.client.scatter(Path(path).read_bytes())
        return self._tables[path]

    def close(self) -> None:
        pending = [future for future in self._futures if not future.done()]
        if pending:
            self.client.cancel(pending)
        self.client.close()
