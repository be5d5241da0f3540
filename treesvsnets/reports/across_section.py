"""The report's cross-dataset section, for a run (or runs) over 2 or more datasets: the
verdict paragraph, the board of methods (Elo with its interval, win rate, average rank,
normalized scores, improvability, seconds per 1,000 rows, imputed share), its legend, each
task's own Elo, the rank tests over the same methods (:mod:`.across_ranks`) and its figures.

A method is an estimator under one protocol (``rf (default)``, ``rf (tuned)``), each task
judged by the run's metric (:mod:`.aggregate`); the baseline fills failures and is not rated.
What the paragraph knows of each dataset (task, rows, image/sequence/table, categorical
columns) comes from the manifest's description of it (:func:`dataset_facts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from treesvsnets.reports import across_plots
from treesvsnets.reports.across_ranks import rank_statistics
from treesvsnets.reports.aggregate import ANCHOR, ANCHOR_ELO, Aggregate, aggregate, elo_fit
from treesvsnets.reports.layout import Figure, save_figure
from treesvsnets.reports.separation import FAR_END, interval_words
from treesvsnets.reports.verdict import DatasetFacts, verdict
from treesvsnets.tasks import TASKS, primary, task_of


@dataclass
class AcrossSection:
    """The verdict, the board (display strings) and the figures of the cross-dataset section."""

    verdict: str
    table: pd.DataFrame
    figures: list[Figure] = field(default_factory=list)
    result: Aggregate | None = None
    by_task: list[str] = field(default_factory=list)  # each task's own Elo, when both ran
    legend: str = ""  # what the board's columns mean, and how failures are filled
    statistics: list[str] = field(default_factory=list)  # Friedman/Nemenyi, per task


def dataset_facts(described: list[dict[str, Any]]) -> dict[str, DatasetFacts]:
    """Each dataset's task, rows, kind and categorical columns, from the manifest's entries."""
    facts = {}
    for entry in described:
        kind = (
            "image"
            if entry.get("image_shape")
            else "sequence"
            if entry.get("sequence_shape")
            else "table"
        )
        facts[entry["name"]] = DatasetFacts(
            task=task_of(entry.get("task")),
            rows=int(entry.get("n_samples") or 0),
            kind=kind,
            categorical=bool(entry.get("categorical_columns")),
        )
    return facts


def display(result: Aggregate) -> pd.DataFrame:
    """The board as the report shows it: one row per method, best Elo first."""
    board = result.board
    n = result.n_datasets
    return pd.DataFrame(
        {
            "rank": range(1, len(board) + 1),
            "method": board.index,
            "family": board["family"],
            "Elo": [
                NO_BATTLE if v != v else f"{v:.0f}" + ("" if finite else " (unbounded)")
                for v, finite in zip(board["elo"], board["elo_bounded"], strict=True)
            ],
            "95% interval": [
                interval_words(v, lo, hi)
                for v, lo, hi in zip(board["elo"], board["elo_low"], board["elo_high"], strict=True)
            ],
            "win rate": board["win_rate"].map(lambda v: NO_BATTLE if v != v else f"{v:.0%}"),
            "avg rank": board["average_rank"].map(lambda v: f"{v:.2f}"),
            "normalized": board["normalized"].map(lambda v: f"{v:.3f}"),
            "normalized (Grinsztajn)": board["normalized_grinsztajn"].map(lambda v: f"{v:.3f}"),
            "improvability": [
                f"{v:.1%}" + (f" ({lo:.1%} to {hi:.1%})" if lo == lo else "")
                for v, lo, hi in zip(
                    board["improvability"],
                    board["improvability_low"],
                    board["improvability_high"],
                    strict=True,
                )
            ],
            "train s/1k rows": board["train_per_1k"].map(lambda v: f"{v:.3g}"),
            "predict s/1k rows": board["predict_per_1k"].map(lambda v: f"{v:.3g}"),
            "datasets": board["datasets"].map(lambda v: f"{v}/{n}"),
            "imputed": board["imputed"].map(lambda v: "" if v == 0 else f"[{v:.0%} imputed]"),
        }
    ).reset_index(drop=True)


#: what the board shows for a method without a battle (no rating, no win rate)
NO_BATTLE = "—"


def legend(result: Aggregate) -> str:
    """What the board's columns mean and how a failed cell is counted, as this board needs
    it said: the anchor the ratings hang from, far interval ends where there are some, and
    the imputation rule always (a reader must know it even when nothing was imputed)."""
    board = result.board
    anchored = ANCHOR in board.index
    sentences = [
        "**Elo**: a Bradley-Terry fit over every pair of methods on every dataset and fold (the "
        "lower error wins, a tie is half a win), each dataset weighing 1 whatever its folds; "
        + (
            f"{ANCHOR} = {ANCHOR_ELO:.0f}"
            if anchored
            else f"no {ANCHOR} in these runs, so the ratings' mean is {ANCHOR_ELO:.0f}"
        )
        + "; a 400-point gap is 10-to-1 odds. The interval: the central 95% of "
        f"{result.elo.samples.shape[0]} refits on datasets drawn with replacement.",
    ]
    if board["elo"].isna().any():
        sentences.append(
            f"**{NO_BATTLE}**: the method met no other rated method on any dataset (each ran "
            "on datasets of its own, or beside the baseline alone), so it has no battle to be "
            "rated by."
        )
    if not board[board["elo"].notna()]["elo_bounded"].all():
        sentences.append(
            "**(unbounded)**: the methods split into groups one of which won every battle "
            "between them, so these ratings have no finite maximum-likelihood value; the fit's "
            "tiny penalty keeps them finite, and the number says only which side of the others "
            "they are on, not by how much."
        )
    ends = pd.concat([board["elo"] - board["elo_low"], board["elo_high"] - board["elo"]])
    if (ends > FAR_END).any():
        sentences.append(
            f"An interval end written 'unbounded' (more than {FAR_END:.0f} points from its "
            "rating) comes from resamples in which that method won (or lost) every battle it "
            "had, where the likelihood has no finite maximum (a tiny penalty keeps it finite)."
        )
    sentences += [
        "**win rate**: the share of battles won, per dataset, averaged over datasets and "
        "opponents. **normalized**: per dataset, 1 at the best method and 0 at the median or "
        "worse (TabArena's); Grinsztajn's: 0 at the 90% quantile of the errors (regression: "
        "their median). **improvability**: how much lower the best error is, 1 − best / "
        "error, averaged over datasets (bootstrap interval). **s/1k rows**: seconds per 1,000 "
        "rows, the median over datasets; a tuned method's train time is its whole search.",
        "**Failed cells** (error, timeout, out of memory, crash) are never dropped: each takes "
        "the baseline's (dummy's) error on the same dataset, seed and fold (without a baseline, "
        "the worst error of any method there), and `[X% imputed]` is the share of a method's "
        "cells filled so; a method whose every cell failed is not rated and is named in the "
        "verdict. A method that did not run on a dataset is not imputed there: `datasets` says "
        "where it ran. The baseline itself is not rated.",
    ]
    return " ".join(sentences)


#: what each figure of the section shows, and the file it is saved as
_FIGURES = (
    (
        across_plots.elo_intervals,
        "elo",
        "Elo of each method (Bradley-Terry over every pair on every dataset and fold, each "
        "dataset weighing 1; rf (default) = 1000, or the ratings' mean where it did not run), "
        "with its 95% bootstrap interval over datasets.",
    ),
    (
        across_plots.win_rate_heatmap,
        "win-rates",
        "How often the row's method beats the column's (each dataset weighing 1).",
    ),
    (
        across_plots.normalized_heatmap,
        "normalized-scores",
        "Normalized score per dataset (TabArena's: 1 = the dataset's best, 0 = its median or "
        "worse).",
    ),
    (
        across_plots.elo_vs_train_time,
        "elo-vs-train-time",
        "Elo against train seconds per 1,000 rows, with the Pareto front (no method is both "
        "better and faster than one on it).",
    ),
)


def _by_task(result: Aggregate, metric: str | None) -> list[str]:
    """With both tasks in the run, each task's own Elo, in words (a task of one dataset: that
    dataset's answer, with no interval): the board above pools their battles, each on its own
    metric. Refitted on the board's own cells of that task (failures filled by the same rule;
    a method whose every cell of the task failed is left out there, as the board leaves out
    one whose every cell failed)."""
    table = result.table
    if table["task"].nunique() < 2:
        return []
    lines = []
    for task in TASKS:
        part = table[table["task"] == task]
        part = part[~part.groupby("method")["imputed"].transform("all")]
        if part["method"].nunique() < 2:
            continue  # nothing to rate against
        fit = elo_fit(part)
        order = np.argsort(-fit.ratings)
        low, high = fit.intervals()
        finite = fit.bounded
        ratings = ", ".join(
            f"{fit.methods[i]} {fit.ratings[i]:.0f}"
            + ("" if finite[i] else " (unbounded)")
            + (f" ({interval_words(fit.ratings[i], low[i], high[i])})" if low[i] == low[i] else "")
            for i in order
        )
        n = part["dataset"].nunique()
        lines.append(
            f"{task[0].upper() + task[1:]} datasets alone ({n}, judged by "
            f"{primary(task, metric).label}; {'no interval' if n < 2 else '95% intervals'}): "
            f"Elo {ratings}."
        )
    return lines


def across_section(
    rows: pd.DataFrame, described: list[dict[str, Any]], metric: str | None, run_dir: Path | None
) -> AcrossSection | None:
    """The section for the cell rows ``rows`` (default and tuned), None with fewer than 2
    datasets or nothing to rate; with ``run_dir``, its figures are drawn there."""
    if rows.empty or rows["dataset"].nunique() < 2:
        return None
    result = aggregate(rows, metric)
    if len(result.board) < 2 or result.n_datasets < 2:
        return None  # nothing to rate against: one method, or every cell failed
    facts = dataset_facts(described)
    section = AcrossSection(
        verdict(result, facts), display(result), result=result, legend=legend(result)
    )
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # as aggregate's fits: more threads only wait
        section.by_task = _by_task(result, metric)
    if run_dir is not None:
        section.figures = [
            Figure(caption, save_figure(partial(draw, result), run_dir, name))
            for draw, name, caption in _FIGURES
        ]
    section.statistics, diagrams = rank_statistics(result, rows, metric, run_dir)
    section.figures += diagrams
    return section
