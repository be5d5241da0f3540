"""Every built-in estimator through the real cell runner on real (small) data."""

import json

import numpy as np
import pytest
from sklearn.base import clone

from treesvsnets.bench.runner import Cell, build_model, run_cell
from treesvsnets.estimators import get
from treesvsnets.estimators.registry import all_specs

BUILTIN_NAMES = [spec.name for spec in all_specs() if spec.source == "builtin"]


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtin_runs_and_beats_chance_by_far(name, wine, wine_plan, seed):
    spec = get(name)
    cell = Cell(dataset="wine", estimator=name, seed=seed, fold=0, threads=1)
    row = run_cell(cell, spec, wine, wine_plan, run_id="t").row
    assert row["status"] == "ok", row.get("error")
    chance = np.bincount(wine.y).max() / wine.n_samples  # 0.40
    assert row["accuracy"] > chance + 0.4
    assert 0 < row["log_loss"] < 1.0
    assert row["fit_seconds"] > 0 and row["predict_seconds"] > 0
    params = json.loads(row["params"])
    if spec.seed_param:
        assert params[spec.seed_param] == seed
    if spec.threads_param:
        assert params[spec.threads_param] == 1
    assert row["threads"] == 1


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtin_is_deterministic_under_a_seed_and_survives_clone(name, wine, seed):
    spec = get(name)
    X, y = wine.X[::2], wine.y[::2]
    model = build_model(spec, Cell("wine", name, seed=seed, fold=0, threads=1))
    assert model.fit(X, y) is model
    twin = clone(model).fit(X, y)
    np.testing.assert_array_equal(model.predict(wine.X), twin.predict(wine.X))
    np.testing.assert_allclose(model.predict_proba(wine.X), twin.predict_proba(wine.X))


def test_logreg_gets_standard_scaling_and_trees_get_none():
    assert get("logreg").preprocessing == "standard"
    assert all(get(n).preprocessing == "none" for n in BUILTIN_NAMES if n != "logreg")
