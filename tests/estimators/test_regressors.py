"""Every estimator name builds its regressor on a regression dataset: the scikit-learn and
boosting libraries' own regressors, pooled stacking, and TorchRegressor on the shared loop."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.model_selection import KFold

from tests.helpers.devices import DEVICES
from treesvsnets.datasets import load
from treesvsnets.errors import ConfigError
from treesvsnets.estimators import registry

torch = pytest.importorskip("torch")

from treesvsnets.estimators.torch import TorchRegressor  # noqa: E402


@pytest.fixture(scope="module")
def diabetes():
    from sklearn.preprocessing import StandardScaler

    data = load("diabetes")
    return StandardScaler().fit_transform(data.X), data.y


def test_each_name_builds_the_classifier_or_the_regressor_of_one_idea():
    assert registry.tasks_of("logreg") == ("classification",)
    assert registry.tasks_of("ridge") == ("regression",)
    for name in ("rf", "bagging", "adaboost", "gb", "hgb", "xgboost", "lightgbm", "stacking",
                 "dense", "cnn", "dummy"):  # fmt: skip
        assert registry.tasks_of(name) == ("classification", "regression"), name
        classifier = registry.get(name, "classification").build(seed=0, threads=1)
        regressor = registry.get(name, "regression").build(seed=0, threads=1)
        assert is_classifier(classifier) and is_regressor(regressor), name
        assert "predict_proba" not in registry.get(name, "regression").capabilities
    with pytest.raises(ConfigError, match="no classification version"):
        registry.get("ridge", "classification")


@pytest.mark.parametrize("name", ["rf", "bagging", "adaboost", "gb", "hgb", "xgboost", "lightgbm",
                                  "ridge", "dummy"])  # fmt: skip
def test_every_regressor_fits_and_predicts_diabetes(name, diabetes):
    X, y = diabetes
    model = registry.get(name, "regression").build(seed=0, threads=1)
    model.fit(X[:350], y[:350])
    predictions = model.predict(X[350:])
    assert predictions.shape == (92,) and np.isfinite(predictions).all()
    if name == "dummy":
        np.testing.assert_allclose(predictions, y[:350].mean())


def test_pooled_stacking_regressor_equals_scikit_learns(diabetes):
    from sklearn.ensemble import StackingRegressor

    X, y = diabetes
    pooled = registry.get("stacking", "regression").build(seed=0, threads=2)
    pooled.set_params(
        rf__n_estimators=10, bagging__n_estimators=5, adaboost__n_estimators=10, gb__n_estimators=20
    )
    plain = StackingRegressor(
        pooled.estimators, final_estimator=pooled.final_estimator, cv=pooled.cv, n_jobs=1
    )
    pooled.fit(X[:350], y[:350])
    plain.fit(X[:350], y[:350])
    np.testing.assert_allclose(pooled.predict(X[350:]), plain.predict(X[350:]))


def _slice(X, y):
    return X[:300], y[:300], (X[300:350], y[300:350]), X[350:]


@pytest.mark.parametrize("device", DEVICES)
def test_the_net_standardises_the_target_in_the_fold_and_maps_predictions_back(diabetes, device):
    X, y = diabetes
    X_fit, y_fit, validation, X_test = _slice(X, y)
    model = TorchRegressor(epochs=40, random_state=0, device=device, threads=1)
    model.fit(X_fit, y_fit, validation_data=validation)
    assert model.y_mean_ == pytest.approx(y_fit.mean()) and model.y_scale_ == pytest.approx(
        y_fit.std()
    )
    record = model.history_[-1]
    assert {"val_loss", "val_rmse", "val_r2"} <= set(record) and "val_accuracy" not in record
    assert record["val_rmse"] > 20  # in the target's units (diabetes: sd 77), not standardised
    scaled = TorchRegressor(epochs=40, random_state=0, device=device, threads=1)
    scaled.fit(X_fit, y_fit * 1000, validation_data=(validation[0], validation[1] * 1000))
    np.testing.assert_allclose(scaled.predict(X_test), model.predict(X_test) * 1000, rtol=1e-3)
    from sklearn.metrics import r2_score

    assert r2_score(y[350:], model.predict(X_test)) > 0.3


def test_early_stopping_on_validation_r2_and_huber_loss(diabetes):
    X, y = diabetes
    X_fit, y_fit, validation, X_test = _slice(X, y)
    model = TorchRegressor(
        epochs=200, early_stopping=True, monitor="val_r2", patience=3, loss="huber",
        random_state=0, threads=1,
    )  # fmt: skip
    model.fit(X_fit, y_fit, validation_data=validation)
    assert model.n_epochs_ < 200 and model.stop_reason_
    best = max(model.history_, key=lambda r: r["val_r2"])
    assert model.best_epoch_ == best["epoch"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"loss": "cross_entropy"}, "loss must be one of auto, mse, huber"),
        ({"monitor": "val_accuracy"}, "monitor must be one of val_loss, val_rmse, val_r2"),
        ({"class_weight": "balanced"}, "class_weight is for classifiers"),
    ],
)
def test_a_regressors_wrong_settings_are_one_sentence(params, message):
    with pytest.raises(ConfigError, match=message):
        TorchRegressor(**params).validate_params()


def test_a_fitted_regressor_pickles_and_predicts_the_same(diabetes):
    X, y = diabetes
    model = TorchRegressor(epochs=5, random_state=0, threads=1).fit(X[:300], y[:300])
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X[300:]), model.predict(X[300:]))


@pytest.mark.parametrize("device", DEVICES)
def test_stacked_regression_fits_equal_separate_fits(diabetes, device):
    X, y = diabetes
    data, tests = [], []
    for train, test in KFold(5, shuffle=True, random_state=0).split(X):
        data.append((X[train[40:]], y[train[40:]], (X[train[:40]], y[train[:40]])))
        tests.append(X[test])

    def model(seed):
        return TorchRegressor(epochs=4, dropout=0.0, random_state=seed, threads=1, device=device)

    alone = [model(i).fit(X_, y_, validation_data=v) for i, (X_, y_, v) in enumerate(data)]
    together = [model(i) for i in range(5)]
    assert TorchRegressor.fit_together(together, data) is None
    for one, stacked, X_test in zip(alone, together, tests, strict=True):
        np.testing.assert_allclose(stacked.predict(X_test), one.predict(X_test), rtol=1e-3)
        for key in ("train_loss", "val_loss", "val_rmse", "val_r2"):
            np.testing.assert_allclose(
                [r[key] for r in stacked.history_], [r[key] for r in one.history_], rtol=1e-3
            )
