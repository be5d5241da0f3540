"""Per-fold preprocessing: a transformer fitted on the training rows only.

The runner fits the transformer named by the estimator's spec on exactly the
rows the estimator fits on, then applies it to the validation slice and the
test fold, so no statistic comes from rows the estimator must not see.
"""

from __future__ import annotations

from typing import Any

from treesvsnets.errors import unknown_name

#: name -> what it does
PREPROCESSORS: dict[str, str] = {
    "none": "no transformation (trees do not need scaling)",
    "standard": "StandardScaler: zero mean, unit variance per feature",
    "minmax": "MinMaxScaler: each feature scaled to [0, 1]",
    "pixels": "every pixel divided by the training rows' largest pixel value (images to [0, 1])",
    "auto": "'pixels' for image datasets, 'standard' for tables (the nets' default)",
}


def resolve_preprocessing(name: str, image_shape: tuple[int, ...] | None) -> str:
    """The concrete preprocessing for a dataset: ``auto`` becomes ``pixels`` or ``standard``."""
    if name not in PREPROCESSORS:
        raise unknown_name("preprocessing", name, PREPROCESSORS)
    if name == "auto":
        return "pixels" if image_shape else "standard"
    return name


def make_preprocessor(name: str) -> Any | None:
    """A fresh, unfitted transformer for ``name``, or ``None`` for ``"none"``."""
    concrete = resolve_preprocessing(name, None)
    if concrete == "none":
        return None
    if concrete == "pixels":
        from treesvsnets.datasets.transformers import PixelScaler

        return PixelScaler()
    from sklearn import preprocessing

    return {"standard": preprocessing.StandardScaler, "minmax": preprocessing.MinMaxScaler}[
        concrete
    ]()
