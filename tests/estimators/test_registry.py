import subprocess
import sys

import pytest

from treesvsnets.errors import ConfigError, UnknownNameError
from treesvsnets.estimators import (
    EstimatorSpec,
    add,
    all_specs,
    get,
    select,
    tasks_of,
    unregister,
    versions,
)
from treesvsnets.estimators.ensembles import random_forest
from treesvsnets.estimators.registry import BUILTIN_ORDER, names, register
from treesvsnets.tasks import CLASSIFICATION, REGRESSION

BUILTINS = {
    "rf": "ensemble",
    "bagging": "ensemble",
    "adaboost": "ensemble",
    "gb": "ensemble",
    "hgb": "ensemble",
    "xgboost": "ensemble",
    "lightgbm": "ensemble",
    "catboost": "ensemble",
    "stacking": "ensemble",
    "logreg": "linear",
    "ridge": "linear",
    "dense": "deep",
    "cnn": "deep",
    "cnn1d": "deep",
    "resnet": "deep",
    "ft_transformer": "deep",
    "mlp_plr": "deep",
    "tabm": "deep",
    "realmlp": "deep",
    "dummy": "baseline",
}


def test_every_builtin_is_registered_with_its_family():
    assert {spec.name: spec.family for spec in all_specs() if spec.source == "builtin"} == BUILTINS


