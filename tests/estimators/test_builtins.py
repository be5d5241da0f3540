"""Every built-in estimator through the real cell runner on real (small) data."""

import json
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from treesvsnets.bench.cells.cell import run_cell, with_preprocessing
from treesvsnets.bench.cells.inputs import Cell, build
from treesvsnets.estimators import get
from treesvsnets.estimators.registry import all_specs

#: every built-in once per task it does (its classifier and its regressor)
BUILTIN_CASES = [(spec.name, spec.task) for spec in all_specs() if spec.source == "builtin"]
#: what each task's cases run on
TASK_DATA = {"classification": "wine", "regression": "diabetes"}


def _data_for(spec, request, task="classification"):
    """Nets that need images or sequences get digits (8x8, or its 64 pixels in a row);
    everything else gets wine (a small table), or diabetes for regression."""
    shaped = {"needs_images", "needs_sequences"} & spec.capabilities
    if shaped and task == "classification":
        return request.getfixturevalue("digits"), request.getfixturevalue("digits_plan")
    name = TASK_DATA[task]
    return request.getfixturevalue(name), request.getfixturevalue(f"{name}_plan")


#: Short training for the nets (and CatBoost), so the contract tests stay fast.
_TABLE_NET = {"epochs": 25, "lr": 2e-3}
QUICK = {
    "dense": {"epochs": 15},
    "cnn": {"epochs": 5},
    "cnn1d": {"epochs": 5},
    "resnet": _TABLE_NET,
    "ft_transformer": {**_TABLE_NET, "n_blocks": 1, "d_block": 32},
    "mlp_plr": _TABLE_NET,
    "tabm": {**_TABLE_NET, "ensemble_size": 4},
    "catboost": {"iterations": 100},
    "realmlp": {"n_epochs": 64},
    "hgb": {"max_iter": 30},
    "stacking": {"cv": 3, "rf__n_estimators": 50, "gb__n_estimators": 50},
}
#: smaller still where only sameness is checked (two fits each), not what is learnt
SAMENESS = {
    "stacking": {
        "cv": 2,
        **{f"{member}__n_estimators": 10 for member in ("rf", "bagging", "adaboost", "gb")},
    },
}


@pytest.mark.parametrize(("name", "task"), BUILTIN_CASES)
def test_builtin_runs_and_beats_chance_by_far(name, task, request, seed):
    spec = _installed(get(name, task))
    dataset, split_plan = _data_for(spec, request, task)
    dataset = _shaped(spec, dataset)
    cell = Cell(dataset.name, name, seed=seed, fold=0, threads=1, params=QUICK.get(name, {}))
    row = run_cell(cell, spec, dataset, split_plan, run_id="t").row
    assert row["status"] == "ok", row.get("error")
    assert row["task"] == task
    fold = split_plan.folds[0]
    if task == "regression":
        test, train = dataset.y[fold.test], dataset.y[fold.train]
        if spec.family == "baseline":  # the training fold's mean
            assert row["rmse"] == pytest.approx(np.sqrt(np.mean((test - train.mean()) ** 2)))
        elif name not in ("cnn", "cnn1d"):  # a CNN over a table's 10 values only runs
            assert row["r2"] > 0.2, row["r2"]  # 5-fold diabetes: ridge 0.49, rf 0.42, hgb 0.40
        assert row["accuracy"] is None and row["rmse"] >= row["mae"] > 0
        assert row["fit_seconds"] > 0
    elif spec.family == "baseline":  # dummy: the training fold's majority class, and its prior
        train, test = dataset.y[fold.train], dataset.y[fold.test]
        prior = np.bincount(train, minlength=dataset.n_classes) / len(train)
        assert row["accuracy"] == pytest.approx(np.mean(test == prior.argmax()))
        assert row["log_loss"] == pytest.approx(-np.mean(np.log(prior[test])))
    else:
        chance = np.bincount(dataset.y).max() / dataset.n_samples  # wine 0.40, digits 0.10
        assert row["accuracy"] > chance + 0.4
        assert 0 < row["log_loss"] < 1.0
    assert row["fit_seconds"] > 0 and row["predict_seconds"] > 0
    params = json.loads(row["params"])
    if spec.seed_param:
        assert params[spec.seed_param] == seed
    if spec.threads_param:
        assert params[spec.threads_param] == 1
    assert row["threads"] == 1
    if "early_stopping" in spec.capabilities:
        assert (row["n_train"], row["n_val"]) == (len(fold.fit), len(fold.val))
        assert len(json.loads(row["history"])) >= 1
    else:
        assert (row["n_train"], row["n_val"]) == (len(fold.train), 0)


