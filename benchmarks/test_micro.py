"""Micro-benchmarks of the harness's own work (pytest-benchmark).

    pytest benchmarks/ --benchmark-only --benchmark-autosave      # saves .benchmarks/...
    pytest benchmarks/ --benchmark-only --benchmark-compare       # against the last save

Not part of the test suite (``testpaths = ["tests"]``); each case checks what it computed,
so a benchmark of a broken function fails instead of timing it.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from treesvsnets.bench.cells.splits import make_split_plan
from treesvsnets.datasets import load
from treesvsnets.reports.leaderboard import leaderboard
from treesvsnets.results.store import ResultStore

ROWS = 10_000


@pytest.fixture(scope="module")
def digits():
    return load("digits")


def _rows(n: int) -> list[dict]:
    """``n`` plausible result rows: 20 datasets x 10 estimators x 50 folds."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        rows.append(
            {
                "run_id": "bench",
                "dataset": f"d{i % 20}",
                "estimator": f"e{(i // 20) % 10}",
                "family": "ensemble",
                "seed": 0,
                "fold": i // 200,
                "status": "ok",
                "n_train": 1000,
                "n_val": 0,
                "n_test": 250,
                "accuracy": float(rng.uniform(0.8, 1.0)),
                "balanced_accuracy": float(rng.uniform(0.8, 1.0)),
                "f1_macro": float(rng.uniform(0.8, 1.0)),
                "log_loss": float(rng.uniform(0.05, 0.5)),
                "fit_seconds": float(rng.lognormal(0, 1)),
                "predict_seconds": float(rng.lognormal(-3, 1)),
                "predict_ms_per_1k": 1.0,
                "peak_rss_mb": 300.0,
                "confusion": json.dumps([[100, 3], [4, 143]]),
            }
        )
    return rows


def test_split_plan_of_digits_five_folds(benchmark, digits):
    split_plan = benchmark(make_split_plan, digits, 5, 0)
    assert split_plan.n_folds == 5
    assert sum(len(f.test) for f in split_plan.folds) == digits.n_samples


def test_storing_10k_rows_one_commit_each(benchmark, tmp_path):
    rows = _rows(ROWS)
    counter = iter(range(10**6))

    def store_all() -> int:
        with ResultStore(tmp_path / f"results-{next(counter)}.sqlite") as store:
            for row in rows:
                store.add(row)
            return len(store)

    assert benchmark.pedantic(store_all, rounds=3, iterations=1) == ROWS


def test_leaderboard_over_10k_rows(benchmark):
    rows = pd.DataFrame(_rows(ROWS))
    board = benchmark(leaderboard, rows)
    assert len(board) == 200 and board["cells"].sum() == ROWS


@pytest.mark.parametrize("architecture", ["dense", "cnn"])
def test_one_training_epoch_on_1k_digits(benchmark, digits, architecture):
    from treesvsnets.estimators.torch.classifier import TorchClassifier

    X = (digits.X[:1000] / 16.0).astype(np.float32)
    y = digits.y[:1000]
    model = TorchClassifier(
        architecture,
        image_shape=digits.image_shape,
        epochs=1,
        threads=1,
        device="cpu",
        random_state=0,
    )
    model.fit(X, y)  # warm: torch's first fit in a process is not what is measured
    fitted = benchmark(model.fit, X, y)
    assert fitted.n_epochs_ == 1 and fitted.score(X, y) > 0.3


def test_cross_dataset_tables_over_10k_rows(benchmark):
    from treesvsnets.reports.aggregate import ROUNDS, aggregate

    rows = pd.DataFrame(_rows(ROWS))
    result = benchmark.pedantic(aggregate, (rows,), rounds=3, iterations=1)
    assert len(result.board) == 10 and result.n_datasets == 20
    assert result.elo.samples.shape == (ROUNDS, 10)  # the bootstrap is part of what is timed
    assert result.board["elo"].mean() == pytest.approx(1000.0)  # no rf (default): mean 1000


