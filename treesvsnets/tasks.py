"""The two learning tasks, and the score each one is ranked by.

A dataset has a task (``Dataset.task``); splits, metrics, ranking direction, plots and
statistics read it from there. Each score is a :class:`Metric` (its column, its label in a
report, its direction): a task ranks by :data:`PRIMARY` (accuracy, higher is better; RMSE,
lower is better) and shows the others of :data:`SECONDARY`. This module imports nothing of
the project, so every layer may use it.

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
        sign = "+" if signed and value >= 0 else ""
        if not self.in_target_units:
            return f"{sign}{value:.{self.digits}f}"
        return sign + significant(value, digits or 4)


def significant(value: float, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits, in plain notation: 0.4879, 54.59, 45231."""
    if value == 0 or not math.isfinite(value):
        return f"{value:.{digits}f}" if value == 0 else str(value)
    magnitude = math.floor(math.log10(abs(value)))
    return f"{value:.{max(0, digits - 1 - magnitude)}f}"


ACCURACY = Metric("accuracy", "accuracy", True)
BALANCED_ACCURACY = Metric("balanced_accuracy", "balanced acc", True)
F1_MACRO = Metric("f1_macro", "macro F1", True)
LOG_LOSS = Metric("log_loss", "log loss", False)
RMSE = Metric("rmse", "RMSE", False, in_target_units=True)
MAE = Metric("mae", "MAE", False, in_target_units=True)
R2 = Metric("r2", "R²", True)

#: the score each task ranks by
PRIMARY = {CLASSIFICATION: ACCURACY, REGRESSION: RMSE}
#: the task's other scores, in the order a leaderboard shows them
SECONDARY = {CLASSIFICATION: (BALANCED_ACCURACY, F1_MACRO, LOG_LOSS), REGRESSION: (R2, MAE)}
#: every score column of every task
SCORE_COLUMNS = tuple(
    metric.column for task in TASKS for metric in (PRIMARY[task], *SECONDARY[task])
)


def task_of(value: object) -> str:
    """A row's or a manifest's task; rows written before regression existed have none and
    are classification."""
    return value if value in TASKS else CLASSIFICATION  # type: ignore[return-value]


def primary(task: object) -> Metric:
    return PRIMARY[task_of(task)]
