"""XGBoost's classifier with any class labels: ``XGBClassifier`` takes only 0..k-1 (since
1.6; strings or 1..k raise "Invalid classes inferred"), where every other classifier here, as
scikit-learn's, takes the labels as they come. :class:`LabelledXGBClassifier` encodes them for
XGBoost and gives them back from ``predict`` and ``classes_``. A run's labels are already the
codes 0..k-1, which the encoding leaves as they are: the same model, the same rows. Imported
only where xgboost is wanted (the module imports it)."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from xgboost import XGBClassifier


class LabelledXGBClassifier(XGBClassifier):
    """``XGBClassifier`` that takes and gives back any labels (see the module's docstring)."""

    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, **kwargs: Any
    ) -> LabelledXGBClassifier:  # sample_weight named: the harness weighs classes through it
        from sklearn.preprocessing import LabelEncoder

        if sample_weight is not None and not np.any(np.asarray(sample_weight)):
            raise ValueError("sample_weight is zero for every row: there is nothing to fit.")
        self._labels = None  # XGBoost's own classes_ (0..k-1) while it fits
        if np.asarray(y).ndim != 1:  # several labels per row (0/1 columns): as XGBoost takes them
            super().fit(X, y, sample_weight=sample_weight, **kwargs)
            return self
        encoder = LabelEncoder().fit(np.asarray(y))
        super().fit(X, encoder.transform(np.asarray(y)), sample_weight=sample_weight, **kwargs)
        self._labels = encoder.classes_
        return self

    @property
    def classes_(self) -> np.ndarray:
        labels = getattr(self, "_labels", None)
        if labels is not None:
            return labels
        own = inspect.getattr_static(XGBClassifier, "classes_", None)
        if isinstance(own, property):  # XGBoost's, from its number of classes
            return own.fget(self)
        return self.__dict__["_xgboost_classes"]  # set by its fit (another version's way)

    @classes_.setter
    def classes_(self, value: np.ndarray) -> None:
        self.__dict__["_xgboost_classes"] = value

    def predict(self, X: Any, **kwargs: Any) -> Any:
        codes = super().predict(X, **kwargs)
        labels = getattr(self, "_labels", None)
        if labels is None or kwargs.get("output_margin"):
            return codes
        return labels[np.asarray(codes, dtype=np.int64)]
