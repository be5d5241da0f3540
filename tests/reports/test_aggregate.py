"""The cross-dataset tables on small result tables with known answers, and Elo against an
independent fit of the Bradley-Terry likelihood (SciPy's ``minimize``)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from tests.helpers.results import score_rows
from treesvsnets.reports.aggregate import ANCHOR, BT_C, aggregate, error_table
from treesvsnets.tasks import REGRESSION


def test_a_method_that_wins_every_battle_has_win_rate_1_and_the_highest_elo():
    rows = score_rows(
        {
            "a": {"rf": [0.80, 0.82, 0.81], "best": [0.9, 0.91, 0.92], "lr": [0.7, 0.85, 0.6]},
            "b": {"rf": [0.60, 0.62], "best": [0.7, 0.75], "lr": [0.65, 0.5]},
        }
    )
    result = aggregate(rows, rounds=20)
    board = result.board
    assert board.index[0] == "best (default)"
    assert result.win_rates.loc["best (default)"].drop("best (default)").eq(1.0).all()
    assert board.loc["best (default)", "win_rate"] == 1.0
    assert board.loc[ANCHOR, "elo"] == 1000.0
    assert board.loc["best (default)", "normalized"] == 1.0
    assert board.loc["best (default)", "improvability"] == 0.0
    assert board.loc["best (default)", "average_rank"] == 1.0


def test_two_methods_that_tie_everywhere_have_the_same_elo_and_rf_is_exactly_1000():
    rows = score_rows(
        {
            "a": {"rf": [0.8, 0.7, 0.9], "x": [0.8, 0.7, 0.9], "y": [0.75, 0.8, 0.85]},
            "b": {"rf": [0.5, 0.6], "x": [0.5, 0.6], "y": [0.55, 0.5]},
        }
    )
    result = aggregate(rows, rounds=20)
    elo = result.board["elo"]
    assert elo[ANCHOR] == 1000.0
    assert elo["x (default)"] == pytest.approx(1000.0, abs=1e-6)
    assert result.win_rates.loc["x (default)", "rf (default)"] == 0.5
    low, high = result.board.loc[ANCHOR, ["elo_low", "elo_high"]]
    assert low == high == 1000.0  # the anchor is fixed in every bootstrap round too


def test_every_dataset_counts_once_whatever_its_number_of_folds():
    # x wins all 10 folds of one dataset and loses all 3 of the other: a tie, not 10 to 3
    rows = score_rows(
        {
            "ten": {"rf": [0.6] * 10, "x": [0.7] * 10},
            "three": {"rf": [0.7] * 3, "x": [0.6] * 3},
        }
    )
    result = aggregate(rows, rounds=20)
    assert result.win_rates.loc["x (default)", "rf (default)"] == 0.5
    assert result.board.loc["x (default)", "elo"] == pytest.approx(1000.0, abs=1e-6)


def test_failed_cells_take_the_baselines_error_and_a_method_that_always_failed_is_dropped():
    nan = float("nan")
    rows = score_rows(
        {
            "a": {
                "dummy": [0.5, 0.4],
                "rf": [0.8, 0.9],
                "flaky": [0.95, nan],
                "broken": [nan, nan],
            },
            "b": {"dummy": [0.3, 0.3], "rf": [0.7, 0.7], "flaky": [nan, 0.9], "broken": [nan, nan]},
        }
    )
    table, dropped, _ = error_table(rows)
    assert dropped == ["broken (default)"]
    flaky = table[table["method"] == "flaky (default)"].set_index(["dataset", "fold"])
    assert flaky.loc[("a", 1), "imputed"] and flaky.loc[("a", 1), "error"] == pytest.approx(0.6)
    assert flaky.loc[("b", 0), "error"] == pytest.approx(0.7)  # the dummy's, not a guess
    result = aggregate(rows, rounds=20)
    assert "broken (default)" not in result.board.index
    assert "dummy (default)" not in result.board.index  # it fills failures; it is no method
    assert result.board.loc["flaky (default)", "imputed"] == 0.5
    assert result.dropped == ["broken (default)"]


def test_without_a_baseline_a_failure_takes_the_worst_error_of_its_split():
    nan = float("nan")
    rows = score_rows({"a": {"rf": [0.8, 0.9], "x": [0.7, 0.95], "flaky": [nan, 0.99]}})
    table, _, _ = error_table(rows)
    filled = table[(table["method"] == "flaky (default)") & (table["fold"] == 0)]
    assert filled["error"].iloc[0] == pytest.approx(0.3)  # x's 0.7 was the worst there


def test_normalized_scores_and_improvability_on_known_errors():
    rows = score_rows(
        {"a": {"rf": [0.9], "x": [0.8], "y": [0.6]}, "b": {"rf": [0.5], "x": [0.75], "y": [0.5]}}
    )
    result = aggregate(rows, rounds=20)
    tabarena = result.normalized["tabarena"]
    # on a: errors 0.1, 0.2, 0.4: best 0.1, median 0.2
    assert tabarena.loc["a", "rf (default)"] == 1.0
    assert tabarena.loc["a", "x (default)"] == pytest.approx(0.0)
    assert tabarena.loc["a", "y (default)"] == 0.0
    # Grinsztajn's: 0 at the 90% quantile of the errors (0.36 on a), 1 at the best
    grinsztajn = result.normalized["grinsztajn"]
    assert grinsztajn.loc["a", "x (default)"] == pytest.approx((0.36 - 0.2) / (0.36 - 0.1))
    gaps = result.improvability
    assert gaps.loc["a", "y (default)"] == pytest.approx(1 - 0.1 / 0.4)
    assert gaps.loc["b", "x (default)"] == 0.0
    assert result.board.loc["x (default)", "improvability"] == pytest.approx((0.5 + 0) / 2)


def test_seconds_per_1000_rows_count_a_tuned_methods_whole_search():
    rows = score_rows({"a": {"rf": [0.9, 0.8]}, "b": {"rf": [0.7, 0.7]}})
    tuned = rows.assign(tuning="tuned", tuning_seconds=9.0)
    result = aggregate(pd.concat([rows, tuned]), rounds=10)
    assert result.board.loc["rf (default)", "train_per_1k"] == pytest.approx(1000 * 1.0 / 200)
    assert result.board.loc["rf (tuned)", "train_per_1k"] == pytest.approx(1000 * 10.0 / 200)
    assert result.board.loc["rf (tuned)", "predict_per_1k"] == pytest.approx(1000 * 0.2 / 50)


def test_each_task_is_judged_on_its_own_metric_and_regression_errors_stay_as_they_are():
    classification = score_rows({"c": {"rf": [0.9, 0.9], "x": [0.8, 0.8]}})
    regression = score_rows({"r": {"rf": [0, 0], "x": [0, 0]}}).assign(
        task=REGRESSION, accuracy=None, rmse=[3.0, 3.0, 1.0, 1.0], mae=[1.0, 1.0, 2.0, 2.0]
    )
    rows = pd.concat([classification, regression], ignore_index=True)
    table, _, _ = error_table(rows)
    assert set(table.loc[table["dataset"] == "r", "error"]) == {3.0, 1.0}
    on_rmse = aggregate(rows, rounds=10).win_rates.loc["x (default)", "rf (default)"]
    on_mae = aggregate(rows, "mae", rounds=10).win_rates
    assert on_rmse == 0.5  # x loses the table, wins the regression on RMSE
    assert on_mae.loc["x (default)", "rf (default)"] == 0.0  # and loses it on MAE


def _reference_elo(battles: list[tuple[str, str, float, float]], methods: list[str]) -> dict:
    """Bradley-Terry by SciPy's minimize over the battles one by one: (a, b, a's score, weight),
    with the same tiny ridge as the fit under test."""
    index = {m: i for i, m in enumerate(methods)}

    def loss(w: np.ndarray) -> float:
        total = 0.5 * w @ w / BT_C
        for a, b, outcome, weight in battles:
            d = math.log(10) * (w[index[a]] - w[index[b]])
            # -[outcome log p + (1 - outcome) log (1 - p)], p = sigmoid(d)
            total += weight * (np.logaddexp(0, -d) * outcome + np.logaddexp(0, d) * (1 - outcome))
        return total

    w = minimize(loss, np.zeros(len(methods)), method="BFGS", options={"gtol": 1e-9}).x
    ratings = 400 * w
    return {m: ratings[index[m]] - ratings[index[ANCHOR]] + 1000 for m in methods}


def test_elo_agrees_with_an_independent_maximum_likelihood_fit_to_one_point():
    rng = np.random.default_rng(7)
    names = ["rf", "a", "b", "c", "d"]
    skill = dict(zip(names, [0.0, 0.03, -0.02, 0.05, -0.06], strict=True))
    scores = {
        f"d{d}": {
            name: list(0.7 + skill[name] + rng.normal(0, 0.05, n_folds).round(2)) for name in names
        }
        for d, n_folds in enumerate([3, 5, 4, 10, 2, 6])
    }
    rows = score_rows(scores)
    battles = []
    for by_estimator in scores.values():
        n_folds = len(next(iter(by_estimator.values())))
        for fold in range(n_folds):
            for a, b in itertools.combinations(names, 2):
                sa, sb = by_estimator[a][fold], by_estimator[b][fold]
                # equal but for rounding (0.7 + 0.03 against 0.73) is a tie
                tied = math.isclose(sa, sb, rel_tol=1e-9)
                outcome = 0.5 if tied else 1.0 if sa > sb else 0.0
                battles.append((f"{a} (default)", f"{b} (default)", outcome, 1 / n_folds))
    assert len(battles) > 200
    methods = [f"{n} (default)" for n in names]
    expected = _reference_elo(battles, methods)
    got = aggregate(rows, rounds=10).board["elo"]
    for method in methods:
        assert got[method] == pytest.approx(expected[method], abs=1.0)
    assert got.std() > 10  # the ratings are spread, so agreement is not trivial
    assert aggregate(rows, rounds=10).board["elo_bounded"].all()  # a finite maximum exists


def test_the_bootstraps_refits_find_the_same_maxima_as_the_logistic_regression():
    """All rounds at once by Newton's method, each round's maximum as scikit-learn's own
    fit finds it, from a start far off; and where one method beats another everywhere."""
    from treesvsnets.reports.aggregate import _bradley_terry, _bradley_terry_refits, dataset_wins

    rng = np.random.default_rng(3)
    scores = {
        f"d{d}": {name: list(rng.uniform(0.6, 0.9, 4).round(2)) for name in ["rf", "a", "b", "c"]}
        for d in range(5)
    }
    _, _, wins = dataset_wins(error_table(score_rows(scores))[0])
    pooled = wins.sum(axis=0)
    expected = _bradley_terry(pooled)
    assert np.ptp(expected) > 20
    rounds = np.stack([pooled, wins[0] + wins[1], wins[2] * 3, np.triu(pooled)])
    got = _bradley_terry_refits(rounds, np.zeros(len(pooled)))
    assert got[0] - got[0][0] == pytest.approx(expected - expected[0], abs=0.01)
    for one, refit in zip(rounds, got, strict=True):
        fitted = _bradley_terry(one)
        assert refit - refit[0] == pytest.approx(fitted - fitted[0], abs=0.01)
    assert np.ptp(got[3]) > 1000  # the first beats all, the second all but the first...


def test_nothing_to_rate_is_an_empty_board_not_an_error():
    """Every cell failed (only the baseline scored), or one method alone: the tables are
    empty or unrated, the report's cross-dataset section is left out, and nothing warns."""
    import warnings

    from treesvsnets.reports.across_section import across_section

    nan = float("nan")
    failed = score_rows({d: {"rf": [nan, nan], "dummy": [0.5, 0.5]} for d in ("a", "b")})
    alone = score_rows({"a": {"rf": [0.9, 0.8]}, "b": {"rf": [0.7, 0.6]}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = aggregate(failed, rounds=10)
        assert result.board.empty and result.dropped == ["rf (default)"]
        assert np.isnan(aggregate(alone, rounds=10).board.loc["rf (default)", "elo"])
        assert across_section(failed, [], None, None) is None
        assert across_section(alone, [], None, None) is None


def test_a_win_rate_counts_only_the_splits_both_methods_ran_on():
    """x has no cell on the third fold (absent, not failed): it won every split they shared."""
    rows = score_rows(
        {"a": {"rf": [0.8, 0.8, 0.8], "x": [0.9, 0.9]}, "b": {"rf": [0.7], "x": [0.6]}}
    )
    rates = aggregate(rows, rounds=10).win_rates
    assert rates.loc["x (default)", "rf (default)"] == pytest.approx((1.0 + 0.0) / 2)
    only_a = aggregate(rows[rows["dataset"] == "a"], rounds=10).win_rates
    assert only_a.loc["x (default)", "rf (default)"] == 1.0


def test_a_method_that_lost_every_battle_has_an_unbounded_rating_and_is_marked_so():
    """mlp loses every battle: no finite maximum-likelihood rating exists for it (only the
    penalty holds it), so the board marks it and the verdict gives no size to the gap; rf and
    x trade wins and stay finite against each other."""
    from treesvsnets.reports.across_section import display
    from treesvsnets.reports.verdict import verdict

    rows = score_rows(
        {
            "a": {"rf": [0.8, 0.7, 0.9], "x": [0.7, 0.8, 0.85], "mlp": [0.5, 0.5, 0.5]},
            "b": {"rf": [0.6, 0.7], "x": [0.65, 0.6], "mlp": [0.4, 0.3]},
        }
    )
    result = aggregate(rows, rounds=20)
    board = result.board
    assert board["elo_bounded"].to_dict() == {
        "rf (default)": True,
        "x (default)": True,
        "mlp (default)": False,
    }
    assert board.loc["rf (default)", "elo_group"] == board.loc["x (default)", "elo_group"]
    shown = display(result).set_index("method")["Elo"]
    assert shown["mlp (default)"].endswith(" (unbounded)") and shown["rf (default)"] == "1000"
    assert "a gap without a finite size, as every battle between their groups went one way" in (
        verdict(result)
    )
    # one lucky fold for mlp joins the groups: every rating is finite again
    rows.loc[(rows["estimator"] == "mlp") & (rows["fold"] == 0) & (rows["dataset"] == "a"),
             "accuracy"] = 0.95  # fmt: skip
    assert aggregate(rows, rounds=20).board["elo_bounded"].all()


def test_a_notebook_gets_each_table_as_a_dataframe():
    rows = score_rows(
        {"a": {"rf": [0.9, 0.8], "x": [0.7, 0.7]}, "b": {"rf": [0.6, 0.6], "x": [0.8, 0.7]}}
    )
    result = aggregate(rows, rounds=10)
    assert result.errors.loc["a", "rf (default)"] == pytest.approx(0.15)
    assert result.ranks.loc["a"].to_dict() == {"rf (default)": 1.0, "x (default)": 2.0}
    assert result.ranks.mean().to_dict() == result.board["average_rank"].to_dict()
    assert list(result.times.columns) == ["train_per_1k", "predict_per_1k"]
    assert result.times.loc["x (default)", "train_per_1k"] == pytest.approx(1000 / 200)


def test_a_method_without_the_judged_score_did_not_fail_and_is_said_so():
    """Judged by ROC-AUC, a model without probabilities has no score in cells that ran fine:
    they are absent, never filled with the baseline's score nor called failures."""
    from treesvsnets.reports.verdict import verdict

    rows = score_rows(
        {d: {"rf": [0.9, 0.8], "mlp": [0.7, 0.85], "svc": [0.8, 0.8], "dummy": [0.5, 0.5]}
         for d in ("a", "b")}
    )  # fmt: skip
    rows["roc_auc"] = rows["accuracy"].where(rows["estimator"] != "svc")  # svc: no probabilities
    table, dropped, unscored = error_table(rows, "roc_auc")
    assert dropped == [] and unscored == ["svc (default)"]
    assert "svc (default)" not in set(table["method"]) and not table["imputed"].any()
    result = aggregate(rows, "roc_auc", rounds=10)
    assert "svc (default)" not in result.board.index and result.unscored == ["svc (default)"]
    text = verdict(result)
    assert "Not rated, no cell has the score the run is judged by" in text
    assert "every cell failed" not in text


def test_methods_that_never_met_are_shown_without_a_rating_and_their_figures_drawn(tmp_path):
    """logreg ran on one dataset and x on the other, each beside the baseline alone: no battle
    rates either, so the board shows a dash and says why, and every figure is drawn (a log
    axis of nothing but NaN ratings failed the whole report)."""
    from treesvsnets.reports.across_section import NO_BATTLE, across_section, display, legend

    rows = score_rows(
        {
            "a": {"logreg": [0.8, 0.7], "dummy": [0.5, 0.5]},
            "b": {"x": [0.6, 0.7], "dummy": [0.4, 0.5]},
        }
    )
    result = aggregate(rows, rounds=10)
    shown = display(result).set_index("method")
    assert shown["Elo"].tolist() == [NO_BATTLE, NO_BATTLE]
    assert shown["win rate"].tolist() == [NO_BATTLE, NO_BATTLE]
    assert "met no other rated method" in legend(result)
    section = across_section(rows, [], None, tmp_path)
    assert section is not None and section.figures
    for figure in section.figures:
        assert (tmp_path / figure.path).is_file()


def test_methods_tied_on_every_pair_are_rated_alike_without_a_solver_warning():
    """Four methods tied in every battle (two runs of one config, compared): the ratings'
    optimum is where Newton starts, its line search finds nothing better, and scikit-learn's
    ConvergenceWarning about it reached the terminal of `compare`."""
    import warnings

    from treesvsnets.reports.aggregate import _bradley_terry

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ratings = _bradley_terry(np.ones((4, 4)) - np.eye(4))
    assert np.allclose(ratings, 0.0)


def test_compare_s_elo_footnote_says_its_anchor_and_the_methods_that_failed_everywhere():
    """A's rf timed out on every fold: it was dropped from the fit without a word, and the
    footnote still said "A's rf (default) = 1000"."""
    from treesvsnets.reports.compare import _elo_lines, elo_changes

    nan = float("nan")
    both = {d: {"rf": [0.8, 0.82], "logreg": [0.7, 0.75], "dummy": [0.5, 0.5]} for d in "ab"}
    failed = {d: {**scores, "rf": [nan, nan]} for d, scores in both.items()}
    changes = elo_changes(score_rows(failed), score_rows(both), None, {"a", "b"})
    assert list(changes["method"]) == ["logreg (default)"]
    footnote = _elo_lines(changes)[-1]
    assert "(no rf (default) of A is rated, so the ratings' mean is 1000)" in footnote
    assert footnote.endswith("Not rated in A or B, every cell failed there: rf (default).")
    footnote = _elo_lines(elo_changes(score_rows(both), score_rows(both), None, {"a", "b"}))[-1]
    assert "(A's rf (default) = 1000)" in footnote and "Not rated" not in footnote


def test_compare_s_elo_pairs_only_datasets_both_runs_split_alike_and_rounding_is_a_tie():
    """Runs of another seed (or fold count) were fitted as if A's fold k and B's fold k were
    the same test rows: 'logreg -107 *' where the per-dataset tests said p = 0.65; and two
    runs of the same cells apart only in an RMSE's 16th digit read 'rf +7'."""
    from treesvsnets.reports.compare import elo_changes

    a = {d: {"rf": [0.8, 0.82], "logreg": [0.7, 0.75]} for d in "abc"}
    b = {d: {"rf": [0.8, 0.82], "logreg": [0.7 + 1e-16, 0.75]} for d in "abc"}
    from treesvsnets.reports.compare import _elo_lines

    unpaired = elo_changes(score_rows(a), score_rows(b), None, {"a"})  # one dataset alike
    assert unpaired.empty and "no fold of A met a fold of B" in _elo_lines(unpaired)[-1]
    changes = elo_changes(score_rows(a), score_rows(b), None, {"a", "b", "c"})
    assert np.allclose(changes["change"], 0.0, atol=1e-6)


def test_compare_marks_a_change_only_over_as_many_datasets_as_the_verdict_reads_a_lead():
    """rf better by the same margin on every dataset: on 3 datasets compare marked its change
    '*', where the verdict calls 3 datasets too few for any lead (a bootstrap over 3 has a
    handful of distinct resamples); on 6 the interval's mark stands."""
    from treesvsnets.reports.compare import _elo_lines, elo_changes
    from treesvsnets.reports.verdict import MIN_DATASETS

    def lines(n: int) -> list[str]:
        names = [f"d{i}" for i in range(n)]
        a = {d: {"rf": [0.70, 0.72, 0.71], "logreg": [0.8, 0.81, 0.79]} for d in names}
        b = {d: {"rf": [0.90, 0.92, 0.91], "logreg": [0.8, 0.81, 0.79]} for d in names}
        changes = elo_changes(score_rows(a), score_rows(b), None, set(names))
        return "\n".join(_elo_lines(changes)).splitlines()

    few, many = lines(MIN_DATASETS - 2), lines(MIN_DATASETS + 1)
    row = next(line for line in few if line.startswith("rf (default)"))
    assert "*" not in row and "(none is marked on 3 datasets" in few[-1]
    row = next(line for line in many if line.startswith("rf (default)"))
    assert "*" in row.split() and "none is marked" not in many[-1]
    assert "(unbounded)" in row  # B's rf won every battle it had: the penalty's number


def test_compare_of_a_tuned_run_with_a_run_not_tuned_says_no_tuned_method_failed():
    """B ran no tuned rows at all: compare said 'Not rated in A or B, every cell failed there:
    rf (tuned)' of cells that never existed in B, none of which failed."""
    from treesvsnets.reports.compare import _elo_lines, elo_changes

    plain = {d: {"rf": [0.8, 0.82], "logreg": [0.7, 0.75]} for d in "ab"}
    default = score_rows(plain)
    tuned = pd.concat([default, default.assign(tuning="tuned")], ignore_index=True)
    changes = elo_changes(tuned, default, None, {"a", "b"})
    assert set(changes["method"]) == {"rf (default)", "logreg (default)"}
    assert "Not rated" not in _elo_lines(changes)[-1]
    failed = tuned.copy()  # tuned in both, every tuned rf cell failed in A: it is said
    failed.loc[(failed["tuning"] == "tuned") & (failed["estimator"] == "rf"), "status"] = "error"
    failed.loc[failed["status"] == "error", "accuracy"] = None
    footnote = _elo_lines(elo_changes(failed, tuned, None, {"a", "b"}))[-1]
    assert footnote.endswith("Not rated in A or B, every cell failed there: rf (tuned).")


def test_without_rf_the_ratings_centre_on_the_methods_with_a_finite_rating():
    """No rf in the run: the ratings' mean was 1000 over every method, one of which lost every
    battle and had only the penalty's number (-700), so the others read 1300+ on one board
    and 1000 on another; they are centred on the methods whose gaps are finite, and an
    interval end the penalty sets reads 'unbounded'."""
    from treesvsnets.reports.aggregate import aggregate
    from treesvsnets.reports.separation import interval_words

    scores = {
        d: {"logreg": [0.80, 0.70], "lightgbm": [0.70, 0.80], "xgboost": [0.1, 0.1]}
        for d in ("a", "b", "c")
    }
    board = aggregate(score_rows(scores), None).board
    finite = board[board["elo_bounded"]]
    assert set(finite.index) == {"logreg (default)", "lightgbm (default)"}
    assert finite["elo"].mean() == pytest.approx(1000.0)
    assert not board.loc["xgboost (default)", "elo_bounded"]
    assert interval_words(1000.0, -900.0, 1100.0) == "unbounded to 1100"
    assert interval_words(0.0, -30.0, 2000.0, signed=True) == "-30 to unbounded"
