"""Aggregate result rows into one leaderboard per dataset, ranked by the score its task is
judged by (the run's ``metric`` where it fits the task, else accuracy, higher first; RMSE,
lower first).

:func:`leaderboard` gives, per (dataset, estimator), the means of every score, the std and
bootstrap interval of the judging score, the rank in its direction, ``vs_baseline`` and
``diverged`` (estimators whose cells all failed are kept); the board's ``metric`` column
names the judging score, which :func:`judged_by` reads back. :func:`display_table` and
:func:`format_tables` render it in the task's columns with tabulate (``simple`` for a
terminal, ``github`` for Markdown); a score that needs probabilities reads ``no
probabilities`` for an estimator that has none, instead of a blank."""

from __future__ import annotations

import math

import pandas as pd

from treesvsnets.tasks import SCORE_COLUMNS, TASKS, Metric, others, primary, task_of

#: Columns averaged over a (dataset, estimator)'s successful cells.
MEAN_COLUMNS = (
    *SCORE_COLUMNS,
    "fit_seconds",
    "predict_seconds",
    "predict_ms_per_1k",
    "peak_rss_mb",
)


def board_columns(metric: str | None = None) -> tuple[str, ...]:
    """The leaderboard's columns, in order, under the run's ``metric`` setting: the spread
    and 95% interval are those of each task's judging score (the other task's stay empty)."""
    spread = tuple(
        f"{primary(task, metric).column}_{suffix}"
        for task in TASKS
        for suffix in ("std", "ci_low", "ci_high")
    )
    return (
        "dataset",
        "task",
        "metric",
        "rank",
        "estimator",
        "family",
        *MEAN_COLUMNS,
        *spread,
        "vs_baseline",
        "baseline_p",
        "cells",
        "cells_ok",
        "failures",
        "diverged",
    )


def judged_by(board: pd.DataFrame) -> Metric:
    """The score a (one task's) leaderboard is ranked by, from its ``metric`` column."""
    if board.empty:
        return primary(None)
    metric = board["metric"].iloc[0] if "metric" in board else None
    return primary(board["task"].iloc[0], metric)


def leaderboard(rows: pd.DataFrame, metric: str | None = None) -> pd.DataFrame:
    """One row per (dataset, estimator): means over successful cells, the std and a 95%
    bootstrap interval of the mean of the score the dataset's task is judged by (``metric``,
    the run's setting, where it is one of the task's scores, else accuracy or RMSE), rank by
    that score, whether it is significantly better than the run's baseline (``vs_baseline``,
    see :mod:`treesvsnets.reports.baseline`), and how many of its cells diverged
    (``diverged``, see :mod:`treesvsnets.reports.divergence`).

    Estimators whose cells all failed stay in the table (no rank, their
    status counts say what happened) rather than silently disappearing.
    """
    from treesvsnets.reports.baseline import compare_to_baseline
    from treesvsnets.reports.divergence import diverged_counts
    from treesvsnets.reports.stats import bootstrap_ci

    columns = list(board_columns(metric))
    if rows.empty:
        return pd.DataFrame(columns=columns)
    groups = []
    for (dataset, estimator), group in rows.groupby(["dataset", "estimator"], sort=False):
        ok = group[group["status"] == "ok"]
        task = task_of(group["task"].iloc[0] if "task" in group else None)
        column = primary(task, metric).column
        scores = pd.to_numeric(ok.get(column, pd.Series(dtype=float)), errors="coerce")
        entry = {
            "dataset": dataset,
            "task": task,
            "metric": column,
            "estimator": estimator,
            "family": group["family"].iloc[0],
            "cells": len(group),
            "cells_ok": len(ok),
            f"{column}_std": scores.std(ddof=1) if len(ok) > 1 else float("nan"),
            "failures": ", ".join(
                f"{count} {status}"
                for status, count in group.loc[group["status"] != "ok", "status"]
                .value_counts()
                .items()
            ),
            "diverged": diverged_counts(group),
        }
        for mean in MEAN_COLUMNS:
            values = ok[mean] if mean in ok else pd.Series(dtype=float)
            entry[mean] = pd.to_numeric(values, errors="coerce").mean()
        entry[f"{column}_ci_low"], entry[f"{column}_ci_high"] = bootstrap_ci(scores)
        groups.append(entry)
    board = pd.DataFrame(groups).reindex(columns=columns)
    board["rank"] = board.index.map(
        {i: r for _, part in board.groupby("dataset", sort=False) for i, r in _ranks(part).items()}
    )
    against = {(c.dataset, c.estimator): c for c in compare_to_baseline(rows, metric)}
    keys = list(zip(board["dataset"].astype(str), board["estimator"].astype(str), strict=True))
    board["vs_baseline"] = [against[k].mark() if k in against else "" for k in keys]
    board["baseline_p"] = [against[k].p_value if k in against else float("nan") for k in keys]
    board = board.sort_values(["dataset", "rank", "fit_seconds"], na_position="last")
    return board[columns].reset_index(drop=True)


