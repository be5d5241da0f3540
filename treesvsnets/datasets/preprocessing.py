"""Per-fold preprocessing: a transformer fitted on the training rows only.

The runner fits the transformer named by the estimator's spec on exactly the
rows the estimator fits on, then applies it to the validation slice and the
test fold, so no statistic comes from rows the estimator must not see.

The names (:data:`PREPROCESSORS`): none, standard, minmax, robust, log1p, pixels, and auto
(pixels for images, standard for tables). With a table's schema the name is the scaling of
its column pipeline (:mod:`treesvsnets.datasets.columns`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from treesvsnets.errors import unknown_name

if TYPE_CHECKING:
    from treesvsnets.datasets.base import Dataset, TableSchema

#: name -> what it does
PREPROCESSORS: dict[str, str] = {
    "none": "no transformation (trees do not need scaling)",
    "standard": "StandardScaler: zero mean, unit variance per feature",
    "minmax": "MinMaxScaler: each feature scaled to [0, 1]",
    "robust": "RobustScaler: median removed, scaled by the interquartile range",
    "log1p": "sign(x) * log(1 + |x|) per feature, for heavy-tailed values",
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


def make_preprocessor(
    name: str, schema: TableSchema | None = None, native_categorical: bool = False
) -> Any | None:
    """A fresh, unfitted transformer for ``name``, or ``None`` for ``"none"``.

    For a user's table (``schema`` given) it is always the table's column
    pipeline (imputation and encoding are needed by every estimator), with
    ``name`` as the scaling of its numeric columns, and the categories as codes for an
    estimator that takes them ``native_categorical``-ly.
    """
    concrete = resolve_preprocessing(name, None)
    if schema is not None:
        from treesvsnets.datasets.columns import table_preprocessor

        scaling = "standard" if concrete == "pixels" else concrete
        return table_preprocessor(schema, scaling, native_categorical)
    if concrete == "none":
        return None
    if concrete == "pixels":
        from treesvsnets.datasets.transformers import PixelScaler

        return PixelScaler()
    from treesvsnets.datasets.columns import make_scaler

    return make_scaler(concrete)


def describe_preprocessing(name: str, dataset: Dataset, native_categorical: bool = False) -> str:
    """What a row's ``preprocessing`` column says was fitted in the fold."""
    concrete = resolve_preprocessing(name, dataset.image_shape)
    if dataset.schema is None:
        return concrete
    schema = dataset.schema
    high = "target" if schema.high_cardinality == "target" else "ordinal"
    encoding = "codes" if native_categorical else f"onehot/{high}"
    encode = f"+{encoding}" if schema.categorical else ""
    dates = "+dates" if schema.datetime else ""
    clip = "+iqr-clip" if schema.clip_outliers else ""
    return f"impute{clip}{dates}{encode}+{concrete}"
