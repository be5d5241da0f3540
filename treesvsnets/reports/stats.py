"""Statistics that say whether a difference in a score (accuracy, RMSE) is real.

- Two estimators on one dataset: the Nadeau & Bengio (2003) corrected
  resampled t-test over the folds. Cross-validation folds share training
  rows, so a plain paired t-test is overconfident; the correction inflates
  the variance by ``n_test / n_train``. :func:`paired_fold_test` pairs two sets of rows
  (two estimators, or one in two runs) by seed and fold; the report and ``compare`` share
  it.
- Many estimators over several datasets: the Friedman test on the ranks, then
  the Nemenyi post-hoc test (scikit-posthocs) and its critical difference for
  the CD diagram (Demšar 2006).
- A mean accuracy's uncertainty: a bootstrap confidence interval over folds
  (SciPy).

Each function returns numbers and a sentence a person can read.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from treesvsnets.tasks import ACCURACY, Metric

#: below this p-value a difference is called "likely real"
ALPHA = 0.05


@dataclass(frozen=True)
class PairedTest:
    """The corrected resampled t-test of ``a`` against ``b`` on one dataset."""

    a: str
    b: str
    dataset: str
    difference: float  # mean score of a minus b
    t: float
    p_value: float
    n_folds: int
    metric: Metric = ACCURACY  # the score compared

    @property
    def likely_real(self) -> bool:
        return self.p_value < ALPHA

    def sentence(self) -> str:
        verdict = "likely real" if self.likely_real else "could be chance"
        p = "n/a" if math.isnan(self.p_value) else f"{self.p_value:.3g}"
        what = "" if self.metric is ACCURACY else f" in {self.metric.label}"
        return (
            f"{self.a} vs {self.b} on {self.dataset}: difference{what} "
            f"{self.metric.show(self.difference, signed=True)}, p = {p} ({self.n_folds} folds, "
            f"Nadeau-Bengio corrected t-test), {verdict}"
        )


def corrected_ttest(
    scores_a: Any, scores_b: Any, n_train: int, n_test: int
) -> tuple[float, float, float]:
    """Nadeau & Bengio's corrected resampled t-test on paired per-fold scores.

    ``t = mean(d) / sqrt((1/J + n_test/n_train) * var(d))`` with ``J`` folds,
    ``var`` the sample variance (ddof=1), and ``J - 1`` degrees of freedom.
    Returns ``(mean difference, t, two-sided p-value)``. Where every fold's difference is the
    same, no spread is seen, which is not that there is none: the variance is then the least
    a score measured on ``n_test`` rows can show, one fold's differing by one row,
    ``(1 / n_test)² / J`` (a net one test row better than the baseline on each of 2 folds of
    500 rows read 'better, p = 0'; now p = 0.46); identical scores are no difference (p = 1).
    """
    from scipy import stats

    differences = np.asarray(scores_a, dtype=float) - np.asarray(scores_b, dtype=float)
    folds = len(differences)
    if folds < 2:
        raise ValueError("the corrected t-test needs scores from at least 2 folds.")
    mean = float(differences.mean())
    variance = float(differences.var(ddof=1))
    if variance == 0:
        if not mean:
            return mean, 0.0, 1.0
        variance = (1 / n_test) ** 2 / folds  # one test row scored the other way
    t = mean / math.sqrt((1 / folds + n_test / n_train) * variance)
    p = 2 * float(stats.t.sf(abs(t), df=folds - 1))
    return mean, t, p


def paired_fold_test(
    cells_a: Any, cells_b: Any, column: str = "accuracy", log: bool = False
) -> tuple[float, float, float, int] | None:
    """The corrected t-test of ``column`` between two sets of result rows on the same folds.

    Rows are paired by (seed, fold); pairs missing either value are left out.
    The training size is the whole training fold (``n_train + n_val``, with the rows before
    ``--resample``), as in the resampling the correction accounts for. ``log`` compares logarithms
    (times). Returns ``(mean difference a - b, t, p, pairs)``, or ``None`` with
    fewer than two pairs.
    """
    sizes = cells_a[["seed", "fold", column, "n_train", "n_val", "n_test"]]
    if "n_before_resample" in cells_a:  # a resampled fold: its real rows, not the resampled
        sizes = sizes.assign(n_train=cells_a["n_before_resample"].fillna(cells_a["n_train"]))
    paired = sizes.merge(
        cells_b[["seed", "fold", column]], on=["seed", "fold"], suffixes=("", "_b")
    )
    paired = paired.dropna(subset=[column, f"{column}_b"])
    if len(paired) < 2:
        return None
    values_a = paired[column].to_numpy(dtype=float)
    values_b = paired[f"{column}_b"].to_numpy(dtype=float)
    if log:
        values_a, values_b = np.log(values_a), np.log(values_b)
    n_train = float((paired["n_train"] + paired["n_val"].fillna(0)).mean())
    difference, t, p = corrected_ttest(values_a, values_b, n_train, float(paired["n_test"].mean()))
    return difference, t, p, len(paired)


def compare_on_folds(
    rows: Any, dataset: str, a: str, b: str, metric: Metric = ACCURACY
) -> PairedTest | None:
    """The corrected t-test of estimators ``a`` and ``b``'s ``metric`` on ``dataset``'s
    shared folds.

    Only folds (and seeds) where both cells are ``ok`` are paired; ``None``
    when fewer than two remain.
    """
    ok = rows[(rows["dataset"] == dataset) & (rows["status"] == "ok")]
    found = paired_fold_test(ok[ok["estimator"] == a], ok[ok["estimator"] == b], metric.column)
    return None if found is None else PairedTest(a, b, dataset, *found, metric=metric)


def bootstrap_ci(
    scores: Any, confidence: float = 0.95, seed: int = 0, resamples: int = 2000
) -> tuple[float, float]:
    """A percentile bootstrap interval for the mean of ``scores`` (NaN with fewer than 2)."""
    from scipy import stats

    values = np.asarray(scores, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) < 2:
        return (math.nan, math.nan)
    if np.ptp(values) == 0:
        return (float(values[0]), float(values[0]))
    result = stats.bootstrap(
        (values,),
        np.mean,
        confidence_level=confidence,
        n_resamples=resamples,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return (float(interval.low), float(interval.high))


@dataclass(frozen=True)
class RankTest:
    """Friedman test across datasets, Nemenyi post-hoc, and the critical difference."""

    average_ranks: dict[str, float]  # estimator -> mean rank (1 = best), best first
    n_datasets: int
    statistic: float  # Friedman chi-square
    p_value: float
    critical_difference: float
    pairwise_p: Any  # DataFrame of Nemenyi p-values (estimator x estimator)

    def sentence(self) -> str:
        verdict = (
            "the estimators differ more than chance would explain"
            if self.p_value < ALPHA
            else "the differences could be chance"
        )
        return (
            f"Friedman test over {self.n_datasets} datasets and {len(self.average_ranks)} "
            f"estimators: chi-square {self.statistic:.2f}, p = {self.p_value:.3g}, so {verdict}; "
            f"Nemenyi critical difference {self.critical_difference:.2f} ranks (alpha {ALPHA})."
        )


def friedman_from_ranks(average_ranks: Any, n_datasets: int) -> float:
    """Friedman's chi-square from the average ranks (Demšar 2006, eq. 1)."""
    ranks = np.asarray(average_ranks, dtype=float)
    k, n = len(ranks), n_datasets
    return float(12 * n / (k * (k + 1)) * (np.sum(ranks**2) - k * (k + 1) ** 2 / 4))


