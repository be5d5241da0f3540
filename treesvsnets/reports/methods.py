"""What the cross-dataset reports rate: a *method*, an estimator under one protocol (``"rf
(default)"``, ``"rf (tuned)"``: :func:`method_name`), by its error (:func:`error_of`).

Some estimators are bound to one task: the linear baseline is ``logreg`` on a classification
dataset and ``ridge`` on a regression one (``-e linear`` asks for both). In a run with both
tasks they would be two methods that never meet: each rated on its own datasets only, the
family spoken for by whichever rates higher on its part, and the other task left without an
answer. :func:`task_counterparts` joins them into one method, ``"logreg/ridge (default)"``,
as the family's estimator for each task: within a family and protocol, the estimators that
ran on one task only are joined when each task has exactly one of them and there are two
tasks or more (an estimator that ran on both tasks, rf, stays as it is). A run of one task
has nothing to join. The baseline is not a method and is never joined.
"""

from __future__ import annotations

import pandas as pd

from treesvsnets.estimators.base import BASELINE_FAMILY
from treesvsnets.results.row import DEFAULT
from treesvsnets.tasks import TASKS, Metric

#: between the names of the estimators joined into one method
JOIN = "/"


def method_name(estimator: str, tuning: str | None) -> str:
    """An estimator under one protocol: ``"rf (default)"``, ``"rf (tuned)"``."""
    return f"{estimator} ({tuning or DEFAULT})"


def error_of(metric: Metric, values: pd.Series) -> pd.Series:
    """Scores turned into errors, lower is better: a higher-is-better score (at most 1:
    accuracy, ROC-AUC, R²...) becomes 1 − score."""
    values = pd.to_numeric(values, errors="coerce").astype(float)
    return 1.0 - values if metric.higher_is_better else values


def task_counterparts(frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(estimator, tuning) -> the joined name (``"logreg/ridge"``) of each estimator joined
    with its counterparts of the other tasks (see the module's docstring); ``frame`` holds
    ``estimator``, ``family``, ``tuning`` and ``task`` (each task's name) per row."""
    rated = frame[frame["family"] != BASELINE_FAMILY]
    tasks_of = rated.groupby(["family", "tuning", "estimator"], sort=False)["task"].unique()
    joined: dict[tuple[str, str], str] = {}
    for (_, tuning), part in tasks_of.groupby(level=["family", "tuning"], sort=False):
        bound = {key[2]: tasks[0] for key, tasks in part.items() if len(tasks) == 1}
        by_task = pd.Series(bound, dtype=object).value_counts()
        if len(by_task) < 2 or (by_task > 1).any():
            continue
        order = sorted(bound, key=lambda estimator: _task_order(bound[estimator]))
        name = JOIN.join(order)
        joined.update({(estimator, tuning): name for estimator in order})
    return joined


def _task_order(task: str) -> int:
    return TASKS.index(task) if task in TASKS else len(TASKS)