def _ranks(part: pd.DataFrame) -> pd.Series:
    """One dataset's ranks by its judging score (1 = best; ties share the best rank). An
    estimator some of whose cells failed ranks after every estimator with all its cells: its
    mean leaves out the folds it failed on, so it is not the same average."""
    metric = judged_by(part)
    complete = part["cells_ok"] >= part["cells"]
    ranks = part[metric.column].where(complete).rank(ascending=not metric.higher_is_better,
                                                     method="min")  # fmt: skip
    after = part[metric.column].where(~complete).rank(ascending=not metric.higher_is_better,
                                                      method="min")  # fmt: skip
    return ranks.fillna(after + int(ranks.notna().sum()))


def _shown(metric: Metric, values: pd.Series, board: pd.DataFrame) -> list[str]:
    """A score's cells; where a score that needs probabilities is missing though cells
    succeeded, the estimator has no ``predict_proba`` (a fold with one class present is the
    only other cause of a missing ROC-AUC: then log loss is there)."""
    without = board["cells_ok"].gt(0) & board["log_loss"].isna()
    return [
        "no probabilities" if metric.needs_proba and none and pd.isna(value) else metric.show(value)
        for value, none in zip(values, without, strict=True)
    ]


def display_table(board: pd.DataFrame) -> pd.DataFrame:
    """The leaderboard of one task as human-readable strings (one table per dataset is cut
    from it): its ranking score as mean ± std with the 95% interval, its other scores, the
    costs."""

    def number(value: float, digits: int) -> str:
        return "" if pd.isna(value) else f"{value:.{digits}f}"

    task = task_of(board["task"].iloc[0]) if len(board) else TASKS[0]
    ranking = judged_by(board)
    column = ranking.column
    scored = _shown(ranking, board[column], board)
    means, spreads = board[column], board[f"{column}_std"]
    shown = pd.DataFrame(
        {
            "rank": [("" if pd.isna(r) else str(int(r))) for r in board["rank"]],
            "estimator": board["estimator"],
            "family": board["family"],
            ranking.label: [
                ("failed" if shown == "" else shown)
                if pd.isna(m)
                else ranking.show(m)  # an infinite error: no spread to show, of any cell count
                if m in (math.inf, -math.inf)
                else f"{ranking.show(m)} (1 cell)"  # no spread: one fold, or one succeeded
                if pd.isna(s)
                else f"{ranking.show(m)} ± {ranking.show(s, 2)}"
                for m, s, shown in zip(means, spreads, scored, strict=True)
            ],
            "95% CI": [
                "" if pd.isna(low) else f"{ranking.show(low)}–{ranking.show(high)}"
                for low, high in zip(
                    board[f"{column}_ci_low"], board[f"{column}_ci_high"], strict=True
                )
            ],
            **{
                metric.label: _shown(metric, board[metric.column], board)
                for metric in others(task, ranking.column)
            },
            "fit s": [number(v, 3) for v in board["fit_seconds"]],
            "predict s": [number(v, 4) for v in board["predict_seconds"]],
            "ms/1k rows": [number(v, 2) for v in board["predict_ms_per_1k"]],
            "peak MB": [number(v, 0) for v in board["peak_rss_mb"]],
            "vs baseline": board["vs_baseline"],
            "cells ok": [
                f"{ok}/{n}" for ok, n in zip(board["cells_ok"], board["cells"], strict=True)
            ],
            "failures": board["failures"],
            "diverged": [
                f"{d}/{n}" if d else ""
                for d, n in zip(board["diverged"], board["cells"], strict=True)
            ],
        },
        index=board.index,
    )
    for name in ("failures", "vs baseline", "diverged"):
        if not shown[name].astype(bool).any():
            shown = shown.drop(columns=name)
    return shown


def format_tables(board: pd.DataFrame, table_format: str) -> dict[str, str]:
    """dataset -> the leaderboard rendered by tabulate (``simple`` for a terminal, ``github``)."""
    from tabulate import tabulate

    tables = {}
    for dataset, part in board.groupby("dataset", sort=False):
        shown = display_table(part)
        tables[str(dataset)] = tabulate(
            shown.to_dict("list"), headers="keys", tablefmt=table_format, disable_numparse=True
        )
    return tables
