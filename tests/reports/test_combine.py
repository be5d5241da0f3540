"""Runs put together, on real small runs: a combined report of several run folders
(``treesvsnets report A B --out DIR``) equals the report of one run over the same cells, runs
that cannot share a board are refused in one sentence with nothing written; and ``compare``
of two multi-dataset runs rates both runs' methods on one Elo scale."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

import treesvsnets
from tests.helpers.cli import cli

#: the settings every run here shares: small and fast
SETTINGS = {
    "estimators": ["logreg", "rf"],
    "folds": 2,
    "params": {"rf": {"n_estimators": 5}},
    "isolate": False,
    "progress": False,
}
#: summary.csv's columns that time or measure the machine, not the scores
MEASURED = ["fit_seconds", "predict_seconds", "predict_ms_per_1k", "peak_rss_mb"]
#: the cross-dataset board's columns computed from the scores alone
FROM_SCORES = [
    "elo",
    "elo_low",
    "elo_high",
    "win_rate",
    "average_rank",
    "normalized",
    "normalized_grinsztajn",
    "improvability",
    "improvability_low",
    "improvability_high",
    "datasets",
    "imputed",
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    made = {
        "both": treesvsnets.run(datasets=["iris", "wine"], out=out, **SETTINGS),
        "iris": treesvsnets.run(datasets=["iris"], out=out, **SETTINGS),
        "wine": treesvsnets.run(datasets=["wine"], out=out, **SETTINGS),
        "iris_3_folds": treesvsnets.run(datasets=["iris"], out=out, **{**SETTINGS, "folds": 3}),
        "more_trees": treesvsnets.run(
            datasets=["iris", "wine"],
            out=out,
            **{**SETTINGS, "params": {"rf": {"n_estimators": 40}}},
        ),
        "wine_roc_auc": treesvsnets.run(datasets=["wine"], out=out, metric="roc_auc", **SETTINGS),
    }
    return {name: result.run_dir for name, result in made.items()}


def _across_table(report_md: str) -> pd.DataFrame:
    """The cross-dataset table of a report.md, as strings."""
    lines = report_md.split("## Across datasets", 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| rank"))
    end = next(i for i, line in enumerate(lines[start:], start) if not line.startswith("|"))
    table = lines[start:end]
    cells = [[c.strip() for c in line.strip()[1:-1].split("|")] for line in table]
    return pd.DataFrame(cells[2:], columns=cells[0])


def _verdict(report_md: str) -> str:
    return report_md.split("## Across datasets", 1)[1].split("**")[1]


def test_a_combined_report_of_two_runs_equals_the_report_of_one_run_over_the_same_cells(
    runs, tmp_path
):
    out = tmp_path / "combined"
    done = cli("report", runs["iris"], runs["wine"], "--out", out)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    assert {p.name for p in out.iterdir()} == {"report.html", "report.md", "summary.csv", "figures"}
    one, combined = runs["both"], out
    # each dataset's leaderboard: every score column equal (the times differ)
    summaries = [pd.read_csv(d / "summary.csv").drop(columns=MEASURED) for d in (one, combined)]
    pd.testing.assert_frame_equal(*summaries)
    # the cross-dataset board: Elo reads only scores, so it is equal exactly, interval included
    from treesvsnets.reports.aggregate import aggregate
    from treesvsnets.reports.combine import combine_runs

    joined = combine_runs([runs["iris"], runs["wine"]])
    boards = [aggregate(one), aggregate(joined.rows, joined.manifest.metric)]
    pd.testing.assert_frame_equal(boards[0].board[FROM_SCORES], boards[1].board[FROM_SCORES])
    pd.testing.assert_frame_equal(boards[0].win_rates, boards[1].win_rates)
    # and the page says the same: the verdict and the board, but for its time columns
    pages = [(d / "report.md").read_text(encoding="utf-8") for d in (one, combined)]
    assert _verdict(pages[0]) == _verdict(pages[1])
    tables = [_across_table(page) for page in pages]
    times = ["train s/1k rows", "predict s/1k rows"]
    assert len(tables[0]) == 2
    pd.testing.assert_frame_equal(tables[0].drop(columns=times), tables[1].drop(columns=times))
    # the header names the runs combined
    iris_id, wine_id = runs["iris"].name, runs["wine"].name
    assert f"combines 2 runs: `{iris_id}` (iris), `{wine_id}` (wine)" in pages[1]
    assert pages[1].startswith(f"# treesvsnets runs `{iris_id} + {wine_id}`")


def test_runs_that_split_a_shared_dataset_differently_are_refused_with_nothing_written(
    runs, tmp_path
):
    out = tmp_path / "combined"
    done = cli("report", runs["both"], runs["iris_3_folds"], "--out", out)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "split iris differently" in lines[0]
    assert runs["both"].name in lines[0] and runs["iris_3_folds"].name in lines[0]
    assert not out.exists()


def test_runs_judged_by_different_metrics_are_refused_unless_one_is_given(runs, tmp_path):
    out = tmp_path / "combined"
    done = cli("report", runs["iris"], runs["wine_roc_auc"], "--out", out)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "judged by different metrics" in lines[0]
    assert f"{runs['wine_roc_auc'].name} by roc_auc" in lines[0]
    assert not out.exists()
    done = cli("report", runs["iris"], runs["wine_roc_auc"], "--out", out, "--metric", "roc_auc")
    assert done.returncode == 0, done.stderr
    assert "judged by: ROC-AUC" in (out / "report.md").read_text(encoding="utf-8")


def test_several_folders_need_out_and_out_is_never_a_run_folder(runs):
    done = cli("report", runs["iris"], runs["wine"])
    assert done.returncode == 2 and "give --out DIR" in done.stderr
    done = cli("report", runs["iris"], runs["wine"], "--out", runs["both"])
    assert done.returncode == 2 and "is a run folder" in done.stderr


def test_a_cell_in_two_runs_counts_once_and_other_versions_are_a_warning(runs, tmp_path):
    other = tmp_path / "wine-elsewhere"
    shutil.copytree(runs["wine"], other)
    manifest = json.loads((other / "manifest.json").read_text(encoding="utf-8"))
    manifest["environment"]["packages"]["numpy"] = "0.0.1"
    (other / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    out = tmp_path / "combined"
    done = cli("report", runs["both"], runs["iris"], other, "--out", out)
    assert done.returncode == 0, done.stderr
    page = (out / "report.md").read_text(encoding="utf-8")
    for said in (
        "12 cell(s) are in more than one run",
        f"wine-elsewhere against {runs['both'].name}: library versions differ: numpy",
    ):
        assert said in done.stderr and said in page
    # each cell once: the same leaderboards as the one run over both datasets
    summaries = [pd.read_csv(d / "summary.csv").drop(columns=MEASURED) for d in (runs["both"], out)]
    pd.testing.assert_frame_equal(*summaries)
    assert "cells: 12 ok" in page


def test_compare_of_two_multi_dataset_runs_gives_each_methods_elo_change_with_its_interval(runs):
    comparison = treesvsnets.compare_runs(runs["both"], runs["more_trees"])
    elo = comparison.elo.set_index("method")
    assert set(elo.index) == {"rf (default)", "logreg (default)"}  # the baseline is not rated
    assert elo.loc["rf (default)", "elo_a"] == pytest.approx(1000)
    # logreg's results are the same in both runs: its two ratings are one
    assert elo.loc["logreg (default)", "change"] == pytest.approx(0, abs=1e-6)
    # 40 trees instead of 5 score better on both datasets: rf's Elo rises
    rf = elo.loc["rf (default)"]
    assert rf["change"] > 0
    assert rf["change"] == pytest.approx(rf["elo_b"] - rf["elo_a"])
    assert rf["low"] <= rf["change"] <= rf["high"]
    done = cli("compare", runs["both"], runs["more_trees"])
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("rf (default)"))
    assert line.split()[2:4] == ["1000", f"{rf['elo_b']:.0f}"]
    assert "on one scale" in done.stdout
    # the same results in both: a change of +0 between +0 and +0, never "-0" nor starred
    line = next(line for line in done.stdout.splitlines() if line.startswith("logreg (default)"))
    assert line.split()[4:] == ["+0", "+0", "to", "+0"]


def test_compare_says_nothing_of_elo_with_fewer_than_two_datasets_in_both(runs):
    comparison = treesvsnets.compare_runs(runs["both"], runs["iris"])
    assert comparison.elo.empty
    done = cli("compare", runs["both"], runs["iris"])
    assert done.returncode == 0 and "Elo" not in done.stdout


def test_aggregate_of_run_folders_joins_them_as_report_does(runs):
    """``treesvsnets.aggregate([A, B])`` reads the folders by the combined report's rules: the
    same board as one run over the same cells, a run given twice counted once, and runs that
    split a shared dataset differently refused."""
    from treesvsnets.errors import ConfigError

    one = treesvsnets.aggregate(runs["both"]).board[FROM_SCORES]
    joined = treesvsnets.aggregate([runs["iris"], runs["wine"]]).board[FROM_SCORES]
    pd.testing.assert_frame_equal(one, joined)
    twice = treesvsnets.aggregate([runs["both"], runs["both"]])
    pd.testing.assert_frame_equal(one, twice.board[FROM_SCORES])
    assert len(twice.table) == len(treesvsnets.aggregate(runs["both"]).table)
    with pytest.raises(ConfigError, match="split iris differently"):
        treesvsnets.aggregate([runs["both"], runs["iris_3_folds"]])
