"""Transformers scikit-learn does not ship (kept apart: importing this imports scikit-learn):
:class:`PixelScaler`, one scale for every pixel, the training rows' largest value."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted


class PixelScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Divide every value by the largest absolute value seen while fitting.

    Per-feature standardisation blows up the near-constant border pixels of
    MNIST; one scale for the whole image keeps the pixels' relations intact.
    """

    def fit(self, X: Any, y: Any = None) -> PixelScaler:
        X = check_array(X, dtype=(np.float64, np.float32))
        self.n_features_in_ = X.shape[1]
        peak = float(np.abs(X).max()) if X.size else 0.0
        self.scale_ = peak if peak > 0 else 1.0
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "scale_")
        X = check_array(X, dtype=(np.float64, np.float32))
        return X / np.asarray(self.scale_, dtype=X.dtype)
