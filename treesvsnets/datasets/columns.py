"""The per-fold pipeline of a user's table: impute, clip, scale, encode (a ColumnTransformer).

Built fresh for each cell and fitted on the training rows only, so every
statistic (medians, IQR fences, means, categories, target means, date
references) comes from the training fold; the validation slice and the test
fold are only transformed.

- numeric columns (booleans as 0/1): optional clipping to the IQR fences ->
  median imputation with missing-indicator columns -> the estimator's scaling
  (``none`` for trees; ``standard``/``minmax``/``robust``/``log1p``);
- datetime columns: days since the training fold's earliest date, year,
  month, day, weekday (and hour when the training dates have times), then
  imputed and scaled as numbers;
- categorical columns (last): a missing value is a category of its own ->
  for an estimator that takes categories natively (CatBoost, the tabular nets'
  embeddings), the category's code in the training fold (-1 when unseen); else
  one-hot when a column has at most ``max_onehot`` categories in the
  training fold (unknown categories at test time are all zeros), else
  scikit-learn's ``TargetEncoder``: each category's smoothed target mean
  (per class), cross-fitted on the training rows so no row's own label leaks
  into its encoding, and an unseen category at test time gets the training
  fold's overall mean rather than an arbitrary code. ``high_cardinality =
  "ordinal"`` asks for ordinal codes (unknown -> -1) instead. An estimator that asks for
  scaling gets those codes, and a regression target's encodings (in the target's units),
  scaled as its numbers are; a class label's encoding is a probability and stays in [0, 1].

:func:`table_preprocessor` builds it from :class:`IQRClipper` (:func:`iqr_fences`, with
which ``inspect`` also counts outliers), median imputation with missing indicators, the
scaler, :class:`DatetimeFeatures`, ``(missing)`` as a category and :class:`CategoryEncoder`
(the target encoder's inner folds seeded, so a cell is reproducible). :func:`category_codes`
gives the codes for an estimator with ``native_categorical``, whose categorical columns then
come last; :func:`coded_columns` reads those last columns back, checked (what CatBoost and
the tabular nets read). :func:`describe_encoding` says in words what a fold makes of a
column (what ``inspect`` and the report show).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from treesvsnets.datasets.base import TableSchema
from treesvsnets.datasets.text_columns import CLOCK_NOTE


def iqr_fences(X: Any, k: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Per column ``(q1 - k*IQR, q3 + k*IQR)`` of ``X``, missing values ignored; none
    (-inf, inf) for a column whose quartiles are equal: a 0/1 flag set in under a quarter
    of the rows, a count mostly 0, whose every other value was clipped to the common one
    (the feature erased) and counted an outlier."""
    q1, q3 = np.nanpercentile(np.asarray(X, dtype=float), [25, 75], axis=0)
    spread = k * (q3 - q1)
    flat = q3 <= q1
    return np.where(flat, -np.inf, q1 - spread), np.where(flat, np.inf, q3 + spread)


class IQRClipper(TransformerMixin, BaseEstimator):
    """Clip each column to ``[q1 - k*IQR, q3 + k*IQR]`` with quartiles of the training rows."""

    def __init__(self, k: float = 1.5) -> None:
        self.k = k

    def fit(self, X, y=None):
        self.lower_, self.upper_ = iqr_fences(X, self.k)
        return self

    def transform(self, X):
        check_is_fitted(self)
        return np.clip(np.asarray(X, dtype=float), self.lower_, self.upper_)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(input_features, dtype=object)


#: what a missing category becomes before encoding: a category of its own
MISSING_CATEGORY = "(missing)"


