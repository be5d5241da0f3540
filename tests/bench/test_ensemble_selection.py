"""Greedy ensemble selection (bench/tune/selection.py): each vectorised score equals the one
a row gets (bench/cells/metrics.py), and the selection finds the known answer of constructed
predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from treesvsnets.bench.cells.metrics import regression_score, roc_auc, score
from treesvsnets.bench.tune.path_scores import mann_whitney
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


def _reference_best(scores: list[float], higher: bool) -> int:
    """The lowest index among the scores within 1e-12 (relative) of the best one."""
    signed = np.array([s if higher else -s for s in scores])
    top = signed.max()
    return int(np.flatnonzero(signed >= top - 1e-12 * abs(top))[0])


def _reference_selection(predictions, row_score, higher: bool, steps: int):
    """Caruana's selection written plainly: each step scores every model's ensemble with the
    chosen ones, ``(sum of the chosen + the model) / size`` in float64, by ``row_score``
    (what a result row computes, with scikit-learn)."""
    total = np.zeros(predictions.shape[1:])
    picks, path = [], []
    for size in range(1, steps + 1):
        scores = [row_score((total + model.astype(np.float64)) / size) for model in predictions]
        picks.append(_reference_best(scores, higher))
        path.append(scores[picks[-1]])
        total += predictions[picks[-1]]
    counts = np.bincount(picks[: _reference_best(path, higher) + 1], minlength=len(predictions))
    return counts, path, row_score(blend(predictions, counts))


def _coarse_models(rng, models: int, rows: int, classes: int) -> np.ndarray:
    """Probabilities in eighths (ties between classes, rows and models), some models
    repeated, some rows certain (0 on the true class of some)."""
    raw = rng.integers(0, 4, size=(models, rows, classes)).astype(np.float64)
    raw[:, : rows // 10] = 0
    raw[:, : rows // 10, 0] = 1  # certain rows
    raw[raw.sum(axis=2) == 0, 0] = 1
    proba = raw / raw.sum(axis=2, keepdims=True)
    proba = np.round(proba * 8) / 8
    proba /= proba.sum(axis=2, keepdims=True)
    proba[3], proba[7] = proba[1], proba[5]  # the same trial twice
    return proba.astype(np.float32)


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
@pytest.mark.filterwarnings("ignore:The y_prob values do not sum to one")
@pytest.mark.parametrize(("classes", "absent"), [(2, 0), (10, 0), (10, 1)])
@pytest.mark.parametrize("metric", [m.column for m in METRICS[CLASSIFICATION]])
def test_the_selection_is_a_plain_loop_over_scikit_learns_scores(metric, classes, absent):
    """The fast scores (bench/tune/path_scores.py) choose what scoring every candidate's
    ensemble with scikit-learn chooses: members, weights, path and validation score."""
    rng = np.random.default_rng(classes + absent)
    rows = 300
    proba = _coarse_models(rng, 12, rows, classes)
    y = rng.integers(0, classes - absent, rows)
    judged = primary(CLASSIFICATION, metric)

    def row_score(p):  # as bench/cells/metrics.py's score computes it, one metric only
        if metric == "roc_auc":
            return roc_auc(y, p)
        if metric == "log_loss":
            return float(sk.log_loss(y, p, labels=np.arange(classes)))
        predicted = p.argmax(axis=1)
        if metric == "f1_macro":
            labels = np.arange(classes)
            return float(sk.f1_score(y, predicted, labels=labels, average="macro", zero_division=0))
        return float(getattr(sk, f"{metric}_score")(y, predicted))

    counts, path, val_score = _reference_selection(proba, row_score, judged.higher_is_better, 12)
    chosen = greedy_selection(proba, y, judged, steps=12)
    assert chosen.counts.tolist() == counts.tolist()
    assert chosen.weights.tolist() == (counts / counts.sum()).tolist()
    if metric == "roc_auc":  # exact pair counts here, trapezoids in scikit-learn
        assert chosen.path == pytest.approx(path, rel=1e-12)
        assert chosen.val_score == pytest.approx(val_score, rel=1e-12)
    else:
        assert list(chosen.path) == path
        assert chosen.val_score == val_score


@pytest.mark.parametrize("metric", [m.column for m in METRICS[REGRESSION]])
def test_the_regression_selection_is_a_plain_loop_over_scikit_learns_scores(metric):
    rng = np.random.default_rng(5)
    y = np.round(rng.normal(size=200) * 4) / 4
    noise = np.round(rng.normal(size=(10, 200)) * 4) / 4
    predictions = (y[None, :] + noise * rng.uniform(0.2, 2, size=(10, 1))).astype(np.float32)
    predictions[6] = predictions[2]
    judged = primary(REGRESSION, metric)

    def row_score(values):
        return regression_score(y, values)[metric]

    counts, path, val_score = _reference_selection(
        predictions, row_score, judged.higher_is_better, 15
    )
    chosen = greedy_selection(predictions, y, judged, steps=15)
    assert chosen.counts.tolist() == counts.tolist()
    assert list(chosen.path) == path
    assert chosen.val_score == val_score


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_pair_counts_are_the_rank_sums(dtype):
    """ROC-AUC's Mann-Whitney counts, ties counting half, as from scipy's average ranks."""
    from scipy.stats import rankdata

    rng = np.random.default_rng(7)
    values = (rng.integers(0, 6, size=(40, 50)) / 4).astype(dtype)
    positive = rng.random(50) < 0.3
    ranks = rankdata(values, axis=1)[:, positive].sum(axis=1)
    expected = ranks - positive.sum() * (positive.sum() + 1) / 2
    assert mann_whitney(values, positive)[0].tolist() == expected.tolist()


def test_roc_auc_selection_on_two_threads_is_the_selection_on_one(monkeypatch):
    """The classes scored side by side on a cell's thread budget choose the same ensemble,
    with the same path and validation score, bit for bit."""
    from treesvsnets.bench.tune import path_scores

    pools = []
    real = path_scores.ThreadPoolExecutor
    monkeypatch.setattr(path_scores, "ThreadPoolExecutor", lambda n: pools.append(n) or real(n))
    rng = np.random.default_rng(11)
    proba = _coarse_models(rng, 30, 400, 10)
    y = rng.integers(0, 10, 400)
    judged = primary(CLASSIFICATION, "roc_auc")
    one = greedy_selection(proba, y, judged, steps=15)
    assert pools == []  # one thread: no pool
    two = greedy_selection(proba, y, judged, steps=15, threads=2)
    assert pools and set(pools) == {2}  # the classes went to two threads
    assert two.counts.tolist() == one.counts.tolist()
    assert two.path == one.path and two.val_score == one.val_score


@pytest.mark.parametrize("classes", [2, 10])
def test_roc_auc_counts_the_same_sorting_every_row_or_only_the_contested(monkeypatch, classes):
    """Sorting every row (when most are contested) or gathering the contested ones (the
    settled pairs counted apart) are two ways to one exact count."""
    from treesvsnets.bench.tune import path_scores

    rng = np.random.default_rng(13)
    proba = _coarse_models(rng, 25, 300, classes)
    y = rng.integers(0, classes, 300)
    judged = primary(CLASSIFICATION, "roc_auc")
    chosen = []
    for crowded in (0.0, 2.0):  # every row always / the contested rows always
        monkeypatch.setattr(path_scores, "CROWDED", crowded)
        chosen.append(greedy_selection(proba, y, judged, steps=12))
    assert chosen[0].counts.tolist() == chosen[1].counts.tolist()
    assert chosen[0].path == chosen[1].path and chosen[0].val_score == chosen[1].val_score


def test_a_blends_pooled_trials_are_in_member_then_trial_order(tmp_path):
    """A blend pools 'rf/0', 'rf/2', 'rf/10', 'dense/0' (its members in the order given):
    they are read in that order, so a tie goes to the earliest trial as documented, not to
    'dense/0' (first as text), and 'rf/10' comes after 'rf/2'."""
    from treesvsnets.bench.tune.ensemble import _load

    files = {}
    for key in ("rf/0", "rf/2", "rf/10", "dense/0"):
        path = tmp_path / f"{key.replace('/', '-')}.npz"
        np.savez(path, val_rows=np.arange(3), val=np.zeros((3, 2)), test=np.zeros((2, 2)),
                 predict_seconds=0.1, has_proba=True)  # fmt: skip
        files[key] = path
    assert list(_load(files).trials) == ["rf/0", "rf/2", "rf/10", "dense/0"]
    numbered = {n: files[f"rf/{n}"] for n in (10, 0, 2)}  # one search's trials by number
    assert list(_load(numbered).trials) == [0, 2, 10]
