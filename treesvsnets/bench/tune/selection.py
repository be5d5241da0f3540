"""Greedy ensemble selection (Caruana et al. 2004), the one implementation the project has.

:func:`greedy_selection` picks, from the validation predictions of many models (a search's
trials, or the members of a ``blend``), a weighted average: start from the best single model,
then add, with replacement, the model whose addition gives the best score of the averaged
prediction, for ``steps`` steps in all; the weights are each model's count over the total. As
AutoGluon's and TabArena's implementations do, the ensemble kept is the best prefix of the
path it walked (the earliest on ties), so its validation score is never worse than the best
single model's.

Predictions are probabilities for classification (``(models, rows, classes)``, columns in
class-code order) and values for regression (``(models, rows)``); float32 is enough.
:func:`scores_of` scores many averaged predictions at once, vectorised over the models, by
any score of :mod:`treesvsnets.tasks` (accuracy, balanced accuracy, macro-F1, ROC-AUC and
log loss of the averaged probabilities; RMSE, MAE, R² of the averaged values), computed as
:mod:`treesvsnets.bench.cells.metrics` computes a row's (a test checks each against it).
The selection reads only what it is given: the validation rows' predictions and labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from treesvsnets.tasks import Metric

#: Caruana's steps, as TabArena runs them (the run's ``ensemble_size`` setting)
STEPS = 40


@dataclass(frozen=True)
class Selection:
    """What the greedy selection chose: each model's count (0: not a member), the weights
    (count / total), the validation score of the weighted average, and the path's scores."""

    counts: np.ndarray
    val_score: float
    path: tuple[float, ...]

    @property
    def weights(self) -> np.ndarray:
        return self.counts / self.counts.sum()

    @property
    def members(self) -> np.ndarray:
        """The indices of the models with a weight, in index order."""
        return np.flatnonzero(self.counts)


