"""Run against run: what changed in the score a task is judged by (run A's metric, else
accuracy, or RMSE for regression) and in time, whether it is meaningful, and whether the two
runs can be compared at all (split hashes, library versions, hardware, judging scores).
:func:`compare_runs` builds the comparison and :func:`format_comparison` the text
``treesvsnets compare`` prints.

When the runs share 2 or more datasets, each method's Elo changes too (:func:`elo_changes`):
one Bradley-Terry fit (:mod:`.aggregate`) over both runs' rows on those datasets, every method
of A and of B a method of its own ("rf [A] (default)", "rf [B] (default)"), so both sit on one
scale; the change is the gap between a method's two ratings, its 95% interval from the same
bootstrap over datasets (:meth:`~treesvsnets.reports.aggregate.EloFit.gap`)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from treesvsnets.errors import path_given
from treesvsnets.reports.separation import interval_words
from treesvsnets.reports.stats import ALPHA, paired_fold_test
from treesvsnets.reports.verdict import MIN_DATASETS
from treesvsnets.results.folder import Manifest, RunFolder
from treesvsnets.tasks import primary, task_of


@dataclass
class Comparison:
    run_a: Path
    run_b: Path
    table: pd.DataFrame  # one row per (dataset, estimator) present in both runs
    warnings: list[str]
    only_in_a: list[str]
    only_in_b: list[str]
    elo: pd.DataFrame | None = None  # elo_changes: empty with fewer than 2 datasets in both


def _load(run_dir: Path) -> tuple[pd.DataFrame, Manifest]:
    folder = RunFolder.open(run_dir)  # first: "is not a run folder" beats "has no store"
    return folder.rows(), folder.read_manifest()


#: what marks a method of run A and of run B on the Elo board of both
TAGS = ("A", "B")


def elo_changes(
    rows_a: pd.DataFrame, rows_b: pd.DataFrame, metric: str | None, split_alike: set[str]
) -> pd.DataFrame:
    """Each method in both runs (default and tuned): its Elo in A and in B on one scale (one
    fit over both runs' rows on the datasets both have split alike, ``split_alike``: A's fold
    k and B's fold k are then the same test rows, the battles between them fair; A's rf
    (default) at 1000 where it ran), the change and its 95% bootstrap interval; empty with
    fewer than 2 such datasets (runs of other seeds or folds met on other rows, and their
    methods' changes were read from nothing)."""
    from treesvsnets.estimators.base import BASELINE_FAMILY
    from treesvsnets.reports.aggregate import ANCHOR_ELO, aggregate
    from treesvsnets.reports.methods import method_name

    both = set(rows_a["dataset"]) & set(rows_b["dataset"])
    shared = both & split_alike
    columns = ["method", "elo_a", "elo_b", "change", "low", "high", "bounded_a", "bounded_b"]
    if len(shared) < 2:
        empty = pd.DataFrame(columns=columns)
        empty.attrs["split_otherwise"] = len(both) >= 2  # said, not left out silently
        return empty
    tagged = pd.concat(
        [
            rows[rows["dataset"].isin(shared)].assign(estimator=rows["estimator"] + f" [{tag}]")
            for tag, rows in zip(TAGS, (rows_a, rows_b), strict=True)
        ],
        ignore_index=True,
    )
    fit = aggregate(tagged, metric, join_tasks=False).elo  # each estimator's own change
    ratings = dict(zip(fit.methods, fit.ratings, strict=True))
    finite = dict(zip(fit.methods, fit.bounded, strict=True))  # else: the penalty's number
    anchor = method_name(f"rf [{TAGS[0]}]", None)
    shift = ANCHOR_ELO - ratings.get(anchor, ANCHOR_ELO)
    entries, unrated = [], []
    baselines = set(rows_a.loc[rows_a["family"] == BASELINE_FAMILY, "estimator"])  # no rating
    for estimator, tuning in sorted(set(zip(rows_a["estimator"], rows_a["tuning"], strict=True))):
        a, b = (method_name(f"{estimator} [{tag}]", tuning) for tag in TAGS)
        name = method_name(estimator, tuning)
        if a in ratings and b in ratings:
            change, low, high = fit.gap(b, a)
            rated = [ratings[a] + shift, ratings[b] + shift, change, low, high]
            entries.append([name, *rated, finite[a], finite[b]])
        elif estimator not in baselines and all(
            (
                (rows["estimator"] == estimator)
                & (rows["tuning"] == tuning)
                & rows["dataset"].isin(shared)
            ).any()
            for rows in (rows_a, rows_b)
        ):  # it ran on the shared datasets in both runs (tuned, or not), and failed in one
            unrated.append(name)
    changes = pd.DataFrame(entries, columns=columns).sort_values("elo_b", ascending=False)
    # what the footnote says: the scale's anchor, and the methods every cell of a run failed
    changes.attrs.update(anchored=anchor in ratings, unrated=unrated, datasets=len(shared))
    return changes


def environment_warnings(a: Manifest, b: Manifest) -> list[str]:
    """What differs between the machines (CPU, cores, GPUs) and library versions of two runs."""
    found = []
    env_a, env_b = a.environment, b.environment
    hardware = ("cpu", "cores", "gpus")
    changed = [k for k in hardware if k in env_a and k in env_b and env_a[k] != env_b[k]]
    if changed:
        found.append(
            "the runs used different hardware ("
            + "; ".join(f"{k}: {env_a.get(k)} vs {env_b.get(k)}" for k in changed)
            + "): times are not comparable"
        )
    packages_a, packages_b = env_a.get("packages", {}), env_b.get("packages", {})
    versions = [
        f"{name} {packages_a.get(name)} vs {packages_b.get(name)}"
        for name in sorted(set(packages_a) | set(packages_b))
        if packages_a.get(name) != packages_b.get(name)
    ]
    if versions:
        found.append("library versions differ: " + ", ".join(versions))
    return found


def _params(manifest: Manifest) -> dict[tuple[str, str], dict]:
    """(estimator, task) -> its recorded parameters (an estimator runs once per task)."""
    return {(e["name"], task_of(e.get("task"))): e.get("params", {}) for e in manifest.estimators}


def param_warnings(a: Manifest, b: Manifest, estimators: set[str]) -> list[str]:
    """Each of ``estimators`` whose recorded parameters differ between two runs."""
    params_a, params_b = _params(a), _params(b)
    found = []
    for key in sorted(set(params_a) & set(params_b)):
        name = key[0]
        if name not in estimators:
            continue
        one, other = params_a[key], params_b[key]
        differ = [
            f"{param} {one.get(param)} vs {other.get(param)}"
            for param in sorted(set(one) | set(other))
            if one.get(param) != other.get(param)
        ]
        if differ:
            found.append(f"{name}: parameters differ ({', '.join(differ)})")
    return found


def split_hashes(manifest: Manifest) -> dict[str, set[str]]:
    """dataset -> the hashes of its split plans (one per seed) in a run."""
    hashes: dict[str, set[str]] = {}
    for split in manifest.splits:
        hashes.setdefault(split["dataset"], set()).add(split["hash"])
    return hashes


def _change_test(a: pd.DataFrame, b: pd.DataFrame, column: str, paired: bool) -> float:
    """p-value of the change in ``column``: the corrected paired t-test on shared folds, else
    Welch's t-test (times on a log scale)."""
    from scipy import stats

    log = column.endswith("_seconds")
    if paired:
        found = paired_fold_test(b, a, column, log=log)
        if found is not None:
            return found[2]
    values_a = a[column].dropna().to_numpy(dtype=float)
    values_b = b[column].dropna().to_numpy(dtype=float)
    if len(values_a) < 2 or len(values_b) < 2:
        return math.nan
    if log:
        values_a, values_b = np.log(values_a), np.log(values_b)
    if np.ptp(values_a) == 0 and np.ptp(values_b) == 0:
        return 1.0 if values_a[0] == values_b[0] else 0.0
    with warnings.catch_warnings():  # values equal but for rounding: SciPy's precision-loss
        warnings.simplefilter("ignore", RuntimeWarning)  # warning went to the terminal
        return float(stats.ttest_ind(values_b, values_a, equal_var=False).pvalue)


def _on_shared_folds(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """One estimator's ok cells of A and B on the (seed, fold) pairs both have, and whether
    either had others; as they are where they share none."""
    keys_a, keys_b = (list(zip(x["seed"], x["fold"], strict=True)) for x in (a, b))
    shared = set(keys_a) & set(keys_b)
    if not shared or len(shared) == len(keys_a) == len(keys_b):
        return a, b, False
    return (
        a[[key in shared for key in keys_a]],
        b[[key in shared for key in keys_b]],
        True,
    )


def _tasks(*frames: pd.DataFrame) -> dict[str, Any]:
    """dataset -> its task, as the rows record it (rows written before regression have none:
    classification)."""
    found: dict[str, Any] = {}
    for rows in frames:
        if "task" in rows:
            for dataset, task in rows.groupby("dataset")["task"].first().items():
                found.setdefault(dataset, task)
    return found


def _names_in(a: Manifest, b: Manifest) -> dict[str, str]:
    """Run A's dataset names -> run B's, where they differ for one table file (a run written
    before tables went by short names named them by their path)."""

    def paths(manifest: Manifest) -> dict[str, str]:
        return {entry["name"]: entry.get("path") or entry["name"] for entry in manifest.datasets}

    names_b = {path: name for name, path in paths(b).items()}
    return {
        name: names_b[path]
        for name, path in paths(a).items()
        if path in names_b and names_b[path] != name
    }


def compare_runs(run_a: str | Path, run_b: str | Path) -> Comparison:
    """Compare run folder ``run_b`` against ``run_a`` (the reference)."""
    from treesvsnets.reports.tuning import split_tuning

    run_a, run_b = path_given(run_a), path_given(run_b)
    every_a, manifest_a = _load(run_a)
    every_b, manifest_b = _load(run_b)
    # the default rows: a tuned run's tuned rows are compared with its defaults in its report
    rows_a, rows_b = split_tuning(every_a)[0], split_tuning(every_b)[0]
    warnings = environment_warnings(manifest_a, manifest_b)
    hashes_a, hashes_b = split_hashes(manifest_a), split_hashes(manifest_b)
    renamed = _names_in(manifest_a, manifest_b)  # a table's old name (its path) -> B's
    rows_a = rows_a.assign(dataset=rows_a["dataset"].replace(renamed))
    every_a = every_a.assign(dataset=every_a["dataset"].replace(renamed))
    hashes_a = {renamed.get(name, name): found for name, found in hashes_a.items()}
    ok_a = rows_a[rows_a["status"] == "ok"]
    ok_b = rows_b[rows_b["status"] == "ok"]
    keys_a = set(zip(rows_a["dataset"], rows_a["estimator"], strict=True))
    keys_b = set(zip(rows_b["dataset"], rows_b["estimator"], strict=True))
    for dataset in sorted({d for d, _ in keys_a & keys_b}):
        if hashes_a.get(dataset) != hashes_b.get(dataset):
            one, other = (", ".join(sorted(h.get(dataset, []))) for h in (hashes_a, hashes_b))
            warnings.append(
                f"{dataset}: the split hashes differ ({one} vs {other}): other folds or other "
                "data, so accuracies are compared unpaired"
            )
    warnings += param_warnings(manifest_a, manifest_b, {e for _, e in keys_a & keys_b})
    if manifest_a.metric != manifest_b.metric:
        warnings.append(
            f"the runs are judged by different scores (metric {manifest_a.metric or 'default'} "
            f"vs {manifest_b.metric or 'default'}); both are compared by A's, which every row "
            "of both keeps"
        )
    alike = {name for name, found in hashes_a.items() if found == hashes_b.get(name)}
    entries, cut = [], set()
    tasks = _tasks(rows_a, rows_b)
    for dataset, estimator in sorted(keys_a & keys_b):
        a = ok_a[(ok_a["dataset"] == dataset) & (ok_a["estimator"] == estimator)]
        b = ok_b[(ok_b["dataset"] == dataset) & (ok_b["estimator"] == estimator)]
        paired = hashes_a.get(dataset) == hashes_b.get(dataset)
        cells_ok = f"{len(a)}/{len(b)}"
        if paired:  # the same folds: each mean over those both finished, as the test pairs
            a, b, fewer = _on_shared_folds(a, b)
            if fewer:
                cut.add(dataset)
        metric = primary(tasks.get(dataset), manifest_a.metric)
        column = metric.column
        entry: dict[str, Any] = {"dataset": dataset, "estimator": estimator}
        entry["metric"] = metric.label
        entry["score"] = column
        entry["score_a"] = a[column].mean()
        entry["score_b"] = b[column].mean()
        entry["change"] = entry["score_b"] - entry["score_a"]
        entry["better"] = metric.improvement(entry["change"]) > 0
        entry["score_p"] = _change_test(a, b, column, paired)
        for column, short in (("fit_seconds", "fit"), ("predict_seconds", "predict")):
            mean_a, mean_b = a[column].mean(), b[column].mean()
            entry[f"{short}_s_a"], entry[f"{short}_s_b"] = mean_a, mean_b
            entry[f"{short}_ratio"] = mean_b / mean_a if mean_a else math.nan
            entry[f"{short}_p"] = _change_test(a, b, column, paired)
        entry["paired"] = paired
        entry["cells_ok"] = cells_ok
        entries.append(entry)
    warnings += [
        f"{dataset}: one run finished folds the other did not (an interrupted run, a failed "
        "cell): each change is over the folds both finished"
        for dataset in sorted(cut)
    ]
    table = pd.DataFrame(entries)
    return Comparison(
        run_a=run_a,
        run_b=run_b,
        table=table,
        warnings=warnings,
        only_in_a=[f"{d}/{e}" for d, e in sorted(keys_a - keys_b)],
        only_in_b=[f"{d}/{e}" for d, e in sorted(keys_b - keys_a)],
        elo=elo_changes(every_a, every_b, manifest_a.metric, alike),
    )


def _or_failed(value: float, show: Any, missing: str = "failed") -> str:
    """``value`` shown, or ``missing`` where there is none (every cell of a run failed)."""
    return missing if pd.isna(value) else show(value)


def _flag(p: float) -> str:
    if math.isnan(p):
        return ""
    return " *" if p < ALPHA else ""


def format_comparison(comparison: Comparison) -> str:
    """The comparison as text: a table (``*`` marks a change with p < 0.05), then warnings."""
    from tabulate import tabulate

    from treesvsnets.tasks import METRICS

    metrics = {metric.column: metric for scores in METRICS.values() for metric in scores}
    table = comparison.table
    lines = [f"A = {comparison.run_a}", f"B = {comparison.run_b}", ""]
    if table.empty:
        lines.append("no dataset and estimator is in both runs.")
    else:
        shown = [
            [
                row["dataset"],
                row["estimator"],
                row["metric"],
                _or_failed(row["score_a"], metrics[row["score"]].show),
                _or_failed(row["score_b"], metrics[row["score"]].show),
                _or_failed(row["change"], partial(metrics[row["score"]].show, signed=True), "—")
                + _flag(row["score_p"]),
                "" if math.isnan(row["score_p"]) else f"{row['score_p']:.3g}",
                f"{_or_failed(row['fit_s_a'], '{:.3f}'.format)} → "
                f"{_or_failed(row['fit_s_b'], '{:.3f}'.format)}",
                _or_failed(row["fit_ratio"], "{:.2f}x".format, "—") + _flag(row["fit_p"]),
                _or_failed(row["predict_ratio"], "{:.2f}x".format, "—") + _flag(row["predict_p"]),
                row["cells_ok"],
            ]
            for _, row in table.iterrows()
        ]
        lines.append(
            tabulate(
                shown,
                headers=[
                    "dataset",
                    "estimator",
                    "score",
                    "A",
                    "B",
                    "change",
                    "p",
                    "fit s A → B",
                    "fit B/A",
                    "predict B/A",
                    "cells ok A/B",
                ],
                disable_numparse=True,
            )
        )
        lines += [
            "",
            "* the change is statistically meaningful (p < 0.05): Nadeau-Bengio corrected "
            "t-test on the shared folds when the split hashes match, else Welch's t-test; "
            "times on a log scale. The score is the one run A is judged by: its metric "
            "setting where it fits the task, else accuracy (higher is better) or, for "
            "regression, RMSE (lower is better).",
        ]
    lines += _elo_lines(comparison.elo)
    for name, missing in (("A", comparison.only_in_a), ("B", comparison.only_in_b)):
        if missing:
            lines.append(f"only in {name}: {', '.join(missing)}")
    lines += [f"warning: {w}" for w in comparison.warnings]
    return "\n".join(lines)


def _elo_lines(changes: pd.DataFrame | None) -> list[str]:
    """The Elo table of :func:`elo_changes` (``*`` marks a change whose interval excludes 0)."""
    from tabulate import tabulate

    if changes is not None and changes.empty and changes.attrs.get("split_otherwise"):
        return [
            "",
            "No Elo changes: the runs split their shared datasets otherwise (other seeds, "
            "folds or data), so no fold of A met a fold of B on the same test rows.",
        ]
    if changes is None or changes.empty:
        return []

    def points(value: float) -> int:  # whole points: a -0.000001 is 0, never "-0" or a "*"
        return int(round(value))

    datasets = changes.attrs.get("datasets", MIN_DATASETS)
    marked = datasets >= MIN_DATASETS  # the verdict's rule: fewer cannot make a lead

    shown = [
        [
            row["method"],
            *(
                f"{row[f'elo_{run}']:.0f}" + ("" if row[f"bounded_{run}"] else " (unbounded)")
                for run in "ab"
            ),
            f"{points(row['change']):+d}"
            + (" *" if marked and (points(row["low"]) > 0 or points(row["high"]) < 0) else ""),
            interval_words(row["change"], row["low"], row["high"], signed=True),
        ]
        for _, row in changes.iterrows()
    ]
    return [
        "",
        tabulate(
            shown,
            headers=["method", "Elo A", "Elo B", "change", "95% interval"],
            disable_numparse=True,
        ),
        "",
        "Elo of each method in A and in B on one scale: one Bradley-Terry fit over both runs' "
        "rows on the datasets both have, each run's methods apart ("
        + (
            "A's rf (default) = 1000"
            if changes.attrs.get("anchored", True)
            else "no rf (default) of A is rated, so the ratings' mean is 1000"
        )
        + "); the interval resamples datasets; * it excludes 0"
        + (
            "."
            if marked
            else f" (none is marked on {datasets} datasets: a bootstrap over fewer than "
            f"{MIN_DATASETS} has a handful of distinct resamples)."
        )
        + (
            " 'unbounded': a method that won (or lost) every battle it had, or an interval's "
            "end from resamples where one did; the number is the fit's penalty's, not a size."
            if any("unbounded" in cell for line in shown for cell in line)
            else ""
        )
        + (
            " Not rated in A or B, every cell failed there: "
            + ", ".join(changes.attrs["unrated"])
            + "."
            if changes.attrs.get("unrated")
            else ""
        ),
    ]