@pytest.mark.parametrize(("name", "task"), BUILTIN_CASES)
def test_builtin_is_deterministic_under_a_seed_and_survives_clone_and_pickle(
    name, task, request, seed
):
    spec = _installed(get(name, task))
    dataset, _ = _data_for(spec, request, task)
    dataset = _shaped(spec, dataset)
    X, y = dataset.X[::2], dataset.y[::2]
    trained_by_us = "early_stopping" in spec.default_params  # realmlp: pytabkit's own loop
    params = {
        **SAMENESS.get(name, QUICK.get(name, {})),
        **({"early_stopping": False} if trained_by_us else {}),
    }
    estimator, preprocessor = build(
        spec, Cell(dataset.name, name, seed, 0, threads=1, params=params), dataset
    )
    model = with_preprocessing(preprocessor, estimator)
    with threadpool_limits(limits=1):  # the cell's budget (threads=1), as run_cell sets it
        assert model.fit(X, y) is model
        twin = clone(model).fit(X, y)
    np.testing.assert_array_equal(model.predict(dataset.X), twin.predict(dataset.X))
    unpickled = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(unpickled.predict(dataset.X), model.predict(dataset.X))
    if task == "classification":
        np.testing.assert_allclose(model.predict_proba(dataset.X), twin.predict_proba(dataset.X))
        np.testing.assert_array_equal(
            unpickled.predict_proba(dataset.X), model.predict_proba(dataset.X)
        )


def _installed(spec):
    """``spec``, or a skip where its optional package (an extra) is not installed."""
    if not spec.installed:
        pytest.skip(f"{spec.requires} (the {spec.requires} extra) is not installed")
    return spec


def _shaped(spec, dataset):
    """The dataset with the shape the estimator needs: a regression table as a 1 x 2 x 5
    'image' for the CNN regressor, digits' (or a table's) values in a row as a sequence for
    cnn1d (no built-in regression dataset has either)."""
    from dataclasses import replace

    if "needs_images" in spec.capabilities and dataset.image_shape is None:
        return replace(dataset, image_shape=(1, 2, 5))
    if "needs_sequences" in spec.capabilities and dataset.sequence_shape is None:
        return replace(dataset, sequence_shape=(1, dataset.n_features))
    return dataset


def test_logreg_gets_standard_scaling_and_trees_get_none():
    builtins = [spec for spec in all_specs() if spec.source == "builtin"]
    linear = {spec.name: spec.preprocessing for spec in builtins if spec.family == "linear"}
    assert linear == {"logreg": "standard", "ridge": "standard"}
    assert all(s.preprocessing == "none" for s in builtins if s.family == "ensemble")
    nets = [s for s in builtins if s.family == "deep" and s.name != "realmlp"]
    assert nets and all(s.preprocessing == "auto" for s in nets)
    # RealMLP scales its own numbers (robust scaling, smooth clipping): given them unscaled
    assert {s.preprocessing for s in builtins if s.name == "realmlp"} == {"none"}


def test_a_regression_cell_builds_and_records_the_regression_spec(diabetes, diabetes_plan):
    cell = Cell(diabetes.name, "dummy", seed=0, fold=0, threads=1)
    row = run_cell(cell, get("dummy", "regression"), diabetes, diabetes_plan, run_id="t").row
    assert row["status"] == "ok" and row["task"] == "regression"
    assert json.loads(row["params"]) == {"strategy": "mean"}  # the regressor's, not "prior"
    with pytest.raises(ValueError, match="classification spec of estimator 'dummy'"):
        run_cell(cell, get("dummy", "classification"), diabetes, diabetes_plan, run_id="t")


@pytest.mark.parametrize(("name", "task"), BUILTIN_CASES)
def test_a_builtin_spec_says_what_its_estimator_declares_or_shows(name, task, request):
    from treesvsnets.estimators import capabilities_of

    spec = get(name, task)
    dataset, _ = _data_for(spec, request, task)
    estimator, _ = build(spec, Cell(dataset.name, name, 0, 0, threads=1), dataset)
    # OpenMP-threaded estimators (hgb) take no thread parameter, so only their spec says so;
    # argmax_predict is a fact of the library's code, which no API shows
    declared_only = {"multithreaded", "argmax_predict"}
    assert capabilities_of(estimator) - declared_only == spec.capabilities - declared_only
