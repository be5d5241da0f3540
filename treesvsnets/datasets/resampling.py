"""Resampling a training fold's rows for imbalanced classes (``--resample``), with
imbalanced-learn.

The choices are ``config_fields.RESAMPLERS``. ``over`` repeats rows of the smaller classes
(``RandomOverSampler``), ``under`` drops rows of the larger ones (``RandomUnderSampler``),
``smote`` makes new rows of the smaller classes between each row and one of its
:data:`SMOTE_NEIGHBOURS` nearest neighbours of its class (``SMOTE``); each brings every
class to the size of the largest (``under``: the smallest), imbalanced-learn's ``auto``.
``none`` leaves the rows as they are.

Where: on the rows an estimator fits on, after the fold's split and after the validation
slice is set aside, and after the fold's preprocessing is fitted on those rows as they are.
The validation slice and the test fold are never resampled, and the preprocessing's
statistics (medians, scalings, a target encoding's cross-fitted means) come from real rows
only, no duplicate weighing twice. SMOTE then interpolates the preprocessed matrix, whose
columns are all numbers: the scaled numbers, one-hot columns (a synthetic row may get a
fraction of two categories), target encodings; category codes of an estimator that takes
categories natively (the last ``n_categorical`` columns) are categories to SMOTENC, which
gives a new row its neighbours' most frequent code instead of a code between two (SMOTEN
when every column is a code). The rows are shuffled once after resampling (imbalanced-learn
returns them grouped by class), seeded, like the resampler, by the cell's seed.

:func:`resampled_size` is how many rows a resampling yields (known before it runs, so a
row's ``n_train`` is the rows fitted on); :func:`smallest_class` finds the class SMOTE would
fail on; :func:`installed` and :data:`INSTALL` say whether imbalanced-learn is there.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

import numpy as np

#: the neighbours SMOTE interpolates towards (imbalanced-learn's default): a class needs one
#: more training row than this
SMOTE_NEIGHBOURS = 5
INSTALL = 'pip install "treesvsnets[imbalance]"'


def installed() -> bool:
    """Whether imbalanced-learn can be imported."""
    return importlib.util.find_spec("imblearn") is not None


@dataclass(frozen=True)
class Resampling:
    """How a cell resamples its fit rows: ``how`` (over, under or smote), the
    seed, and how many trailing columns are category codes (SMOTENC's categories)."""

    how: str
    seed: int
    n_categorical: int = 0

    def apply(self, X: Any, y: np.ndarray) -> tuple[Any, np.ndarray]:
        """(X, y) resampled and shuffled; an image or sequence array is resampled flat."""
        shape = getattr(X, "shape", None)
        flat = shape is not None and len(shape) > 2 and not hasattr(X, "iloc")
        X_res, y_res = self._sampler(X.shape[1] if not flat else None).fit_resample(
            X.reshape(len(X), -1) if flat else X, y
        )
        order = np.random.default_rng(self.seed).permutation(len(y_res))
        X_res = X_res.iloc[order] if hasattr(X_res, "iloc") else X_res[order]
        if flat:
            X_res = X_res.reshape(-1, *shape[1:])
        return X_res, np.asarray(y_res)[order]

    def _sampler(self, n_columns: int | None) -> Any:
        if self.how == "over":
            from imblearn.over_sampling import RandomOverSampler

            return RandomOverSampler(random_state=self.seed)
        if self.how == "under":
            from imblearn.under_sampling import RandomUnderSampler

            return RandomUnderSampler(random_state=self.seed)
        from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC

        k = SMOTE_NEIGHBOURS
        if not self.n_categorical or n_columns is None:
            return SMOTE(k_neighbors=k, random_state=self.seed)
        if self.n_categorical >= n_columns:
            return SMOTEN(k_neighbors=k, random_state=self.seed)
        codes = list(range(n_columns - self.n_categorical, n_columns))
        return SMOTENC(categorical_features=codes, k_neighbors=k, random_state=self.seed)


def resampled_size(y: np.ndarray, how: str) -> int:
    """The rows ``how`` yields from labels ``y``: every present class raised to the largest
    (over, smote) or lowered to the smallest (under); ``none``: as many as given (whatever
    ``y`` holds: a regression target is no class code)."""
    if how == "none":
        return len(y)
    counts = np.bincount(np.asarray(y, dtype=np.int64))
    counts = counts[counts > 0]
    if len(counts) == 0:
        return len(y)
    return int(len(counts) * (counts.min() if how == "under" else counts.max()))


def smallest_class(y: np.ndarray) -> tuple[int, int]:
    """(class code, rows) of the smallest class present in ``y``."""
    counts = np.bincount(np.asarray(y, dtype=np.int64))
    present = np.flatnonzero(counts)
    code = int(present[np.argmin(counts[present])])
    return code, int(counts[code])
