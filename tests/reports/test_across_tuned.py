"""The cross-dataset section of a real tuned and ensembled run (the CLI in a subprocess): the
default, tuned and tuned+ensembled variants are separate methods on the board, and a tuned
method's train time is its whole search (every trial, then the refit or the selection)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers.cli import cli
from treesvsnets.reports.aggregate import aggregate

RUN = (
    "run -d iris -d wine -e rf --param n_estimators=5 -e logreg --folds 2 --tune 2 --ensemble"
).split()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tuned")
    done = cli(*RUN, "--in-process", "--out", out)
    assert done.returncode == 0, done.stderr
    (found,) = out.iterdir()
    return found


def test_default_tuned_and_ensembled_are_separate_methods_on_the_board(run_dir):
    report = (run_dir / "report.md").read_text()
    board = report.split("## Across datasets", 1)[1].split("\n## ", 1)[0]
    for estimator in ("rf", "logreg"):
        for protocol in ("default", "tuned", "tuned+ensembled"):
            assert f"| {estimator} ({protocol})" in board
    assert "With defaults only, " in board  # what tuning changed, in the verdict
    assert "Across 2 datasets" in board and "2 datasets are too few" in board
    assert "a Friedman/Nemenyi comparison needs at least 3 datasets (this run has 2)" in board


def test_a_tuned_methods_train_time_is_its_whole_search(run_dir):
    rows = pd.read_csv(run_dir / "results.csv")
    with sqlite3.connect(run_dir / "results.sqlite") as connection:
        trials = pd.read_sql_query("SELECT * FROM trials", connection)
    key = ["dataset", "estimator", "seed", "fold"]
    searches = trials.groupby(key)["seconds"].sum().rename("search")
    tuned = rows[rows["tuning"] != "default"].join(searches, on=key)
    assert tuned["tuning_seconds"].to_numpy() == pytest.approx(tuned["search"].to_numpy())
    per_1k = 1000 * (tuned["fit_seconds"] + tuned["search"]) / tuned["n_train"]
    expected = (
        tuned.assign(per_1k=per_1k)
        .groupby(["estimator", "tuning", "dataset"])["per_1k"]
        .mean()
        .groupby(["estimator", "tuning"])
        .median()
    )
    board = aggregate(run_dir).board
    for (estimator, tuning), value in expected.items():
        assert board.loc[f"{estimator} ({tuning})", "train_per_1k"] == pytest.approx(value)
