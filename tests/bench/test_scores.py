"""The cell's scores are scikit-learn's: computed from one confusion matrix and the ranks of
the probabilities, they equal what scikit-learn's metric functions give on the same fold,
for two classes and ten, with classes absent from the fold or never predicted, ties, and
probabilities of 0 and 1."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from sklearn import metrics
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from treesvsnets.bench.cells.metrics import roc_auc, score


def _sklearn_scores(y_true, y_pred, proba, n_classes):
    labels = np.arange(n_classes)
    present = np.unique(y_true)
    if n_classes == 2:
        auc = metrics.roc_auc_score(y_true == 1, proba[:, 1])
    else:
        indicator = (y_true[:, None] == present[None, :]).astype(int)
        auc = metrics.roc_auc_score(indicator, proba[:, present], average="macro")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        balanced = metrics.balanced_accuracy_score(y_true, y_pred)
    return {
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "balanced_accuracy": balanced,
        "f1_macro": metrics.f1_score(
            y_true, y_pred, labels=labels, average="macro", zero_division=0
        ),
        "roc_auc": auc,
        "log_loss": metrics.log_loss(y_true, proba, labels=labels),
        "confusion": metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "warnings": sorted(str(w.message) for w in caught),
    }


def _fold(rng, n_rows, n_classes, *, absent=(), rounded=False, extreme=False):
    """A random fold: true codes (``absent`` classes never true), noisy predicted labels and
    probabilities that lean towards the truth."""
    classes = np.setdiff1d(np.arange(n_classes), absent)
    y_true = rng.choice(classes, n_rows)
    logits = rng.normal(size=(n_rows, n_classes)) + 2.0 * np.eye(n_classes)[y_true]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    if rounded:  # many ties, as a forest's votes give
        proba = np.round(proba, 1)
        proba[:, 0] += 1 - proba.sum(axis=1)
        proba = np.clip(proba, 0, 1)
        proba /= proba.sum(axis=1, keepdims=True)
    if extreme:
        proba[: n_rows // 4] = np.eye(n_classes)[y_true[: n_rows // 4]]
        proba[n_rows // 4 : n_rows // 3] = np.eye(n_classes)[
            (y_true[n_rows // 4 : n_rows // 3] + 1) % n_classes
        ]
    return y_true, np.argmax(proba, axis=1), proba


CASES = {
    "two classes": {"n_classes": 2},
    "ten classes": {"n_classes": 10},
    "a class absent": {"n_classes": 5, "absent": (3,)},
    "ties": {"n_classes": 4, "rounded": True},
    "ties, two classes": {"n_classes": 2, "rounded": True},
    "probabilities of 0 and 1": {"n_classes": 3, "extreme": True},
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("n_rows", [7, 360])
def test_each_score_is_scikit_learns(case, n_rows):
    rng = np.random.default_rng(n_rows)
    options = dict(CASES[case])
    n_classes = options.pop("n_classes")
    for _ in range(5):
        y_true, y_pred, proba = _fold(rng, n_rows, n_classes, **options)
        if len(np.unique(y_true)) < 2:
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ours = score(y_true, y_pred, proba, n_classes)
        ours["warnings"] = sorted(str(w.message) for w in caught)
        expected = _sklearn_scores(y_true, y_pred, proba, n_classes)
        assert json.loads(ours.pop("confusion")) == expected.pop("confusion")
        auc = ours.pop("roc_auc")
        assert auc == pytest.approx(expected.pop("roc_auc"), rel=1e-12, abs=1e-15)
        assert ours == expected  # the same floats, to the last bit, and the same warnings


def test_a_real_models_fold_scores_as_scikit_learn_scores_it():
    X, y = load_digits(return_X_y=True)
    model = LogisticRegression(max_iter=300).fit(X[:1400] / 16, y[:1400])
    proba = model.predict_proba(X[1400:] / 16)
    y_true, y_pred = y[1400:], model.predict(X[1400:] / 16)
    ours = score(y_true, y_pred, proba, 10)
    expected = _sklearn_scores(y_true, y_pred, proba, 10)
    assert ours["roc_auc"] == pytest.approx(expected["roc_auc"], rel=1e-12)
    assert ours["log_loss"] == expected["log_loss"]
    assert ours["f1_macro"] == expected["f1_macro"]


def test_codes_of_any_dtype_and_probabilities_as_lists_score_alike():
    """Class codes as floats or small integers, probabilities as a list: the same scores."""
    y_true, y_pred, proba = _fold(np.random.default_rng(3), 40, 3)
    expected = score(y_true, y_pred, proba, 3)
    for codes in (np.float64, np.int32, np.uint8):
        assert score(y_true.astype(codes), y_pred.astype(codes), proba.tolist(), 3) == expected


def test_a_predicted_class_the_fold_lacks_warns_as_scikit_learn_warns():
    y_true, y_pred = np.array([0, 0, 1, 1]), np.array([0, 2, 1, 1])
    with pytest.warns(UserWarning, match="y_pred contains classes not in y_true"):
        ours = score(y_true, y_pred, None, 3)
    with pytest.warns(UserWarning, match="y_pred contains classes not in y_true"):
        assert ours["balanced_accuracy"] == metrics.balanced_accuracy_score(y_true, y_pred)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a class neither true nor predicted: no warning
        score(np.array([0, 1, 1]), np.array([0, 1, 0]), None, 3)


def test_one_class_in_the_fold_has_no_roc_auc():
    assert roc_auc(np.array([1, 1, 1]), np.array([[0.2, 0.8]] * 3)) is None
