"""What a report says before its datasets: the run's header lines (:func:`header_lines`:
status, datasets, estimators, the score each task is judged by, protocol, machine, versions),
a combined report's runs and warnings, shown above them (:func:`combined_lines`)
and the legend of its tables (:func:`legend`, in the words of the run's judging scores)."""

from __future__ import annotations

import socket
from collections import Counter
from typing import Any

import pandas as pd

from treesvsnets.results.folder import Manifest
from treesvsnets.tasks import CLASSIFICATION, REGRESSION, TASKS, primary, task_of


def _limits(config: dict[str, Any]) -> str:
    limits = []
    if config.get("timeout") is not None:
        limits.append(f"time limit {config['timeout']:g} s per cell")
    if config.get("max_memory") is not None:
        limits.append(f"memory limit {config['max_memory']} per cell")
    return "; " + ", ".join(limits) if limits else ""


#: the row's fields that say how its cell ran
_RAN_WITH = ["jobs", "time_limit_s", "memory_limit_mb"]


def _ran_on(manifest: Manifest, rows: pd.DataFrame | None) -> str:
    """Where and under which limits the cells ran: the manifest's words, or, for a resumed
    run (whose resume may have changed --jobs, --timeout or --max-memory, and which the
    manifest then records), what the rows say, each way the cells ran with its count."""
    where = manifest.executor or "?"
    said = f"cells ran {'' if where.startswith('in ') else 'on '}{where}" + _limits(manifest.config)
    if not manifest.resumed or rows is None or rows.empty or not set(_RAN_WITH) <= set(rows):
        return said
    ways = rows.groupby(_RAN_WITH, dropna=False, sort=False).size()
    parts = []
    for (jobs, seconds, megabytes), count in ways.items():
        limits = [
            *([f"time limit {seconds:g} s"] if pd.notna(seconds) else []),
            *([f"memory limit {megabytes:.0f} MB"] if pd.notna(megabytes) else []),
        ]
        at_once = "on a Dask cluster" if pd.isna(jobs) else f"{int(jobs)} at a time"
        parts.append(f"{count} run {at_once} with {' and '.join(limits) or 'no limit'}")
    return "cells ran (the run was resumed): " + "; ".join(parts)


def _status(manifest: Manifest, rows: pd.DataFrame | None) -> str:
    """The run's status and its cells by status (the rows', where the report has them: a run
    killed outright never wrote its counts), with how to finish it where it did not end."""
    statuses = (
        dict(Counter(rows["status"]))
        if rows is not None and len(rows)
        else manifest.cells_by_status
    )
    status, finish = manifest.status, "finish with `treesvsnets run --resume RUN_DIR`"
    here = manifest.host in (None, socket.gethostname())  # another machine's: not known gone
    if status == "running" and here and not manifest.still_running():
        status = "stopped (its process is gone before its end)"
    missing = manifest.cells_missing if status == manifest.status else None
    return (
        f"status: **{status}**; cells: "
        + (", ".join(f"{n} {s}" for s, n in statuses.items()) or "none")
        + (f"; {missing} not run ({finish})" if missing else "")
        + (f"; {finish}" if status != manifest.status else "")
    )


def _imbalance(config: dict[str, Any]) -> str:
    """How the run treated imbalanced classes, when it did (class weights, resampling)."""
    said = []
    if config.get("class_weight"):
        said.append(f"classes weighed {config['class_weight']}")
    if config.get("resample", "none") != "none":
        said.append(
            f"each training fold's fit rows resampled: {config['resample']} (never the "
            "validation slice or the test fold)"
        )
    return "; " + ", ".join(said) if said else ""


