"""The statistics of the report against hand computation and a published worked example."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from treesvsnets.reports.stats import (
    bootstrap_ci,
    compare_on_folds,
    corrected_ttest,
    friedman_from_ranks,
    nemenyi_critical_difference,
    rank_test,
)


def test_corrected_ttest_matches_a_hand_computed_example():
    # differences 0.01, 0.02, 0.00, 0.03, 0.015: mean 0.015, sample variance 0.000125;
    # 5 folds of 80/20 -> t = 0.015 / sqrt((1/5 + 20/80) * 0.000125) = 0.015 / 0.0075 = 2.0
    a = np.array([0.91, 0.92, 0.90, 0.93, 0.915])
    b = np.array([0.90, 0.90, 0.90, 0.90, 0.900])
    difference, t, p = corrected_ttest(a, b, n_train=80, n_test=20)
    assert difference == pytest.approx(0.015)
    assert t == pytest.approx(2.0)
    assert p == pytest.approx(2 * stats.t.sf(2.0, df=4)) and p == pytest.approx(0.1161, abs=1e-4)
    # the plain paired t-test on the same folds is overconfident: a smaller p
    assert stats.ttest_rel(a, b).pvalue < p


def test_identical_scores_are_no_difference_and_constant_gaps_have_a_rows_spread():
    """A constant gap was certain (p = 0): a net one test row better than the dummy on each
    of 2 folds of 500 rows read 'better (p=0)'. The spread is then the least a score on
    n_test rows shows, one fold's differing by one row: (1/n_test)^2 / J."""
    assert corrected_ttest([0.9, 0.8], [0.9, 0.8], 10, 5)[1:] == (0.0, 1.0)
    _, t, p = corrected_ttest([0.970, 0.970], [0.968, 0.968], 500, 500)
    assert t == pytest.approx(0.002 / math.sqrt((1 / 2 + 1) * 0.002**2 / 2))
    assert p == pytest.approx(2 * stats.t.sf(t, df=1)) and p > 0.4
    _, _, p = corrected_ttest([1.0] * 5, [0.5] * 5, 120, 30)  # half the rows, every fold
    assert p < 1e-6


def test_demsar_worked_example_friedman_and_critical_difference():
    # Demšar (2006), section 3.2.2: four C4.5 variants on 14 datasets, average ranks
    # 3.143, 2.000, 2.893, 1.964 -> chi2_F = 9.28; Nemenyi CD at alpha 0.05 = 1.25
    # (q = 2.569), at alpha 0.10 = 1.12 (q = 2.291).
    assert friedman_from_ranks([3.143, 2.000, 2.893, 1.964], 14) == pytest.approx(9.28, abs=0.01)
    assert nemenyi_critical_difference(4, 14) == pytest.approx(1.25, abs=0.005)
    assert nemenyi_critical_difference(4, 14, alpha=0.10) == pytest.approx(1.12, abs=0.005)


def test_rank_test_ranks_the_consistently_best_estimator_first():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.7, 0.9, size=(6, 1))
    table = pd.DataFrame(
        base + np.array([[0.05, 0.02, 0.0, -0.03]]) + rng.normal(0, 0.002, (6, 4)),
        index=[f"d{i}" for i in range(6)],
        columns=["best", "second", "third", "worst"],
    )
    result = rank_test(table)
    assert list(result.average_ranks) == ["best", "second", "third", "worst"]
    assert result.average_ranks["best"] == 1.0 and result.p_value < 0.001
    assert result.statistic == pytest.approx(friedman_from_ranks([1, 2, 3, 4], 6))
    assert result.pairwise_p.loc["best", "worst"] < 0.05
    assert "likely" not in result.sentence() and "differ more than chance" in result.sentence()
    assert rank_test(table.iloc[:2]) is None  # fewer than 3 datasets


def test_a_rank_test_of_estimators_tied_on_every_dataset_finds_nothing_quietly():
    """Clones scoring alike everywhere: 'chi-square nan, p = nan', and SciPy's 'invalid
    value encountered in scalar divide' on stderr."""
    import warnings

    table = pd.DataFrame({name: [0.8, 0.7, 0.9] for name in ("a", "b", "c")})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = rank_test(table)
    assert (result.statistic, result.p_value) == (0.0, 1.0)
    assert "chi-square 0.00, p = 1, so the differences could be chance" in result.sentence()


def test_compare_on_folds_pairs_only_cells_that_both_finished():
    rows = pd.DataFrame(
        {
            "dataset": "d",
            "estimator": ["a"] * 5 + ["b"] * 5,
            "seed": 0,
            "fold": list(range(5)) * 2,
            "status": ["ok"] * 9 + ["error"],
            "accuracy": [0.91, 0.92, 0.90, 0.93, 0.915, 0.90, 0.90, 0.90, 0.90, None],
            "n_train": 80,
            "n_val": 0,
            "n_test": 20,
        }
    )
    test = compare_on_folds(rows, "d", "a", "b")
    assert test.n_folds == 4
    expected = corrected_ttest([0.91, 0.92, 0.90, 0.93], [0.90] * 4, 80, 20)
    assert (test.difference, test.t, test.p_value) == pytest.approx(expected)
    assert test.sentence().startswith("a vs b on d: difference +0.0150, p = ")
    assert compare_on_folds(rows, "d", "a", "missing") is None


def test_bootstrap_ci_brackets_the_mean():
    scores = [0.95, 0.96, 0.97, 0.94, 0.98]
    low, high = bootstrap_ci(scores)
    assert low < np.mean(scores) < high and 0.94 <= low and high <= 0.98
    assert all(math.isnan(v) for v in bootstrap_ci([0.9]))  # one fold has no interval
    assert bootstrap_ci([0.9, 0.9]) == (0.9, 0.9)
