"""What a fitted estimator of this project checks before it predicts, written once.

scikit-learn's contract (its ``check_estimator``): predicting before ``fit`` raises
``NotFittedError``; rows with another number of features than ``fit`` saw, or a DataFrame
whose columns are not those ``fit`` saw (reordered, renamed: the model would read one column
as another), raise a ``ValueError`` in scikit-learn's words. ``fit`` records
``n_features_in_`` and, for a DataFrame, ``feature_names_in_`` (:func:`training_rows`); the
nets, the CatBoost and the RealMLP adapters all call these.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted, check_X_y, validate_data


def training_rows(
    estimator: Any, X: Any, y: Any, *, dtype: Any, y_numeric: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``X`` and ``y`` as arrays for ``estimator`` to fit (``X`` of ``dtype``), its
    ``n_features_in_`` and ``feature_names_in_`` (a DataFrame's column names) recorded; one
    sample, or a classifier's one class, refused (nothing to learn from)."""
    from sklearn.base import is_classifier
    from sklearn.utils.multiclass import check_classification_targets

    refuse_text_columns(estimator, X)
    X, y = validate_data(estimator, X, y, dtype=dtype, y_numeric=y_numeric)
    name = type(estimator).__name__
    if len(X) < 2:
        raise ValueError(f"{name} needs at least 2 samples to fit, got 1 sample.")
    if is_classifier(estimator):
        check_classification_targets(y)
        if len(np.unique(y)) < 2:
            raise ValueError(f"{name} needs at least two classes in y; got one class.")
    return X, y


def validation_rows(
    estimator: Any, X: Any, y: Any, *, dtype: Any, y_numeric: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``fit``'s ``validation_data`` as arrays, with the features of the training rows
    :func:`training_rows` recorded."""
    X_array, y_array = check_X_y(X, y, dtype=dtype, y_numeric=y_numeric)
    if X_array.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"validation_data's X has {X_array.shape[1]} features, but the X given to "
            f"{type(estimator).__name__}.fit has {estimator.n_features_in_}."
        )
    validate_data(estimator, X, reset=False, skip_check_array=True)  # the same names
    return X_array, y_array


def fitted_rows(estimator: Any, X: Any, *, fitted: str, dtype: Any) -> np.ndarray:
    """``X`` as an array of ``dtype`` for ``estimator`` to predict: it is fitted (its
    ``fitted`` attribute is set) and ``X`` has the features it was fitted on (as many, and
    the same names in the same order where both were DataFrames)."""
    check_is_fitted(estimator, fitted)
    refuse_text_columns(estimator, X)
    return validate_data(estimator, X, dtype=dtype, reset=False)


def refuse_text_columns(estimator: Any, X: Any) -> None:
    """A DataFrame's columns of text or categories, named, with how to give them (NumPy
    said "could not convert string to float: 'Torgersen'", naming neither the column nor
    the way the nets take categories)."""
    import pandas as pd

    from treesvsnets.estimators.capabilities import capabilities_of

    if not isinstance(X, pd.DataFrame):
        return
    text = [str(column) for column, dtype in X.dtypes.items() if not _numeric(dtype)]
    if not text:
        return
    listed = ", ".join(repr(column) for column in text[:5]) + (" ..." if len(text) > 5 else "")
    how = (
        f"whole-number codes (scikit-learn's OrdinalEncoder), put them last and set "
        f"n_categorical={len(text)} so it takes them as categories"
        if "native_categorical" in capabilities_of(estimator)
        else "numbers first (scikit-learn's OneHotEncoder or OrdinalEncoder)"
    )
    raise ValueError(
        f"{type(estimator).__name__} takes numbers, but {len(text)} column(s) of X hold text "
        f"or categories ({listed}): encode them as {how}, or benchmark the table with "
        f"treesvsnets.run, which encodes it for each estimator."
    )


def _numeric(dtype: Any) -> bool:
    """Numbers or booleans, or categories whose values are numbers."""
    import pandas as pd

    if isinstance(dtype, pd.CategoricalDtype):
        return pd.api.types.is_numeric_dtype(dtype.categories.dtype)
    return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def first_values(values: np.ndarray) -> str:
    """The first three distinct values of ``values``, as a refusal quotes them."""
    return ", ".join(list(dict.fromkeys(map(repr, values.ravel().tolist())))[:3])


def predicted_numbers(predicted: Any) -> np.ndarray:
    """A regressor's predictions as floats; text refused, "1.5" too (read as a number, a
    model that returned its predictions as strings was scored as if it had not)."""
    values = np.asarray(predicted)
    if values.dtype.kind in "biuf":
        return values.astype(float)
    text = values.dtype.kind in "US" or any(isinstance(v, str | bytes) for v in values.ravel())
    try:
        if text:
            raise ValueError
        return values.astype(float)
    except (TypeError, ValueError):
        kind = "text" if text else "values that are not numbers"
        raise ValueError(
            f"predict returned {kind} ({first_values(values)}): a regressor predicts a "
            "number per row."
        ) from None


def is_whole(value: Any) -> bool:
    """Whether ``value`` is a whole number, a NumPy one too (a grid of ``np.arange``), not a
    bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number, a NumPy one too, not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds (libraries and JSON want those)."""
    return value.item() if isinstance(value, np.generic) else value


def seed_of(random_state: Any) -> int | None:
    """An integer seed from scikit-learn's ``random_state`` (None, an int, a NumPy integer,
    or a ``RandomState``/``Generator``, which draws one, as scikit-learn's estimators do)."""
    from sklearn.utils import check_random_state

    if random_state is None:
        return None
    if is_whole(random_state):
        return int(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    return int(check_random_state(random_state).randint(2**31 - 1))
