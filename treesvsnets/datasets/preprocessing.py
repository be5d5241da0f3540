"""Per-fold preprocessing: a transformer fitted on the training fold only.

The runner puts the transformer named by the estimator's spec in front of the
estimator (a scikit-learn Pipeline), so its statistics come from the training
fold alone and the test fold is only transformed.
"""

from __future__ import annotations

from typing import Any

from treesvsnets.errors import unknown_name

#: name -> (scikit-learn transformer class in sklearn.preprocessing, or None; what it does)
PREPROCESSORS: dict[str, tuple[str | None, str]] = {
    "none": (None, "no transformation (trees do not need scaling)"),
    "standard": ("StandardScaler", "zero mean, unit variance per feature"),
    "minmax": ("MinMaxScaler", "each feature scaled to [0, 1]"),
}


def make_preprocessor(name: str) -> Any | None:
    """A fresh, unfitted transformer for ``name``, or ``None`` for ``"none"``."""
    if name not in PREPROCESSORS:
        raise unknown_name("preprocessing", name, PREPROCESSORS)
    class_name, _ = PREPROCESSORS[name]
    if class_name is None:
        return None
    from sklearn import preprocessing

    return getattr(preprocessing, class_name)()
