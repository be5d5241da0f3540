"""A small run's rows, pinned: a refactor of the run path must give the same rows.

The pinned file holds every column a refactor must not change (identity, split hashes,
params, sizes, scores, the confusion matrix, the nets' history less its timings); timings,
timestamps, ids and memory are left out. A change that is meant to change results updates the
file on purpose, and says why in its commit:

    TREESVSNETS_WRITE_PINNED=1 .venv/bin/python -m pytest tests/bench/test_pinned_rows.py

The pinned values depend on the library versions (scikit-learn, torch); the test skips, with
the reason, where those differ from the versions the file was written with.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

import treesvsnets
from tests.helpers.tables import dirty_frame, write_table

PINNED = Path(__file__).with_name("pinned_rows.json")
#: the columns a refactor must keep identical
COLUMNS = [
    "dataset",
    "dataset_fingerprint",
    "estimator",
    "family",
    "params",
    "preprocessing",
    "seed",
    "fold",
    "n_folds",
    "split_hash",
    "status",
    "n_train",
    "n_val",
    "n_test",
    "accuracy",
    "balanced_accuracy",
    "f1_macro",
    "roc_auc",
    "log_loss",
    "confusion",
    "device",
    "threads",
    "class_weight",
    "folds_together",
    "history",
]
VERSIONED = ("numpy", "scikit-learn", "torch", "pandas")


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in VERSIONED}


def _without_timings(history: object) -> object:
    if not isinstance(history, str):
        return None
    epochs = json.loads(history)
    return [{k: v for k, v in e.items() if "second" not in k} for e in epochs]


def _pinned_rows(tmp_path: Path, isolate: bool) -> list[dict]:
    table = write_table(dirty_frame(), tmp_path / "dirty.csv")
    result = treesvsnets.run(
        datasets=["iris", str(table)],
        estimators=["rf", "logreg", "hgb", "dense"],
        folds=3,
        threads=1,
        params={"dense": {"epochs": 4}},
        isolate=isolate,
        progress=False,
        out=tmp_path / "runs",
    )
    rows = result.rows[COLUMNS].copy()
    rows["dataset"] = rows["dataset"].map(lambda name: Path(name).name)  # tmp paths differ
    rows["history"] = rows["history"].map(_without_timings)
    rows = rows.sort_values(["dataset", "estimator", "seed", "fold"]).reset_index(drop=True)
    return json.loads(rows.to_json(orient="records", double_precision=15))


@pytest.mark.parametrize("isolate", [False, True], ids=["in-process", "workers"])
def test_a_small_runs_rows_stay_what_they_were(tmp_path, isolate):
    rows = _pinned_rows(tmp_path, isolate)
    if os.environ.get("TREESVSNETS_WRITE_PINNED") and not isolate:
        PINNED.write_text(json.dumps({"versions": _versions(), "rows": rows}, indent=1) + "\n")
    pinned = json.loads(PINNED.read_text())
    if pinned["versions"] != _versions():
        pytest.skip(f"pinned with {pinned['versions']}, these are {_versions()}")
    expected = pd.DataFrame(pinned["rows"])
    got = pd.DataFrame(rows)
    assert len(got) == len(expected) == 2 * 5 * 3  # 2 datasets, 4 estimators + dummy, 3 folds
    # 1e-6: a float32 net's log loss differs in its 8th digit from one x86 CPU to another (seen
    # on 2026-12-02 with the code as pinned); a refactor's change would be far larger
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-6)