def header_lines(manifest: Manifest, rows: pd.DataFrame | None = None) -> list[str]:
    """The run in a few lines: status, datasets, estimators, protocol and the scores judged
    by, where it ran, the machine and the versions (``rows``: every row of the run, which
    say how many cells ran and how, where the manifest could not)."""
    config = manifest.config
    environment = manifest.environment
    packages = environment.get("packages", {})
    datasets = ", ".join(
        f"{d['name']} ({d.get('n_samples', '?')} rows, "
        + (
            "regression"
            if task_of(d.get("task")) == REGRESSION
            else f"{d.get('n_classes', '?')} classes"
        )
        + ")"
        for d in manifest.datasets
    )
    tasks = {task_of(e.get("task")) for e in manifest.estimators}
    estimators = "; ".join(
        f"{e['name']}"
        + (f" {task_of(e.get('task'))}" if len(tasks) > 1 else "")
        + f" ({e.get('family', '?')}"
        + (": " + ", ".join(f"{k}={v}" for k, v in e["params"].items()) if e.get("params") else "")
        + ")"
        for e in manifest.estimators
    )
    protocol = (
        f"{config.get('folds', '?')}-fold cross-validation (stratified for classification"
        + (
            f"; regression on {config['target_bins']} target bins)"
            if config.get("target_bins")
            else ")"
        )
        if config.get("protocol", "kfold") == "kfold"
        else "holdout (the official test split where there is one, else "
        f"test_size {config.get('test_size')})"
    )
    return [
        _status(manifest, rows),
        f"datasets: {datasets or '?'}",
        f"estimators: {estimators or '?'}",
        f"judged by: {_judged_words(manifest.metric, tasks)}; every row keeps every score",
        f"{protocol}, seeds {', '.join(str(s) for s in config.get('seeds', []))}; "
        f"threads per cell: {manifest.threads_per_cell}; device for nets: "
        f"{config.get('device', '?')}" + _imbalance(config),
        _ran_on(manifest, rows),
        f"started {manifest.started_at}, wall time {manifest.wall_seconds:.1f} s",
        f"machine: {environment.get('cpu', '?')}, {environment.get('cores', '?')} cores, "
        f"Python {environment.get('python', '?')}"
        + (f"; GPU: {', '.join(environment['gpus']) or 'none'}" if "gpus" in environment else ""),
        "versions: "
        + ", ".join(f"{name} {version}" for name, version in packages.items() if version),
    ]


def combined_lines(manifest: Manifest) -> list[str]:
    """A combined report's runs, the settings they differ on and its warnings (none for a
    run's own report)."""
    combined = manifest.combined
    if not combined:
        return []
    runs = ", ".join(
        f"`{run['run_id']}` ({', '.join(run['datasets'])})" for run in combined["runs"]
    )
    lines = [f"combines {len(combined['runs'])} runs: {runs}"]
    if combined.get("settings"):
        lines.append(
            "settings that differ between the runs (below: the first run's where set): "
            + "; ".join(combined["settings"])
        )
    return lines + [f"**warning: {warning}**" for warning in combined.get("warnings", [])]


def _judged_words(metric: str | None, tasks: set[str]) -> str:
    """'ROC-AUC (classification, higher is better), RMSE (regression, lower is better)'."""
    return ", ".join(
        f"{primary(task, metric).label} ({task}, "
        f"{'higher' if primary(task, metric).higher_is_better else 'lower'} is better)"
        for task in TASKS
        if task in tasks
    )


LEGEND = (
    "{score} is the mean ± standard deviation over folds (and seeds), with a 95% bootstrap "
    "interval of the mean; times are means per fold; `ms/1k rows` is prediction latency per "
    "1,000 test rows; `peak MB` is the cell process's peak resident memory. Differences are "
    "tested with the Nadeau-Bengio corrected resampled t-test over folds (a plain t-test on "
    'overlapping folds is overconfident); "likely real" means p < 0.05.'
)
#: added to the legend when the run has regression datasets
REGRESSION_LEGEND = (
    " Regression datasets are ranked by {score} ({what}), with the other scores beside it; "
    "their folds are shuffled, not stratified."
)
#: what each regression score is, for the legend
_REGRESSION_WORDS = {
    "rmse": "root mean squared error on the test fold, in the target's units; lower is better",
    "mae": "mean absolute error on the test fold, in the target's units; lower is better",
    "r2": "1 is perfect, 0 is the mean's; higher is better",
}
#: added to the legend when the run has a baseline
BASELINE_LEGEND = (
    " `vs baseline` says whether the estimator is significantly better than the run's "
    "trivial baseline (dummy: the most frequent class, or the training mean)."
)
#: added to the legend when a classification score needs probabilities
PROBABILITIES_LEGEND = (
    " ROC-AUC (two classes: of the positive class's probability; more: one-vs-rest, macro over "
    "the classes present in each test fold) and log loss are computed from predicted "
    "probabilities; an estimator without them reads `no probabilities`."
)


def legend(board: pd.DataFrame, metric: str | None) -> str:
    """The words under the report's title that say how to read its tables."""
    if board.empty:  # a run stopped before its first cell ended: no table, no score to say
        return "No cell has finished: there is nothing to rank yet."
    regression = primary(REGRESSION, metric)
    classifies = (board["task"] == CLASSIFICATION).any()
    label = primary(CLASSIFICATION, metric).label if classifies else regression.label
    text = LEGEND.format(score=label[0].upper() + label[1:])  # RMSE, where none classifies
    if (board["task"] == REGRESSION).any():
        text += REGRESSION_LEGEND.format(
            score=regression.label, what=_REGRESSION_WORDS[regression.column]
        )
    if (board["task"] == CLASSIFICATION).any():
        text += PROBABILITIES_LEGEND
    if board["vs_baseline"].astype(bool).any():
        text += BASELINE_LEGEND
    return text
