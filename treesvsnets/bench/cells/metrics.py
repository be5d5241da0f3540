"""Scores for one test fold: :func:`score` for classification (accuracy, balanced accuracy,
macro-F1, log loss with probabilities, the confusion matrix), :func:`regression_score` for
regression (RMSE, MAE, R², a fixed sample of (true, predicted) pairs); :func:`align_proba`
puts a model's probability columns under the dataset's class codes, and
:func:`primary_score` is the task's ranking score alone (a search's trials)."""

from __future__ import annotations

import json

import numpy as np


def align_proba(proba: np.ndarray, model_classes: np.ndarray, n_classes: int) -> np.ndarray:
    """Put the model's probability columns under the dataset's class codes.

    A model only knows the classes it saw while fitting; the missing columns are 0.
    """
    full = np.zeros((proba.shape[0], n_classes), dtype=np.float64)
    full[:, np.asarray(model_classes, dtype=np.int64)] = proba
    return full


def score(
    y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None, n_classes: int
) -> dict[str, float | None]:
    """Accuracy, balanced accuracy, macro-F1, (with probabilities) log loss, and the
    confusion matrix (JSON: rows are true classes, columns predicted, in class-code order)."""
    from sklearn import metrics

    labels = np.arange(n_classes)
    scores: dict[str, float | None] = {
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(metrics.balanced_accuracy_score(y_true, y_pred)),
        "f1_macro": float(
            metrics.f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
        ),
        "log_loss": None,
        "confusion": json.dumps(
            metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist(), separators=(",", ":")
        ),
    }
    if proba is not None:
        scores["log_loss"] = float(metrics.log_loss(y_true, proba, labels=labels))
    return scores


#: at most this many of a test fold's (true, predicted) pairs are kept on its row, for the
#: report's predicted-against-actual and residual plots
PREDICTIONS_KEPT = 500


def regression_score(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float | str]:
    """RMSE, MAE, R², and a fixed sample of the (true, predicted) pairs (JSON)."""
    from sklearn import metrics

    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(len(y_true))
    kept = np.arange(len(y_true))
    if len(kept) > PREDICTIONS_KEPT:
        kept = np.sort(np.random.default_rng(0).choice(kept, PREDICTIONS_KEPT, replace=False))
    return {
        "rmse": float(np.sqrt(metrics.mean_squared_error(y_true, y_pred))),
        "mae": float(metrics.mean_absolute_error(y_true, y_pred)),
        "r2": float(metrics.r2_score(y_true, y_pred)) if len(y_true) > 1 else float("nan"),
        "predictions": json.dumps(
            {
                "true": [float(f"{v:.6g}") for v in y_true[kept]],
                "pred": [float(f"{v:.6g}") for v in y_pred[kept]],
            },
            separators=(",", ":"),
        ),
    }


def primary_score(task: str, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The score a task ranks by (accuracy; RMSE for regression), for a search's trials."""
    from sklearn import metrics

    from treesvsnets.tasks import REGRESSION

    if task == REGRESSION:
        return float(np.sqrt(metrics.mean_squared_error(y_true, y_pred)))
    return float(metrics.accuracy_score(y_true, y_pred))
