"""ROC and precision-recall curves from a classifier's out-of-fold probabilities.

Each classification row with predicted probabilities keeps its test fold's class codes and
probabilities (the ``predictions`` column, written by the cell's ``kept_probabilities``);
:func:`pooled_probabilities` pools an estimator's successful rows, every fold and seed, into
one set of out-of-fold predictions. :func:`roc` and :func:`precision_recall` compute the curves
with scikit-learn (``roc_curve``, ``auc``, ``precision_recall_curve``,
``average_precision_score``): two classes, the positive class's (code 1) curve; more, the
one-vs-rest macro ROC: each present class against the rest, the true-positive rates averaged
on the union of their false-positive rates, and its AUC the mean of the classes' AUCs (which
is ``roc_auc_score(multi_class="ovr", average="macro")``). :func:`roc_figure` and
:func:`precision_recall_figure` draw one line per estimator (the best of each family), the AUC
or average precision in the legend, with matplotlib as the other figures are;
:func:`curve_figures` is a dataset section's figures of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from treesvsnets.reports.layout import Figure, save_figure
from treesvsnets.reports.plots import pyplot


@dataclass(frozen=True)
class Curve:
    """One curve: its x and y points and the area that names it in the legend (ROC: the AUC,
    x the false-positive rate; precision-recall: the average precision, x the recall)."""

    x: np.ndarray
    y: np.ndarray
    area: float
    n_rows: int  # the out-of-fold predictions it was computed from


def pooled_probabilities(
    rows: pd.DataFrame, estimator: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """(class codes, probabilities) of an estimator's successful rows, pooled over folds and
    seeds; None when none kept probabilities (no ``predict_proba``, or a run recorded before
    rows kept them). Binary: one probability per row (the positive class's); else a matrix."""
    if "predictions" not in rows:
        return None
    cells = rows[(rows["estimator"] == estimator) & (rows["status"] == "ok")]
    kept = [json.loads(text) for text in cells["predictions"].dropna()]
    kept = [part for part in kept if "proba" in part]
    if not kept:
        return None
    y_true = np.concatenate([np.asarray(part["true"], dtype=np.int64) for part in kept])
    proba = np.concatenate([np.asarray(part["proba"], dtype=np.float64) for part in kept])
    return y_true, proba


def roc(y_true: np.ndarray, proba: np.ndarray) -> Curve | None:
    """The ROC curve: binary (``proba`` one column) the positive class's; multiclass the
    one-vs-rest macro average over the classes present. None when fewer than two classes are
    present (no curve is defined)."""
    from sklearn.metrics import auc, roc_curve

    present = np.unique(y_true)
    if len(present) < 2:
        return None
    if proba.ndim == 1:
        fpr, tpr, _ = roc_curve(y_true == 1, proba)
        return Curve(fpr, tpr, float(auc(fpr, tpr)), len(y_true))
    per_class = [roc_curve(y_true == code, proba[:, code])[:2] for code in present]
    grid = np.unique(np.concatenate([fpr for fpr, _ in per_class]))
    mean_tpr = np.mean([np.interp(grid, fpr, tpr) for fpr, tpr in per_class], axis=0)
    area = float(np.mean([auc(fpr, tpr) for fpr, tpr in per_class]))
    # from the origin, as each class's curve is (np.interp reads the last of tied x values)
    return Curve(np.r_[0.0, grid], np.r_[0.0, mean_tpr], area, len(y_true))


def precision_recall(y_true: np.ndarray, proba: np.ndarray) -> Curve | None:
    """The positive class's precision-recall curve (binary only: ``proba`` one column), its
    area the average precision; None for multiclass or without a positive row."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    if proba.ndim != 1 or not (y_true == 1).any():
        return None
    precision, recall, _ = precision_recall_curve(y_true == 1, proba)
    area = float(average_precision_score(y_true == 1, proba))
    return Curve(recall, precision, area, len(y_true))


def _draw(curves: dict[str, Curve], title: str, axes: tuple[str, str], area: str) -> object:
    """One line per estimator, its ``area`` (AUC, AP) in the legend, on a unit square."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
    for name, curve in curves.items():
        drawn = "steps-post" if area == "AP" else "default"
        ax.plot(curve.x, curve.y, drawstyle=drawn, label=f"{name} ({area} = {curve.area:.3f})")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel(axes[0])
    ax.set_ylabel(axes[1])
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    return fig, ax


def roc_figure(curves: dict[str, Curve], dataset: str, multiclass: bool) -> object:
    """The ROC curves of ``curves`` (estimator label -> :func:`roc`), the chance diagonal."""
    kind = "one-vs-rest macro ROC" if multiclass else "ROC"
    fig, ax = _draw(
        curves,
        f"{dataset}: {kind}, out-of-fold",
        ("false-positive rate", "true-positive rate"),
        "AUC",
    )
    ax.plot([0, 1], [0, 1], color="#444444", linestyle=":", linewidth=1, label="chance (AUC = 0.5)")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def precision_recall_figure(curves: dict[str, Curve], dataset: str, prevalence: float) -> object:
    """The precision-recall curves of ``curves`` (:func:`precision_recall`), and the
    positives' share, the precision of a model that ranks at random."""
    fig, ax = _draw(
        curves, f"{dataset}: precision-recall, out-of-fold", ("recall", "precision"), "AP"
    )
    ax.axhline(
        prevalence,
        color="#444444",
        linestyle=":",
        linewidth=1,
        label=f"chance (AP = {prevalence:.3f}, the positives' share)",
    )
    ax.legend(fontsize=8, loc="best")
    return fig


def pooled_by_family(rows: pd.DataFrame, ranked_by_family: pd.Series) -> dict[str, tuple]:
    """Per family, the out-of-fold probabilities of its best estimator that has them
    (:func:`pooled_probabilities`), labelled ``"rf (best ensemble)"``: a family's best without
    them (a plugin tied with logreg) leaves its place to the next, ``"logreg (best linear with
    probabilities)"`` (the family had no curve at all)."""
    pooled = {}
    for family, ranked in ranked_by_family.items():
        for place, estimator in enumerate(ranked):
            if (found := pooled_probabilities(rows, estimator)) is not None:
                best = f"best {family}" + (" with probabilities" if place else "")
                pooled[f"{estimator} ({best})"] = found
                break
    return pooled


def curve_figures(
    rows: pd.DataFrame,
    ranked_by_family: pd.Series,
    dataset: str,
    judged: str,
    run_dir: Path,
    key: str,
) -> list[Figure]:
    """The ROC figure (binary or one-vs-rest macro) and, for two classes, the precision-recall
    figure of the best estimator of each family with probabilities (``ranked_by_family``:
    family -> its estimators, best first by the ``judged`` score), from its out-of-fold
    probabilities (:func:`pooled_by_family`)."""
    pooled = pooled_by_family(rows, ranked_by_family)
    rocs = {name: curve for name, (y, p) in pooled.items() if (curve := roc(y, p)) is not None}
    if not rocs:
        return []
    binary = next(iter(pooled.values()))[1].ndim == 1
    counted = f"{max(curve.n_rows for curve in rocs.values())} out-of-fold predictions"
    how = (
        "the test folds pooled (every fold and seed; at most 5,000 probabilities kept per fold), "
        f"{counted} per estimator at most; the best estimator of each family by {judged}"
    )
    figures = [
        Figure(
            ("ROC curves" if binary else "One-vs-rest macro ROC curves (the classes' mean)")
            + f", AUC in the legend: {how}. The AUC of pooled predictions can differ from the "
            "mean of the folds' AUCs in the table.",
            save_figure(partial(roc_figure, rocs, dataset, not binary), run_dir, f"{key}-roc"),
        )
    ]
    prs = {
        name: curve
        for name, (y, p) in pooled.items()
        if (curve := precision_recall(y, p)) is not None
    }
    if binary and prs:
        y_any = next(iter(pooled.values()))[0]
        figures.append(
            Figure(
                f"Precision-recall curves of the positive class (code 1), average precision in "
                f"the legend: {how}.",
                save_figure(
                    partial(precision_recall_figure, prs, dataset, float(np.mean(y_any == 1))),
                    run_dir,
                    f"{key}-precision-recall",
                ),
            )
        )
    return figures
