"""--class-weight balanced: each estimator weighs classes the way it can, and it shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import treesvsnets

from ..helpers.tables import write_table


def _imbalanced_csv(tmp_path):
    """Two overlapping classes, 9 to 1: unweighted models favour the majority."""
    rng = np.random.default_rng(0)
    n_major, n_minor = 540, 60
    frame = pd.DataFrame(
        {
            "a": np.r_[rng.normal(0, 1, n_major), rng.normal(1.2, 1, n_minor)],
            "b": np.r_[rng.normal(0, 1, n_major), rng.normal(1.2, 1, n_minor)],
            "y": ["major"] * n_major + ["minor"] * n_minor,
        }
    )
    return write_table(frame, tmp_path / "imbalanced.csv")


def _run(tmp_path, path, **options):
    return treesvsnets.run(
        baseline=False,
        datasets=[str(path)],
        estimators=["logreg", "rf", "xgboost", "dense"],
        folds=3,
        params={"dense": {"epochs": 10}},
        isolate=False,
        progress=False,
        out=tmp_path / "runs",
        **options,
    ).rows.set_index(["estimator", "fold"])


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_balanced_class_weights_reach_every_estimator_and_raise_balanced_accuracy(tmp_path):
    path = _imbalanced_csv(tmp_path)
    plain = _run(tmp_path, path)
    weighted = _run(tmp_path, path, class_weight="balanced")

    assert set(plain["class_weight"]) == {"none"}
    how = weighted["class_weight"].groupby("estimator").first().to_dict()
    assert how == {
        "logreg": "balanced",
        "rf": "balanced",
        "xgboost": "balanced (sample_weight)",
        "dense": "balanced",
    }
    assert set(weighted["status"]) == {"ok"}
    for estimator in ("logreg", "xgboost", "dense"):
        before = plain.loc[estimator, "balanced_accuracy"].mean()
        after = weighted.loc[estimator, "balanced_accuracy"].mean()
        assert after > before + 0.03, (estimator, before, after)  # here: +0.18, +0.05, +0.21
