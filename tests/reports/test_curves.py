"""ROC and precision-recall curves from the out-of-fold probabilities a run's rows keep."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

import treesvsnets
from treesvsnets.reports.curves import (
    pooled_by_family,
    pooled_probabilities,
    precision_recall,
    roc,
)


@pytest.fixture(scope="module")
def curves_run(tmp_path_factory):
    """A real binary table and a real 3-class one, logreg and a small forest, 2 folds."""
    return treesvsnets.run(
        datasets=["breast_cancer", "iris"],
        estimators=["logreg", "rf"],
        folds=2,
        params={"rf": {"n_estimators": 10}},
        isolate=False,
        progress=False,
        out=tmp_path_factory.mktemp("curves"),
    )


def test_each_row_keeps_its_whole_test_fold_probabilities(curves_run):
    rows = curves_run.rows
    for _, row in rows[rows["dataset"] == "breast_cancer"].iterrows():
        kept = json.loads(row["predictions"])
        assert len(kept["true"]) == len(kept["proba"]) == row["n_test"]
        assert all(isinstance(p, float) for p in kept["proba"])  # binary: the positive's only
    iris = json.loads(rows.loc[rows["dataset"] == "iris", "predictions"].iloc[0])
    assert {len(p) for p in iris["proba"]} == {3}


@pytest.mark.parametrize("estimator", ["logreg", "rf", "dummy"])
def test_the_curves_auc_is_roc_auc_score_of_the_pooled_out_of_fold_probabilities(
    curves_run, estimator
):
    rows = curves_run.rows
    y, p = pooled_probabilities(rows[rows["dataset"] == "breast_cancer"], estimator)
    assert len(y) == 569  # every row once: the folds' test rows pooled
    assert roc(y, p).area == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert precision_recall(y, p).area == pytest.approx(average_precision_score(y, p))

    y, p = pooled_probabilities(rows[rows["dataset"] == "iris"], estimator)
    curve = roc(y, p)
    assert curve.area == pytest.approx(
        roc_auc_score(y, p, multi_class="ovr", average="macro"), abs=1e-12
    )
    assert np.all(np.diff(curve.x) >= 0) and curve.y[-1] == pytest.approx(1.0)
    assert precision_recall(y, p) is None  # multiclass: the macro ROC only


def test_the_report_of_a_binary_run_draws_roc_and_precision_recall_in_both_formats(curves_run):
    run_dir = curves_run.run_dir
    markdown = (run_dir / "report.md").read_text(encoding="utf-8")
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    for name in ("breast_cancer-roc", "breast_cancer-precision-recall", "iris-roc"):
        assert (run_dir / "figures" / f"{name}.png").stat().st_size > 1000
        assert f"](figures/{name}.png)" in markdown
    assert "iris-precision-recall" not in markdown  # multiclass: no precision-recall curve
    for caption in ("ROC curves, AUC in the legend", "Precision-recall curves of the positive"):
        assert caption in markdown and caption in page
    assert "One-vs-rest macro ROC curves" in markdown and "One-vs-rest macro ROC curves" in page
    assert markdown.count("![") == page.count("<img")


def test_a_familys_best_without_probabilities_leaves_its_curve_to_the_next(curves_run):
    """A model without predict_proba ranked first of its family (a plugin tied with logreg):
    the family had no curve at all, though logreg has probabilities."""
    import pandas as pd

    rows = curves_run.rows[curves_run.rows["dataset"] == "breast_cancer"]
    unscored = rows[rows["estimator"] == "logreg"].assign(estimator="noproba", predictions=None)
    rows = pd.concat([rows, unscored], ignore_index=True)
    assert pooled_probabilities(rows, "noproba") is None
    ranked = pd.Series({"linear": ["noproba", "logreg"], "ensemble": ["rf"]})
    pooled = pooled_by_family(rows, ranked)
    assert list(pooled) == ["logreg (best linear with probabilities)", "rf (best ensemble)"]
    np.testing.assert_array_equal(
        pooled["logreg (best linear with probabilities)"][1],
        pooled_probabilities(rows, "logreg")[1],
    )
