"""Greedy ensemble selection (Caruana et al. 2004), the one implementation the project has.

:func:`greedy_selection` picks, from the validation predictions of many models (a search's
trials, or the members of a ``blend``), a weighted average: start from the best single model,
then add, with replacement, the model whose addition gives the best score of the averaged
prediction, for ``steps`` steps in all; the weights are each model's count over the total. As
AutoGluon's and TabArena's implementations do, the ensemble kept is the best prefix of the
path it walked (the earliest on ties), so its validation score is never worse than the best
single model's.

Predictions are probabilities for classification (``(models, rows, classes)``, columns in
class-code order; float32 is enough) and values for regression (``(models, rows)``). Each
step scores every model's ensemble with the chosen ones, defined as ``(S + p) / size`` in
float64 (``S`` the chosen models' predictions summed in pick order), by any score of
:mod:`treesvsnets.tasks`, as :mod:`treesvsnets.bench.cells.metrics` computes a row's: the
scorers of :mod:`treesvsnets.bench.tune.path_scores` give the same numbers (bit for bit but
ROC-AUC, exact there and within the last bits of scikit-learn's) without building every
ensemble (a test checks the choices against a plain loop over scikit-learn's scores). Scores
within :data:`~treesvsnets.bench.tune.path_scores.TIE` (1e-12, relative) of the best are
tied, and the lowest index wins, so that float rounding cannot flip a tie; models with the
very same predictions are scored once. :func:`scores_of` scores many predictions at once.
The selection reads only what it is given: the validation rows' predictions and labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from treesvsnets.bench.tune.path_scores import TIE, log_loss_of, path_scorer
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
    """The weighted average of ``predictions`` along their first axis (float64): each
    weighted model's predictions times its share, added in index order (no BLAS call, so
    no thread pool; the models without weight are not read)."""
    weights = np.asarray(weights, dtype=np.float64)
    shares = weights / weights.sum()
    average = np.zeros(predictions.shape[1:])
    for model in np.flatnonzero(weights):
        average += shares[model] * predictions[model].astype(np.float64)
    return average


def _floats(predictions: np.ndarray) -> np.ndarray:
    """Predictions as float32 or float64 (the scorers read their bits)."""
    predictions = np.asarray(predictions)
    if predictions.dtype in (np.float32, np.float64):
        return predictions
    return predictions.astype(np.float64)


def scores_of(candidates: np.ndarray, y: np.ndarray, metric: Metric) -> np.ndarray:
    """The score ``metric`` of each of many predictions (the first axis) of the same rows:
    probabilities (3 axes) for classification, values (2 axes) for regression."""
    candidates, y = _floats(candidates), np.asarray(y)
    if candidates.ndim == 3:
        y = y.astype(np.int64)
        if metric.column == "log_loss":
            true = np.take_along_axis(candidates, y[None, :, None], axis=2)[:, :, 0]
            return log_loss_of(true.astype(np.float64))
    else:
        y = y.astype(np.float64)
    return path_scorer(candidates, y, metric.column)(np.zeros(candidates.shape[1:]), 1)


def _best(scores: np.ndarray, metric: Metric) -> int:
    """The index of the best score: the lowest among those within :data:`TIE` (relative) of
    it, so that float rounding cannot flip a tie; a NaN score is never best."""
    signed = scores if metric.higher_is_better else -scores
    signed = np.where(np.isnan(signed), -np.inf, signed)
    top = signed.max()
    if not np.isfinite(top):
        return int(np.argmax(signed))
    return int(np.flatnonzero(signed >= top - TIE * abs(top))[0])


def _distinct(predictions: np.ndarray) -> np.ndarray:
    """The index of each distinct model's first occurrence (models with the very same
    predictions score the same; the first of them is the one any tie would pick). Models
    are grouped by a few of their values, then compared whole within a group."""
    flat = predictions.reshape(len(predictions), -1)
    probe = flat[:, np.linspace(0, flat.shape[1] - 1, 64).astype(np.int64)]
    groups: dict[bytes, list[int]] = {}
    first = []
    for model, key in enumerate(probe):
        group = groups.setdefault(key.tobytes(), [])
        if not any(np.array_equal(flat[model], flat[other]) for other in group):
            group.append(model)
            first.append(model)
    return np.asarray(first, dtype=np.int64)


def greedy_selection(
    predictions: np.ndarray, y: np.ndarray, metric: Metric, steps: int = STEPS, threads: int = 1
) -> Selection:
    """Caruana's selection with replacement over ``predictions`` (models first) of the rows
    whose labels are ``y``, by ``metric``: ``steps`` picks, the first the best single model,
    each next the model whose addition scores best (the lowest index on ties); the kept
    ensemble is the path's best prefix. ``threads``: the budget its scores may use (the
    same selection on any number)."""
    if len(predictions) == 0:
        raise ValueError("an ensemble needs at least one model's predictions")
    predictions, y = _floats(predictions), np.asarray(y)
    y = y.astype(np.int64) if predictions.ndim == 3 else y.astype(np.float64)
    first = _distinct(predictions)
    candidates = predictions if len(first) == len(predictions) else predictions[first]
    score = path_scorer(candidates, y, metric.column, threads)
    total = np.zeros(candidates.shape[1:])
    picks, path = [], []
    for size in range(1, steps + 1):
        scores = score(total, size)
        picks.append(_best(scores, metric))
        path.append(float(scores[picks[-1]]))
        total += candidates[picks[-1]]
    kept = _best(np.asarray(path), metric) + 1
    counts = np.bincount(first[picks[:kept]], minlength=len(predictions))
    val_score = float(scores_of(blend(predictions, counts)[None], y, metric)[0])
    return Selection(counts=counts, val_score=val_score, path=tuple(path))
