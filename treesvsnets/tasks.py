"""The two learning tasks, their scores, and the score each one is judged by.

A dataset has a task (``Dataset.task``); splits, metrics, ranking direction, plots and
statistics read it from there. Each score is a :class:`Metric` (its column, its label in a
report, its direction, whether it needs predicted probabilities); :data:`METRICS` are each
task's scores, all kept in every row. A task is judged by :data:`PRIMARY` (accuracy, higher
is better; RMSE, lower is better) unless a run chooses another with its ``metric`` setting:
:func:`primary` gives the judging score of a task under that choice (a choice applies to the
task whose score it is; the other task keeps its default unless the setting names one score
per task, ``roc_auc,mae``), :func:`others` the rest of the
task's scores, in the order a leaderboard shows them. This module imports nothing of the
project, so every layer may use it.

A task is only ever one of these two; a unit of work the executors run is a *job*
(:mod:`treesvsnets.bench.plan.jobs`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CLASSIFICATION = "classification"
REGRESSION = "regression"
TASKS = (CLASSIFICATION, REGRESSION)


@dataclass(frozen=True)
class Metric:
    """A per-row score: its column, how it is named in a report, and its direction."""

    column: str
    label: str
    higher_is_better: bool
    digits: int = 4
    in_target_units: bool = False  # RMSE, MAE: shown with significant digits, not decimals
    needs_proba: bool = False  # ROC-AUC, log loss: from predicted probabilities, never labels

    def better(self, a: float, b: float) -> bool:
        """Whether score ``a`` is better than ``b``."""
        return a > b if self.higher_is_better else a < b

    def improvement(self, difference: float) -> float:
        """A difference ``a - b`` turned so that positive means ``a`` is better."""
        return difference if self.higher_is_better else -difference

    def show(self, value: float, digits: int | None = None, signed: bool = False) -> str:
        """A value of this score as reports show it: fixed decimals for accuracy-like scores
        (0.9733), significant digits for those in the target's units (54.59, 45231); ``""``
        for a missing value."""
        if value is None or value != value:  # None or NaN
            return ""
        text = (
            f"{value:.{self.digits}f}"
            if not self.in_target_units
            else significant(value, digits or 4)
        )
        if text.startswith("-") and float(text) == 0:  # -0.00001 shows as 0.0000, not -0.0000
            text = text[1:]
        return ("+" if signed and not text.startswith("-") else "") + text


def significant(value: float, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits, in plain notation (0.4879, 54.59, 45231)
    from 0.0001 to below a billion, in scientific notation beyond (1.235e+12, 3.000e-07: a
    diverged model's error would otherwise fill a line with digits)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:.{digits}f}" if value == 0 else str(value)
    magnitude = math.floor(math.log10(abs(value)))
    if not -4 <= magnitude < 9:
        return f"{value:.{max(0, digits - 1)}e}"
    return f"{value:.{max(0, digits - 1 - magnitude)}f}"


ACCURACY = Metric("accuracy", "accuracy", True)
BALANCED_ACCURACY = Metric("balanced_accuracy", "balanced acc", True)
F1_MACRO = Metric("f1_macro", "macro F1", True)
ROC_AUC = Metric("roc_auc", "ROC-AUC", True, needs_proba=True)
LOG_LOSS = Metric("log_loss", "log loss", False, needs_proba=True)
RMSE = Metric("rmse", "RMSE", False, in_target_units=True)
MAE = Metric("mae", "MAE", False, in_target_units=True)
R2 = Metric("r2", "R²", True)

#: the score each task is judged by unless a run's ``metric`` setting chooses another
PRIMARY = {CLASSIFICATION: ACCURACY, REGRESSION: RMSE}
#: the task's other scores, in the order a leaderboard shows them
SECONDARY = {
    CLASSIFICATION: (BALANCED_ACCURACY, F1_MACRO, ROC_AUC, LOG_LOSS),
    REGRESSION: (R2, MAE),
}
#: every score of each task (a run's ``metric`` may be any of them), the default first
METRICS = {task: (PRIMARY[task], *SECONDARY[task]) for task in TASKS}
#: every score column of every task
SCORE_COLUMNS = tuple(metric.column for task in TASKS for metric in METRICS[task])


#: the help of the ``metric`` setting's flag (``--metric NAME``), naming every choice
METRIC_HELP = (
    "the score that ranks, tests, tunes and plots the datasets of its task: "
    + " or ".join(f"{', '.join(m.column for m in METRICS[task])} ({task})" for task in TASKS)
    + "; one per task separated by a comma (roc_auc,mae) chooses for both, else the other "
    "task keeps its default; every row keeps every score"
)
#: the defaults, as the flag's help says them
METRIC_DEFAULTS = f"{PRIMARY[CLASSIFICATION].column}; {PRIMARY[REGRESSION].column} for regression"


def task_of(value: object) -> str:
    """A row's or a manifest's task; rows written before regression existed have none and
    are classification."""
    return value if value in TASKS else CLASSIFICATION  # type: ignore[return-value]


def chosen_names(chosen: str | None) -> tuple[str, ...]:
    """The score names a run's ``metric`` setting holds: one (``roc_auc``), or one per task
    separated by a comma (``roc_auc,mae``); none for ``None``."""
    return tuple(name.strip() for name in chosen.split(",")) if chosen else ()


def primary(task: object, chosen: str | None = None) -> Metric:
    """The score ``task`` is judged by: the one of ``chosen`` (a run's ``metric`` setting:
    a column of :data:`METRICS`, or one per task such as ``roc_auc,mae``) that is one of the
    task's scores, else the task's default, so ``roc_auc`` judges a run's classification
    datasets while its regression ones keep RMSE, and ``roc_auc,mae`` chooses for both.
    ``None`` (a run recorded before the setting existed) is the default."""
    task = task_of(task)
    names = chosen_names(chosen)
    return next((m for m in METRICS[task] if m.column in names), PRIMARY[task])


def others(task: object, chosen: str | None = None) -> tuple[Metric, ...]:
    """The task's scores other than the one it is judged by, in the leaderboard's order."""
    judged = primary(task, chosen)
    return tuple(m for m in METRICS[task_of(task)] if m is not judged)


def metric_tasks(name: str) -> tuple[str, ...]:
    """The tasks whose score ``name`` is (none for an unknown name)."""
    return tuple(task for task in TASKS if any(m.column == name for m in METRICS[task]))


def metric_problem(chosen: str) -> str | None:
    """What is wrong with a ``metric`` setting, or None: each name must be a score of a task
    (:data:`METRICS`), and two names must be of different tasks."""
    names = chosen_names(chosen)
    unknown = [name for name in names if not metric_tasks(name)]
    if unknown or not names:
        return f"one of {metric_choices()}; or one per task separated by a comma (roc_auc,mae)"
    by_task = [metric_tasks(name)[0] for name in names]
    twice = next((task for task in TASKS if by_task.count(task) > 1), None)
    if twice is not None:
        return f"one score per task, but it names {by_task.count(twice)} {twice} scores"
    return None


def metric_off_task(chosen: str | None, tasks: set[str], whose: str) -> str | None:
    """The sentence refusing a ``metric`` setting one of whose names is a score of none of
    ``tasks`` (the tasks of ``whose`` datasets: "this run's"), or None."""
    for name in chosen_names(chosen):
        if not tasks & set(metric_tasks(name)):
            return (
                f"metric {name!r} is a {' and '.join(metric_tasks(name))} score, and {whose} "
                f"datasets are all {' and '.join(sorted(tasks))}; choose one of "
                f"{metric_choices()}."
            )
    return None


def metric_choices() -> str:
    """The names a run's ``metric`` may take, per task, with each default and direction
    (higher is better unless said): what a refused ``--metric`` lists."""

    def named(metric: Metric, task: str) -> str:
        said = ["default"] if metric is PRIMARY[task] else []
        said += [] if metric.higher_is_better else ["lower is better"]
        return metric.column + (f" ({', '.join(said)})" if said else "")

    return "; ".join(
        f"{', '.join(named(m, task) for m in METRICS[task])} for {task}" for task in TASKS
    )
