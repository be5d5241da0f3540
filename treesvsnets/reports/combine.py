"""Several run folders as one: the rows, trials and manifest a combined report is written from
(``treesvsnets report RUN_DIR RUN_DIR ... --out DIR``).

:func:`combine_runs` reads each folder and joins them, in the order given, by these rules:

- **Split hashes**: runs that share a dataset must have split it the same way (the same set of
  split hashes: same folds, seeds and data); otherwise one sentence names the dataset and the
  two runs and nothing is combined.
- **Metric**: runs judged by different ``metric`` settings are refused
  (:func:`common_metric`), unless the metric to judge them all by
  is given.
- **The same cell in two runs** (dataset, estimator, tuning, seed, fold: a tuned run's default
  cells and a default run's, say) is counted once: the first run's successful row, else the
  first run's row; the report says how many cells were in more than one run.
- **Machines, library versions, estimator parameters** that differ are combined with a warning
  (the words of :mod:`.compare`), in the report's header and on stderr.

The combined :class:`~treesvsnets.results.folder.Manifest` has every run's datasets,
estimators (the first run's parameters where two differ), split plans and skipped cells;
the first run's config and environment, the seeds of all; where a shown setting (folds,
protocol, tuning budget...) differs, the first run's value where set, and the header names
each run's. Its ``combined`` entry lists the runs and the warnings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from treesvsnets.errors import ConfigError
from treesvsnets.reports.compare import environment_warnings, param_warnings, split_hashes
from treesvsnets.results.folder import Manifest, RunFolder
from treesvsnets.results.row import KEY

#: a cell, whichever run it is in
CELL = tuple(key for key in KEY if key != "run_id")
#: the settings a report shows; where runs differ on one, the header says so
SHOWN_SETTINGS = (
    "protocol",
    "folds",
    "test_size",
    "validation_fraction",
    "target_bins",
    "subsample",
    "class_weight",
    "resample",
    "device",
    "timeout",
    "max_memory",
    "tune",
    "tune_time",
    "sampler",
    "tune_cv",
)


@dataclass(frozen=True)
class Combined:
    """The rows (each cell once), trials and manifest of one or several runs."""

    rows: pd.DataFrame
    trials: pd.DataFrame
    manifest: Manifest

    @property
    def warnings(self) -> list[str]:
        return list((self.manifest.combined or {}).get("warnings", []))


@dataclass(frozen=True)
class _Run:
    folder: RunFolder
    manifest: Manifest
    rows: pd.DataFrame
    trials: pd.DataFrame


def _read(run_dir: str | Path) -> _Run:
    """A run's folder, manifest, rows and trials; a store emptied since the run recorded its
    cells is refused (a report of it would say the cells are fine, and show none)."""
    folder = RunFolder.open(run_dir)
    manifest, rows = folder.read_manifest(), folder.rows()
    recorded = sum(manifest.cells_by_status.values())
    if rows.empty and recorded:
        raise ConfigError(
            f"{str(folder.store_path)!r} holds no result rows, though the run "
            f"recorded {recorded} cells: it was emptied or replaced; restore it from a copy."
        )
    return _Run(folder, manifest, rows, folder.trials())


def _check_metric(metric: str, runs: list[_Run]) -> None:
    """A ``metric`` to judge the runs by must be a score of one of their datasets' tasks."""
    from treesvsnets.tasks import metric_off_task, metric_problem, task_of

    problem = metric_problem(metric)
    if problem is not None:
        raise ConfigError(f"metric must be {problem}, got {metric!r}.")
    tasks = {task_of(task) for run in runs for task in run.rows.get("task", [None])}
    off_task = metric_off_task(metric, tasks, "the runs'")
    if off_task is not None:
        raise ConfigError(off_task)


def common_metric(metrics: Mapping[str, str | None]) -> str | None:
    """The ``metric`` setting every run (run id -> its setting) was judged by; runs judged by
    different ones are refused in one sentence (one board ranks by one score)."""
    chosen = set(metrics.values())
    if len(chosen) > 1:
        named = ", ".join(f"{run} by {metric or 'the defaults'}" for run, metric in metrics.items())
        raise ConfigError(
            f"the runs were judged by different metrics ({named}); give the one to judge "
            "them all by (report's --metric, aggregate's metric)."
        )
    return chosen.pop() if chosen else None


def combine_runs(run_dirs: Sequence[str | Path], metric: str | None = None) -> Combined:
    """The runs of ``run_dirs`` as one (see the module's docstring), judged by ``metric``
    (else by the runs' own setting, which must then be the same); one run comes back as it
    is. A :class:`~treesvsnets.errors.ConfigError` when they cannot be combined."""
    if not run_dirs:
        raise ConfigError("no run folder was given to report on; name one or more.")
    runs = [_read(run_dir) for run_dir in run_dirs]
    if metric is not None:
        _check_metric(metric, runs)
    chosen = metric or common_metric({run.folder.run_id: run.manifest.metric for run in runs})
    _check_splits(runs)
    if len(runs) == 1:
        manifest = runs[0].manifest
        manifest.config = {**manifest.config, "metric": chosen}
        return Combined(runs[0].rows, runs[0].trials, manifest)
    rows, repeated = _rows_once(runs)
    warnings = _warnings(runs)
    if repeated:
        warnings.append(repeated)
    manifest = _manifest(runs, rows, chosen, warnings)
    trials = pd.concat([run.trials for run in runs], ignore_index=True)
    if len(trials):
        trial_key = [*CELL[:-1], "trial"]  # a trial has no tuning column
        trials = trials.drop_duplicates([k for k in trial_key if k in trials], keep="first")
    return Combined(rows, trials, manifest)


