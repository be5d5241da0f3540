"""The two learning tasks, and the score each one is ranked by.

A dataset has a task (``Dataset.task``); splits, metrics, ranking direction, plots and
statistics read it from there. This module imports nothing, so every layer may use it.
"""

from __future__ import annotations

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

    def better(self, a: float, b: float) -> bool:
        """Whether score ``a`` is better than ``b``."""
        return a > b if self.higher_is_better else a < b

    def improvement(self, difference: float) -> float:
        """A difference ``a - b`` turned so that positive means ``a`` is better."""
        return difference if self.higher_is_better else -difference


ACCURACY = Metric("accuracy", "accuracy", True)
BALANCED_ACCURACY = Metric("balanced_accuracy", "balanced acc", True)
F1_MACRO = Metric("f1_macro", "macro F1", True)
LOG_LOSS = Metric("log_loss", "log loss", False)
RMSE = Metric("rmse", "RMSE", False)
MAE = Metric("mae", "MAE", False)
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
