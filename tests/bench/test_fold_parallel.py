"""--fold-parallel: a net's folds trained as one job, one honest row per fold."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

import treesvsnets
from tests.helpers.cli import cli
from tests.helpers.devices import requires_cuda
from tests.helpers.estimators import HangingTogether, ProbaDummy
from treesvsnets.errors import ConfigError

pytest.importorskip("torch")

SMALL_DENSE = {"epochs": 6, "dropout": 0.0, "hidden_units": [64]}


def _run(tmp_path, name, **overrides):
    settings = {
        "datasets": ["digits"],
        "estimators": ["dense", "logreg"],
        "folds": 3,
        "subsample": 600,
        "out": tmp_path,
        "name": name,
        "progress": False,
        "params": {"dense": SMALL_DENSE},
        "device": "cpu",  # the exact comparisons below hold on the CPU; CUDA has its own test
    }
    return treesvsnets.run(baseline=False, **{**settings, **overrides})


def _by_fold(rows: pd.DataFrame, estimator: str) -> pd.DataFrame:
    return rows[rows.estimator == estimator].sort_values("fold").reset_index(drop=True)


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_folds_trained_together_score_as_folds_trained_alone(tmp_path):
    alone = _run(tmp_path, "alone").rows
    together = _run(tmp_path, "together", fold_parallel=True).rows
    assert set(together["status"]) == {"ok"}, together["error"].dropna().tolist()
    nets, nets_alone = _by_fold(together, "dense"), _by_fold(alone, "dense")
    assert nets["folds_together"].tolist() == [3, 3, 3]
    assert _by_fold(together, "logreg")["folds_together"].tolist() == [1, 1, 1]
    assert nets_alone["folds_together"].tolist() == [1, 1, 1]
    # without dropout the stacked fit is the lone fits' arithmetic: the same scores per fold
    np.testing.assert_allclose(nets["log_loss"], nets_alone["log_loss"], rtol=1e-4)
    assert nets["accuracy"].tolist() == nets_alone["accuracy"].tolist()
    assert [len(json.loads(h)) for h in nets["history"]] == [
        len(json.loads(h)) for h in nets_alone["history"]
    ]
    # the joint fit's time is shared equally; each fold predicts on its own clock
    assert nets["fit_seconds"].nunique() == 1 and nets["fit_seconds"].iloc[0] > 0
    assert (nets["predict_seconds"] > 0).all()
    assert (nets["n_val"] > 0).all()


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_regression_folds_trained_together_score_as_folds_trained_alone(tmp_path):
    settings = {"datasets": ["diabetes"], "estimators": ["dense", "ridge"], "subsample": None}
    alone = _run(tmp_path, "alone", **settings).rows
    together = _run(tmp_path, "together", fold_parallel=True, **settings).rows
    assert set(together["status"]) == {"ok"}, together["error"].dropna().tolist()
    nets, nets_alone = _by_fold(together, "dense"), _by_fold(alone, "dense")
    assert nets["folds_together"].tolist() == [3, 3, 3]
    np.testing.assert_allclose(nets["rmse"], nets_alone["rmse"], rtol=1e-4)
    for stacked, lone in zip(nets["history"], nets_alone["history"], strict=True):
        stacked, lone = json.loads(stacked), json.loads(lone)
        assert len(stacked) == len(lone)
        np.testing.assert_allclose(
            [r["val_r2"] for r in stacked], [r["val_r2"] for r in lone], rtol=1e-3, atol=1e-5
        )


@requires_cuda
def test_folds_train_together_on_cuda(tmp_path):
    rows = _run(tmp_path, "cuda", estimators=["dense"], fold_parallel=True, device="cuda").rows
    assert set(rows["status"]) == {"ok"}, rows["error"].dropna().tolist()
    assert rows["folds_together"].tolist() == [3, 3, 3]
    assert rows["device"].str.startswith("cuda").all()
    assert (rows["peak_gpu_mb"] > 0).all()
    assert rows["accuracy"].mean() > 0.85


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_settings_that_cannot_be_stacked_train_one_by_one_and_say_why(tmp_path):
    rows = _run(
        tmp_path,
        "bn",
        estimators=["dense"],
        fold_parallel=True,
        params={"dense": {**SMALL_DENSE, "batch_norm": True}},
    ).rows
    assert set(rows["status"]) == {"ok"}
    assert rows["folds_together"].tolist() == [1, 1, 1]
    assert all(
        "the folds were fitted one after another: batch_norm=True is not stacked" in text
        for text in rows["warnings"]
    )


def test_a_hanging_group_times_out_every_fold_and_keeps_the_other_rows(tmp_path, register_spec):
    register_spec("hangs_together", HangingTogether, capabilities={"fold_parallel"})
    register_spec("quick", ProbaDummy)
    result = treesvsnets.run(
        baseline=False,
        datasets=["wine"],
        estimators=["hangs_together", "quick"],
        folds=2,
        out=tmp_path,
        progress=False,
        timeout=1,
        fold_parallel=True,
    )
    rows = result.rows.set_index(["estimator", "fold"]).sort_index()
    assert rows.loc["hangs_together", "status"].tolist() == ["timeout", "timeout"]
    assert "time limit of 2 s" in rows.loc[("hangs_together", 0), "error"]  # 1 s x 2 folds
    assert rows.loc["quick", "status"].tolist() == ["ok", "ok"]


def test_a_resumed_run_trains_its_missing_folds_together(tmp_path):
    first = _run(tmp_path, "resume", estimators=["dense"], fold_parallel=True)
    with sqlite3.connect(first.run_dir / "results.sqlite") as connection:
        connection.execute("DELETE FROM results WHERE fold > 0")
    resumed = treesvsnets.resume(first.run_dir, progress=False)
    nets = _by_fold(resumed.rows, "dense")
    assert nets["status"].tolist() == ["ok"] * 3
    assert nets["folds_together"].tolist() == [3, 2, 2]


def test_cli_flag_groups_the_folds_and_the_manifest_records_it(tmp_path):
    done = cli(
        "run", "-d", "iris", "-e", "dense", "--folds", "3", "--fold-parallel",
        "--param", "dense.epochs=3", "--out", tmp_path, "--name", "cli", "--no-baseline",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (run_dir,) = tmp_path.iterdir()
    rows = pd.read_csv(run_dir / "results.csv")
    assert rows["folds_together"].tolist() == [3, 3, 3]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["config"]["fold_parallel"] is True
    assert "[3/3]" in done.stderr


def test_a_capability_without_fit_together_fails_its_rows_with_one_sentence(
    tmp_path, register_spec
):
    """A class that declares fold_parallel without fit_together is refused as it registers
    (every cell failed on it, and the run exited 1); a factory function, whose class is known
    only once it builds, fails its rows with one sentence."""
    with pytest.raises(ConfigError) as caught:
        register_spec("claims_together", ProbaDummy, capabilities={"fold_parallel"})
    assert str(caught.value) == (
        "estimator 'claims_together' declares fold_parallel (a fit_together(estimators, data) "
        "classmethod), which ProbaDummy does not take or have; drop the capability or give it "
        "that."
    )

    def claims_together(random_state=None):
        return ProbaDummy(random_state=random_state)

    register_spec("claims_together", claims_together, capabilities={"fold_parallel"})
    rows = treesvsnets.run(
        baseline=False,
        datasets=["wine"],
        estimators=["claims_together"],
        folds=2,
        out=tmp_path,
        progress=False,
        fold_parallel=True,
        isolate=False,
    ).rows
    assert rows["status"].tolist() == ["error", "error"]
    assert rows["error"].iloc[0] == (
        "ConfigError: estimator 'claims_together' declares the fold_parallel capability, "
        "but ProbaDummy has no fit_together classmethod."
    )


def test_balanced_classes_reach_each_fold_trained_together(tmp_path):
    alone = _run(tmp_path, "alone", estimators=["dense"], class_weight="balanced").rows
    together = _run(
        tmp_path, "together", estimators=["dense"], class_weight="balanced", fold_parallel=True
    ).rows
    assert set(together["status"]) == {"ok"}
    assert together["folds_together"].tolist() == [3, 3, 3]
    assert set(together["class_weight"]) == {"balanced"}
    np.testing.assert_allclose(
        _by_fold(together, "dense")["log_loss"], _by_fold(alone, "dense")["log_loss"], rtol=1e-4
    )