def _check_splits(runs: list[_Run]) -> None:
    """One sentence when two runs split a dataset they share differently."""
    seen: dict[str, tuple[str, set[str]]] = {}
    for run in runs:
        for dataset, hashes in split_hashes(run.manifest).items():
            first = seen.setdefault(dataset, (run.folder.run_id, hashes))
            if first[1] != hashes:
                raise ConfigError(
                    f"runs {first[0]} and {run.folder.run_id} split {dataset} differently "
                    f"(split hashes {', '.join(sorted(first[1]))} vs {', '.join(sorted(hashes))}: "
                    "other folds, seeds or data), so they cannot be combined."
                )


def _rows_once(runs: list[_Run]) -> tuple[pd.DataFrame, str | None]:
    """Every run's rows, each cell once (the first run's ok row, else its first row), and a
    sentence when some cells were in more than one run."""
    frames = [run.rows.assign(_run=i) for i, run in enumerate(runs)]
    rows = pd.concat(frames, ignore_index=True)
    key = [k for k in CELL if k in rows]
    order = rows.assign(_failed=rows["status"] != "ok").sort_values(
        ["_failed", "_run"], kind="stable"
    )
    repeated = order[order.duplicated(key, keep=False)]
    kept = order.drop_duplicates(key, keep="first").sort_index()
    if repeated.empty:
        return rows.drop(columns="_run"), None
    first = repeated.iloc[0]
    where = " and ".join(
        runs[i].folder.run_id
        for i in sorted(repeated.loc[(repeated[key] == first[key]).all(axis=1), "_run"])
    )
    n = len(repeated.drop_duplicates(key))
    sentence = (
        f"{n} cell(s) are in more than one run (e.g. {first['dataset']} / {first['estimator']} "
        f"({first.get('tuning', 'default')}) seed {first['seed']} fold {first['fold']} in "
        f"{where}); each is counted once: the first run's successful row, else its first row"
    )
    return kept.drop(columns=["_run", "_failed"]).reset_index(drop=True), sentence


def _warnings(runs: list[_Run]) -> list[str]:
    """Each later run's differences from the first: machine, versions, shared estimators'
    parameters."""
    first = runs[0]
    found = []
    for run in runs[1:]:
        estimators = set(first.rows["estimator"]) & set(run.rows["estimator"])
        differences = environment_warnings(first.manifest, run.manifest) + param_warnings(
            first.manifest, run.manifest, estimators
        )
        found += [f"{run.folder.run_id} against {first.folder.run_id}: {d}" for d in differences]
    return found


def _union(entries: list[list[dict[str, Any]]], key: tuple[str, ...]) -> list[dict[str, Any]]:
    """The entries of every run, the first of each ``key`` kept."""
    seen: dict[tuple, dict[str, Any]] = {}
    for entry in (e for run_entries in entries for e in run_entries):
        seen.setdefault(tuple(entry.get(k) for k in key), entry)
    return list(seen.values())


def _settings(runs: list[_Run]) -> tuple[dict[str, Any], list[str]]:
    """The first run's config with every run's seeds and, where a shown setting differs, the
    first value that is set; and a line per differing setting naming each run's value."""
    config = {**runs[0].manifest.config}
    config["seeds"] = sorted({s for run in runs for s in run.manifest.config.get("seeds", [])})
    differing = []
    for name in SHOWN_SETTINGS:
        values = {run.folder.run_id: run.manifest.config.get(name) for run in runs}
        if len({repr(v) for v in values.values()}) > 1:
            config[name] = next((v for v in values.values() if v is not None), None)
            differing.append(
                f"{name}: " + ", ".join(f"{value} ({run})" for run, value in values.items())
            )
    return config, differing


def _manifest(
    runs: list[_Run], rows: pd.DataFrame, metric: str | None, warnings: list[str]
) -> Manifest:
    """The manifest a combined report reads (see the module's docstring)."""
    manifests = [run.manifest for run in runs]
    config, differing = _settings(runs)
    statuses = [m.status for m in manifests]
    return Manifest(
        run_id=" + ".join(run.folder.run_id for run in runs),
        config={**config, "metric": metric},
        estimators=_union([m.estimators for m in manifests], ("name", "task")),
        datasets=_union([m.datasets for m in manifests], ("name",)),
        splits=_union([m.splits for m in manifests], ("dataset", "seed")),
        skipped=_union([m.skipped for m in manifests], ("dataset", "estimator")),
        environment=manifests[0].environment,
        status=next((s for s in statuses if s != "complete"), "complete"),
        started_at=min(m.started_at for m in manifests),
        host=manifests[0].host,
        executor=", ".join(dict.fromkeys(str(m.executor) for m in manifests)),
        threads_per_cell=manifests[0].threads_per_cell,
        wall_seconds=sum(m.wall_seconds for m in manifests),
        cells_by_status=dict(Counter(rows["status"])) if len(rows) else {},
        cells_missing=sum(m.cells_missing or 0 for m in manifests),
        combined={
            "runs": [
                {
                    "run_id": run.folder.run_id,
                    "path": str(run.folder.path),
                    "datasets": [d["name"] for d in run.manifest.datasets],
                }
                for run in runs
            ],
            "warnings": warnings,
            "settings": differing,
        },
    )