class CategoryEncoder(TransformerMixin, BaseEstimator):
    """One-hot encoding per column up to ``max_onehot`` categories; above, a cross-fitted
    ``TargetEncoder`` (``high_cardinality="target"``) or ordinal codes (``"ordinal"``).

    ``fit_transform`` on the training rows gives the target encoder's cross-fitted values
    (each row encoded by the other folds' means), as scikit-learn intends; ``transform`` of
    other rows uses the means of every training row. The encoder's inner folds are seeded
    with ``random_state``, so a cell is reproducible.

    ``scaling`` (the estimator's, as for the numbers) is applied to the many-valued columns'
    encodings when they are in units of their own: ordinal codes, and the target means of a
    regression target (a price's); fitted on the training rows' (cross-fitted) encodings.
    The encodings of class labels are probabilities in [0, 1] and one-hot columns are 0/1:
    both are left as they are.
    """

    def __init__(
        self,
        max_onehot: int = 20,
        high_cardinality: str = "target",
        random_state: int = 0,
        scaling: str = "none",
    ) -> None:
        self.max_onehot = max_onehot
        self.high_cardinality = high_cardinality
        self.random_state = random_state
        self.scaling = scaling

    def _fit_encoders(self, X: np.ndarray, y: Any) -> np.ndarray | None:
        """Fit both encoders; returns the many-valued columns' cross-fitted encoding, if any."""
        from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

        counts = [len(set(X[:, j].tolist())) for j in range(X.shape[1])]
        self.onehot_columns_ = [j for j, n in enumerate(counts) if n <= self.max_onehot]
        self.many_columns_ = [j for j, n in enumerate(counts) if n > self.max_onehot]
        self.onehot_ = (
            OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64).fit(
                X[:, self.onehot_columns_]
            )
            if self.onehot_columns_
            else None
        )
        self.many_ = self.many_scaler_ = None
        if not self.many_columns_:
            return None
        many = X[:, self.many_columns_]
        encoded = None
        if self.high_cardinality == "target":
            if y is None:
                raise ValueError(
                    "target encoding of the many-valued categorical columns needs the training "
                    "labels: call fit(X, y)."
                )
            self.many_ = _target_encoder(y, self.random_state)
            if self.many_ is not None:
                encoded = self.many_.fit_transform(many, y)
        if encoded is None:  # ordinal codes: asked for, or a single row (nothing to cross-fit)
            self.many_ = OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=-1, dtype=np.float64
            ).fit(many)
            encoded = self.many_.transform(many)
        # Codes and a regression target's means are in units of their own (a price's
        # encoding reaches 330,000): scaled like the numbers, fitted on the values the
        # estimator trains on. A class label's encoding is a probability, already in [0, 1].
        codes = not hasattr(self.many_, "target_type_")  # OrdinalEncoder
        if self.scaling != "none" and (codes or self.many_.target_type_ == "continuous"):
            self.many_scaler_ = make_scaler(self.scaling).fit(encoded)
            encoded = self.many_scaler_.transform(encoded)
        return encoded

    def fit(self, X, y=None):
        self._fit_encoders(np.asarray(X, dtype=object), y)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        X = np.asarray(X, dtype=object)
        return self._stack(X, self._fit_encoders(X, y))

    def transform(self, X):
        check_is_fitted(self)
        X = np.asarray(X, dtype=object)
        many = None if self.many_ is None else self.many_.transform(X[:, self.many_columns_])
        if self.many_scaler_ is not None:
            many = self.many_scaler_.transform(many)
        return self._stack(X, many)

    def _stack(self, X: np.ndarray, many: np.ndarray | None) -> np.ndarray:
        """The one-hot columns of ``X``, then the many-valued columns' encoding ``many``."""
        parts = [] if self.onehot_ is None else [self.onehot_.transform(X[:, self.onehot_columns_])]
        if many is not None:
            parts.append(many)
        return np.hstack(parts) if parts else np.empty((len(X), 0))


def _target_encoder(y: Any, seed: int) -> Any | None:
    """scikit-learn's TargetEncoder with seeded, shuffled inner folds: stratified for class
    labels when every class has a row in each, at most 5, fewer on a tiny fold; ``None``
    when there are too few rows to cross-fit at all. A float target (regression) is
    ``continuous`` even when its values are whole numbers (scikit-learn would read prices in
    whole dollars as classes). scikit-learn 1.9 takes the folds as a splitter; older versions
    take a count and a seed."""
    import re

    import sklearn
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.preprocessing import TargetEncoder
    from sklearn.utils.multiclass import type_of_target

    y = np.asarray(y)
    splits = min(5, len(y))
    if splits < 2:
        return None
    continuous = np.issubdtype(y.dtype, np.floating)
    kind = {"target_type": "continuous"} if continuous else {}
    version = re.match(r"(\d+)\.(\d+)", sklearn.__version__)
    if version and (int(version[1]), int(version[2])) < (1, 9):
        return TargetEncoder(cv=splits, shuffle=True, random_state=seed, **kind)
    classes = not continuous and type_of_target(y) in ("binary", "multiclass")
    stratify = classes and np.unique(y, return_counts=True)[1].min() >= splits
    splitter = StratifiedKFold if stratify else KFold
    return TargetEncoder(cv=splitter(splits, shuffle=True, random_state=seed), **kind)


class DatetimeFeatures(TransformerMixin, BaseEstimator):
    """Dates as numbers: days since the training rows' earliest date, year, month, day and
    weekday, plus the hour when any training date has a time of day; NaT gives NaN.

    The reference date and whether hours matter are learned in ``fit``, from the
    training fold only.
    """

    def fit(self, X, y=None):
        import pandas as pd

        frame = pd.DataFrame(X)
        dates = [pd.to_datetime(frame[c]) for c in frame.columns]
        earliest = [d.min() for d in dates]
        self.reference_ = [None if pd.isna(e) else e for e in earliest]
        self.with_hour_ = [bool((d.dropna().dt.floor("D") != d.dropna()).any()) for d in dates]
        return self

    def transform(self, X):
        import pandas as pd

        check_is_fitted(self)
        frame = pd.DataFrame(X)
        parts = []
        for j, column in enumerate(frame.columns):
            dates = pd.to_datetime(frame[column])
            reference = self.reference_[j]
            since = (
                (dates - reference).dt.total_seconds() / 86400
                if reference is not None
                else pd.Series(np.nan, index=dates.index)  # no training date to count from
            )
            features = [since, dates.dt.year, dates.dt.month, dates.dt.day, dates.dt.day_of_week]
            if self.with_hour_[j]:
                features.append(dates.dt.hour + dates.dt.minute / 60)
            parts.append(np.column_stack([np.asarray(f, dtype=float) for f in features]))
        return np.hstack(parts) if parts else np.empty((len(frame), 0))


