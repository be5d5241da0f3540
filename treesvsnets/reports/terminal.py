"""What a finished run prints in a terminal (``treesvsnets run`` and ``report``): each
dataset's leaderboard (defaults, after tuning when the run tuned, and after ensembling with
``--ensemble``), then the sentences
that warn of estimators not better than the baseline and of nets whose training diverged.
``metric`` is the run's setting (:attr:`~treesvsnets.results.folder.Manifest.metric`): the
score the leaderboards rank by and the baseline test reads, where it fits a dataset's task."""

from __future__ import annotations

import pandas as pd

from treesvsnets.reports.baseline import not_better_sentences
from treesvsnets.reports.divergence import divergence_sentences
from treesvsnets.reports.ensembles import after_ensembling, ensembled
from treesvsnets.reports.leaderboard import format_tables, leaderboard
from treesvsnets.reports.tuning import after_tuning, split_tuning, tuning_lines


def leaderboard_lines(rows: pd.DataFrame, metric: str | None = None) -> list[str]:
    """Each dataset's leaderboard as plain text, its tuning lines under it, the datasets in
    the order their rows came."""
    defaults, tuned = split_tuning(rows)
    after = format_tables(leaderboard(after_tuning(rows), metric), "simple") if len(tuned) else {}
    ensembles = ensembled(rows)
    last = (
        format_tables(leaderboard(after_ensembling(rows), metric), "simple")
        if len(ensembles)
        else {}
    )
    lines = []
    tables = format_tables(leaderboard(defaults, metric), "simple")
    in_run_order = [str(name) for name in defaults["dataset"].unique() if str(name) in tables]
    for dataset in in_run_order:  # the order the run took them in (a suite's), not by name
        table = tables[dataset]
        lines.append(f"\n{dataset}" + (" (defaults)" if after else "") + f"\n{table}\n")
        if dataset in after:
            lines.append(f"{dataset} (after tuning)\n{after[dataset]}\n")
            lines += [f"  {line}" for line in tuning_lines(rows, dataset, metric)]
        if dataset in set(ensembles["dataset"]):
            lines.append(f"{dataset} (after tuning and ensembling)\n{last[dataset]}\n")
    return lines


def warning_sentences(rows: pd.DataFrame, metric: str | None = None) -> list[str]:
    """One sentence per estimator not better than the baseline, and per diverged net."""
    defaults, _ = split_tuning(rows)
    return [*not_better_sentences(defaults, metric=metric), *divergence_sentences(rows)]
