"""One benchmark run's execution: config -> plan -> jobs -> store -> exports and manifest.

:func:`run` starts a run, :func:`resume` finishes one; both go through :func:`_execute`.
The public ``treesvsnets.run`` / ``treesvsnets.resume`` (:mod:`treesvsnets.api`) call them and
pass the report writer as ``finish``, so this package never imports :mod:`treesvsnets.reports`.

Stage by stage: :mod:`.plan.planning` resolves the config and runs :mod:`.plan.checks`,
:mod:`.plan.work` lists the units of work, :mod:`.execute.executors` runs them (in worker
processes by default), :mod:`.cells.cell` runs one cell (:mod:`.tune.trial` one trial); the
harness alone writes the store (:mod:`treesvsnets.results`), a row per cell as it ends.

:func:`_execute` goes plan -> jobs -> executor -> store -> exports -> manifest ->
``finish(run_dir, rows, manifest, trials)``; the API also passes ``while_cells_run``, which
loads the report's libraries beside the run while the cells run and, told of each dataset
whose cells are all stored, draws its figures there while later datasets' cells run. The
executor follows the config (in this process, local worker processes, or Dask); local
workers start once the estimators and datasets are resolved, their start-up overlapping the
data's loading (for a resumed run too). SIGTERM ends a run as Ctrl-C does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from time import perf_counter
from typing import Any, Protocol

import pandas as pd

from treesvsnets.bench.execute import progress as progress_lines
from treesvsnets.bench.execute.executors import Executor, InProcessExecutor, LocalPoolExecutor
from treesvsnets.bench.execute.progress import ProgressEvent, TrialEvent, print_progress
from treesvsnets.bench.plan import planning, work
from treesvsnets.bench.plan.feed import JobFeed
from treesvsnets.bench.plan.jobs import DatasetRequest, JobRunner, SplitPlanRequest, WorkerSetup
from treesvsnets.bench.plan.planning import CellKey, RunPlan
from treesvsnets.bench.plan.work import threads_per_cell
from treesvsnets.config import EXECUTION_KEYS, RunConfig
from treesvsnets.config_paths import rebased
from treesvsnets.config_values import config_of
from treesvsnets.errors import ConfigError
from treesvsnets.estimators.plugins import no_run_while_importing
from treesvsnets.results.folder import Manifest, RunFolder, file_safe
from treesvsnets.results.row import DEFAULT, is_trial
from treesvsnets.results.store import ResultStore
from treesvsnets.stopping import signals_held, sigterm_as_interrupt

__all__ = ["Finish", "ProgressEvent", "RunResult", "print_progress", "resume", "run"]

#: what runs once a run's rows and manifest are written, even when it was interrupted (the
#: top-level API passes the report writer, so ``bench`` never imports ``reports``)
Finish = Callable[[Path, pd.DataFrame, Manifest, pd.DataFrame], None]


class WhileCellsRun(Protocol):
    """Work that overlaps the cells (the API's: the report's libraries load, and a finished
    dataset's figures are drawn, beside the run); each method must return at once. Told only
    where the cells run in other processes and two cores are there: beside cells in this
    process, the work would slow them."""

    def start(self) -> None:
        """The cells are under way."""

    def dataset_done(
        self, run_dir: Path, rows: pd.DataFrame, trials: pd.DataFrame, manifest: Manifest
    ) -> None:
        """Every cell of one dataset is stored (``rows``, ``trials``: that dataset's), and
        cells of other datasets are still to come."""


Progress = bool | Callable[[ProgressEvent], None]


@dataclass
class RunResult:
    run_id: str
    run_dir: Path
    rows: pd.DataFrame
    manifest: dict[str, Any]


def _default_name(prepared: RunPlan) -> str:
    """The run's --name, else its suite's, else its datasets' names as the rows give them."""
    config = prepared.config
    if config.name:
        return config.name
    given = [Path(config.suite).stem] if config.suite else [d.name for d in prepared.datasets]
    name = "-".join(given)
    return file_safe(name, unicode=True) or "run"


def _executor(prepared: RunPlan) -> Executor:
    """The executor the config asks for (connecting to a Dask scheduler checks its address)."""
    config = prepared.config
    infos = {info.name: info for info in prepared.infos}
    if not config.isolate:  # this process already holds the data and the split plans
        requests = {
            d.name: DatasetRequest.of(d, config.data_dir, config.subsample)
            for d in prepared.datasets
        }
        loaded = {requests[d.name]: d for d in prepared.datasets}
        split_plans = {
            (requests[d.name], SplitPlanRequest.of(prepared.recipe, p)): p
            for d, p in prepared.split_plans
        }
        return InProcessExecutor(JobRunner(prepared.specs, infos, loaded=loaded, plans=split_plans))
    setup = WorkerSetup.create(prepared.specs, prepared.infos, config.plugins)
    if config.scheduler is not None:
        from treesvsnets.bench.execute.dask import DaskExecutor

        return DaskExecutor(config.scheduler, setup)
    return LocalPoolExecutor(setup, config.jobs)


def _prepare_with_workers(
    config: RunConfig,
    check: Callable[[RunPlan], None] | None = None,
    recorded: dict[str, str] | None = None,
    reuse_from: Path | None = None,
) -> tuple[RunPlan, Executor]:
    """The plan, and its executor: local workers are started as soon as the estimators and
    datasets are known, so their start-up and imports (about 2 s) overlap the loading of the
    data and the split plans here. ``check`` is a last look at the plan (resume's split
    hashes); ``recorded``, the tables' names a resumed run went by, and ``reuse_from`` its
    folder, whose tables' cleaned copies it loads while their files are unchanged. Any
    failure stops the workers."""
    early: list[LocalPoolExecutor] = []

    def start_workers(specs: list, infos: list) -> None:
        if config.isolate and config.scheduler is None:
            pool = LocalPoolExecutor(WorkerSetup.create(specs, infos, config.plugins), config.jobs)
            early.append(pool)
            pool.warm()  # the same setup _executor would build from the plan

    try:
        prepared = planning.prepare(config, start_workers, recorded, reuse_from)
        if check is not None:
            check(prepared)
        return prepared, early[0] if early else _executor(prepared)
    except BaseException:
        with signals_held():  # Ctrl-C again meanwhile: no worker or file is left
            for pool in early:
                pool.discard()
        raise


def _execute(
    prepared: RunPlan,
    folder: RunFolder,
    manifest: Manifest,
    executor: Executor,
    *,
    skip: set[CellKey],
    progress: Progress,
    epoch_progress: bool | None,
    finish: Finish | None,
    while_cells_run: WhileCellsRun | None,
) -> RunResult:
    """Run the plan's jobs not in ``skip`` and store each row as it comes; whatever stops
    the run, write the exports and the manifest, then ``finish``."""
    report_progress = progress_lines.progress_function(progress)
    verbose = progress is True if epoch_progress is None else epoch_progress
    try:  # nothing has run yet: a failure here only has to stop the workers
        store = folder.store()
        context = _context(prepared, folder.path, manifest.run_id, verbose, skip)
        threads = context.threads
        feed = _feed(prepared, context, store, report_progress)
        manifest.start(executor.description, threads)
        folder.write_manifest(manifest)
    except BaseException:
        executor.close()
        raise
    total, by_dataset = feed.cells, feed.cells_by_dataset()
    planned = total + len(skip)  # every row the run ends with: those to come and those kept
    name_width = _name_width(prepared)
    event = partial(  # what every progress event of this run says alike
        ProgressEvent,
        total=total,
        run_dir=folder.path,
        threads=threads,
        executor=executor.description,
        metric=prepared.config.metric,
        name_width=name_width,
    )
    started = time.perf_counter()
    status = "interrupted"  # Ctrl-C, SIGTERM or a harness bug: finished cells are kept
    try:
        with sigterm_as_interrupt():
            if report_progress:
                report_progress(
                    event(
                        index=0,
                        row=None,
                        resumed_from=len(skip) if manifest.resumed else None,
                        notes=prepared.notes,
                        by_dataset=tuple(by_dataset.items()),
                    )
                )
            beside = while_cells_run if _overlap_allowed(executor) else None
            if beside is not None:
                beside.start()
            done = _DatasetsDone(by_dataset, beside)
            index = 0
            for row in executor.run(feed):
                if is_trial(row):
                    store.add_trial(row)
                    feed.record(row)
                    continue
                store.add(row)
                done.stored(row, store, folder.path, manifest)
                index += 1
                if report_progress:
                    report_progress(event(index=index, row=row, elapsed=perf_counter() - started))
        status = "complete"
    finally:
        try:
            executor.close()  # may wait on a cluster: Ctrl-C stops the waiting
        finally:
            rows, trials = _write_up(store, manifest, folder, status, planned, started)
        if finish is not None:  # the manifest as written: `treesvsnets report` reads the same
            finish(folder.path, rows, folder.read_manifest(), trials)
    return RunResult(manifest.run_id, folder.path, rows, manifest.to_dict())


def _write_up(
    store: ResultStore,
    manifest: Manifest,
    folder: RunFolder,
    status: str,
    planned: int,
    started: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's rows and trials, exported, and its manifest ended with ``status`` and
    written; Ctrl-C or SIGTERM meanwhile waits for the end (the folder is never half
    written)."""
    with signals_held():
        rows = store.rows()
        trials = store.trials()
        store.close()
        manifest.end(status, rows, planned, time.perf_counter() - started)
        folder.finish(manifest, rows, trials)
    return rows, trials


def _overlap_allowed(executor: Executor) -> bool:
    """Whether work beside the cells leaves them their cores: they run in other processes,
    and this process may use two cores or more."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return not isinstance(executor, InProcessExecutor) and (cores or 1) >= 2


class _DatasetsDone:
    """Counts each dataset's stored cells down and tells ``listener`` of a dataset whose
    cells are all stored while another's are still to come (the last one's figures are
    drawn with the report, in two processes)."""

    def __init__(self, cells: dict[str, int], listener: WhileCellsRun | None) -> None:
        self._left = dict(cells)
        self._listener = listener

    def stored(self, row: dict[str, Any], store: Any, run_dir: Path, manifest: Manifest) -> None:
        dataset = row.get("dataset")
        if self._listener is None or dataset not in self._left:
            return
        self._left[dataset] -= 1
        if self._left[dataset] > 0 or not any(self._left.values()):
            return
        try:  # work beside the cells is optional: it never stops the run (the report redraws)
            rows, trials = store.rows(), store.trials()
            self._listener.dataset_done(
                run_dir,
                rows[rows["dataset"] == dataset],
                trials[trials["dataset"] == dataset] if len(trials) else trials,
                Manifest.from_dict(manifest.to_dict()),  # the harness goes on writing its own
            )
        except Exception:  # noqa: BLE001 - whatever it was, the report draws every figure
            self._listener = None


def _context(
    prepared: RunPlan, run_dir: Path, run_id: str, verbose: bool, skip: set[CellKey]
) -> work.RunContext:
    """What listing the run's work needs: its thread budget per cell, and its tables'
    cleaned copies, written into the run folder now (the workers load them)."""
    config = prepared.config
    threads = threads_per_cell(jobs=config.jobs, threads=config.threads, scheduler=config.scheduler)
    tables = prepared.write_copies(run_dir)
    return work.RunContext(run_id, run_dir, threads, verbose, frozenset(skip), tables)


def _feed(
    prepared: RunPlan,
    context: work.RunContext,
    store: Any,
    report_progress: Callable[[ProgressEvent], None] | None,
) -> JobFeed:
    """The jobs of the run (less ``skip``): a fixed list, or for a tuned run a feed that
    draws each search's trials as earlier ones finish (told the trials already stored)."""
    if not prepared.config.tuning:
        return JobFeed(work.jobs(prepared, context))
    trials = store.trials()
    listener = None
    if report_progress:
        folds = {plan.dataset: plan.n_folds for _, plan in prepared.split_plans}
        started, name_width = time.perf_counter(), _name_width(prepared)

        def listener(search: Any, row: dict[str, Any]) -> None:
            best = search.best()
            report_progress(
                TrialEvent(
                    row=row,
                    finished=len(search.finished),
                    budget=search.budget.describe(),
                    best=None if best is None else best["val_score"],
                    n_folds=folds.get(search.dataset),
                    elapsed=time.perf_counter() - started,
                    left=_search_left(search),
                    name_width=name_width,
                )
            )

    return work.tuning_feed(prepared, context, trials.to_dict("records"), listener)


def _name_width(prepared: RunPlan) -> int:
    """The width of the progress lines' dataset column: 12, or the run's longest name."""
    return max([12, *(len(dataset.name) for dataset in prepared.datasets)])


def _search_left(search: Any) -> float:
    """A search's time left at the pace of its trials so far: its mean trial seconds times
    the trials to go, within what is left of a time budget."""
    spent, done = search.seconds_spent, len(search.finished)
    left = spent / done * max(search.max_trials - done, 0) if done else 0.0
    if search.budget.seconds is not None:
        left = min(left, max(search.budget.seconds - spent, 0.0))
    return left


def run(
    config: RunConfig | None = None,
    *,
    progress: Progress = True,
    epoch_progress: bool | None = None,
    finish: Finish | None = None,
    while_cells_run: WhileCellsRun | None = None,
    **overrides: Any,
) -> RunResult:
    """Run a benchmark and return its rows; everything is also written to the run folder.

    ``overrides`` are RunConfig fields (``datasets=["iris"]``, ``folds=3``, ``jobs=2``,
    ``timeout=600``...). ``progress=True`` prints a line per cell to stderr; pass a callable
    to receive :class:`ProgressEvent` instead (and, in a tuned run, a
    :class:`~treesvsnets.bench.execute.progress.TrialEvent` after each trial; one that raises
    is warned of and not called again), or ``False`` for silence. ``epoch_progress`` lets
    nets print an epoch line every ten seconds or so during long fits (default: when
    ``progress`` is True). Bad input raises a :class:`~treesvsnets.errors.TreesVsNetsError`
    before any folder is created or any model is trained. Ctrl-C or SIGTERM keeps every
    finished cell and marks the run ``interrupted``; :func:`resume` finishes it.
    """
    no_run_while_importing()
    progress_lines.progress_function(progress)  # a bad one refused before any folder
    config = config_of(config, overrides)
    prepared, executor = _prepare_with_workers(config)
    try:
        folder = RunFolder.create(config.out, _default_name(prepared))
    except BaseException:
        executor.close()
        raise
    return _execute(
        prepared,
        folder,
        prepared.manifest(folder.run_id),
        executor,
        skip=set(),
        progress=progress,
        epoch_progress=epoch_progress,
        finish=finish,
        while_cells_run=while_cells_run,
    )


def _cells_to_keep(folder: RunFolder, retry_failed: bool) -> set[CellKey]:
    """The cells a resume leaves alone: every stored one, or only the ``ok`` ones."""
    if not folder.store_path.is_file():
        return set()
    rows = folder.rows()
    kept = rows if not retry_failed else rows[rows["status"] == "ok"]
    return {
        (r.dataset, r.estimator, int(r.seed), int(r.fold), r.tuning or DEFAULT)
        for r in kept.itertuples()
    }


def resume(
    run_dir: str | Path,
    *,
    retry_failed: bool = False,
    progress: Progress = True,
    epoch_progress: bool | None = None,
    finish: Finish | None = None,
    while_cells_run: WhileCellsRun | None = None,
    **execution: Any,
) -> RunResult:
    """Finish an interrupted run in place: run only the cells its store lacks.

    ``retry_failed=True`` also runs again the cells recorded as error, timeout, oom or
    crashed (their rows are replaced). The run's own config and split plan are used; only
    how cells execute may change (``jobs``, ``timeout``, ``max_memory``, ``scheduler``,
    ``isolate``)."""
    progress_lines.progress_function(progress)
    folder = RunFolder.open(run_dir)
    unknown = set(execution) - set(EXECUTION_KEYS)
    if unknown:
        raise ConfigError(
            f"a resumed run keeps its own config; only {', '.join(EXECUTION_KEYS)} may change, "
            f"not {', '.join(sorted(unknown))}."
        )
    with folder.held():  # a second resume of the run is refused until this one ends
        manifest = folder.read_manifest()
        if manifest.still_running():
            raise ConfigError(
                f"run {str(run_dir)!r} is still running (process {manifest.pid}); "
                "stop it before resuming."
            )
        origin = manifest.working_dir  # the run's files as its paths were given there
        config = rebased(RunConfig.from_dict(manifest.config).resumed_with(execution), origin)
        done = _cells_to_keep(folder, retry_failed)
        prepared, executor = _prepare_with_workers(
            config,
            check=lambda plan: plan.check_resumable(manifest, folder.path),
            recorded=planning.recorded_names(manifest.datasets, origin),
            reuse_from=folder.path,
        )
        manifest.record_resume(config.to_dict(), retry_failed, len(done))
        return _execute(
            prepared,
            folder,
            manifest,
            executor,
            skip=done,
            progress=progress,
            epoch_progress=epoch_progress,
            finish=finish,
            while_cells_run=while_cells_run,
        )
