import json

import numpy as np
import pytest

from tests.helpers.estimators import (
    AllocatingEstimator,
    DummyEstimator,
    Float32Proba,
    HalfProba,
    ProbaDummy,
    RaisingEstimator,
    ShortPredict,
    ShortProba,
    TextProba,
    ThreadRecordingEstimator,
    TooFewProbaColumns,
    UnknownLabel,
)
from treesvsnets.bench.cells.cell import run_cell
from treesvsnets.bench.cells.inputs import Cell, cell_overrides
from treesvsnets.bench.cells.metrics import align_proba
from treesvsnets.estimators import get


def _run(spec, dataset, split_plan, fold=0, threads=1, seed=0):
    cell = Cell(dataset.name, spec.name, seed=seed, fold=fold, threads=threads)
    return run_cell(cell, spec, dataset, split_plan, run_id="test")


def test_scaler_statistics_come_from_the_training_fold_alone(wine, wine_plan):
    for fold in wine_plan.folds:
        outcome = _run(get("logreg", "classification"), wine, wine_plan, fold=fold.index)
        scaler = outcome.model.named_steps["preprocess"]
        np.testing.assert_allclose(scaler.mean_, wine.X[fold.train].mean(axis=0))
        np.testing.assert_allclose(scaler.scale_, wine.X[fold.train].std(axis=0))
        assert not np.allclose(scaler.mean_, wine.X.mean(axis=0))
        assert outcome.row["preprocessing"] == "standard"


def test_a_raising_estimator_becomes_an_error_row(register_spec, wine, wine_plan):
    spec = register_spec("raises", RaisingEstimator)
    outcome = _run(spec, wine, wine_plan)
    row = outcome.row
    assert row["status"] == "error"
    assert row["error"] == "ValueError: deliberate failure in fit"
    assert 'raise ValueError("deliberate failure in fit")' in row["traceback"]
    assert row["accuracy"] is None  # no score is invented for a failed cell
    assert row["fit_seconds"] is not None and row["predict_seconds"] is None
    assert outcome.model is None


@pytest.mark.parametrize(
    ("estimator", "error"),
    [
        (
            HalfProba,
            "ValueError: predict_proba returned rows that do not sum to 1 ({n} of {n}; one sums "
            "to 0.5): not probabilities.",
        ),
        (
            TooFewProbaColumns,
            "ValueError: predict_proba returned an array of shape ({n}, 2): expected one column "
            "per class the model knows (3, its classes_).",
        ),
        (  # numpy's 'operands could not be broadcast together with shapes (73,) (75,)'
            ShortProba,
            "ValueError: predict_proba returned {short2} rows of probabilities for {n} rows: "
            "expected one per row.",
        ),
        (  # numpy's "ufunc 'minimum' did not contain a loop with signature matching types"
            TextProba,
            "ValueError: predict_proba returned values that are not numbers ('0.3",
        ),
        (
            UnknownLabel,
            "ValueError: predict returned labels that are no class of the dataset (7; the "
            "classes are coded 0 to 2, as in the y fit was given).",
        ),
        (
            ShortPredict,
            "ValueError: predict returned an array of shape ({short},) for {n} rows: expected one "
            "value per row.",
        ),
    ],
)
def test_predictions_that_are_not_labels_or_probabilities_are_an_error_row(
    register_spec, wine, wine_plan, estimator, error
):
    """Scored as they came, they would give a number (a log loss raised by ln 2, an accuracy
    of 0 beside a ROC-AUC of 1): the row says what is wrong with them instead."""
    row = _run(register_spec("invalid", estimator), wine, wine_plan).row
    n = len(wine_plan.folds[0].test)
    assert row["status"] == "error"
    assert row["error"].startswith(error.format(n=n, short=n - 3, short2=n - 2))
    assert row["accuracy"] is None and row["log_loss"] is None


def test_float32_probabilities_are_scored_without_a_warning_of_the_scorers_own(
    register_spec, wine, wine_plan
):
    """A net's float32 softmax sums to 1 within 1e-7: scikit-learn's log loss warns of it,
    which filled every net's warnings column with the harness's own noise."""
    row = _run(register_spec("float32", Float32Proba), wine, wine_plan).row
    assert row["status"] == "ok" and row["log_loss"] > 0
    assert not row["warnings"], row["warnings"]


