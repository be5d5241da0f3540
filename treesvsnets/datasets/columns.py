"""The per-fold pipeline of a user's table: impute, clip, scale, encode (a ColumnTransformer).

Built fresh for each cell and fitted on the training rows only, so every
statistic (medians, most frequent values, IQR fences, means, categories)
comes from the training fold; the validation slice and the test fold are
only transformed.

- numeric columns: optional clipping to the IQR fences -> median imputation
  with missing-indicator columns -> the estimator's scaling
  (``none`` for trees; ``standard``/``minmax``/``robust``/``log1p``);
- categorical columns: the most frequent value fills the gaps -> one-hot when
  a column has at most ``max_onehot`` categories in the training fold
  (unknown categories at test time are all zeros), else ordinal codes
  (unknown -> -1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from treesvsnets.datasets.base import TableSchema


def iqr_fences(X: Any, k: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Per column ``(q1 - k*IQR, q3 + k*IQR)`` of ``X``, missing values ignored."""
    q1, q3 = np.nanpercentile(np.asarray(X, dtype=float), [25, 75], axis=0)
    spread = k * (q3 - q1)
    return q1 - spread, q3 + spread


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


class CategoryEncoder(TransformerMixin, BaseEstimator):
    """One-hot encoding per column up to ``max_onehot`` categories, ordinal codes above."""

    def __init__(self, max_onehot: int = 20) -> None:
        self.max_onehot = max_onehot

    def fit(self, X, y=None):
        from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

        X = np.asarray(X, dtype=object)
        counts = [len(set(X[:, j].tolist())) for j in range(X.shape[1])]
        self.onehot_columns_ = [j for j, n in enumerate(counts) if n <= self.max_onehot]
        self.ordinal_columns_ = [j for j, n in enumerate(counts) if n > self.max_onehot]
        self.onehot_ = (
            OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64).fit(
                X[:, self.onehot_columns_]
            )
            if self.onehot_columns_
            else None
        )
        self.ordinal_ = (
            OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=-1, dtype=np.float64
            ).fit(X[:, self.ordinal_columns_])
            if self.ordinal_columns_
            else None
        )
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = np.asarray(X, dtype=object)
        parts = []
        if self.onehot_ is not None:
            parts.append(self.onehot_.transform(X[:, self.onehot_columns_]))
        if self.ordinal_ is not None:
            parts.append(self.ordinal_.transform(X[:, self.ordinal_columns_]))
        return np.hstack(parts) if parts else np.empty((len(X), 0))


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


def table_preprocessor(schema: TableSchema, scaling: str) -> Any:
    """An unfitted ColumnTransformer for a table with ``schema``, scaling numbers by ``scaling``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline

    parts = []
    if schema.numeric:
        steps = [("clip", IQRClipper())] if schema.clip_outliers else []  # NaN stays NaN
        steps.append(("impute", SimpleImputer(strategy="median", add_indicator=True)))
        steps.append(("scale", make_scaler(scaling)))
        parts.append(("numeric", Pipeline(steps), list(schema.numeric)))
    if schema.categorical:
        steps = [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", CategoryEncoder(max_onehot=schema.max_onehot)),
        ]
        parts.append(("categorical", Pipeline(steps), list(schema.categorical)))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)
