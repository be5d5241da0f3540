"""Search spaces: the documented form, its errors, and every built-in's space."""

import pytest

from treesvsnets.errors import ConfigError
from treesvsnets.estimators import registry
from treesvsnets.estimators.space import parse_distribution, parse_space

#: the built-ins with a search space (stacking's too, but fitting its corners takes minutes)
TUNABLE = ("rf", "bagging", "adaboost", "gb", "hgb", "xgboost", "lightgbm", "catboost",
           "logreg", "ridge", "dense", "cnn", "cnn1d", "resnet", "ft_transformer", "mlp_plr",
           "tabm", "realmlp")  # fmt: skip
#: one epoch of each net: ours through the project's loop, realmlp through pytabkit's
ONE_EPOCH = {"realmlp": {"n_epochs": 1}}


def test_each_form_reads_as_documented():
    space = parse_space(
        {
            "lr": {"float": [1e-4, 1e-1], "log": True},
            "depth": {"int": [1, 9], "step": 2},
            "kind": {"choice": ["a", "None", 3]},
            "bootstrap": [True, False],
        },
        "here",
    )
    lr, depth, kind, bootstrap = space.distributions.values()
    assert (lr.kind, lr.low, lr.high, lr.log) == ("float", 1e-4, 1e-1, True)
    assert (depth.kind, depth.step) == ("int", 2)
    assert kind.choices == ("a", None, 3)  # "None" is Python's None (TOML has no null)
    assert bootstrap.choices == (True, False)
    assert depth.grid() == [1, 3, 5, 7, 9]
    assert lr.grid() == pytest.approx([1e-4, 5.62341e-4, 3.16228e-3, 1.77828e-2, 1e-1])
    assert kind.contains(None) and not kind.contains("b")
    assert lr.contains(0.01) and not lr.contains(1.0) and not lr.contains("0.01")
    assert space.grid_size() == 5 * 5 * 3 * 2


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"float": [1, 0]}, "low must be below high"),
        ({"float": [0, 1], "log": True}, "a log range needs low > 0"),
        ({"int": [1.5, 4]}, "whole-number bounds"),
        ({"float": [0, 1], "int": [0, 1]}, "exactly one of float, int or choice"),
        ({"uniform": [0, 1]}, "unknown key(s) uniform"),
        ({"choice": []}, "a non-empty list of values"),
        ({"choice": [[1, 2], 3]}, "numbers, strings, booleans"),
        ({"choice": [1, 1]}, "must not repeat"),
        ({"float": [0, "1"]}, "two numbers"),
        ({"float": [1.0, float("inf")], "log": True}, "float needs finite bounds"),  # optuna's
        ({"int": [float("-inf"), 3]}, "int needs finite bounds"),  # OverflowError mid-run
        (0.5, "fix a single value with --param"),
    ],
)
def test_a_malformed_distribution_is_one_sentence_naming_where(raw, says):
    with pytest.raises(ConfigError) as caught:
        parse_distribution(raw, "spaces.rf, parameter 'x'")
    message = str(caught.value)
    assert message.startswith("spaces.rf, parameter 'x': ") and says in message
    assert "write {float = [low, high]}" in message and "\n" not in message


def test_every_builtin_space_builds_valid_estimators_at_its_bounds():
    """The corners of every built-in's space (each bound of each distribution) pass the
    estimator's own parameter checks, for each task it does."""
    tuned = []
    for spec in registry.all_specs():  # each (name, task)'s spec
        space = spec.search_space
        for corner in space.corners():
            spec.check_params(space.params(corner))
        if space:
            tuned.append(spec.name)
    assert {*TUNABLE, "stacking"} <= set(tuned)
    assert "dummy" not in tuned


