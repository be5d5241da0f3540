"""Aggregate result rows into one leaderboard per dataset."""

from __future__ import annotations

import pandas as pd

#: Columns averaged over a (dataset, estimator)'s successful cells.
MEAN_COLUMNS = (
    "accuracy",
    "balanced_accuracy",
    "f1_macro",
    "log_loss",
    "fit_seconds",
    "predict_seconds",
    "predict_ms_per_1k",
    "peak_rss_mb",
)

#: The leaderboard's columns, in order.
BOARD_COLUMNS = (
    "dataset",
    "rank",
    "estimator",
    "family",
    "accuracy",
    "accuracy_std",
    "accuracy_ci_low",
    "accuracy_ci_high",
    *MEAN_COLUMNS[1:],
    "vs_baseline",
    "baseline_p",
    "cells",
    "cells_ok",
    "failures",
)


def leaderboard(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, estimator): means over successful cells, std of accuracy, a 95%
    bootstrap interval of the mean accuracy, rank, and whether it is significantly more
    accurate than the run's baseline (``vs_baseline``, see :mod:`treesvsnets.reports.baseline`).

    Estimators whose cells all failed stay in the table (no rank, their
    status counts say what happened) rather than silently disappearing.
    """
    from treesvsnets.reports.baseline import compare_to_baseline
    from treesvsnets.reports.stats import bootstrap_ci

    if rows.empty:
        return pd.DataFrame(columns=list(BOARD_COLUMNS))
    groups = []
    for (dataset, estimator), group in rows.groupby(["dataset", "estimator"], sort=False):
        ok = group[group["status"] == "ok"]
        entry = {
            "dataset": dataset,
            "estimator": estimator,
            "family": group["family"].iloc[0],
            "cells": len(group),
            "cells_ok": len(ok),
            "accuracy_std": ok["accuracy"].std(ddof=1) if len(ok) > 1 else float("nan"),
            "failures": ", ".join(
                f"{count} {status}"
                for status, count in group.loc[group["status"] != "ok", "status"]
                .value_counts()
                .items()
            ),
        }
        for column in MEAN_COLUMNS:
            entry[column] = pd.to_numeric(ok[column], errors="coerce").mean()
        entry["accuracy_ci_low"], entry["accuracy_ci_high"] = bootstrap_ci(ok["accuracy"])
        groups.append(entry)
    board = pd.DataFrame(groups)
    board["rank"] = board.groupby("dataset")["accuracy"].rank(ascending=False, method="min")
    against = {(c.dataset, c.estimator): c for c in compare_to_baseline(rows)}
    keys = list(zip(board["dataset"].astype(str), board["estimator"].astype(str), strict=True))
    board["vs_baseline"] = [against[k].mark() if k in against else "" for k in keys]
    board["baseline_p"] = [against[k].p_value if k in against else float("nan") for k in keys]
    board = board.sort_values(["dataset", "rank", "fit_seconds"], na_position="last")
    return board[list(BOARD_COLUMNS)].reset_index(drop=True)


def display_table(board: pd.DataFrame) -> pd.DataFrame:
    """The leaderboard as human-readable strings (one table per dataset is cut from it)."""

    def number(value: float, digits: int) -> str:
        return "" if pd.isna(value) else f"{value:.{digits}f}"

    shown = pd.DataFrame(
        {
            "rank": [("" if pd.isna(r) else str(int(r))) for r in board["rank"]],
            "estimator": board["estimator"],
            "family": board["family"],
            "accuracy": [
                "failed" if pd.isna(m) else f"{m:.4f} ± {0.0 if pd.isna(s) else s:.4f}"
                for m, s in zip(board["accuracy"], board["accuracy_std"], strict=True)
            ],
            "95% CI": [
                "" if pd.isna(low) else f"{low:.4f}–{high:.4f}"
                for low, high in zip(
                    board["accuracy_ci_low"], board["accuracy_ci_high"], strict=True
                )
            ],
            "balanced acc": [number(v, 4) for v in board["balanced_accuracy"]],
            "macro F1": [number(v, 4) for v in board["f1_macro"]],
            "log loss": [number(v, 4) for v in board["log_loss"]],
            "fit s": [number(v, 3) for v in board["fit_seconds"]],
            "predict s": [number(v, 4) for v in board["predict_seconds"]],
            "ms/1k rows": [number(v, 2) for v in board["predict_ms_per_1k"]],
            "peak MB": [number(v, 0) for v in board["peak_rss_mb"]],
            "vs baseline": board["vs_baseline"],
            "cells ok": [
                f"{ok}/{n}" for ok, n in zip(board["cells_ok"], board["cells"], strict=True)
            ],
            "failures": board["failures"],
        },
        index=board.index,
    )
    for column in ("failures", "vs baseline"):
        if not shown[column].astype(bool).any():
            shown = shown.drop(columns=column)
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