def blend(predictions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted average of ``predictions`` along their first axis (float64)."""
    weights = np.asarray(weights, dtype=np.float64)
    return np.tensordot(weights / weights.sum(), predictions.astype(np.float64), axes=1)


def _auc(scores: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """ROC-AUC of each row of ``scores`` (models x rows) against the boolean ``positive``:
    the Mann-Whitney statistic from average ranks (ties count half), as scikit-learn's."""
    from scipy.stats import rankdata

    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    ranks = rankdata(scores, axis=1)
    return (ranks[:, positive].sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def _classification(candidates: np.ndarray, y: np.ndarray, column: str) -> np.ndarray:
    """Each candidate's (models x rows x classes) score ``column`` against class codes ``y``."""
    n_models, _, n_classes = candidates.shape
    if column == "log_loss":
        eps = np.finfo(np.float64).eps
        true = np.take_along_axis(candidates, y[None, :, None], axis=2)[:, :, 0]
        return -np.log(np.clip(true, eps, 1 - eps)).mean(axis=1)
    if column == "roc_auc":
        present = np.unique(y)
        if len(present) < 2:
            return np.full(n_models, np.nan)
        if n_classes == 2:
            return _auc(candidates[:, :, 1], y == 1)
        return np.mean([_auc(candidates[:, :, c], y == c) for c in present], axis=0)
    return _from_labels(candidates.argmax(axis=2), y, column, n_classes)


def _from_labels(predicted: np.ndarray, y: np.ndarray, column: str, n_classes: int) -> np.ndarray:
    """Each row of predicted class codes' (models x rows) score ``column`` against ``y``."""
    n_models = len(predicted)
    right = predicted == y[None, :]
    if column == "accuracy":
        return right.mean(axis=1)
    if column == "balanced_accuracy":  # the mean recall of the classes present in y
        present, codes, sizes = np.unique(y, return_inverse=True, return_counts=True)
        return (right / sizes[codes][None, :]).sum(axis=1) / len(present)
    if column == "f1_macro":  # every class code, a class never predicted nor true scores 0
        offsets = np.arange(n_models)[:, None] * n_classes
        length = n_models * n_classes
        hits = np.bincount((offsets + y[None, :])[right], minlength=length)
        said = np.bincount((offsets + predicted).ravel(), minlength=length)
        true = np.bincount(y, minlength=n_classes)
        both = said.reshape(n_models, n_classes) + true[None, :]
        f1 = np.zeros(both.shape)
        np.divide(2.0 * hits.reshape(n_models, n_classes), both, out=f1, where=both > 0)
        return f1.mean(axis=1)
    raise ValueError(f"no classification score named {column!r}")


def _regression(candidates: np.ndarray, y: np.ndarray, column: str) -> np.ndarray:
    """Each candidate's (models x rows) score ``column`` against the targets ``y``."""
    residual = candidates - y[None, :]
    if column == "rmse":
        return np.sqrt((residual**2).mean(axis=1))
    if column == "mae":
        return np.abs(residual).mean(axis=1)
    if column == "r2":
        total = ((y - y.mean()) ** 2).sum()
        return (
            1.0 - (residual**2).sum(axis=1) / total
            if total > 0
            else np.full(len(candidates), np.nan)
        )
    raise ValueError(f"no regression score named {column!r}")


def scores_of(candidates: np.ndarray, y: np.ndarray, metric: Metric) -> np.ndarray:
    """The score ``metric`` of each of many predictions (the first axis) of the same rows:
    probabilities (3 axes) for classification, values (2 axes) for regression."""
    y = np.asarray(y)
    if candidates.ndim == 3:
        return _classification(candidates, y.astype(np.int64), metric.column)
    return _regression(candidates, y.astype(np.float64), metric.column)


#: (the chosen models' reduced sum, how many they are with the candidate) -> the score of
#: the chosen models plus each candidate
PathScore = Callable[[np.ndarray, int], np.ndarray]


def _reduced(
    predictions: np.ndarray, y: np.ndarray, metric: Metric
) -> tuple[np.ndarray, PathScore]:
    """What the greedy path sums instead of the predictions, and how the chosen sum plus each
    candidate is scored: float32, and for the scores that read one column only that column
    (log loss: the true class's probability; two classes: the positive class's probability,
    or its margin over the other for the scores of predicted labels, class 1 where it is above
    0, as argmax picks class 0 on a tie). Each is linear in the predictions, so summing it is
    summing them. The kept ensemble's score is computed again, exactly, by :func:`scores_of`."""
    column, reduced = metric.column, predictions.astype(np.float32)
    if predictions.ndim == 2:  # regression: the values
        y32 = y.astype(np.float32)
        return reduced, lambda total, size: _regression(
            (reduced + total.astype(np.float32)) / size, y32, column
        )
    if column == "log_loss":
        eps = np.finfo(np.float32).eps
        true = np.take_along_axis(reduced, y[None, :, None], axis=2)[:, :, 0]
        return (
            true,
            lambda total, size: (
                -np.log(np.clip((true + total.astype(np.float32)) / size, eps, 1 - eps)).mean(
                    axis=1
                )
            ),
        )
    if column == "roc_auc":
        return reduced, lambda total, size: scores_of(reduced + total.astype(np.float32), y, metric)
    if predictions.shape[2] == 2:
        margin = reduced[:, :, 1] - reduced[:, :, 0]
        return margin, lambda total, size: _from_labels(
            (margin + total.astype(np.float32) > 0).astype(np.int64), y, column, 2
        )
    return reduced, lambda total, size: _labels_of_candidates(reduced, total, y, column)


def _labels_of_candidates(
    reduced: np.ndarray, total: np.ndarray, y: np.ndarray, column: str
) -> np.ndarray:
    """The label score of the chosen sum plus each candidate, for three classes or more.

    A candidate adds at most 1 to any class (its probabilities), so a row whose chosen sum
    leads its runner-up by more than 1 keeps its label whichever candidate is added: only the
    other rows are looked at per candidate (exact, and most rows settle after a few steps)."""
    n_models, _, n_classes = reduced.shape
    ranked = np.sort(total, axis=1)
    settled = ranked[:, -1] - ranked[:, -2] > 1.0 + 1e-4  # float32 sums may pass 1 slightly
    predicted = np.broadcast_to(total.argmax(axis=1), (n_models, len(total))).copy()
    if not settled.all():
        open_rows = ~settled
        candidates = reduced[:, open_rows] + total[open_rows].astype(np.float32)
        predicted[:, open_rows] = candidates.argmax(axis=2)
    return _from_labels(predicted, y, column, n_classes)


def _best(scores: np.ndarray, metric: Metric) -> int:
    """The index of the best score (the first on ties; a NaN score is never best)."""
    signed = scores if metric.higher_is_better else -scores
    signed = np.where(np.isnan(signed), -np.inf, signed)
    return int(np.argmax(signed))


def greedy_selection(
    predictions: np.ndarray, y: np.ndarray, metric: Metric, steps: int = STEPS
) -> Selection:
    """Caruana's selection with replacement over ``predictions`` (models first) of the rows
    whose labels are ``y``, by ``metric``: ``steps`` picks, the first the best single model,
    each next the model whose addition scores best (the lowest index on ties); the kept
    ensemble is the path's best prefix."""
    if len(predictions) == 0:
        raise ValueError("an ensemble needs at least one model's predictions")
    predictions, y = np.asarray(predictions), np.asarray(y)
    if predictions.ndim == 3:
        y = y.astype(np.int64)
    reduced, score = _reduced(predictions, y, metric)
    singles = score(np.zeros(reduced.shape[1:]), 1)
    picks = [_best(singles, metric)]
    path = [float(singles[picks[0]])]
    total = reduced[picks[0]].astype(np.float64)
    for size in range(2, steps + 1):
        scores = score(total, size)
        picks.append(_best(scores, metric))
        path.append(float(scores[picks[-1]]))
        total += reduced[picks[-1]]
    kept = _best(np.asarray(path), metric) + 1
    counts = np.bincount(picks[:kept], minlength=len(predictions))
    val_score = float(scores_of(blend(predictions, counts)[None], y, metric)[0])
    return Selection(counts=counts, val_score=val_score, path=tuple(path))
