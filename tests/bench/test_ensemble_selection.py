"""Greedy ensemble selection (bench/tune/selection.py): each vectorised score equals the one
a row gets (bench/cells/metrics.py), and the selection finds the known answer of constructed
predictions."""

from __future__ import annotations

import numpy as np
import pytest

from treesvsnets.bench.cells.metrics import regression_score, score
from treesvsnets.bench.tune.selection import blend, greedy_selection, scores_of
from treesvsnets.tasks import CLASSIFICATION, METRICS, REGRESSION, primary


def _probabilities(rng, models: int, rows: int, classes: int) -> np.ndarray:
    raw = rng.gamma(1.0, size=(models, rows, classes))
    return (raw / raw.sum(axis=2, keepdims=True)).astype(np.float32)


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")  # one never true
@pytest.mark.parametrize("classes", [2, 4])
@pytest.mark.parametrize("metric", [m.column for m in METRICS[CLASSIFICATION]])
def test_each_classification_score_is_the_rows_own(metric, classes):
    rng = np.random.default_rng(classes)
    proba = _probabilities(rng, 5, 300, classes)
    y = rng.integers(0, classes - (classes > 2), 300)  # with 4 classes, one is never true
    ours = scores_of(proba, y, primary(CLASSIFICATION, metric))
    for model, value in zip(proba, ours, strict=True):
        p = model.astype(np.float64)
        expected = score(y, p.argmax(axis=1), p, classes)[metric]
        assert value == pytest.approx(expected, rel=1e-6, abs=1e-9)  # float32 probabilities


@pytest.mark.parametrize("metric", [m.column for m in METRICS[REGRESSION]])
def test_each_regression_score_is_the_rows_own(metric):
    rng = np.random.default_rng(1)
    y = rng.normal(size=200)
    predictions = y[None, :] + rng.normal(scale=[[0.1], [0.5], [2.0]], size=(3, 200))
    ours = scores_of(predictions, y, primary(REGRESSION, metric))
    for model, value in zip(predictions, ours, strict=True):
        assert value == pytest.approx(regression_score(y, model)[metric], rel=1e-9)


def _complementary(rows: int = 200):
    """Labels, and the probabilities of three models: the first right (and confident) on the
    first half of the rows and unsure (0.45 on the true class) on the second, the second the
    other way round, the third better than either alone (right on 60% of the rows, 0.6 on
    the true class there and 0.4 elsewhere)."""
    y = np.arange(rows) % 2
    half = np.arange(rows) < rows // 2

    def model(true_probability: np.ndarray) -> np.ndarray:
        p_one = np.where(y == 1, true_probability, 1 - true_probability)
        return np.stack([1 - p_one, p_one], axis=1)

    first = model(np.where(half, 0.95, 0.45))
    second = model(np.where(half, 0.45, 0.95))
    third = model(np.where(np.arange(rows) % 5 < 3, 0.6, 0.4))
    return y, np.stack([first, second, third]).astype(np.float32)


@pytest.mark.parametrize("metric", ["accuracy", "log_loss", "roc_auc"])
def test_two_complementary_models_together_beat_either(metric):
    y, proba = _complementary()
    judged = primary(CLASSIFICATION, metric)
    alone = scores_of(proba, y, judged)
    chosen = greedy_selection(proba, y, judged, steps=10)
    assert chosen.counts[0] > 0 and chosen.counts[1] > 0
    assert all(judged.better(chosen.val_score, value) for value in alone[:2])
    assert chosen.val_score == pytest.approx(
        scores_of(blend(proba, chosen.weights)[None], y, judged)[0]
    )
    assert chosen.weights.sum() == pytest.approx(1.0)


def test_the_first_pick_is_the_best_single_model_and_the_kept_prefix_is_never_worse():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 500)
    proba = _probabilities(rng, 20, 500, 3)
    judged = primary(CLASSIFICATION, "log_loss")
    alone = scores_of(proba, y, judged)
    chosen = greedy_selection(proba, y, judged)
    assert chosen.path[0] == pytest.approx(alone.min())
    assert len(chosen.path) == 40
    assert chosen.val_score == pytest.approx(min(chosen.path))
    assert chosen.val_score <= alone.min()


def test_one_model_is_its_own_ensemble_and_none_is_refused():
    y = np.array([0.0, 1.0, 2.0])
    chosen = greedy_selection(np.array([[0.0, 1.0, 2.5]]), y, primary(REGRESSION))
    assert chosen.counts.tolist() == [1] and chosen.weights.tolist() == [1.0]
    with pytest.raises(ValueError, match="at least one"):
        greedy_selection(np.zeros((0, 3)), y, primary(REGRESSION))
