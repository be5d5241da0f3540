"""What a fitted estimator of this project checks before it predicts, written once.

scikit-learn's contract (its ``check_estimator``): predicting before ``fit`` raises
``NotFittedError``, and rows with another number of features than ``fit`` saw raise a
``ValueError`` in scikit-learn's words. The nets and the CatBoost adapter both call
:func:`fitted_rows`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted


def fitted_rows(estimator: Any, X: Any, *, fitted: str, dtype: Any) -> np.ndarray:
    """``X`` as an array of ``dtype`` for ``estimator`` to predict: it is fitted (its
    ``fitted`` attribute is set) and ``X`` has the ``n_features_in_`` it was fitted on."""
    check_is_fitted(estimator, fitted)
    X = check_array(X, dtype=dtype)
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )
    return X
