import numpy as np
import pandas as pd

from treesvsnets.reports.leaderboard import format_tables, leaderboard


def _rows():
    rows = []
    accuracies = {"a": [0.9, 0.8, 0.85], "b": [0.95, 0.97, 0.96]}
    for estimator, values in accuracies.items():
        for fold, accuracy in enumerate(values):
            rows.append(
                {
                    "dataset": "d",
                    "estimator": estimator,
                    "family": "ensemble",
                    "fold": fold,
                    "status": "ok",
                    "accuracy": accuracy,
                    "balanced_accuracy": accuracy,
                    "f1_macro": accuracy,
                    "log_loss": 1 - accuracy,
                    "fit_seconds": fold + 1.0,
                    "predict_seconds": 0.1,
                    "predict_ms_per_1k": 2.0,
                    "peak_rss_mb": 100.0,
                }
            )
    for fold, status in enumerate(["error", "error", "timeout"]):
        rows.append(
            {
                "dataset": "d",
                "estimator": "broken",
                "family": "other",
                "fold": fold,
                "status": status,
            }
        )
    return pd.DataFrame(rows)


def test_means_spread_and_rank_over_successful_cells():
    board = leaderboard(_rows()).set_index("estimator")
    assert board.loc["b", "rank"] == 1 and board.loc["a", "rank"] == 2
    assert board.loc["a", "accuracy"] == np.mean([0.9, 0.8, 0.85])
    assert board.loc["a", "accuracy_std"] == np.std([0.9, 0.8, 0.85], ddof=1)
    assert board.loc["a", "fit_seconds"] == 2.0


def test_an_estimator_whose_cells_all_failed_stays_in_the_table():
    board = leaderboard(_rows()).set_index("estimator")
    assert pd.isna(board.loc["broken", "rank"])
    assert board.loc["broken", "cells_ok"] == 0
    assert board.loc["broken", "failures"] == "2 error, 1 timeout"
    table = format_tables(leaderboard(_rows()), "github")["d"]
    lines = [line for line in table.splitlines() if "broken" in line]
    assert "failed" in lines[0] and "2 error, 1 timeout" in lines[0]


def test_the_terminal_shows_the_datasets_in_the_order_the_run_took_them():
    from tests.helpers.results import score_rows
    from treesvsnets.reports.terminal import leaderboard_lines

    rows = score_rows({"wine": {"rf": [0.9, 0.8]}, "iris": {"rf": [0.7, 0.6]}})
    heads = [line.strip().splitlines()[0] for line in leaderboard_lines(rows)]
    assert heads == ["wine", "iris"]


def test_an_estimator_that_failed_most_folds_ranks_after_the_complete_ones(tmp_path, register_spec):
    """One fold of three succeeded: its mean is over another set of folds than the others',
    so it ranks after every estimator with all its cells, shows no spread it does not have,
    and gets no 'better' without a test."""
    import treesvsnets
    from tests.helpers.estimators import OddFoldFailer
    from treesvsnets.reports.leaderboard import display_table

    register_spec("flaky", OddFoldFailer)
    rows = treesvsnets.run(datasets=["wine"], estimators=["flaky", "logreg"], folds=3,
                           out=tmp_path, progress=False).rows  # fmt: skip
    assert rows.groupby("estimator")["status"].apply(lambda s: (s == "ok").sum()).to_dict() == {
        "flaky": 1, "logreg": 3, "dummy": 3
    }  # fmt: skip
    board = leaderboard(rows).set_index("estimator")
    assert board.loc["flaky", "rank"] == 3  # after logreg and the dummy, whose 3 cells ran
    assert board.loc["logreg", "rank"] == 1 and board.loc["dummy", "rank"] == 2
    shown = display_table(leaderboard(rows)).set_index("estimator")
    assert shown.loc["flaky", "accuracy"].endswith(" (1 cell)")
    assert shown.loc["flaky", "vs baseline"] == "no test (1 fold)"
    assert shown.loc["logreg", "vs baseline"].startswith("better (p=")