def test_adaboost_tunes_its_trees_depth_and_the_nets_their_shape():
    adaboost = registry.get("adaboost", "classification").search_space
    assert "estimator__max_depth" in adaboost.distributions
    dense = registry.get("dense", "classification").search_space
    assert {"lr", "width", "depth", "dropout", "weight_decay", "batch_size", "optimizer"} <= set(
        dense.distributions
    )
    assert dense.distributions["lr"].log
    assert dense.params({"width": 64, "depth": 3, "lr": 0.01}) == {
        "hidden_units": (64, 64, 64),
        "lr": 0.01,
    }
    cnn = registry.get("cnn", "classification").search_space
    assert cnn.params({"width": 16, "depth": 3})["channels"] == (16, 32, 64)
    # 0 is a value, not the default: width 0 was trained as 256 and recorded as 0
    assert dense.params({"width": 0})["hidden_units"] == (0, 0)
    assert dense.params({"depth": 0})["hidden_units"] == ()  # no hidden layer: linear
    assert cnn.params({"width": 0, "depth": 1})["channels"] == (0,)


def test_space_params_take_the_defaults_and_a_part_of_their_names():
    ridge = registry.get("ridge", "regression").search_space
    assert ridge.params({}) == {}  # trial 0, the defaults: nothing drawn
    assert ridge.params({"alpha": 2.0}) == {"alphas": [2.0]}
    dense = registry.get("dense", "classification").search_space
    assert dense.params({"lr": 0.01}) == {"lr": 0.01}  # width and depth fixed by the user


@pytest.mark.slow  # about 25 s: each bound of each space fitted once
@pytest.mark.parametrize("name", TUNABLE)
def test_every_corner_of_a_builtin_space_fits(name, digits, diabetes, tmp_path_factory):
    """Each bound of each distribution, built into the estimator, fits and predicts on a small
    sample (a space whose values only fail at fit time would lose every trial that draws
    them): classification on 200 digits (200 mnist1d sequences for cnn1d), regression on 200
    diabetes rows."""
    import numpy as np

    from treesvsnets.bench.cells.cell import with_preprocessing
    from treesvsnets.bench.cells.inputs import Cell, build
    from treesvsnets.bench.plan.checks import missing_shape
    from treesvsnets.datasets import load

    versions = registry.versions(name)
    first = next(iter(versions.values()))
    if not first.installed:
        pytest.skip(f"{first.requires} is not installed")
    datasets = [digits, diabetes]
    if "needs_sequences" in first.capabilities:
        datasets.append(load("mnist1d", data_dir=tmp_path_factory.mktemp("data")))
    for dataset in datasets:
        spec = versions.get(dataset.task)
        if spec is None or missing_shape(spec.capabilities, dataset):
            continue
        space = spec.search_space
        rows = np.arange(200)
        X, y = dataset.rows(rows), dataset.y[rows]
        for corner in space.corners():
            params = space.params(corner)
            if spec.family == "deep":
                params |= ONE_EPOCH.get(name, {"epochs": 1, "early_stopping": False})
            cell = Cell(dataset.name, name, 0, 0, threads=1, params=params, device="cpu")
            model = with_preprocessing(*reversed(build(spec, cell, dataset)))
            assert len(model.fit(X, y).predict(X[:10])) == 10, corner


def test_a_fixed_parameter_leaves_out_the_names_that_only_make_it():
    """`--param dense.hidden_units=[64] --tune 3` trained four layers of 208: the search
    still drew width and depth, which make hidden_units."""
    from treesvsnets.estimators import get
    from treesvsnets.estimators.space import SearchSpace, parse_space

    space = get("dense", "classification").search_space
    assert {"width", "depth", "lr"} <= set(space.distributions)
    kept = space.without({"hidden_units": [64]})
    assert not {"width", "depth"} & set(kept.distributions) and "lr" in kept.distributions
    assert "lr" not in space.without({"lr": 0.1}).distributions
    assert set(space.without({}).distributions) == set(space.distributions)

    def needs_both(values):  # a plugin's to_params that takes no part of its names
        return {"ratio": values["a"] / values["b"]}

    whole = parse_space({"a": {"float": [1, 2]}, "b": {"float": [1, 2]}}, "space", needs_both)
    assert isinstance(whole, SearchSpace) and set(whole.without({"x": 1}).distributions) == {
        "a",
        "b",
    }
