"""The verdict paragraph on constructed results: trees ahead, nets ahead, a tie within the
interval, and a part of the datasets where the answer reverses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.helpers.results import score_rows
from treesvsnets.reports.aggregate import aggregate
from treesvsnets.reports.verdict import DatasetFacts, verdict


def _scores(gaps: list[float], seed: int = 0) -> dict[str, dict[str, list[float]]]:
    """Per dataset: rf, xgboost and mlp over 5 folds, mlp ``gap`` above rf on average."""
    rng = np.random.default_rng(seed)
    scores = {}
    for d, gap in enumerate(gaps):
        base = 0.7 + rng.normal(0, 0.01, 5)
        scores[f"d{d}"] = {
            "rf": list(base),
            "xgboost": list(base - 0.005),
            "mlp": list(base + gap + rng.normal(0, 0.002, 5)),
            "dummy": [0.5] * 5,
        }
    return scores


def test_trees_ahead_on_every_dataset_is_said_with_an_interval_that_excludes_0():
    text = verdict(aggregate(score_rows(_scores([-0.003] * 12)), rounds=50))
    assert "best of the tree ensembles, rf (default)" in text
    assert "the best of the nets, mlp (default)" in text
    assert "which excludes 0): the tree ensembles are ahead" in text
    assert "Across 12 datasets" in text
    assert "rf (default) wins 92% of their battles" in text  # mlp won a few: a bounded gap


def test_nets_ahead_is_said_the_other_way_round():
    text = verdict(aggregate(score_rows(_scores([0.05] * 12)), rounds=50))
    assert "the best of the nets, mlp (default)" in text.split(":")[0]
    assert "the nets are ahead" in text


def test_a_tie_within_the_interval_says_they_cannot_be_told_apart_and_that_datasets_are_few():
    # nets win three datasets by a lot and lose three by as much
    text = verdict(aggregate(score_rows(_scores([0.05, -0.05] * 3)), rounds=50))
    assert "which includes 0): the two cannot be told apart" in text
    assert "6 datasets are too few" in text
    assert "are ahead" not in text


def test_a_part_where_the_answer_reverses_is_named():
    scores = _scores([-0.05] * 8 + [0.05] * 4)
    facts = {
        f"d{d}": DatasetFacts("classification", 500, kind="table" if d < 8 else "image")
        for d in range(12)
    }
    text = verdict(aggregate(score_rows(scores), rounds=50), facts)
    assert "It reverses on images and sequences (4 datasets: rf (default) wins 0%)" in text


def test_one_family_alone_gets_no_verdict():
    rows = score_rows({"a": {"rf": [0.8, 0.9], "xgboost": [0.7, 0.8]}})
    assert "Only one family of methods ran (ensemble)" in verdict(aggregate(rows, rounds=10))


def test_a_run_with_both_tasks_rates_them_together_and_each_alone():
    from treesvsnets.reports.across_section import across_section

    classification = score_rows(_scores([-0.05] * 3))
    regression = score_rows(_scores([0.05] * 2, seed=1)).assign(
        task="regression", dataset=lambda r: "r-" + r["dataset"]
    )
    regression["rmse"] = 1 - regression.pop("accuracy")  # lower is better: mlp wins here
    rows = pd.concat([classification, regression], ignore_index=True)
    section = across_section(rows, [], None, None)
    assert section is not None and section.result.n_datasets == 5  # one board over both
    classified, regressed = section.by_task
    assert classified.startswith(
        "Classification datasets alone (3, judged by accuracy; 95% intervals): Elo "
    )
    assert regressed.startswith(
        "Regression datasets alone (2, judged by RMSE; 95% intervals): Elo mlp (default)"
    )
    assert classified.split("Elo ")[1].startswith("rf (default) 1000")
    # mlp won every regression battle: its rating there has no finite value, and says so
    assert regressed.split("Elo ")[1].split(", ")[0].startswith("mlp (default) ")
    assert " (unbounded) (" in regressed.split("Elo ")[1].split(", ")[0]
    # a task of one dataset is still shown, as that dataset's answer without an interval
    one = rows[rows["dataset"] != "r-d1"]
    regressed = across_section(one, [], None, None).by_task[1]
    assert regressed.startswith("Regression datasets alone (1, judged by RMSE; no interval): Elo ")
    assert " to " not in regressed


def test_the_board_s_legend_says_the_imputation_rule_and_reads_far_interval_ends():
    """The rule for failed cells is on the page whatever happened; an interval end far from its
    rating (a method that lost every battle in some resamples) is explained only when there
    is one; without rf (default) the legend says the mean is 1000."""
    from treesvsnets.reports.across_section import across_section

    nan = float("nan")
    scores = _scores([-0.05] * 3)
    scores["d0"]["mlp"] = [nan] * 5  # failed on d0: the dummy's error, which loses everything
    section = across_section(score_rows(scores), [], None, None)
    assert section.table.set_index("method").loc["mlp (default)", "imputed"] == "[33% imputed]"
    legend = section.legend
    assert "each takes the baseline's (dummy's) error on the same dataset, seed and fold" in legend
    assert "`[X% imputed]` is the share of a method's cells filled so" in legend
    assert "rf (default) = 1000" in legend and "200 refits" in legend
    board = section.result.board
    far = (board["elo"] - board["elo_low"]).max() > 800
    assert far == ("read it as 'unbounded'" in legend)
    rows = score_rows({d: {"x": [0.8, 0.7], "mlp": [0.6, 0.9]} for d in ("a", "b")})
    other = across_section(rows, [], None, None).legend
    assert "no rf (default) in these runs, so the ratings' mean is 1000" in other
    assert "'unbounded'" not in other and "Failed cells" in other


def test_a_net_that_ran_on_one_dataset_does_not_speak_for_the_nets():
    """cnn wins the one image set it can run on; the nets' side is the net that ran on every
    dataset, and cnn is named as rated on its one dataset alone."""
    scores = _scores([-0.05] * 6)
    scores["d0"]["cnn"] = [0.99] * 5
    result = aggregate(score_rows(scores), rounds=50)
    assert result.board.index[0] == "cnn (default)"  # the board still shows it first
    text = verdict(result)
    assert "the best of the nets, mlp (default)" in text
    assert "the tree ensembles are ahead" in text
    assert "Rated only where they ran, so not set against the others on every dataset: " in text
    assert "cnn (default) (1 of 6, Elo " in text


def test_what_ensembling_changed_is_one_sentence():
    """Trees ahead with defaults and tuned; the nets' tuned+ensembled variant ahead of all:
    the paragraph names the reversal by ensembling, and tuning's sentence reads the defaults
    alone (never a tuned+ensembled method)."""
    scores = _scores([-0.05] * 12)
    rows = score_rows(scores)
    tuned = rows[rows["estimator"] != "dummy"].assign(tuning="tuned")
    ensembled = rows[rows["estimator"].isin(["rf", "mlp"])].assign(tuning="tuned+ensembled")
    ensembled.loc[ensembled["estimator"] == "mlp", "accuracy"] += 0.1
    board = aggregate(pd.concat([rows, tuned, ensembled], ignore_index=True), rounds=50)
    text = verdict(board)
    assert "the best of the nets, mlp (tuned+ensembled)" in text
    assert "With defaults only, rf (default) against mlp (default)" in text
    assert "Without ensembling, " in text and "ensembling reverses the answer." in text
    assert text.count("ensembling") == 2  # one sentence


def test_a_gap_every_battle_decided_is_given_no_size_and_no_interval():
    """Trees won every battle: the board says '(unbounded)' and the README that the verdict
    gives such a gap no size, yet it quoted 'a 95% interval 2601 to 2959, which excludes 0'
    (the fit's penalty at work, as the gap itself)."""
    for n, ending in ((12, ": the tree ensembles are ahead."), (2, "too few to make a verdict")):
        text = verdict(aggregate(score_rows(_scores([-0.05] * n)), rounds=50))
        assert "a gap without a finite size" in text and ending in text
        assert "95% interval" not in text


def test_with_2_datasets_an_interval_that_excludes_0_is_not_read_as_a_lead():
    """Trees win every battle on both datasets: the bootstrap's interval excludes 0 (each of
    its 3 distinct resamples agrees), yet 2 datasets are too few to call it."""
    result = aggregate(score_rows(_scores([-0.002] * 2)), rounds=50)
    assert result.elo.gap("rf (default)", "mlp (default)")[1] > 0
    text = verdict(result)
    assert "Across 2 datasets" in text
    assert "rf (default) leads on these 2 datasets, but 2 datasets are too few for the " in text
    assert "interval to separate the families" in text
    assert "are ahead" not in text


def test_a_third_family_ahead_of_both_is_named():
    """logreg beats trees and nets on every dataset: the paragraph still sets trees against
    nets, and says both are behind the linear model, by how much and how sure."""
    scores = _scores([-0.05] * 12)
    for by_estimator in scores.values():
        by_estimator["logreg"] = [v + 0.05 for v in by_estimator["rf"]]
    result = aggregate(score_rows(scores), rounds=50)
    text = verdict(result)
    assert "the tree ensembles are ahead" in text
    gap = result.board.loc["logreg (default)", "elo"] - 1000
    assert (
        f"Both are behind the best of the linear models, logreg (default), at "
        f"{1000 + gap:.0f} Elo: {gap:.0f} points above rf (default) (95% interval " in text
    )
    assert "which excludes 0)." in text.split("Both are behind")[1]
    assert "Both are behind" not in verdict(aggregate(score_rows(_scores([-0.05] * 12)), rounds=50))
    few = verdict(aggregate(score_rows(dict(list(scores.items())[:3])), rounds=50))
    assert "on too few datasets to tell)." in few.split("Both are behind")[1]
    assert "excludes 0" not in few


def test_a_part_where_the_two_are_even_is_not_said_to_agree():
    scores = _scores([-0.05] * 8)
    for d in (6, 7):  # on the two large tables mlp and rf trade folds: 50% each
        scores[f"d{d}"]["mlp"] = [
            v + (0.05 if i % 2 else -0.05) for i, v in enumerate(scores[f"d{d}"]["rf"][:4])
        ]
        scores[f"d{d}"]["rf"] = scores[f"d{d}"]["rf"][:4]
        scores[f"d{d}"]["xgboost"] = scores[f"d{d}"]["xgboost"][:4]
        scores[f"d{d}"]["dummy"] = scores[f"d{d}"]["dummy"][:4]
    facts = {f"d{d}": DatasetFacts("classification", 500 if d < 6 else 5000) for d in range(8)}
    text = verdict(aggregate(score_rows(scores), rounds=50), facts)
    assert "The two are even on datasets of 2,000 rows or more (2 datasets: " in text
    assert "rf (default) wins 50%)" in text
    assert "The answer holds on every part" not in text


def test_what_the_paragraph_knows_of_each_dataset_comes_from_the_manifests_entries():
    """The entries ``Dataset.describe`` writes: an image set, a sequence set, a table with
    categorical columns, one without (an older entry without the key: no categories)."""
    from treesvsnets.datasets import load
    from treesvsnets.reports.across_section import dataset_facts

    described = [load(name).describe() for name in ("digits", "iris")]
    described += [
        {"name": "seq", "task": "classification", "n_samples": 10, "sequence_shape": [1, 40]},
        {"name": "cats", "task": "regression", "n_samples": 5000, "categorical_columns": ["c"]},
    ]
    facts = dataset_facts(described)
    assert facts["digits"] == DatasetFacts("classification", 1797, kind="image")
    assert facts["iris"] == DatasetFacts("classification", 150)
    assert facts["seq"].kind == "sequence" and facts["cats"].categorical
    assert facts["cats"].parts() == {
        "task": "regression datasets",
        "size": "datasets of 2,000 rows or more",
        "kind": "tables",
        "categorical": "tables with categorical columns",
    }


def test_an_interval_end_within_half_a_point_of_0_reads_as_0_and_includes_it():
    """An Elo interval from -0.0002 to 37 once read '-0 to 37, which includes 0', and the
    same from +0.0002 would have read 'excludes 0': the ends are whole points, and 0 is 0."""
    from types import SimpleNamespace

    from treesvsnets.reports.verdict import _gap

    for noise in (-0.0002, 0.0002):
        result = SimpleNamespace(elo=SimpleNamespace(gap=lambda a, b, n=noise: (12.3, n, 37.4)))
        gap, low, high = _gap(result, "a", "b")
        assert (gap, low, high) == (12.3, 0.0, 37.0) and f"{low:.0f}" == "0"
    result = SimpleNamespace(elo=SimpleNamespace(gap=lambda a, b: (5.0, np.nan, np.nan)))
    assert np.isnan(_gap(result, "a", "b")[1])  # one dataset: no interval


def test_a_score_that_rounds_to_zero_shows_no_minus_sign():
    from treesvsnets.tasks import primary

    r2, accuracy = primary("regression", "r2"), primary("classification", None)
    assert r2.show(-0.00001) == "0.0000" and accuracy.show(-0.00001, signed=True) == "+0.0000"
    assert accuracy.show(-0.25, signed=True) == "-0.2500" and r2.show(0.5) == "0.5000"


def _linear_on_both_tasks() -> tuple[pd.DataFrame, dict[str, DatasetFacts]]:
    """-e linear on 2 classification sets and a regression one: logreg beats rf on the first,
    ridge loses to rf on the last."""
    classification = score_rows(
        {f"c{d}": {"rf": [0.7] * 3, "logreg": [0.8] * 3, "dummy": [0.5] * 3} for d in range(2)}
    ).assign(family=lambda r: r["estimator"].map({"logreg": "linear"}).fillna(r["family"]))
    regression = score_rows({"r0": {"rf": [0.2] * 3, "ridge": [0.5] * 3, "dummy": [0.9] * 3}})
    regression = regression.assign(
        task="regression",
        rmse=regression.pop("accuracy"),
        family=regression["estimator"].map({"ridge": "linear"}).fillna(regression["family"]),
    )
    rows = pd.concat([classification, regression], ignore_index=True)
    facts = {"c0": DatasetFacts("classification", 500), "c1": DatasetFacts("classification", 500)}
    facts["r0"] = DatasetFacts("regression", 500)
    return rows, facts


def test_the_linear_baseline_of_each_task_is_one_method_across_a_run_of_both_tasks():
    """-e linear is logreg on the classification sets and ridge on the regression one. Apart,
    logreg spoke for the linear models on 2 of 3 datasets, the regression set had 'no answer'
    though rf met ridge there, and ridge was rated on its one dataset ('Elo 3313,
    unbounded'). As one method, logreg/ridge, the paragraph answers on all 3 and says where
    the order reverses."""
    rows, facts = _linear_on_both_tasks()
    result = aggregate(rows, rounds=20)
    assert list(result.board.index) == ["logreg/ridge (default)", "rf (default)"]
    assert result.board.loc["logreg/ridge (default)", "datasets"] == 3
    text = verdict(result, facts)
    assert text.startswith("Across 3 datasets, the best of the linear models, logreg/ridge")
    assert "It reverses on regression datasets (1 dataset: logreg/ridge (default) wins 0%)" in text
    assert "no answer there" not in text and "Rated only where they ran" not in text
    # apart (as compare keeps them: each estimator's own change), the old reading
    apart = aggregate(rows, rounds=20, join_tasks=False)
    assert set(apart.board.index) == {"logreg (default)", "ridge (default)", "rf (default)"}
    text = verdict(apart, facts)
    assert text.startswith("On the 2 of 3 datasets both ran, the best of the linear models")
    assert "did not meet on regression datasets: no answer there." in text


def test_a_side_rated_on_its_failed_cells_is_said_so():
    """rf timed out on 7 of its 9 cells: "logreg wins 89% of their battles" was right, and the
    paragraph never said those battles were mostly against the baseline's error."""
    nan = float("nan")
    scores = _scores([-0.05] * 6)
    for dataset, by_estimator in scores.items():
        del by_estimator["xgboost"]  # rf alone speaks for the trees
        if dataset in ("d0", "d1", "d2"):
            by_estimator["rf"] = [nan] * 5
    text = verdict(aggregate(score_rows(scores), rounds=20))
    assert text.startswith("Across 6 datasets, the best of the tree ensembles, rf (default)")
    assert (
        "Part of this rests on failed cells, which count as the baseline's error: 50% of "
        "rf (default)'s cells." in text
    )
    assert "failed cells" not in verdict(aggregate(score_rows(_scores([-0.05] * 6)), rounds=20))
