"""PooledStackingClassifier predicts exactly what scikit-learn's StackingClassifier predicts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.ensemble import AdaBoostClassifier, RandomForestClassifier, StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from treesvsnets.estimators.stacking import PooledStackingClassifier


def _members(drop_one: bool = False) -> list:
    return [
        ("rf", RandomForestClassifier(n_estimators=15, random_state=0)),
        ("tree", "drop" if drop_one else DecisionTreeClassifier(max_depth=3, random_state=1)),
        ("ada", AdaBoostClassifier(n_estimators=10, random_state=2)),
    ]


@pytest.mark.parametrize(
    ("n_jobs", "drop_one", "weighted", "passthrough"),
    [(1, False, False, False), (2, False, True, False), (2, True, False, True)],
)
def test_pooled_stacking_equals_scikit_learn(n_jobs, drop_one, weighted, passthrough):
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)  # passthrough hands X to the final estimator
    labels = np.array(["barolo", "grignolino", "barbera"])[y]  # string labels are encoded alike
    fit_params = {"sample_weight": np.linspace(0.5, 2.0, len(y))} if weighted else {}
    settings = dict(
        final_estimator=LogisticRegression(max_iter=2000),
        cv=4,
        n_jobs=n_jobs,
        passthrough=passthrough,
    )
    ours = PooledStackingClassifier(_members(drop_one), **settings).fit(X, labels, **fit_params)
    reference = StackingClassifier(_members(drop_one), **settings).fit(X, labels, **fit_params)

    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X))
    np.testing.assert_array_equal(ours.predict(X), reference.predict(X))
    np.testing.assert_array_equal(ours.classes_, reference.classes_)
    assert list(ours.named_estimators_) == list(reference.named_estimators_)
    assert ours.stack_method_ == reference.stack_method_
    np.testing.assert_allclose(ours.transform(X), reference.transform(X))


def test_pooled_stacking_hands_prefit_members_to_scikit_learn():
    X, y = load_wine(return_X_y=True)
    fitted = [(name, est.fit(X, y)) for name, est in _members() if est != "drop"]
    ours = PooledStackingClassifier(fitted, cv="prefit").fit(X, y)
    assert ours.score(X, y) > 0.9
