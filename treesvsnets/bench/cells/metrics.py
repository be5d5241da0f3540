"""Scores for one test fold: :func:`score` for classification (accuracy, balanced accuracy,
macro-F1, and from predicted probabilities ROC-AUC (:func:`roc_auc`) and log loss, the
confusion matrix), :func:`regression_score` for regression (RMSE, MAE, R², a fixed sample of
(true, predicted) pairs); :func:`align_proba` puts a model's probability columns under the
dataset's class codes, and :func:`predict_and_proba` gives the labels and probabilities
with one call where a model's ``predict`` is the argmax of its ``predict_proba``;
:func:`kept_probabilities` is what a classification row keeps of its
test fold's predicted probabilities, for the report's ROC and precision-recall curves. A
search's trials are scored by the same functions (and keep no predictions)."""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import numpy as np

from treesvsnets.estimators.validation import first_values, predicted_numbers

#: how far a row of predicted probabilities may sum from 1 (float32 nets: about 1e-6)
PROBABILITY_SUM_TOLERANCE = 1e-4


def align_proba(
    proba: np.ndarray, model_classes: np.ndarray, n_classes: int, n_rows: int | None = None
) -> np.ndarray:
    """Put the model's probability columns under the dataset's class codes, once they are
    checked to be probabilities (:func:`check_probabilities`), one row per row predicted
    (``n_rows``, where known).

    A model only knows the classes it saw while fitting; the missing columns are 0.
    """
    proba = check_probabilities(proba, len(model_classes), n_rows)
    codes = np.asarray(model_classes)
    if len(np.unique(codes)) != len(codes):
        raise ValueError(
            f"the model's classes_ ({', '.join(map(repr, codes.tolist()[:5]))}) name a class "
            "twice: its probability columns cannot be told apart."
        )
    if not np.isin(codes, np.arange(n_classes)).all():
        raise ValueError(
            f"the model's classes_ ({', '.join(map(repr, codes.tolist()[:5]))}) are not the "
            f"dataset's class codes, 0 to {n_classes - 1}, as in the y fit was given."
        )
    full = np.zeros((proba.shape[0], n_classes), dtype=np.float64)
    full[:, codes.astype(np.int64)] = proba
    return full


def check_probabilities(proba: Any, n_classes: int, n_rows: int | None = None) -> np.ndarray:
    """``predict_proba``'s output as an array, refused with one sentence where it is not one
    row of probabilities per class the model knows (and per row predicted, ``n_rows``): the
    wrong shape, values that are no numbers or outside [0, 1], or a row that does not sum to
    1 (its log loss and curves would be scored as if it did). Rows with NaN or infinite
    values are left for the caller, who says why they occur."""
    proba = np.asarray(proba)
    if proba.ndim != 2 or proba.shape[1] != n_classes:
        raise ValueError(
            f"predict_proba returned an array of shape {proba.shape}: expected one column per "
            f"class the model knows ({n_classes}, its classes_)."
        )
    if n_rows is not None and proba.shape[0] != n_rows:
        raise ValueError(
            f"predict_proba returned {proba.shape[0]} rows of probabilities for {n_rows} rows: "
            "expected one per row."
        )
    if proba.dtype.kind not in "biuf":
        raise ValueError(
            f"predict_proba returned values that are not numbers ({first_values(proba)})."
        )
    # the rounding of the model's own float type is no fault: float16 rows sum to 0.9995
    slack = PROBABILITY_SUM_TOLERANCE
    if proba.dtype.kind == "f":
        slack = max(slack, 10 * float(np.finfo(proba.dtype).eps))
    finite = proba[np.isfinite(proba).all(axis=1)] if proba.dtype.kind == "f" else proba
    if finite.size and (finite.min() < -slack or finite.max() > 1 + slack):
        raise ValueError(
            "predict_proba returned values outside [0, 1] "
            f"(from {finite.min():.4g} to {finite.max():.4g}): not probabilities."
        )
    if finite.size and (finite.min() < 0 or finite.max() > 1):  # -1e-9: rounding, clipped
        proba = np.clip(proba, 0.0, 1.0)
    off = np.abs(finite.sum(axis=1) - 1) if finite.size else np.zeros(0)
    if off.size and off.max() > slack:
        row, count = int(np.argmax(off)), int((off > PROBABILITY_SUM_TOLERANCE).sum())
        raise ValueError(
            f"predict_proba returned rows that do not sum to 1 ({count} of {len(finite)}; "
            f"one sums to {finite[row].sum():.4g}): not probabilities."
        )
    return proba