def test_log_loss_only_where_probabilities_exist(register_spec, wine, wine_plan):
    without = _run(register_spec("quick", DummyEstimator), wine, wine_plan).row
    with_proba = _run(register_spec("proba", ProbaDummy), wine, wine_plan).row
    assert without["log_loss"] is None
    assert with_proba["log_loss"] > 0
    majority = np.bincount(wine.y[wine_plan.folds[0].test]).max() / len(wine_plan.folds[0].test)
    assert without["accuracy"] == pytest.approx(majority)


def test_peak_memory_is_measured_per_cell(register_spec, wine, wine_plan):
    small = _run(register_spec("quick", DummyEstimator), wine, wine_plan).row
    big = _run(
        register_spec("alloc", lambda **p: AllocatingEstimator(300, **p)), wine, wine_plan
    ).row
    small_again = _run(get("quick", "classification"), wine, wine_plan).row
    assert big["peak_rss_mb"] - small["peak_rss_mb"] > 250
    # the next cell gets its own peak, not the previous cell's
    assert small_again["peak_rss_mb"] < big["peak_rss_mb"] - 250


@pytest.mark.parametrize("threads", [1, 2])
def test_the_thread_budget_reaches_native_thread_pools(register_spec, wine, wine_plan, threads):
    spec = register_spec("threads", ThreadRecordingEstimator)
    outcome = _run(spec, wine, wine_plan, threads=threads)
    estimator = outcome.model
    assert estimator.pool_threads_, "no native thread pool was found"
    assert all(n <= threads for n in estimator.pool_threads_.values())
    assert outcome.row["threads"] == threads


def test_row_describes_the_cell(wine, wine_plan):
    row = _run(get("rf", "classification"), wine, wine_plan, fold=2, seed=0).row
    fold = wine_plan.folds[2]
    assert (row["n_train"], row["n_val"], row["n_test"]) == (len(fold.train), 0, len(fold.test))
    assert row["split_hash"] == wine_plan.hash
    assert row["dataset_fingerprint"] == wine.fingerprint
    assert row["predict_ms_per_1k"] == pytest.approx(row["predict_seconds"] * 1e6 / len(fold.test))
    assert row["started_at"] <= row["ended_at"]


def test_align_proba_puts_columns_under_their_class_codes():
    proba = np.array([[0.2, 0.8], [0.6, 0.4]])
    aligned = align_proba(proba, np.array([0, 2]), n_classes=3)
    np.testing.assert_allclose(aligned, [[0.2, 0, 0.8], [0.6, 0, 0.4]])


def test_a_net_preprocessor_sees_only_the_rows_the_net_fits_on(wine, wine_plan):
    fold = wine_plan.folds[1]
    outcome = _run(get("dense", "classification"), wine, wine_plan, fold=1)
    scaler = outcome.model.named_steps["preprocess"]
    assert outcome.row["preprocessing"] == "standard"  # 'auto' on a table
    np.testing.assert_allclose(scaler.mean_, wine.X[fold.fit].mean(axis=0))
    assert not np.allclose(scaler.mean_, wine.X[fold.train].mean(axis=0))
    assert (outcome.row["n_train"], outcome.row["n_val"]) == (len(fold.fit), len(fold.val))


def test_only_torch_estimators_are_asked_for_epoch_lines(register_spec, digits):
    quiet = Cell("digits", "x", seed=0, fold=0, verbose=True)
    assert cell_overrides(get("dense", "classification"), quiet, digits)["verbose"] == 1
    assert "verbose" not in cell_overrides(get("lightgbm", "classification"), quiet, digits)
    deep_plugin = register_spec("deep_plugin", DummyEstimator, family="deep")
    assert "verbose" not in cell_overrides(deep_plugin, quiet, digits)


def test_a_nets_epoch_lines_are_not_recorded_in_its_params(wine, wine_plan, capsys):
    """A run with progress asks its nets for epoch lines (verbose=1): the row's params said
    so, and the same config run with -q recorded other params."""
    spec, few = get("dense", "classification"), {"epochs": 2}
    rows = [
        run_cell(Cell(wine.name, "dense", seed=0, fold=0, threads=1, verbose=verbose,
                      params=few), spec, wine, wine_plan, run_id="t").row
        for verbose in (True, False)
    ]  # fmt: skip
    assert rows[0]["params"] == rows[1]["params"]
    assert json.loads(rows[0]["params"])["epochs"] == 2


