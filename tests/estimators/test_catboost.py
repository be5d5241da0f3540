"""CatBoost behind our adapter: categories as cat_features, threads, seeds, devices, both
tasks; and the per-fold coding of a table's categories it (and the tabular nets) read."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from tests.helpers.devices import requires_cuda
from treesvsnets.datasets.base import TableSchema
from treesvsnets.datasets.columns import table_preprocessor
from treesvsnets.errors import ConfigError

catboost_adapter = pytest.importorskip(
    "treesvsnets.estimators.catboost_adapter", reason="catboost is not installed"
)
pytest.importorskip("catboost", reason="catboost is not installed")
CatBoostClassifierModel = catboost_adapter.CatBoostClassifierModel
CatBoostRegressorModel = catboost_adapter.CatBoostRegressorModel


def coded_rows(n=300, seed=0):
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=(n, 3))
    codes = rng.integers(0, 5, size=(n, 1))
    y = ((numbers[:, 0] + (codes[:, 0] == 3) * 3) > 1).astype(int)
    return np.hstack([numbers, codes]).astype(float), y


def test_the_code_columns_reach_catboost_as_categorical_features(monkeypatch):
    from catboost import CatBoostClassifier

    seen = {}
    fit = CatBoostClassifier.fit

    def spy(self, X, y, cat_features=None, **kwargs):
        seen["cat_features"], seen["dtypes"] = cat_features, list(X.dtypes)
        return fit(self, X, y, cat_features=cat_features, **kwargs)

    monkeypatch.setattr(CatBoostClassifier, "fit", spy)
    X, y = coded_rows()
    model = CatBoostClassifierModel(iterations=80, n_categorical=1, thread_count=1, random_seed=0)
    model.fit(X[:240], y[:240])
    assert seen["cat_features"] == [3] and str(seen["dtypes"][3]) == "int64"
    assert model.model_.get_param("thread_count") == 1 and model.device_ == "cpu"
    test = X[240:].copy()
    test[:5, -1] = -1  # unseen in the training fold
    assert np.allclose(model.predict_proba(test).sum(axis=1), 1)
    assert (model.predict(test) == y[240:]).mean() > 0.85
    same = CatBoostClassifierModel(iterations=80, n_categorical=1, thread_count=1, random_seed=0)
    assert np.array_equal(same.fit(X[:240], y[:240]).predict_proba(test), model.predict_proba(test))
    assert np.array_equal(pickle.loads(pickle.dumps(model)).predict(test), model.predict(test))


def test_the_regressor_and_string_labels():
    X, _ = coded_rows()
    target = 2 * X[:, 0] + (X[:, -1] == 2) * 5
    regressor = CatBoostRegressorModel(iterations=100, n_categorical=1, thread_count=1)
    assert regressor.fit(X, target).score(X, target) > 0.9
    labels = np.array(["low", "mid", "high"])[np.digitize(X[:, 0], [-0.5, 0.5])]
    classifier = CatBoostClassifierModel(iterations=30, thread_count=1).fit(X, labels)
    assert set(classifier.predict(X[:20])) <= {"low", "mid", "high"}
    assert list(classifier.classes_) == ["high", "low", "mid"]


def test_bad_values_and_bad_codes_are_one_sentence():
    X, y = coded_rows(50)
    for params, message in (
        ({"depth": 20}, "depth must be at most 16"),
        ({"iterations": 0}, "iterations must be a whole number of at least 1"),
        ({"learning_rate": -1.0}, "learning_rate must be a non-negative number"),
        ({"device": "tpu"}, "device must be one of auto, cpu, cuda"),
        ({"n_categorical": 9}, "n_categorical is 9 but the data has only 4 columns"),
    ):
        with pytest.raises(ConfigError, match=message):
            CatBoostClassifierModel(iterations=params.pop("iterations", 5), **params).fit(X, y)
    fractional = X.copy()
    fractional[0, -1] = 1.5
    with pytest.raises(ConfigError, match="whole-number category codes"):
        CatBoostClassifierModel(iterations=5, n_categorical=1).fit(fractional, y)


def test_the_gpu_is_asked_for_only_where_catboost_sees_one(monkeypatch):
    monkeypatch.setattr(catboost_adapter, "gpu_count", lambda: 0)
    assert CatBoostClassifierModel(device="auto")._settings()["task_type"] == "CPU"
    with pytest.raises(ConfigError, match="'cuda' was asked for, but CatBoost sees no GPU"):
        CatBoostClassifierModel(device="cuda")._settings()
    monkeypatch.setattr(catboost_adapter, "gpu_count", lambda: 2)
    model = CatBoostClassifierModel(device="cuda:1")
    settings = model._settings()
    assert settings["task_type"] == "GPU" and settings["devices"] == "1"
    assert model.device_ == "cuda:1"
    assert CatBoostClassifierModel(device="cpu")._settings()["task_type"] == "CPU"


@requires_cuda
def test_catboost_trains_on_the_gpu_when_the_run_has_one():
    if catboost_adapter.gpu_count() == 0:
        pytest.skip("CatBoost sees no GPU here")
    X, y = coded_rows()
    model = CatBoostClassifierModel(iterations=50, n_categorical=1, device="cuda").fit(X, y)
    assert model.device_ == "cuda:0" and model.model_.get_param("task_type") == "GPU"
    assert (model.predict(X) == y).mean() > 0.8


def test_a_folds_categories_become_codes_at_the_end_for_a_native_estimator():
    frame = pd.DataFrame(
        {
            "colour": ["red", "blue", None, "red", "green", "blue"],
            "size": [1.0, 2.0, 3.0, np.nan, 5.0, 6.0],
        }
    )
    schema = TableSchema(numeric=("size",), categorical=("colour",))
    native = table_preprocessor(schema, "standard", native_categorical=True)
    out = native.fit_transform(frame.iloc[:4], [0, 1, 0, 1])
    # numbers (scaled, then the missing indicator), then the code: sorted categories of the
    # training rows, the missing value a category of its own
    assert out.shape == (4, 3)
    assert list(out[:, -1]) == [2.0, 1.0, 0.0, 2.0]  # (missing) < blue < red
    unseen = native.transform(frame.iloc[4:])
    assert list(unseen[:, -1]) == [-1.0, 1.0]  # green never seen in training
    onehot = table_preprocessor(schema, "standard").fit_transform(frame.iloc[:4], [0, 1, 0, 1])
    assert onehot.shape == (4, 5)  # the others still get one-hot columns