def _n_rows(X: Any) -> int:
    return X.shape[0] if hasattr(X, "shape") else len(X)


def check_labels(labels: Any, n_rows: int, n_classes: int) -> np.ndarray:
    """``predict``'s output as an array, refused with one sentence where it is not one value
    per row, or (``n_classes``: a classifier's) a label that is no class of the dataset."""
    labels = np.asarray(labels)
    if labels.size != n_rows or (n_classes and labels.shape != (n_rows,)):
        raise ValueError(
            f"predict returned an array of shape {labels.shape} for {n_rows} rows: "
            "expected one value per row."
        )
    if not n_classes and labels.dtype.kind not in "biuf":  # a regressor's: numbers
        labels = predicted_numbers(labels)
    if n_classes:
        unknown = labels[~np.isin(labels, np.arange(n_classes))]
        if unknown.size:
            shown = ", ".join(map(repr, sorted(set(unknown.tolist()), key=str)[:5]))
            raise ValueError(
                f"predict returned labels that are no class of the dataset ({shown}; the "
                f"classes are coded 0 to {n_classes - 1}, as in the y fit was given)."
            )
    return labels


def predict_and_proba(
    estimator: Any, X: Any, n_classes: int, *, proba: bool, argmax: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """A model's predictions of ``X`` and (``proba``, a classifier) its probabilities under
    the dataset's class codes. With ``argmax`` (its spec's ``argmax_predict`` capability:
    its ``predict`` is the class of its largest ``predict_proba`` column, in its library's
    own code) one ``predict_proba`` gives both, the labels exactly what ``predict`` would
    return; else ``predict``, then ``predict_proba``."""
    if argmax and proba:
        raw = np.asarray(estimator.predict_proba(X))
        aligned = align_proba(raw, estimator.classes_, n_classes, _n_rows(X))  # checked there
        labels = np.asarray(estimator.classes_).take(np.argmax(raw, axis=1), axis=0)
        return labels, aligned
    labels = check_labels(estimator.predict(X), _n_rows(X), n_classes)
    if not proba:
        return labels, None
    aligned = align_proba(estimator.predict_proba(X), estimator.classes_, n_classes, _n_rows(X))
    return labels, probabilities_agreeing(aligned, labels)


#: a model whose largest probability names another class than its predict on more than this
#: share of the rows (of at least 10) has probability columns in another order than classes_
DISAGREEING_SHARE = 0.5


def probabilities_agreeing(aligned: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``aligned`` probabilities, refused where they contradict ``labels`` on most rows: its
    columns follow another order than the model's ``classes_`` (scored as given, its
    ROC-AUC read 0.33 and its log loss 7.7 beside an accuracy of 0.95, silently). A model
    whose predict and probabilities disagree on a few rows (an SVM's Platt scaling) passes."""
    rows = len(labels)
    if rows < 10 or labels.dtype.kind not in "iu":
        return aligned
    disagree = float(np.mean(np.argmax(aligned, axis=1) != labels))
    if disagree > DISAGREEING_SHARE:
        raise ValueError(
            f"predict_proba's largest probability names another class than predict on "
            f"{disagree:.0%} of the rows: its columns do not follow the model's classes_ order "
            "(or its predict wrote into the rows it was given; `treesvsnets check` tells)."
        )
    return aligned


def score(
    y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None, n_classes: int
) -> dict[str, float | None]:
    """Accuracy, balanced accuracy, macro-F1, (with probabilities) ROC-AUC and log loss, and
    the confusion matrix (JSON: rows are true classes, columns predicted, in class-code
    order). Without probabilities (an estimator with no ``predict_proba``) ROC-AUC and log
    loss are None: they are never computed from hard labels.

    The label scores are read from the confusion matrix, with scikit-learn's arithmetic (the
    same floats as ``accuracy_score``, ``balanced_accuracy_score`` and ``f1_score(labels,
    average="macro", zero_division=0)``, and its warning where a predicted class has no true
    row), as are log loss (:func:`log_loss`) and ROC-AUC (:func:`roc_auc`): scikit-learn's
    functions check their inputs again at every call, 27 ms for a 10-class fold of 360 rows
    against 2 ms here (``tests/bench/test_scores.py`` holds them equal)."""
    y_true = np.asarray(y_true, dtype=np.int64)  # class codes, whatever their dtype
    confusion = confusion_matrix(y_true, y_pred, n_classes)
    true_sum, pred_sum, hits = confusion.sum(axis=1), confusion.sum(axis=0), np.diag(confusion)
    present = true_sum > 0
    if (pred_sum[~present] > 0).any():
        warnings.warn("y_pred contains classes not in y_true", UserWarning, stacklevel=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(true_sum + pred_sum > 0, 2.0 * hits / (true_sum + pred_sum), 0.0)
    scores: dict[str, float | None] = {
        "accuracy": float(hits.sum() / confusion.sum()),
        "balanced_accuracy": float(np.mean(hits[present] / true_sum[present])),
        "f1_macro": float(np.nanmean(f1)),
        "roc_auc": None,
        "log_loss": None,
        "confusion": json.dumps(confusion.tolist(), separators=(",", ":")),
    }
    if proba is not None:
        proba = np.asarray(proba, dtype=np.float64)
        scores["roc_auc"] = roc_auc(y_true, proba)
        scores["log_loss"] = log_loss(y_true, proba)
    return scores


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts of (true, predicted) class codes, rows true, columns predicted: scikit-learn's
    ``confusion_matrix(labels=range(n_classes))`` for labels that are class codes (as
    :func:`check_labels` makes sure they are)."""
    codes = np.asarray(y_true, dtype=np.int64) * n_classes + np.asarray(y_pred, dtype=np.int64)
    return np.bincount(codes, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def log_loss(y_true: np.ndarray, proba: np.ndarray) -> float:
    """The mean of minus the log of each row's probability of its true class, clipped to
    [eps, 1 - eps] as scikit-learn's ``log_loss(labels=range(n_classes))`` clips it (the same
    float). ``proba``: float64, rows that are probabilities (:func:`align_proba`)."""
    eps = np.finfo(np.float64).eps
    picked = np.clip(proba, eps, 1 - eps)[np.arange(len(proba)), np.asarray(y_true, np.int64)]
    return float(np.mean(-np.log(picked)))


def roc_auc(y_true: np.ndarray, proba: np.ndarray) -> float | None:
    """ROC-AUC from predicted probabilities (columns in class-code order).

    Two classes: the positive class's (code 1) probability. More: one-vs-rest,
    macro-averaged over the classes present in ``y_true`` (each class against the rest,
    scored by its own probability column), which is ``roc_auc_score(multi_class='ovr',
    average='macro')`` when every class is present; a class absent from the fold has no
    one-vs-rest AUC (no positive row), and is left out. One class present: None, no AUC is
    defined.

    Each class's AUC is its Mann-Whitney statistic, from the ranks of its column (ties share
    their mean rank, as a tie is half a pair in the area under the curve): the area
    ``roc_auc_score`` computes by the trapezoid rule, to the last digit or two of a double
    (the ranks give the exact fraction, rounded once), without its ten input checks per
    class."""
    from scipy.stats import rankdata

    y_true = np.asarray(y_true)
    present = np.unique(y_true)
    if len(present) < 2:
        return None
    columns = [1] if proba.shape[1] == 2 else present.astype(np.int64)
    ranks = rankdata(proba[:, columns], axis=0)
    aucs = []
    for rank, code in zip(ranks.T, columns, strict=True):
        positive = y_true == code
        n_pos = int(positive.sum())
        n_neg = len(y_true) - n_pos
        aucs.append((rank[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    return float(np.mean(aucs))


#: at most this many of a test fold's (true, predicted) pairs are kept on its row, for the
#: report's predicted-against-actual and residual plots
PREDICTIONS_KEPT = 500


#: at most this many probabilities of a test fold are kept on its row (a binary task keeps the
#: positive class's, one per row: 5,000 rows; ten classes keep 500 rows, never fewer)
PROBABILITIES_KEPT = 5000


def _kept_rows(n_rows: int, most: int) -> np.ndarray:
    """The positions of the test rows a row keeps: every one, or a fixed sample of ``most``."""
    kept = np.arange(n_rows)
    if n_rows > most:
        kept = np.sort(np.random.default_rng(0).choice(kept, most, replace=False))
    return kept


def _short(values: np.ndarray) -> list:
    """Numbers as JSON keeps them on a row: 6 significant digits."""
    return [float(f"{v:.6g}") for v in values] if values.ndim == 1 else [_short(v) for v in values]


def kept_probabilities(y_true: np.ndarray, proba: np.ndarray) -> str:
    """JSON ``{"true": [...], "proba": [...]}`` of a test fold: the class codes and the
    predicted probabilities (two classes: the positive class's, one number per row; more: one
    list per row, in class-code order), every row up to :data:`PROBABILITIES_KEPT` numbers,
    else a fixed sample of rows. Pooled over the folds, they are the out-of-fold predictions
    the report's ROC and precision-recall curves are drawn from."""
    proba = np.asarray(proba, dtype=np.float64)
    values = proba[:, 1] if proba.shape[1] == 2 else proba
    per_row = 1 if values.ndim == 1 else values.shape[1]
    kept = _kept_rows(len(y_true), max(PROBABILITIES_KEPT // per_row, PREDICTIONS_KEPT))
    return json.dumps(
        {"true": np.asarray(y_true)[kept].tolist(), "proba": _short(values[kept])},
        separators=(",", ":"),
    )


def regression_score(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float | str]:
    """RMSE, MAE, R², and a fixed sample of the (true, predicted) pairs (JSON)."""
    from sklearn import metrics

    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(len(y_true))
    kept = _kept_rows(len(y_true), PREDICTIONS_KEPT)
    with np.errstate(over="ignore", invalid="ignore"):
        scores = {
            "rmse": float(np.sqrt(metrics.mean_squared_error(y_true, y_pred))),
            "mae": float(metrics.mean_absolute_error(y_true, y_pred)),
            "r2": float(metrics.r2_score(y_true, y_pred)) if len(y_true) > 1 else float("nan"),
        }
    if not (np.isfinite(scores["rmse"]) and np.isfinite(scores["mae"])):
        # finite predictions (checked before) whose errors overflow a float when squared
        largest = float(np.max(np.abs(y_pred)))
        raise ValueError(
            f"the predictions are too large to score (the largest is {largest:.3g}): their "
            "squared errors overflow a 64-bit float."
        )
    pairs = _pairs(y_true[kept], y_pred[kept])
    return {**scores, "predictions": json.dumps(pairs, separators=(",", ":"))}


def _pairs(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, list]:
    """The (true, predicted) pairs a row keeps: 6 significant digits, unless those would
    resolve less than a thousandth of the values' spread (a target of 1e12 + a few thousand:
    every pair read 1e12, every residual 0); then to a millionth of the spread."""
    both = np.concatenate([y_true, y_pred])
    spread = float(np.ptp(both)) if len(both) else 0.0
    if not spread > 0 or not np.isfinite(spread) or np.max(np.abs(both)) * 1e-5 <= spread * 1e-3:
        return {"true": _short(y_true), "pred": _short(y_pred)}
    decimals = -math.floor(math.log10(spread * 1e-6))
    return {
        "true": [float(v) for v in np.round(y_true, decimals)],
        "pred": [float(v) for v in np.round(y_pred, decimals)],
    }
