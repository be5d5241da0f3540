"""Which estimators the cross-dataset reports join into one method: a family's task-bound
estimators (logreg on classification, ridge on regression) in a run of both tasks."""

from __future__ import annotations

import pandas as pd

from treesvsnets.reports.methods import method_name, task_counterparts


def _frame(*cells: tuple[str, str, str, str]) -> pd.DataFrame:
    """(estimator, family, tuning, task) per row."""
    return pd.DataFrame(cells, columns=["estimator", "family", "tuning", "task"])


C, R = "classification", "regression"


def test_a_familys_estimator_of_each_task_is_joined_per_protocol():
    frame = _frame(
        ("ridge", "linear", "default", R),
        ("logreg", "linear", "default", C),
        ("logreg", "linear", "tuned", C),
        ("ridge", "linear", "tuned", R),
        ("rf", "ensemble", "default", C),
        ("rf", "ensemble", "default", R),
        ("dummy", "baseline", "default", C),
        ("dummy_reg", "baseline", "default", R),
    )
    assert task_counterparts(frame) == {
        ("logreg", "default"): "logreg/ridge",  # classification's first, whatever the order
        ("ridge", "default"): "logreg/ridge",
        ("logreg", "tuned"): "logreg/ridge",
        ("ridge", "tuned"): "logreg/ridge",
    }
    assert method_name("logreg/ridge", "tuned") == "logreg/ridge (tuned)"


def test_nothing_is_joined_where_a_task_has_two_candidates_or_one_task_ran():
    two_for_one_task = _frame(
        ("logreg", "linear", "default", C),
        ("svm", "linear", "default", C),
        ("ridge", "linear", "default", R),
    )
    assert task_counterparts(two_for_one_task) == {}
    assert task_counterparts(_frame(("logreg", "linear", "default", C))) == {}
    # a protocol of one side only: tuned logreg has no tuned ridge to join
    lone = _frame(("logreg", "linear", "tuned", C), ("ridge", "linear", "default", R))
    assert task_counterparts(lone) == {}
    # a net on both tasks stays itself; the image-only cnn has no regression counterpart
    nets = _frame(("dense", "deep", "default", C), ("dense", "deep", "default", R))
    nets = pd.concat([nets, _frame(("cnn", "deep", "default", C))])
    assert task_counterparts(nets) == {}
