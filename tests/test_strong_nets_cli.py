"""The strong tabular nets, CatBoost and cnn1d as a user runs them: the real CLI on real
files, the rows in the real store."""

from __future__ import annotations

import dataclasses
import json
import sqlite3

import numpy as np
import pytest

from tests.helpers.cli import cli
from treesvsnets.bench.plan import planning
from treesvsnets.config import RunConfig
from treesvsnets.errors import ConfigError

FAST_NET = ["--param", "epochs=3"]


def rows_of(run_dir):
    with sqlite3.connect(run_dir / "results.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("select * from results")]


def run_dir_of(done):
    return next(line for line in done.stdout.splitlines() if line.startswith("results: "))[9:]


def categorical_csv(path, n=240, seed=0):
    """Two numbers and two categorical columns (one with a missing value), a class that
    depends on the categories."""
    rng = np.random.default_rng(seed)
    colours = np.array(["red", "green", "blue", "grey"])[rng.integers(0, 4, n)]
    towns = np.array([f"town{i}" for i in range(12)])[rng.integers(0, 12, n)]
    x = rng.normal(size=(n, 2))
    score = x[:, 0] + (colours == "red") * 2 - (towns == "town3") * 2
    lines = ["x0,x1,colour,town,label"]
    for i in range(n):
        colour = "" if i == 5 else colours[i]
        label = "yes" if score[i] > 0.5 else "no"
        lines.append(f"{x[i, 0]:.4f},{x[i, 1]:.4f},{colour},{towns[i]},{label}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.skipif(
    not planning.registry.get("catboost", "classification").installed,
    reason="catboost is not installed",
)
@pytest.mark.slow  # a long scenario (four estimators, two nets): .ci/run's slow pass
def test_catboost_and_the_tabular_nets_take_a_tables_categories_natively(tmp_path):
    csv = categorical_csv(tmp_path / "shop.csv")
    done = cli(
        "run", "-d", csv, "-e", "catboost", "--param", "iterations=60",
        "-e", "ft_transformer", *FAST_NET, "-e", "resnet", *FAST_NET, "-e", "lightgbm",
        "--folds", "3", "--out", tmp_path / "runs", "-q",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = rows_of(tmp_path / "runs" / run_dir_of(done).split("/")[-1])
    by_name = {}
    for row in rows:
        by_name.setdefault(row["estimator"], []).append(row)
    for name in ("catboost", "ft_transformer", "resnet"):
        assert len(by_name[name]) == 3 and all(r["status"] == "ok" for r in by_name[name])
        assert all(r["preprocessing"] == "impute+codes+" + ("none" if name == "catboost"
                   else "standard") for r in by_name[name])  # fmt: skip
        assert all(json.loads(r["params"])["n_categorical"] == 2 for r in by_name[name])
    assert all(r["preprocessing"] == "impute+onehot/target+none" for r in by_name["lightgbm"])
    catboost = by_name["catboost"][0]
    assert catboost["device"] == "cpu" and json.loads(catboost["params"])["thread_count"] >= 1
    assert np.mean([r["accuracy"] for r in by_name["catboost"]]) > 0.8


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_cnn1d_runs_on_a_table_that_declares_its_shape_and_is_refused_on_one_without(tmp_path):
    rng = np.random.default_rng(0)
    lines = [",".join([f"t{i}" for i in range(12)] + ["y"])]
    for row in range(120):
        lines.append(",".join([f"{v:.3f}" for v in rng.normal(size=12)] + [str(row % 2)]))
    csv = tmp_path / "signals.csv"
    csv.write_text("\n".join(lines) + "\n")
    done = cli("run", "-d", csv, "-e", "cnn1d", *FAST_NET, "--shape", "1x12", "--folds", "2",
               "--no-baseline", "--out", tmp_path / "runs", "-q")  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = rows_of(tmp_path / "runs" / run_dir_of(done).split("/")[-1])
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert json.loads(rows[0]["params"])["sequence_shape"] == [1, 12]

    refused = cli("run", "-d", csv, "-e", "cnn1d", "--out", tmp_path / "none")
    assert refused.returncode == 2 and not (tmp_path / "none").exists()
    message = refused.stderr.strip().splitlines()[-1]
    assert "estimator 'cnn1d' needs sequences, but dataset" in message
    assert "shape = [channels, length]" in message
    bad = cli("run", "-d", csv, "-e", "cnn1d", "--shape", "1x13", "--out", tmp_path / "none")
    assert bad.returncode == 2 and "holds 13 values but the table has 12" in bad.stderr
    malformed = cli("run", "-d", csv, "--shape", "40", "--out", tmp_path / "none")
    assert malformed.returncode == 2 and "is not a shape" in malformed.stderr


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_cnn1d_on_mnist1d_through_the_official_split(tmp_path):
    done = cli("run", "-d", "mnist1d", "--protocol", "holdout", "--subsample", "800",
               "-e", "cnn1d", *FAST_NET, "-e", "logreg", "--data-dir", tmp_path / "data",
               "--out", tmp_path / "runs", "-q")  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = rows_of(tmp_path / "runs" / run_dir_of(done).split("/")[-1])
    cnn1d = next(r for r in rows if r["estimator"] == "cnn1d")
    assert cnn1d["status"] == "ok" and cnn1d["n_test"] == 160  # the official split's fifth
    assert json.loads(cnn1d["params"])["sequence_shape"] == [1, 40]


def test_an_optional_estimator_without_its_package(register_spec):
    from sklearn.dummy import DummyClassifier

    spec = register_spec("needs_pkg", DummyClassifier, family="other", requires="no_such_package_x")
    with pytest.raises(ConfigError) as caught:
        planning.prepare(RunConfig(datasets=("iris",), estimators=("needs_pkg",)))
    assert str(caught.value) == (  # not a built-in: no extra of ours installs it
        "estimator 'needs_pkg' needs the no_such_package_x package, which is not installed; "
        "install it with: pip install no_such_package_x (or the package that provides it)"
    )
    builtin = dataclasses.replace(spec, source="builtin")  # as catboost's: our extra
    assert builtin.install_hint == "pip install 'treesvsnets[no_such_package_x]'"
    plan = planning.prepare(RunConfig(datasets=("iris",), estimators=("other", "logreg")))
    assert "needs_pkg" not in {spec.name for spec in plan.specs}
    assert any("needs_pkg (the no_such_package_x package is not installed" in note
               for note in plan.notes)  # fmt: skip
    default = planning.prepare(RunConfig(datasets=("iris",)))
    assert "catboost" not in {spec.name for spec in default.specs}  # optional: not by default
    assert "catboost" in {s.name for s in planning.prepare(
        RunConfig(datasets=("iris",), estimators=("ensemble",))).specs}  # fmt: skip


@pytest.mark.slow  # about 6 minutes: each contract check fits a net to its full epochs
@pytest.mark.parametrize(
    "name", ["catboost", "resnet", "ft_transformer", "mlp_plr", "tabm", "cnn1d"]
)
def test_every_new_estimator_passes_the_contract_check(name):
    if not planning.registry.get(name, "classification").installed:
        pytest.skip(f"{name}'s package is not installed")
    done = cli("check", name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout and "FAIL " not in done.stdout


def test_an_ft_transformer_whose_attention_would_fill_the_memory_is_warned_of_before_any_cell():
    """500 columns took 4.7 GB without a word (2,000 would take 75): attention grows with the
    square of the columns. Warned of as the run is planned, with a batch size that fits."""
    import os

    from treesvsnets.errors import TreesVsNetsWarning
    from treesvsnets.estimators.architectures import attention_bytes

    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    params = {"attention_heads": 8, "n_blocks": 2, "batch_size": 128}
    assert attention_bytes(params, 501) == 2 * 9 * 128 * 8 * 501**2  # 4.6 GB: 4.7 measured
    assert attention_bytes({"n_blocks": 2, "batch_size": 128}, 501) is None  # no attention
    batch = 1
    while attention_bytes({**params, "batch_size": batch}, 14) * 4 < memory:  # wine: 13 + 1
        batch *= 2
    big = RunConfig(datasets=("wine",), estimators=("ft_transformer",), baseline=False,
                    params={"ft_transformer": {"batch_size": batch}})  # fmt: skip
    with pytest.warns(TreesVsNetsWarning, match=r"ft_transformer on wine: its attention over 14 "
                      r"tokens \(one per column\) holds about [\d.]+ GB per batch of"):  # fmt: skip
        planning.prepare(big)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", TreesVsNetsWarning)
        planning.prepare(dataclasses.replace(big, params={}))  # 14 tokens: kilobytes