@pytest.mark.parametrize(
    "first",
    [
        "treesvsnets.estimators.ensembles",
        "treesvsnets.estimators.nets",
        "treesvsnets.estimators.baseline",
        "treesvsnets.estimators.registry",
    ],
)
def test_the_listing_order_does_not_depend_on_which_module_is_imported_first(first):
    code = (
        f"import {first}\n"
        "from treesvsnets.estimators.registry import names, select\n"
        "print(','.join(names()))\n"
        "print(','.join(select(['all'])))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    listed, everything = done.stdout.split()
    assert listed.split(",") == list(BUILTIN_ORDER) == everything.split(",")
    assert set(BUILTIN_ORDER) == set(BUILTINS)  # every built-in has its place in the order


def test_unknown_name_names_the_choices_and_the_closest_one():
    with pytest.raises(UnknownNameError) as caught:
        get("rff", CLASSIFICATION)
    message = str(caught.value)
    assert message.startswith("unknown estimator 'rff'; choose from: adaboost, bagging,")
    assert message.endswith("Did you mean 'rf'?")


def test_select_expands_families_and_all_and_drops_repeats():
    assert select(["linear"]) == ["logreg", "ridge"]
    assert len(select(["ensemble"])) == 9
    assert select(["rf", "ensemble"])[:2] == ["rf", "bagging"]
    assert select(["all"]) == names()
    assert select(["logreg", "logreg"]) == ["logreg"]


def test_select_refuses_an_unknown_token():
    with pytest.raises(UnknownNameError, match="Did you mean 'ensemble'"):
        select(["ensembles"])


def test_a_taken_name_is_refused_unless_overridden():
    spec = EstimatorSpec(name="rf", family="ensemble", factory=random_forest, source="tests")
    with pytest.raises(ConfigError, match="'rf' is already registered"):
        add(spec)
    original = versions("rf")
    try:
        assert add(spec, override=True) is spec
        assert get("rf", CLASSIFICATION).source == "tests"
        assert tasks_of("rf") == (CLASSIFICATION,)  # the override replaced every version
    finally:
        add(*original.values(), override=True)
    assert versions("rf") == original
    assert get("rf", CLASSIFICATION) is original[CLASSIFICATION]


def test_unregister_removes_every_version():
    spec = add(EstimatorSpec(name="temporary", family="other", factory=random_forest))
    assert unregister("temporary") == {CLASSIFICATION: spec}
    with pytest.raises(UnknownNameError):
        get("temporary", CLASSIFICATION)
    register("twins", family="other", regressor=random_forest, source="tests")(random_forest)
    assert set(unregister("twins")) == {CLASSIFICATION, REGRESSION}
    assert "twins" not in names()


def test_the_registry_holds_one_spec_per_name_and_task():
    pairs = [(spec.name, spec.task) for spec in all_specs()]
    assert len(pairs) == len(set(pairs))
    assert {name for name, _ in pairs} == set(names())
    assert tasks_of("rf") == (CLASSIFICATION, REGRESSION)
    assert tasks_of("logreg") == (CLASSIFICATION,)
    assert tasks_of("ridge") == (REGRESSION,)
    for name in names():
        for task, spec in versions(name).items():
            assert (spec.name, spec.task) == (name, task)
            assert get(name, task) is spec


def test_get_names_the_missing_version():
    with pytest.raises(ConfigError, match=r"^estimator 'logreg' has no regression version\.$"):
        get("logreg", REGRESSION)
    with pytest.raises(ConfigError, match="estimator 'ridge' has no classification version"):
        get("ridge", CLASSIFICATION)


def test_a_regression_spec_has_its_own_defaults_and_space_and_no_predict_proba():
    classifier, regressor = get("stacking", CLASSIFICATION), get("stacking", REGRESSION)
    assert "predict_proba" in classifier.capabilities
    assert "predict_proba" not in regressor.capabilities
    assert classifier.capabilities - {"predict_proba"} == regressor.capabilities
    assert classifier.default_params == {"cv": 5, "final_C": 1.0}
    assert regressor.default_params == {"cv": 5}
    assert classifier.search_space and not regressor.search_space
    assert "criterion" in get("rf", CLASSIFICATION).search_space.distributions
    assert "criterion" not in get("rf", REGRESSION).search_space.distributions
    assert get("dummy", REGRESSION).default_params == {"strategy": "mean"}
    assert get("dense", REGRESSION).default_params["loss"] == "mse"
    assert get("dense", REGRESSION).factory.regressor  # a TorchRegressor's factory


def test_register_with_a_regressor_adds_two_specs():
    def regressor(**params):
        return random_forest(**params)

    register(
        "twin",
        family="other",
        default_params={"n_estimators": 3},
        regressor=regressor,
        regressor_params={"n_estimators": 4},
        capabilities={"predict_proba"},
        space={"n_estimators": {"int": [2, 5]}},
        source="tests",
    )(random_forest)
    try:
        classifier, regression = versions("twin").values()
        assert (classifier.factory, regression.factory) == (random_forest, regressor)
        assert regression.task == REGRESSION and regression.capabilities == frozenset()
        assert regression.default_params == {"n_estimators": 4}
        assert regression.space == classifier.space  # none of its own: the classifier's
        assert regression.source == classifier.source
    finally:
        unregister("twin")
    with pytest.raises(ConfigError, match="a regressor= goes with a classifier's factory"):
        register("solo", family="other", task=REGRESSION, regressor=regressor)(random_forest)
    assert "solo" not in names()


def test_spec_refuses_an_unknown_family_or_capability():
    with pytest.raises(ConfigError, match="family 'trees'"):
        EstimatorSpec(name="x", family="trees", factory=random_forest)
    with pytest.raises(ConfigError, match="unknown capabilities"):
        EstimatorSpec(name="x", family="other", factory=random_forest, capabilities={"flies"})


def test_resolve_params_adds_seed_and_threads_and_lets_the_user_win():
    spec = get("rf", CLASSIFICATION)
    assert spec.resolve_params(seed=3, threads=2) == {
        "n_estimators": 100,
        "random_state": 3,
        "n_jobs": 2,
    }
    assert spec.resolve_params({"n_estimators": 7}, seed=3, threads=2)["n_estimators"] == 7
    assert "n_jobs" not in get("gb", CLASSIFICATION).resolve_params(seed=0, threads=2)


def test_build_passes_every_parameter_to_the_estimator():
    model = get("xgboost", CLASSIFICATION).build({"max_depth": 4}, seed=5, threads=1)
    params = model.get_params()
    assert (params["max_depth"], params["random_state"], params["n_jobs"]) == (4, 5, 1)


def test_check_params_refuses_unknown_names_with_a_suggestion():
    with pytest.raises(
        ConfigError, match="has no parameter 'n_estimator'.*Did you mean 'n_estimators'"
    ):
        get("rf", CLASSIFICATION).check_params({"n_estimator": 10})
    get("rf", CLASSIFICATION).check_params({"max_depth": 3})


@pytest.mark.parametrize(
    ("params", "sentence"),
    [
        ({"device": "gpu"}, "device must be one of auto, cpu, cuda, got 'gpu'."),
        ({"callbacks": 1}, "callbacks must be a list of treesvsnets Callback objects, got 1."),
        (
            {"class_weight": "weird"},
            "class_weight must be None, 'balanced' or a dict of class weights, got 'weird'.",
        ),
        (
            {"architecture": "cnn"},
            "'architecture' is set by the estimator itself (it is what 'dense' is), not a "
            "parameter to give.",
        ),
    ],
)
def test_a_nets_values_its_fit_would_refuse_are_refused_before_any_cell(params, sentence):
    """Each was accepted when the run was planned, then failed every cell (exit 0), or was
    refused in Python's words ('TorchNet.__init__() got multiple values for argument')."""
    with pytest.raises(ConfigError) as refused:
        get("dense", CLASSIFICATION).check_params(params)
    assert str(refused.value) == f"estimator 'dense': {sentence}"


def test_stacking_members_are_the_registry_estimators_and_take_nested_params():
    spec = get("stacking", CLASSIFICATION)
    spec.check_params({"rf__n_estimators": 10})
    model = spec.build({"rf__n_estimators": 10}, seed=4, threads=2)
    members = dict(model.estimators)
    assert list(members) == ["rf", "bagging", "adaboost", "gb"]
    assert members["rf"].get_params()["n_estimators"] == 10
    assert members["rf"].get_params()["n_jobs"] == 1  # the budget goes to the stacking
    assert all(m.get_params()["random_state"] == 4 for m in members.values())
    assert model.n_jobs == 2


def test_listing_imports_no_heavy_library():
    code = (
        "import sys, treesvsnets.cli as cli; cli.main(['list', 'estimators']);"
        "cli.main(['list', 'datasets']);"
        "heavy = ('sklearn', 'torch', 'xgboost', 'lightgbm', 'pandas');"
        "heavy = [m for m in heavy if m in sys.modules];"
        "print('HEAVY', heavy)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY []" in output


def test_only_estimators_that_use_threads_get_more_than_one():
    assert get("rf", CLASSIFICATION).thread_budget(2) == 2  # takes n_jobs
    assert get("hgb", CLASSIFICATION).thread_budget(2) == 2  # OpenMP: declares multithreaded
    assert get("rf", CLASSIFICATION).thread_budget(None) is None  # a Dask worker decides
    # single-threaded: extra threads only slow BLAS
    assert get("logreg", CLASSIFICATION).thread_budget(2) == 1
    assert get("gb", CLASSIFICATION).thread_budget(None) == 1


def test_what_unregister_returns_adds_back_as_it_was():
    from treesvsnets.estimators import registry

    before = registry.versions("rf")
    order = registry.names()
    saved = registry.unregister("rf")
    assert "rf" not in registry.names()
    registry.add(saved)
    assert registry.versions("rf") == before and registry.names() == order
    with pytest.raises(ValueError, match="at least one spec"):
        registry.add()
