"""The rank tests of the cross-dataset section: the Friedman test, the Nemenyi post-hoc test and
the critical-difference diagram, over the same methods as the board beside them (``rf
(default)``, ``rf (tuned)``...: :mod:`.aggregate`'s errors, failed cells filled by its rule),
plus the baseline, the floor every method is read against. One test per task: an accuracy
and an RMSE are not ranked together. So the average ranks said here are the board's, the
baseline's place aside."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from treesvsnets.estimators.base import BASELINE_FAMILY
from treesvsnets.reports import plots
from treesvsnets.reports.aggregate import Aggregate
from treesvsnets.reports.layout import Figure, save_figure
from treesvsnets.reports.methods import error_of, method_name
from treesvsnets.reports.scores import dataset_errors
from treesvsnets.reports.stats import rank_test
from treesvsnets.results.row import DEFAULT
from treesvsnets.tasks import CLASSIFICATION, TASKS, primary, task_of


def baseline_errors(rows: pd.DataFrame, task: str, metric: str | None) -> pd.DataFrame:
    """The baseline's mean error on each dataset of ``task`` (datasets by its methods), judged
    as :func:`~treesvsnets.reports.aggregate.error_table` judges the methods."""
    tasks = rows["task"].map(task_of) if "task" in rows else CLASSIFICATION
    floor = rows[(rows["family"] == BASELINE_FAMILY) & (rows["status"] == "ok") & (tasks == task)]
    if floor.empty:
        return pd.DataFrame()
    judged = primary(task, metric)
    tuning = floor["tuning"] if "tuning" in floor else [DEFAULT] * len(floor)
    return floor.assign(
        error=error_of(judged, floor[judged.column]),
        method=[method_name(e, t) for e, t in zip(floor["estimator"], tuning, strict=True)],
    ).pivot_table(index="dataset", columns="method", values="error", aggfunc="mean")


def rank_statistics(
    result: Aggregate, rows: pd.DataFrame, metric: str | None, run_dir: Path | None
) -> tuple[list[str], list[Figure]]:
    """The Friedman/Nemenyi sentences and, with ``run_dir``, the critical-difference diagram of
    each task, over ``result``'s methods and the baseline of ``rows``."""
    sentences: list[str] = []
    figures: list[Figure] = []
    tasks = [task for task in TASKS if (result.table["task"] == task).any()]
    for task in tasks:
        errors = dataset_errors(result.table[result.table["task"] == task])
        floor = baseline_errors(rows, task, metric)
        if not floor.empty:
            errors = errors.join(floor)
        label = primary(task, metric).label
        prefix = f"{task[0].upper() + task[1:]} datasets ({label}): " if len(tasks) > 1 else ""
        ranks = rank_test(errors, higher_is_better=False)
        if ranks is not None:
            sentences.append(prefix + ranks.sentence())
            sentences.append(
                f"{prefix}average ranks (1 = best {label}): "
                + ", ".join(f"{name} {rank:.2f}" for name, rank in ranks.average_ranks.items())
            )
            if run_dir:
                name = "critical-difference" + ("" if task == CLASSIFICATION else f"-{task}")
                figures.append(
                    Figure(
                        f"{prefix}critical-difference diagram: methods joined by a bar are not "
                        "told apart by the Nemenyi test.",
                        save_figure(partial(plots.critical_difference, ranks), run_dir, name),
                    )
                )
        elif len(errors) == 2:
            sentences.append(
                f"{prefix}across datasets: a Friedman/Nemenyi comparison needs at least 3 "
                f"datasets (this run has {len(errors)})."
            )
    return sentences, figures