def nemenyi_critical_difference(n_estimators: int, n_datasets: int, alpha: float = ALPHA) -> float:
    """``q_alpha * sqrt(k (k + 1) / (6 N))``, q from the studentized range (Demšar 2006)."""
    from scipy import stats

    k = n_estimators
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / math.sqrt(2)
    return float(q * math.sqrt(k * (k + 1) / (6 * n_datasets)))


def rank_test(scores: Any, higher_is_better: bool = True) -> RankTest | None:
    """Friedman + Nemenyi on a datasets x estimators table of mean scores (accuracies; RMSEs
    with ``higher_is_better=False``).

    Needs at least 3 datasets and 3 estimators with a score on every dataset
    (estimators missing a dataset are left out); ``None`` otherwise.
    """
    table = scores.dropna(axis=1, how="any")
    if table.shape[0] < 3 or table.shape[1] < 3:
        return None
    import scikit_posthocs  # 2.7-3.4 s to import: only when there is something to test
    from scipy import stats

    ranks = table.rank(axis=1, ascending=not higher_is_better)  # 1 = best; ties share the mean
    average = ranks.mean(axis=0).sort_values()
    with warnings.catch_warnings():  # every dataset's scores all tied: 0 / 0 in SciPy
        warnings.simplefilter("ignore", RuntimeWarning)
        statistic, p = stats.friedmanchisquare(*[table[c].to_numpy() for c in table.columns])
    if math.isnan(statistic):  # no rank differs anywhere: nothing for chance to explain
        statistic, p = 0.0, 1.0
    pairwise = scikit_posthocs.posthoc_nemenyi_friedman(table.to_numpy())
    pairwise.index = pairwise.columns = list(table.columns)
    return RankTest(
        average_ranks={name: float(rank) for name, rank in average.items()},
        n_datasets=table.shape[0],
        statistic=float(statistic),
        p_value=float(p),
        critical_difference=nemenyi_critical_difference(table.shape[1], table.shape[0]),
        pairwise_p=pairwise,
    )