def signed_log1p(X):
    """``sign(x) * log(1 + |x|)``: tames heavy tails, defined for negative values too."""
    X = np.asarray(X, dtype=float)
    return np.sign(X) * np.log1p(np.abs(X))


def make_scaler(scaling: str) -> Any:
    """The scaler named ``scaling`` ('none' -> 'passthrough')."""
    from sklearn import preprocessing

    if scaling == "none":
        return "passthrough"
    if scaling == "log1p":
        return preprocessing.FunctionTransformer(signed_log1p, feature_names_out="one-to-one")
    return {
        "standard": preprocessing.StandardScaler,
        "minmax": preprocessing.MinMaxScaler,
        "robust": preprocessing.RobustScaler,
    }[scaling]()


def category_codes() -> Any:
    """Each category as its code in the training fold's sorted categories (0, 1, ...), and -1
    for a category the training fold never had: what an estimator that handles categories
    itself reads (CatBoost's ``cat_features``, the nets' embeddings)."""
    from sklearn.preprocessing import OrdinalEncoder

    return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, dtype=np.float64)


def coded_columns(X: np.ndarray, n_categorical: int) -> np.ndarray:
    """The last ``n_categorical`` columns of preprocessed rows ``X``: the category codes
    :func:`category_codes` put there, checked (whole numbers from 0, -1 for an unseen
    category) with one sentence on anything else. What every estimator that takes categories
    natively reads its categories with."""
    from treesvsnets.errors import ConfigError

    if n_categorical > X.shape[1]:
        raise ConfigError(
            f"n_categorical is {n_categorical} but the data has only {X.shape[1]} columns."
        )
    codes = X[:, X.shape[1] - n_categorical :]
    if not np.array_equal(codes, np.round(codes)) or (codes < -1).any():
        raise ConfigError(
            f"the last {n_categorical} columns (n_categorical) must hold category codes: "
            "whole-number category codes from 0, or -1 for a category the fold never had."
        )
    return codes


def table_preprocessor(schema: TableSchema, scaling: str, native_categorical: bool = False) -> Any:
    """An unfitted ColumnTransformer for a table with ``schema``, scaling numbers by ``scaling``.

    The categorical columns come last. With ``native_categorical`` (an estimator that takes
    categories as they are) they are codes (:func:`category_codes`), one column each, rather
    than one-hot or target encodings."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline

    parts = []
    if schema.numeric:
        steps = [("clip", IQRClipper())] if schema.clip_outliers else []  # NaN stays NaN
        steps.append(("impute", SimpleImputer(strategy="median", add_indicator=True)))
        steps.append(("scale", make_scaler(scaling)))
        parts.append(("numeric", Pipeline(steps), list(schema.numeric)))
    if schema.datetime:
        steps = [
            ("features", DatetimeFeatures()),
            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
            ("scale", make_scaler(scaling)),
        ]
        parts.append(("datetime", Pipeline(steps), list(schema.datetime)))
    if schema.categorical:
        steps = [
            ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)),
            (
                "encode",
                category_codes()
                if native_categorical
                else CategoryEncoder(
                    max_onehot=schema.max_onehot,
                    high_cardinality=schema.high_cardinality,
                    scaling=scaling,
                ),
            ),
        ]
        parts.append(("categorical", Pipeline(steps), list(schema.categorical)))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)


def describe_encoding(reading: Any, schema: TableSchema) -> str:
    """In a few words, what each training fold's pipeline makes of the column ``reading``
    describes (the one-hot/target split is decided per fold; this uses the whole table's
    count). Numbers are then scaled as each estimator asks (none for trees)."""
    gaps = "; median for missing + indicator" if reading.missing > 0 else ""
    if reading.kind == "dropped":
        return "dropped"
    if reading.kind in ("numeric", "boolean"):
        clip = ", IQR-clipped" if schema.clip_outliers else ""
        clock = " (from H:MM[:SS])" if reading.note == CLOCK_NOTE else ""
        return ("0/1" if reading.kind == "boolean" else "number") + clock + clip + gaps
    if reading.kind == "datetime":
        hours = ", hour (where they have times)"
        return "days since the fold's first date, year, month, day, weekday" + hours + gaps
    missing = " + (missing)" if reading.missing > 0 else ""
    if reading.distinct + bool(missing) <= schema.max_onehot:
        return f"one-hot, {reading.distinct} categories{missing}"
    if schema.high_cardinality == "ordinal":
        return f"ordinal codes, {reading.distinct} categories{missing} (unseen -> -1)"
    return f"target encoding, {reading.distinct} categories{missing} (cross-fitted)"
