"""What a scikit-learn user does with the project's estimators, beyond ``check_estimator``.

A DataFrame whose columns come reordered, a grid of NumPy numbers, a caller's own torch random
stream, ``log_loss`` on the probabilities, a shape given without its channels: each once gave a
silent wrong answer or a library's raw error (a probe of 2026-12-07).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV

from treesvsnets.errors import ConfigError
from treesvsnets.estimators.torch.classifier import TorchClassifier
from treesvsnets.estimators.torch.regressor import TorchRegressor


def _net(**params):
    settings = {"epochs": 3, "lr": 0.01, "device": "cpu", "threads": 1, "random_state": 0}
    return TorchClassifier(**{**settings, **params})


def _catboost():
    adapter = pytest.importorskip("treesvsnets.estimators.catboost_adapter")
    return adapter.CatBoostClassifierModel(iterations=20, thread_count=1, random_seed=0)


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True, as_frame=True)


@pytest.mark.parametrize("make", [_net, _catboost], ids=["net", "catboost"])
def test_columns_in_another_order_or_under_other_names_are_refused(iris, make):
    X, y = iris
    model = make().fit(X, y)
    assert list(model.feature_names_in_) == list(X.columns)
    model.predict(X)  # the same columns: fine
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(X[X.columns[::-1]])  # read as the others, it scored 0.33, silently
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(X.rename(columns=str.upper))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        model.predict(X.to_numpy())
    refitted = make().fit(X.to_numpy(), y)  # fitted on an array: no names to keep
    assert not hasattr(refitted, "feature_names_in_")


@pytest.mark.parametrize("make", [_net, _catboost], ids=["net", "catboost"])
def test_a_grid_of_numpy_numbers_is_searched(iris, make):
    X, y = iris
    model = make()
    grid = (
        {"epochs": np.arange(2, 4), "lr": np.array([0.01], dtype=np.float32)}
        if isinstance(model, TorchClassifier)
        else {"depth": np.array([2, 3]), "iterations": np.arange(5, 7)}
    )
    grid["random_state" if isinstance(model, TorchClassifier) else "random_seed"] = [
        np.int64(1),
        np.random.RandomState(0),
    ]
    search = GridSearchCV(model, grid, cv=2).fit(X, y)  # np.int64 was refused, so was RandomState
    assert 0.3 < search.best_score_ <= 1.0


def test_a_fit_leaves_the_callers_torch_random_stream_alone(iris):
    X, y = iris
    drawn = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        _net(epochs=1).fit(X, y)
        drawn.append(torch.rand(1).item())
    torch.manual_seed(1)
    assert drawn[0] == torch.rand(1).item() != drawn[1]  # it reset the stream to seed 0


def test_probabilities_sum_to_one_as_log_loss_wants(iris):
    X, y = iris
    proba = _net().fit(X, y).predict_proba(X)
    assert proba.dtype == np.float64 and np.abs(proba.sum(axis=1) - 1).max() < 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_loss(y, proba)  # it warned: "The y_prob values do not sum to one"


@pytest.mark.parametrize(
    "params, words",
    [
        ({"architecture": "cnn", "image_shape": (2, 2)}, "image_shape must be (channels, height"),
        ({"architecture": "cnn1d", "sequence_shape": (4,)}, "sequence_shape must be (channels,"),
        ({"hidden_units": 8}, "hidden_units must be a list of positive whole layer widths"),
        ({"hidden_units": (8, 0)}, "hidden_units must be a list of positive whole"),
    ],
)
def test_a_shape_or_widths_in_the_wrong_form_is_one_sentence(iris, params, words):
    X, y = iris
    with pytest.raises(ConfigError, match=words.replace("(", r"\(")):
        _net(**params).fit(X, y)


def test_fit_refuses_what_it_cannot_learn_from_in_one_sentence(iris):
    X, y = iris
    X, y = X.to_numpy(), y.to_numpy()
    with pytest.raises(ValueError, match="validation_data's X has 3 features, but the X given"):
        _net().fit(X, y, validation_data=(X[:, :3], y))
    with pytest.raises(ValueError, match="needs at least two classes in y; got one class"):
        _net().fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="needs at least 2 samples to fit, got 1 sample"):
        TorchRegressor(epochs=2, device="cpu").fit(X[:1], [1.0])


@pytest.mark.parametrize(
    ("make", "how"),
    [
        (_net, "OneHotEncoder"),  # dense embeds nothing
        (lambda: _net(architecture="resnet"), "set n_categorical=2"),
        (_catboost, "set n_categorical=2"),
    ],
    ids=["dense", "resnet", "catboost"],
)
def test_text_columns_of_a_frame_are_named_with_how_to_give_them(make, how):
    """A notebook's penguins frame: NumPy said only "could not convert string to float:
    'Torgersen'", naming neither the column nor n_categorical."""
    penguins = pytest.importorskip("palmerpenguins").load_penguins().dropna()
    X = penguins[["island", "bill_length_mm", "bill_depth_mm", "sex"]]
    with pytest.raises(ValueError) as caught:
        make().fit(X, penguins["species"])
    message = str(caught.value)
    assert "2 column(s) of X hold text or categories ('island', 'sex')" in message
    assert how in message
    numbers = X.drop(columns="sex").assign(island=X["island"].factorize()[0])
    fitted = make().fit(numbers, penguins["species"])  # codes: fine
    with pytest.raises(ValueError, match=r"hold text or categories \('island'\)"):
        fitted.predict(numbers.astype({"island": str}))


def test_a_float32_frame_fits_and_predicts_without_a_warning(iris):
    """pandas hands a float32 frame's values read-only: torch warned "The given NumPy array
    is not writable" at each fit and predict."""
    X, y = iris
    frame = X.astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predicted = _net().fit(frame, y).predict(frame)
    np.testing.assert_array_equal(predicted, _net().fit(X, y).predict(X))
