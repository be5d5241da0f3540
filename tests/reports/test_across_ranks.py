"""The rank tests of the cross-dataset section rank the board's own methods (default and tuned
apart, failures filled by the board's rule) plus the baseline, one test per task."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.helpers.results import score_rows
from treesvsnets.reports.across_section import across_section


def _ranks(sentence: str) -> dict[str, float]:
    listed = sentence.split("): ", 1)[1]
    return {
        name: float(rank) for name, rank in (item.rsplit(" ", 1) for item in listed.split(", "))
    }


def test_the_average_ranks_of_the_rank_test_are_the_boards_in_a_tuned_run():
    nan = float("nan")
    scores = {
        f"d{d}": {
            "rf": [0.80 + d / 100, 0.82],
            "mlp": [0.70, 0.90 - d / 100],
            "logreg": [0.75, 0.78] if d else [nan, nan],  # failed on d0: the dummy's error
            "dummy": [0.5, 0.5],
        }
        for d in range(4)
    }
    rows = score_rows(scores)
    tuned = rows[rows["estimator"] != "dummy"].assign(tuning="tuned")
    tuned["accuracy"] = tuned["accuracy"] + 0.01 * (tuned["estimator"] == "mlp")
    section = across_section(pd.concat([rows, tuned], ignore_index=True), [], None, None)
    friedman, averages = section.statistics
    assert friedman.startswith("Friedman test over 4 datasets and 7 estimators")
    ranks = _ranks(averages)
    assert averages.startswith("average ranks (1 = best accuracy): ")
    assert {"rf (tuned)", "mlp (tuned)", "logreg (default)", "dummy (default)"} <= set(ranks)
    # the floor: last on 3 datasets; on d0 both logregs failed and took its error: a 3-way tie
    assert ranks.pop("dummy (default)") == (7 * 3 + 6) / 4
    board = section.result.board["average_rank"].to_dict()
    for failed in ("logreg (default)", "logreg (tuned)"):  # in the test, not dropped
        assert ranks.pop(failed) == pytest.approx(board.pop(failed) + 0.5 / 4, abs=0.006)
    assert ranks == pytest.approx(board, abs=0.006)  # the board's ranks, the baseline aside


def test_each_task_gets_its_own_rank_test_on_its_own_metric():
    classification = score_rows(
        {f"c{d}": {"rf": [0.9], "mlp": [0.8], "dummy": [0.5]} for d in range(3)}
    )
    regression = score_rows(
        {f"r{d}": {"rf": [0.0], "mlp": [0.0], "dummy": [0.0]} for d in range(3)}
    ).assign(task="regression", accuracy=None, rmse=lambda r: r["estimator"].map(
        {"rf": 3.0, "mlp": 1.0, "dummy": 9.0}))  # fmt: skip
    section = across_section(pd.concat([classification, regression]), [], None, None)
    said = "\n".join(section.statistics)
    assert "Classification datasets (accuracy): Friedman test over 3 datasets" in said
    assert "Regression datasets (RMSE): average ranks (1 = best RMSE): mlp (default) 1.00, " in said