def test_the_row_holds_the_test_folds_confusion_matrix(wine, wine_plan):
    import json

    row = _run(get("rf", "classification"), wine, wine_plan, fold=1).row
    matrix = np.array(json.loads(row["confusion"]))
    assert matrix.shape == (3, 3) and matrix.sum() == row["n_test"]
    assert np.trace(matrix) / matrix.sum() == pytest.approx(row["accuracy"])
    assert matrix.sum(axis=1).tolist() == np.bincount(wine.y[wine_plan.folds[1].test]).tolist()


@pytest.mark.parametrize("dataset_name", ["breast_cancer", "wine"])
def test_the_estimators_declared_argmax_predict_give_predicts_labels_from_one_predict_proba(
    dataset_name,
):
    """rf, bagging, xgboost and lightgbm declare ``argmax_predict``: the labels read from
    their probabilities are exactly what their own predict returns (a cell then calls
    predict_proba alone); an estimator that does not declare it is asked both."""
    from treesvsnets.bench.cells.metrics import predict_and_proba
    from treesvsnets.datasets import load
    from treesvsnets.estimators import registry
    from treesvsnets.tasks import CLASSIFICATION

    dataset = load(dataset_name)
    declared = {
        name
        for name in registry.names()
        if "argmax_predict"
        in registry.versions(name).get(CLASSIFICATION, get("rf", CLASSIFICATION)).capabilities
    }
    assert {"rf", "bagging", "xgboost", "lightgbm"} <= declared
    X, y = dataset.X, dataset.y
    for name in ("rf", "bagging", "xgboost", "lightgbm"):
        spec = get(name, CLASSIFICATION)
        model = spec.factory(**{**spec.default_params, spec.seed_param: 0}).fit(X[::2], y[::2])
        labels, proba = predict_and_proba(
            model, X[1::2], dataset.n_classes, proba=True, argmax=True
        )
        np.testing.assert_array_equal(labels, model.predict(X[1::2]), err_msg=name)
        assert proba.shape == (len(labels), dataset.n_classes)
    assert "argmax_predict" not in get("adaboost", CLASSIFICATION).capabilities


def test_a_regressor_predicting_text_is_told_so_and_numbers_as_objects_are_numbers():
    """It was numpy's 'could not convert string to float: np.str_('x')'."""
    import numpy as np

    from treesvsnets.bench.cells.metrics import check_labels

    with pytest.raises(ValueError) as caught:
        check_labels(np.array(["x", "x", "y"]), 3, 0)
    assert str(caught.value) == (
        "predict returned text ('x', 'y'): a regressor predicts a number per row."
    )
    # numbers as strings too: read as numbers, such a model was scored 'ok'
    for strings in (np.array(["1.5", "2", "3"]), np.array(["1.5", 2.0, 3.0], dtype=object)):
        with pytest.raises(ValueError, match=r"predict returned text \('1.5'"):
            check_labels(strings, 3, 0)
    with pytest.raises(ValueError, match="predict returned values that are not numbers"):
        check_labels(np.array([{}, 1.0, 2.0], dtype=object), 3, 0)
    numbers = check_labels(np.array([1.5, 2, 3], dtype=object), 3, 0)
    assert numbers.dtype == np.float64 and numbers.tolist() == [1.5, 2.0, 3.0]


def test_check_fails_a_regressor_whose_predictions_are_strings_of_numbers():
    """`treesvsnets check` passed it ('predict gives one finite number per row'), and a run
    scored it 'ok' while the harness turned its strings into numbers."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    from treesvsnets.estimators.contract import CheckData, check_predict_numbers, run_check

    class AsText(Ridge):
        def predict(self, X):
            return super().predict(X).astype(str)

    X, y = load_diabetes(return_X_y=True)
    data = CheckData(X, y, {}, "diabetes", "regression")
    text = run_check("numbers", check_predict_numbers, AsText, data)
    assert text.status == "fail" and text.message.startswith("predict returned text ('")
    assert run_check("numbers", check_predict_numbers, Ridge, data).status == "pass"
