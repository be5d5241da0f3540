"""One benchmark run's execution: config -> checks -> cells -> store -> exports and manifest.

The public ``treesvsnets.run`` / ``treesvsnets.resume`` (:mod:`treesvsnets.api`) call
:func:`run` / :func:`resume` here and pass the report writer as ``finish``, so this package
never imports :mod:`treesvsnets.reports`.

Cells run in worker processes by default (see :mod:`treesvsnets.bench.executors`);
the harness alone writes the store, one row per cell as it finishes.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pandas as pd

from treesvsnets import datasets as dataset_registry
from treesvsnets.bench.environment import describe_environment
from treesvsnets.bench.executors import Executor, InProcessExecutor, LocalPoolExecutor
from treesvsnets.bench.measure import cpu_count
from treesvsnets.bench.rundir import create_run_dir, read_manifest, write_manifest
from treesvsnets.bench.runner import Cell, cell_row
from treesvsnets.bench.splits import SplitPlan, plan
from treesvsnets.bench.store import STORE_FILENAME, ResultStore, export_rows
from treesvsnets.bench.tasks import (
    CellRunner,
    CellTask,
    DatasetRequest,
    FoldGroupTask,
    Limits,
    PlanRequest,
    Task,
    WorkerSetup,
)
from treesvsnets.config import DEFAULT_ESTIMATORS, EXECUTION_KEYS, RunConfig
from treesvsnets.datasets.base import Dataset
from treesvsnets.errors import ConfigError, Terminated, TreesVsNetsWarning, unknown_name
from treesvsnets.estimators import registry
from treesvsnets.estimators.base import BASELINE, BASELINE_FAMILY
from treesvsnets.estimators.plugins import load_plugin


@dataclass(frozen=True)
class ProgressEvent:
    """Sent once before the first cell (``index == 0``, no row) and after each cell."""

    index: int
    total: int
    row: dict[str, Any] | None
    run_dir: Path
    threads: int | None
    executor: str = ""
    resumed_from: int | None = None  # cells already in the store when a resumed run starts
    notes: tuple[str, ...] = ()  # what the user should know before the first cell (index 0)


#: what runs once a run's rows and manifest are written, even when it was interrupted (the
#: top-level API passes the report writer, so ``bench`` never imports ``reports``)
Finish = Callable[[Path, pd.DataFrame, dict[str, Any]], None]


@dataclass
class RunResult:
    run_id: str
    run_dir: Path
    rows: pd.DataFrame
    manifest: dict[str, Any]


def print_progress(event: ProgressEvent, stream: IO[str] | None = None) -> None:
    """One line per cell: where it is in the run, what it scored, what it cost."""
    stream = stream or sys.stderr
    row = event.row
    if row is None:
        threads = (
            "threads decided per worker"
            if event.threads is None
            else (f"{event.threads} thread(s) per cell")
        )
        resumed = (
            f"resuming: {event.resumed_from} cell(s) already done, "
            if event.resumed_from is not None
            else ""
        )
        for note in event.notes:
            print(f"treesvsnets: {note}", file=stream, flush=True)
        print(
            f"treesvsnets: {resumed}{event.total} cells on {event.executor or 'this machine'}, "
            f"{threads}, results in {event.run_dir}",
            file=stream,
            flush=True,
        )
        return
    width = len(str(event.total))
    where = (
        f"[{event.index:>{width}}/{event.total}] {row['dataset']:<12} {row['estimator']:<10} "
        f"seed {row['seed']} fold {row['fold'] + 1}/{row['n_folds']}"
    )
    if row["status"] == "ok":
        outcome = (
            f"acc {row['accuracy']:.4f}  fit {row['fit_seconds']:7.2f}s  "
            f"predict {row['predict_seconds']:.3f}s"
        )
    else:
        outcome = f"{row['status'].upper()}: {row.get('error') or ''}"
    print(f"{where}  {outcome}", file=stream, flush=True)


def _default_name(config: RunConfig) -> str:
    if config.name:
        return config.name
    name = "-".join(Path(d).stem for d in config.datasets)
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60] or "run"


def _check_params(config: RunConfig, specs: list) -> None:
    chosen = {spec.name: spec for spec in specs}
    for name, overrides in config.params.items():
        if name not in chosen:
            raise unknown_name(
                "estimator",
                name,
                chosen,
                where="params (parameters given for an estimator not in this run)",
            )
        chosen[name].check_params(overrides)


def _image_skips(config: RunConfig, specs: list, datasets: list) -> dict[str, list[str]]:
    """Estimators that need images, per dataset without an image shape: refused when the user
    named them (``-e cnn``), left out of that dataset when they came with a default, a family
    or ``all`` (the default suite has ``cnn``, and ``treesvsnets run -d table.csv`` must work)."""
    named = set() if config.estimators == DEFAULT_ESTIMATORS else set(config.estimators)
    skips: dict[str, list[str]] = {}
    for spec in specs:
        if "needs_images" not in spec.capabilities:
            continue
        for dataset in datasets:
            if dataset.image_shape is not None:
                continue
            if spec.name in named:
                raise ConfigError(
                    f"estimator {spec.name!r} needs images, but dataset {dataset.name!r} is a "
                    "plain table with no image shape; run it on an image dataset (digits, "
                    "mnist, fashion_mnist) or leave it out."
                )
            skips.setdefault(dataset.name, []).append(spec.name)
    return skips


@dataclass
class _Plan:
    """Everything a run needs that can be checked before any folder or model exists."""

    config: RunConfig
    specs: list
    datasets: list[Dataset]
    plans: list[tuple[Dataset, SplitPlan]]
    uses_gpu: bool
    skipped: dict[str, list[str]]  # dataset -> estimators that need images it does not have
    infos: list  # DatasetInfo of each dataset, in config order (what a worker loads from)

    def specs_for(self, dataset: Dataset) -> list:
        """The estimators that run on ``dataset``."""
        left_out = set(self.skipped.get(dataset.name, ()))
        return [spec for spec in self.specs if spec.name not in left_out]

    @property
    def total(self) -> int:
        return sum(
            split_plan.n_folds * len(self.specs_for(dataset)) for dataset, split_plan in self.plans
        )

    @property
    def notes(self) -> tuple[str, ...]:
        """What the user should know before the first cell: how tables were read, what was
        left out."""
        tables = [_data_note(dataset) for dataset in self.datasets if dataset.cleaning]
        skips = [
            f"{', '.join(names)} need(s) images: not run on {dataset!r}, a plain table"
            for dataset, names in self.skipped.items()
        ]
        return (*tables, *skips)


def _prepare(config: RunConfig, resolved: Callable[[list, list], None] | None = None) -> _Plan:
    """Resolve and check everything a user can get wrong before doing any work.

    ``resolved(specs, infos)`` is called once the estimators and dataset names are known and
    checked, before the datasets are loaded (the run starts its workers there)."""
    for plugin in config.plugins:
        load_plugin(plugin)
    specs = registry.select(config.estimators)
    if config.baseline and not any(spec.family == BASELINE_FAMILY for spec in specs):
        specs.append(registry.get(BASELINE))
    _check_params(config, specs)
    infos = [  # an unknown name fails before anything is loaded
        dataset_registry.info(name, config.table_options(name)) for name in config.datasets
    ]
    if resolved is not None:
        resolved(specs, infos)
    loaded = []
    for name in config.datasets:
        dataset = dataset_registry.load(name, config.data_dir, config.table_options(name))
        loaded.append(dataset.subsample(config.subsample) if config.subsample else dataset)
    skipped = _image_skips(config, specs, loaded)
    uses_gpu = any("uses_gpu" in spec.capabilities for spec in specs)
    if config.device != "auto" and uses_gpu:
        from treesvsnets.estimators.torch.devices import resolve_device

        resolve_device(config.device)  # --device cuda without CUDA: one sentence, no folder
    plans = [
        (
            dataset,
            plan(
                dataset,
                config.folds,
                seed,
                protocol=config.protocol,
                test_size=config.test_size,
                validation_fraction=config.validation_fraction,
            ),
        )
        for dataset in loaded
        for seed in config.seeds
    ]
    return _Plan(config, specs, loaded, plans, uses_gpu, skipped, infos)


def _threads_per_cell(config: RunConfig) -> int | None:
    """The thread budget of each cell: the cores shared among the cells running at once."""
    cores = cpu_count()
    if config.threads is not None:
        if config.scheduler is None and config.jobs * config.threads > cores:
            warnings.warn(
                f"{config.jobs} jobs x {config.threads} threads = "
                f"{config.jobs * config.threads} threads on {cores} cores: the cells will "
                "compete for cores and their timings will be slower than alone.",
                TreesVsNetsWarning,
                stacklevel=3,
            )
        return config.threads
    if config.scheduler is not None:
        return None  # each Dask worker divides its own cores among its threads
    return max(1, cores // config.jobs)


def _dataset_request(config: RunConfig, dataset: Dataset) -> DatasetRequest:
    data_dir = None if config.data_dir is None else str(Path(config.data_dir).resolve())
    return DatasetRequest(dataset.name, dataset.fingerprint, data_dir, config.subsample)


def _plan_request(config: RunConfig, split_plan: SplitPlan) -> PlanRequest:
    return PlanRequest(
        config.folds,
        split_plan.seed,
        config.protocol,
        config.test_size,
        config.validation_fraction,
        split_plan.hash,
    )


def _tasks(
    prepared: _Plan,
    run_id: str,
    run_dir: Path,
    threads: int | None,
    verbose: bool,
    skip: set[tuple[str, str, int, int]],
) -> list[Task]:
    """One task per (dataset, seed, estimator, fold) not in ``skip``, in that order when cells
    run one at a time; costliest first when several run at once (see
    EstimatorSpec.relative_cost). With ``fold_parallel``, the folds of an estimator that can
    train them together become one task."""
    config = prepared.config
    limits = Limits(seconds=config.timeout, memory_mb=config.memory_limit_mb)
    tasks: list[CellTask] = []
    costs: dict[tuple[str, str, int, int], float] = {}
    for dataset, split_plan in prepared.plans:
        dataset_request = _dataset_request(config, dataset)
        plan_request = _plan_request(config, split_plan)
        for spec in prepared.specs_for(dataset):
            for fold in range(split_plan.n_folds):
                cell = Cell(
                    dataset=dataset.name,
                    estimator=spec.name,
                    seed=split_plan.seed,
                    fold=fold,
                    threads=spec.thread_budget(threads),
                    params=config.params.get(spec.name, {}),
                    device=config.device,
                    # the baseline stays the floor: the most frequent class, never reweighed
                    class_weight=None if spec.family == BASELINE_FAMILY else config.class_weight,
                    verbose=verbose,
                )
                row = {
                    **cell_row(cell, spec, dataset, split_plan, run_id=run_id),
                    **limits.columns(),
                    "jobs": None if config.scheduler else config.jobs,
                }
                if cell.key in skip:
                    continue
                tasks.append(
                    CellTask(cell, dataset_request, plan_request, run_id, row, limits, str(run_dir))
                )
                costs[cell.key] = spec.relative_cost * dataset.n_samples
    grouped: list[Task] = list(tasks)
    if config.fold_parallel:
        together = {spec.name for spec in prepared.specs if "fold_parallel" in spec.capabilities}
        grouped = _group_folds(tasks, together)
    if config.jobs > 1 or config.scheduler is not None:
        # costliest first (a stable sort: ties keep their order)
        grouped.sort(key=lambda task: -sum(costs[member.key] for member in task.members))
    return grouped


def _group_folds(tasks: list[CellTask], estimators: set[str]) -> list[Task]:
    """Each listed estimator's cells of one (dataset, seed) as one FoldGroupTask, in place of
    its first cell; the other cells as they are."""
    groups: dict[tuple[str, str, int], list[CellTask]] = {}
    slots: list[CellTask | list[CellTask]] = []
    for task in tasks:
        if task.cell.estimator not in estimators:
            slots.append(task)
            continue
        key = (task.cell.dataset, task.cell.estimator, task.cell.seed)
        if key not in groups:
            groups[key] = []
            slots.append(groups[key])
        groups[key].append(task)
    return [
        slot
        if isinstance(slot, CellTask)
        else FoldGroupTask(tuple(slot))
        if len(slot) > 1
        else slot[0]
        for slot in slots
    ]


def _executor(prepared: _Plan) -> Executor:
    """The executor the config asks for (connecting to a Dask scheduler checks its address)."""
    config = prepared.config
    infos = {info.name: info for info in prepared.infos}
    if not config.isolate:  # this process already holds the data and the plans
        loaded = {_dataset_request(config, d): d for d in prepared.datasets}
        plans = {
            (_dataset_request(config, d), _plan_request(config, p)): p for d, p in prepared.plans
        }
        specs = {spec.name: spec for spec in prepared.specs}
        return InProcessExecutor(CellRunner(specs, infos, loaded=loaded, plans=plans))
    setup = WorkerSetup.create(prepared.specs, prepared.infos, config.plugins)
    if config.scheduler is not None:
        from treesvsnets.bench.dask import DaskExecutor

        return DaskExecutor(config.scheduler, setup)
    return LocalPoolExecutor(setup, config.jobs)


def _prepare_with_workers(config: RunConfig) -> tuple[_Plan, Executor]:
    """The plan, and its executor: local workers are started as soon as the estimators and
    datasets are known, so their start-up and imports (about 2 s) overlap the loading of the
    data and the split plans here. Any failure stops them."""
    early: list[LocalPoolExecutor] = []

    def start_workers(specs: list, infos: list) -> None:
        if config.isolate and config.scheduler is None:
            pool = LocalPoolExecutor(WorkerSetup.create(specs, infos, config.plugins), config.jobs)
            early.append(pool)
            pool.warm()  # the same setup _executor would build from the plan

    try:
        prepared = _prepare(config, start_workers)
        return prepared, early[0] if early else _executor(prepared)
    except BaseException:
        for pool in early:
            pool.discard()
        raise


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a scheduler stopping the job, ``kill``) ends the run as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Terminated(f"received signal {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _execute(
    prepared: _Plan,
    run_id: str,
    run_dir: Path,
    manifest: dict[str, Any],
    executor: Executor,
    *,
    skip: set[tuple[str, str, int, int]],
    report_progress: Callable[[ProgressEvent], None] | None,
    verbose: bool,
    finish: Finish | None,
) -> RunResult:
    threads = _threads_per_cell(prepared.config)
    tasks = _tasks(prepared, run_id, run_dir, threads, verbose, skip)
    total = sum(len(task.members) for task in tasks)
    started = time.perf_counter()
    store = ResultStore(run_dir / STORE_FILENAME)
    manifest.update(
        status="running",
        pid=os.getpid(),
        host=socket.gethostname(),
        executor=executor.description,
        threads_per_cell=threads,
    )
    write_manifest(run_dir, manifest)
    try:
        with _sigterm_as_interrupt():
            if report_progress:
                report_progress(
                    ProgressEvent(
                        0,
                        total,
                        None,
                        run_dir,
                        threads,
                        executor.description,
                        len(skip) if skip else None,
                        prepared.notes,
                    )
                )
            for index, row in enumerate(executor.run(tasks), start=1):
                store.add(row)
                if report_progress:
                    report_progress(
                        ProgressEvent(index, total, row, run_dir, threads, executor.description)
                    )
        manifest["status"] = "complete"
    except BaseException:
        # Ctrl-C, SIGTERM or a harness bug: finished cells are in the store; say it is incomplete.
        manifest["status"] = "interrupted"
        raise
    finally:
        executor.close()
        rows = store.rows()
        store.close()
        manifest.pop("pid", None)
        manifest["ended_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        manifest["wall_seconds"] = round(
            manifest.get("wall_seconds", 0.0) + time.perf_counter() - started, 3
        )
        manifest["cells_planned"] = prepared.total
        manifest["cells_by_status"] = dict(Counter(rows["status"])) if len(rows) else {}
        manifest["cells_missing"] = prepared.total - len(rows)
        export_rows(rows, run_dir)
        write_manifest(run_dir, manifest)
        if finish is not None:
            finish(run_dir, rows, manifest)
    return RunResult(run_id=run_id, run_dir=run_dir, rows=rows, manifest=manifest)


def run(
    config: RunConfig | None = None,
    *,
    progress: bool | Callable[[ProgressEvent], None] = True,
    epoch_progress: bool | None = None,
    finish: Finish | None = None,
    **overrides: Any,
) -> RunResult:
    """Run a benchmark and return its rows; everything is also written to the run folder.

    ``overrides`` are RunConfig fields (``datasets=["iris"]``, ``folds=3``,
    ``jobs=2``, ``timeout=600``...). ``progress=True`` prints a line per cell
    to stderr; pass a callable to receive :class:`ProgressEvent` instead, or
    ``False`` for silence. ``epoch_progress`` lets nets print an epoch line
    every ten seconds or so during long fits (default: when ``progress`` is True).
    Bad input raises a :class:`~treesvsnets.errors.TreesVsNetsError` before
    any folder is created or any model is trained. Ctrl-C or SIGTERM keeps
    every finished cell and marks the run ``interrupted``; :func:`resume` finishes it.
    """
    config = (config or RunConfig()).with_overrides(**overrides)
    report_progress = print_progress if progress is True else (progress or None)
    if epoch_progress is None:
        epoch_progress = progress is True
    prepared, executor = _prepare_with_workers(config)
    try:
        run_id, run_dir = create_run_dir(config.out, _default_name(config))
    except BaseException:
        executor.close()
        raise
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "status": "running",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config.to_dict(),
        "estimators": [
            {
                "name": spec.name,
                "family": spec.family,
                "description": spec.description,
                "preprocessing": spec.preprocessing,
                "params": {**spec.default_params, **config.params.get(spec.name, {})},
                "seed_param": spec.seed_param,
                "threads_param": spec.threads_param,
                "source": spec.source,
            }
            for spec in prepared.specs
        ],
        "datasets": [_describe_dataset(config, dataset) for dataset in prepared.datasets],
        "splits": [split_plan.describe() for _, split_plan in prepared.plans],
        "skipped": [
            {"dataset": dataset, "estimator": name, "reason": "needs images"}
            for dataset, names in prepared.skipped.items()
            for name in names
        ],
        "environment": describe_environment(with_gpu=prepared.uses_gpu),
    }
    return _execute(
        prepared,
        run_id,
        run_dir,
        manifest,
        executor,
        skip=set(),
        report_progress=report_progress,
        verbose=epoch_progress,
        finish=finish,
    )


def _data_note(dataset: Dataset) -> str:
    """One line on how a table was read: its target, what cleaning removed, what the columns
    became."""
    cleaning = dataset.cleaning
    removed = [
        f"{cleaning[key]} {what}"
        for key, what in (
            ("duplicate_rows_removed", "duplicate rows"),
            ("rows_without_target_dropped", "rows without a target"),
            ("rows_with_missing_values_dropped", "rows with missing values"),
        )
        if cleaning.get(key)
    ]
    kinds = Counter(reading.kind for reading in dataset.columns if reading.used)
    dropped = [f"{r.name} ({r.note.split(':')[0]})" for r in dataset.columns if not r.used]
    columns = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    return (
        f"table {dataset.name!r}: target {cleaning.get('target')}; "
        f"{cleaning.get('rows_used')} of {cleaning.get('rows_read')} rows used"
        + (f" ({', '.join(removed)} removed)" if removed else "")
        + (f"; columns: {columns}" if columns else "")
        + (f"; dropped: {', '.join(dropped)}" if dropped else "")
        + f"; treesvsnets inspect {dataset.name} shows each column"
    )


def _describe_dataset(config: RunConfig, dataset: Dataset) -> dict[str, Any]:
    """The manifest's entry for ``dataset``: its summary, and a table's reading options."""
    options = config.table_options(dataset.name)
    return {**dataset.describe(), **({"table_options": options.describe()} if options else {})}


def _still_running(manifest: dict[str, Any]) -> bool:
    """Whether the process that wrote ``manifest`` is alive on this machine."""
    pid = manifest.get("pid")
    if (
        manifest.get("status") != "running"
        or not pid
        or manifest.get("host") != socket.gethostname()
    ):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def resume(
    run_dir: str | Path,
    *,
    retry_failed: bool = False,
    progress: bool | Callable[[ProgressEvent], None] = True,
    epoch_progress: bool | None = None,
    finish: Finish | None = None,
    **execution: Any,
) -> RunResult:
    """Finish an interrupted run in place: run only the cells its store lacks.

    ``retry_failed=True`` also runs again the cells recorded as error, timeout,
    oom or crashed (their rows are replaced). The run's own config and split
    plan are used; only how cells execute may change (``jobs``, ``timeout``,
    ``max_memory``, ``scheduler``, ``isolate``).
    """
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    unknown = set(execution) - set(EXECUTION_KEYS)
    if unknown:
        raise ConfigError(
            f"a resumed run keeps its own config; only {', '.join(EXECUTION_KEYS)} may change, "
            f"not {', '.join(sorted(unknown))}."
        )
    if _still_running(manifest):
        raise ConfigError(
            f"run {str(run_dir)!r} is still running (process {manifest['pid']}); "
            "stop it before resuming."
        )
    config = RunConfig.from_dict(manifest["config"]).with_overrides(**execution)
    report_progress = print_progress if progress is True else (progress or None)
    if epoch_progress is None:
        epoch_progress = progress is True
    prepared = _prepare(config)
    recorded = {s["hash"] for s in manifest.get("splits", [])}
    for dataset, split_plan in prepared.plans:
        if split_plan.hash not in recorded:
            raise ConfigError(
                f"cannot resume {str(run_dir)!r}: the split plan of {dataset.name!r} (seed "
                f"{split_plan.seed}) differs from the run's; its data has changed."
            )
    store_path = run_dir / STORE_FILENAME
    done: set[tuple[str, str, int, int]] = set()
    if store_path.is_file():
        with ResultStore(store_path) as store:
            rows = store.rows()
        kept = rows if not retry_failed else rows[rows["status"] == "ok"]
        done = {(r.dataset, r.estimator, int(r.seed), int(r.fold)) for r in kept.itertuples()}
    manifest["config"] = config.to_dict()
    manifest.setdefault("resumed", []).append(
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "retry_failed": retry_failed,
            "cells_kept": len(done),
        }
    )
    return _execute(
        prepared,
        manifest["run_id"],
        run_dir,
        manifest,
        _executor(prepared),
        skip=done,
        report_progress=report_progress,
        verbose=epoch_progress,
        finish=finish,
    )
