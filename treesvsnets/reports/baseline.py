"""Every estimator read against the run's trivial baseline (``dummy``: the most frequent class,
or the training mean for regression).

A model that is not significantly better than always saying the most frequent class (or the
mean) has learned nothing a reader can rely on, whatever its rank; this module finds those
models and says so in one sentence each, for the run's last lines and the report.

"Significantly better" is the Nadeau-Bengio corrected t-test over the shared folds
(:func:`treesvsnets.reports.stats.paired_fold_test`) on the score the task is judged by (the
run's ``metric``, else accuracy or RMSE), in its direction, with p < 0.05. With a single
split (holdout) no test is possible, and only a model whose score is not better than the
baseline's is flagged.

:func:`compare_to_baseline` compares each estimator with the run's baseline-family estimator
(:func:`baseline_of`); :func:`not_better_sentences` says which are not better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from treesvsnets.estimators.base import BASELINE, BASELINE_FAMILY
from treesvsnets.reports.stats import ALPHA, paired_fold_test
from treesvsnets.tasks import ACCURACY, Metric, primary

#: below this many paired folds a positive difference that is "not significant" may be power
FEW_FOLDS = 5


@dataclass(frozen=True)
class BaselineComparison:
    """One estimator against the baseline on one dataset."""

    dataset: str
    estimator: str
    baseline: str
    score: float  # the estimator's mean of the task's score (accuracy, RMSE)
    baseline_score: float
    difference: float  # mean score difference (estimator - baseline) over the paired folds
    p_value: float  # NaN with a single split
    n_folds: int
    metric: Metric = ACCURACY
    #: the run split the data into folds, but too few of them succeeded for a test
    untested: bool = False

    @property
    def gain(self) -> float:
        """The difference turned so that positive means better than the baseline."""
        return self.metric.improvement(self.difference)

    @property
    def better(self) -> bool:
        if math.isnan(self.p_value):
            return self.gain > 0 and not self.untested
        return self.gain > 0 and self.p_value < ALPHA

    @property
    def worse(self) -> bool:
        """Significantly worse than the baseline (a test is needed to say so)."""
        return self.gain < 0 and self.p_value < ALPHA

    def sentence(self) -> str:
        """The warning for an estimator that is not better (one sentence naming both)."""
        verdict = (
            ("significantly less accurate" if self.metric is ACCURACY else "significantly worse")
            if self.worse
            else "not significantly better"
        )
        if self.untested:
            evidence = (
                f"only {self.n_folds} of its folds succeeded beside the baseline's: too few "
                "for a test"
            )
        elif math.isnan(self.p_value):
            evidence = f"on a single split, {self.n_folds} fold(s): no test is possible"
        else:
            evidence = (
                f"difference {self.metric.show(self.difference, signed=True)}, "
                f"p = {self.p_value:.3g} over {self.n_folds} folds, Nadeau-Bengio corrected t-test"
                + (
                    "; few folds give the test little power, more folds or seeds would tell"
                    if self.gain > 0 and self.n_folds < FEW_FOLDS
                    else ""
                )
            )
        return (
            f"{self.estimator} is {verdict} than the {self.baseline} baseline "
            f"on {self.dataset}: {self.metric.label} {self.metric.show(self.score)} vs "
            f"{self.metric.show(self.baseline_score)} ({evidence})."
        )

    @property
    def underpowered(self) -> bool:
        """Above the baseline, not significantly, over fewer than :data:`FEW_FOLDS` folds."""
        tested = not self.untested and not math.isnan(self.p_value)
        return tested and not self.better and self.gain > 0 and self.n_folds < FEW_FOLDS

    def mark(self) -> str:
        """The leaderboard's short form: ``better (p=0.002)``, ``NOT better (p=0.41)`` or
        ``WORSE (p=0.03)``."""
        if self.untested:
            return f"no test ({self.n_folds} fold{'s' if self.n_folds != 1 else ''})"
        p = "" if math.isnan(self.p_value) else f" (p={self.p_value:.2g})"
        return ("better" if self.better else "WORSE" if self.worse else "NOT better") + p


def baseline_of(rows: pd.DataFrame) -> str | None:
    """The estimator of the baseline family in ``rows`` (the built-in ``dummy`` first)."""
    if "family" not in rows or rows.empty:
        return None
    names = rows.loc[rows["family"] == BASELINE_FAMILY, "estimator"].unique().tolist()
    if not names:
        return None
    return BASELINE if BASELINE in names else sorted(names)[0]


def compare_to_baseline(rows: pd.DataFrame, metric: str | None = None) -> list[BaselineComparison]:
    """Every (dataset, estimator) with successful cells against that dataset's baseline, on
    the score its task is judged by under the run's ``metric`` setting (an estimator without
    that score, e.g. no probabilities for ROC-AUC, is not compared)."""
    comparisons = []
    if rows.empty or "status" not in rows:
        return comparisons
    ok = rows[rows["status"] == "ok"]
    for dataset, part in ok.groupby("dataset", sort=False):
        baseline = baseline_of(part)
        if baseline is None:
            continue
        floor = part[part["estimator"] == baseline]
        judged = primary(part["task"].iloc[0] if "task" in part else None, metric)
        column = judged.column
        for estimator, cells in part.groupby("estimator", sort=False):
            if estimator == baseline or cells["family"].iloc[0] == BASELINE_FAMILY:
                continue
            if cells[column].isna().all():
                continue
            found = paired_fold_test(cells, floor, column)
            if found is None:  # a single split: compare the means, without a test
                paired = cells.merge(floor, on=["seed", "fold"], suffixes=("", "_b"))
                if paired.empty:
                    continue
                difference = float((paired[column] - paired[f"{column}_b"]).mean())
                p_value, n_folds = math.nan, len(paired)
                planned = pd.to_numeric(cells.get("n_folds"), errors="coerce").max()
                untested = bool(planned > 1)  # k folds, too few of them succeeded
            else:
                difference, _, p_value, n_folds = found
                untested = False
            comparisons.append(
                BaselineComparison(
                    dataset=str(dataset),
                    estimator=str(estimator),
                    baseline=baseline,
                    score=float(cells[column].mean()),
                    baseline_score=float(floor[column].mean()),
                    difference=difference,
                    p_value=p_value,
                    n_folds=n_folds,
                    metric=judged,
                    untested=untested,
                )
            )
    return comparisons


def not_better_sentences(
    rows: pd.DataFrame, dataset: str | None = None, metric: str | None = None
) -> list[str]:
    """One sentence per estimator that is not significantly better than the baseline (on the
    score judged by under the run's ``metric`` setting); on a dataset where several score
    above it yet are not told apart from it for want of folds, one sentence for them all
    (with 2 or 3 folds every estimator had its own, an R² of 0.97 too, and drowned the
    warnings that say something)."""
    shown = [
        c
        for c in compare_to_baseline(rows, metric)
        if not c.better and (dataset is None or c.dataset == dataset)
    ]
    underpowered = [c for c in shown if c.underpowered]
    by_dataset: dict[str, list[BaselineComparison]] = {}
    for c in underpowered:
        by_dataset.setdefault(c.dataset, []).append(c)
    sentences = []
    for c in shown:
        group = by_dataset.get(c.dataset, [])
        if c in group and len(group) > 1:
            if c is group[0]:
                sentences.append(_few_folds_sentence(group))
        else:
            sentences.append(c.sentence())
    return sentences


def _few_folds_sentence(group: list[BaselineComparison]) -> str:
    """One sentence for the estimators of one dataset above the baseline but not told apart
    from it by a test with few folds."""
    first = group[0]
    each = "; ".join(f"{c.estimator} {c.metric.show(c.score)} (p = {c.p_value:.3g})" for c in group)
    return (
        f"{len(group)} estimators score better than the {first.baseline} baseline on "
        f"{first.dataset} ({first.metric.label} {first.metric.show(first.baseline_score)}"
        + ("" if first.metric.higher_is_better else ", lower is better")
        + ") but are not "
        f"significantly better over {first.n_folds} folds, too few for the Nadeau-Bengio "
        f"corrected t-test to tell: {each}; more folds or seeds would."
    )