def test_cross_dataset_section_over_10k_rows(benchmark):
    """What the report builds across datasets (issue 30's speed case), figures aside: the board
    over both tasks with its bootstraps (Elo and improvability), each task's own Elo (two more
    fits and bootstraps), the rank tests of each task, the verdict's head-to-head reads per
    part, the display and legend."""
    from treesvsnets.reports.across_section import across_section

    rows = pd.DataFrame(_rows(ROWS))
    number = rows["estimator"].str[1:].astype(int)
    rows["estimator"] = np.where(number == 0, "rf", rows["estimator"])
    rows["family"] = np.select([number < 5, number < 9], ["ensemble", "deep"], "linear")
    regression = rows["dataset"].str[1:].astype(int) >= 10
    rows["task"] = np.where(regression, "regression", "classification")
    rows["rmse"] = np.where(regression, 1 - rows["accuracy"], np.nan)
    described = [
        {"name": f"d{d}", "task": "regression" if d >= 10 else "classification",
         "n_samples": 1250 if d % 2 else 5000, "categorical_columns": ["c"] if d % 3 else []}
        for d in range(20)
    ]  # fmt: skip
    # warmed once: scikit-posthocs, which the rank test imports on first use, takes ~3 s to import
    section = benchmark.pedantic(
        across_section, (rows, described, None, None), rounds=3, warmup_rounds=1
    )
    assert section.result.n_datasets == 20 and len(section.result.board) == 10
    assert section.result.elo.samples.shape == (200, 10)  # the bootstrap is timed
    assert len(section.by_task) == 2 and section.verdict.startswith("Across 20 datasets")
    assert "Regression datasets (RMSE): Friedman test over 10 datasets" in section.statistics[2]


#: the issue's size: a search's 200 trials, 10,000 validation rows (``TREESVSNETS_SELECTION``
#: "trials,rows" to check the case on a small size)
SELECTION_SIZE = tuple(
    int(n) for n in __import__("os").environ.get("TREESVSNETS_SELECTION", "200,10000").split(",")
)


def _selection_cases() -> list[tuple[str, int, int]]:
    """Every score a run can rank by: classification with 2 and 10 classes, regression (0),
    on one thread; and 10-class ROC-AUC, the slowest, on a cell's budget of two."""
    from treesvsnets.tasks import CLASSIFICATION, METRICS, REGRESSION

    return [
        *((m.column, classes, 1) for classes in (2, 10) for m in METRICS[CLASSIFICATION]),
        *((m.column, 0, 1) for m in METRICS[REGRESSION]),
        ("roc_auc", 10, 2),
    ]


@pytest.mark.parametrize(("metric", "classes", "threads"), _selection_cases())
def test_greedy_ensemble_selection_of_200_trials_on_10k_rows(benchmark, metric, classes, threads):
    """Caruana's 40 steps over a search's trials, each score a run can rank by, on
    ``threads`` threads (target: well under a second per fold)."""
    from treesvsnets.bench.tune.selection import greedy_selection
    from treesvsnets.tasks import CLASSIFICATION, REGRESSION, primary

    trials, rows = SELECTION_SIZE
    rng = np.random.default_rng(0)
    if classes:
        y = rng.integers(0, classes, rows)
        raw = rng.gamma(1.0, size=(trials, rows, classes)) + 3.0 * np.eye(classes)[y][None]
        predictions = (raw / raw.sum(axis=2, keepdims=True)).astype(np.float32)
        judged = primary(CLASSIFICATION, metric)
    else:
        y = rng.normal(size=rows)
        predictions = (y[None] + rng.normal(size=(trials, rows))).astype(np.float32)
        judged = primary(REGRESSION, metric)
    chosen = benchmark.pedantic(
        greedy_selection, (predictions, y, judged, 40, threads), rounds=3, iterations=1
    )
    assert len(chosen.path) == 40 and chosen.counts.sum() >= 1
    assert not judged.better(chosen.path[0], chosen.val_score)  # never worse than the best one
