"""One benchmark run, end to end: config -> cells -> store -> exports and report.

This is the library API behind ``treesvsnets run``; a notebook calls
``treesvsnets.run(datasets=["digits"], estimators=["rf", "logreg"])``.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pandas as pd

from treesvsnets import datasets as dataset_registry
from treesvsnets.bench.environment import describe_environment
from treesvsnets.bench.measure import cpu_count
from treesvsnets.bench.rundir import create_run_dir, write_manifest
from treesvsnets.bench.runner import Cell, run_cell
from treesvsnets.bench.splits import plan
from treesvsnets.bench.store import STORE_FILENAME, ResultStore, export_rows
from treesvsnets.config import RunConfig
from treesvsnets.errors import ConfigError, unknown_name
from treesvsnets.estimators import registry
from treesvsnets.estimators.plugins import load_plugin
from treesvsnets.reports.markdown import write_report


@dataclass(frozen=True)
class ProgressEvent:
    """Sent once before the first cell (``index == 0``, no row) and after each cell."""

    index: int
    total: int
    row: dict[str, Any] | None
    run_dir: Path
    threads: int


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
        print(
            f"treesvsnets: {event.total} cells, {event.threads} thread(s) per cell, "
            f"results in {event.run_dir}",
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


def _check_images(specs: list, datasets: list) -> None:
    for spec in specs:
        if "needs_images" not in spec.capabilities:
            continue
        for dataset in datasets:
            if dataset.image_shape is None:
                raise ConfigError(
                    f"estimator {spec.name!r} needs images, but dataset {dataset.name!r} is a "
                    "plain table with no image shape; run it on an image dataset (digits, "
                    "mnist, fashion_mnist) or leave it out."
                )


def run(
    config: RunConfig | None = None,
    *,
    progress: bool | Callable[[ProgressEvent], None] = True,
    epoch_progress: bool | None = None,
    **overrides: Any,
) -> RunResult:
    """Run a benchmark and return its rows; everything is also written to the run folder.

    ``overrides`` are RunConfig fields (``datasets=["iris"]``, ``folds=3``...).
    ``progress=True`` prints a line per cell to stderr; pass a callable to
    receive :class:`ProgressEvent` instead, or ``False`` for silence.
    ``epoch_progress`` lets nets print an epoch line every ten seconds or so
    during long fits (default: when ``progress`` is True).
    Bad input raises a :class:`~treesvsnets.errors.TreesVsNetsError` before
    any folder is created or any model is trained.
    """
    config = (config or RunConfig()).with_overrides(**overrides)
    report_progress = print_progress if progress is True else (progress or None)
    if epoch_progress is None:
        epoch_progress = progress is True

    # Resolve and check everything a user can get wrong before doing any work.
    for plugin in config.plugins:
        load_plugin(plugin)
    specs = registry.select(config.estimators)
    _check_params(config, specs)
    for name in config.datasets:
        dataset_registry.info(name)  # an unknown name fails before anything is loaded
    loaded = []
    for name in config.datasets:
        dataset = dataset_registry.load(name, data_dir=config.data_dir)
        loaded.append(dataset.subsample(config.subsample) if config.subsample else dataset)
    _check_images(specs, loaded)
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
    threads = config.threads or cpu_count()

    run_id, run_dir = create_run_dir(config.out, _default_name(config))
    environment = describe_environment(with_gpu=uses_gpu)
    started = time.perf_counter()
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "status": "running",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config.to_dict(),
        "threads_per_cell": threads,
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
            for spec in specs
        ],
        "datasets": [dataset.describe() for dataset in loaded],
        "splits": [],
        "environment": environment,
    }
    write_manifest(run_dir, manifest)

    manifest["splits"] = [split_plan.describe() for _, split_plan in plans]
    total = sum(split_plan.n_folds for _, split_plan in plans) * len(specs)
    store = ResultStore(run_dir / STORE_FILENAME)
    index = 0
    if report_progress:
        report_progress(ProgressEvent(0, total, None, run_dir, threads))
    try:
        for dataset, split_plan in plans:
            for spec in specs:
                for fold in range(split_plan.n_folds):
                    cell = Cell(
                        dataset=dataset.name,
                        estimator=spec.name,
                        seed=split_plan.seed,
                        fold=fold,
                        threads=threads,
                        params=config.params.get(spec.name, {}),
                        device=config.device,
                        verbose=epoch_progress,
                    )
                    outcome = run_cell(
                        cell, spec, dataset, split_plan, run_id=run_id, artifacts_dir=run_dir
                    )
                    outcome.row["versions_hash"] = environment["versions_hash"]
                    store.add(outcome.row)
                    index += 1
                    if report_progress:
                        report_progress(ProgressEvent(index, total, outcome.row, run_dir, threads))
        manifest["status"] = "complete"
    except BaseException:
        # Ctrl-C or a harness bug: finished cells are in the store; say the run is incomplete.
        manifest["status"] = "interrupted"
        raise
    finally:
        rows = store.rows()
        store.close()
        manifest["ended_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        manifest["wall_seconds"] = round(time.perf_counter() - started, 3)
        manifest["cells_planned"] = total
        manifest["cells_by_status"] = dict(Counter(rows["status"])) if len(rows) else {}
        export_rows(rows, run_dir)
        write_manifest(run_dir, manifest)
        write_report(run_dir, rows, manifest)
    return RunResult(run_id=run_id, run_dir=run_dir, rows=rows, manifest=manifest)
