"""scikit-learn's embedded datasets: no download, so the default run works offline."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.registry import DatasetInfo, register_dataset


def _load_sklearn(name: str, loader_name: str, image_shape: tuple[int, int, int] | None) -> Dataset:
    from sklearn import datasets as sk_datasets

    loader: Callable = getattr(sk_datasets, loader_name)
    bunch = loader()
    class_names = tuple(str(c) for c in bunch.target_names)
    feature_names = tuple(str(f) for f in getattr(bunch, "feature_names", ()))
    return Dataset(
        name=name,
        X=np.asarray(bunch.data, dtype=np.float64),
        y=np.asarray(bunch.target, dtype=np.int64),
        class_names=class_names,
        image_shape=image_shape,
        feature_names=feature_names,
        source=f"sklearn.datasets.{loader_name}",
    )


def _embedded(
    name: str,
    loader_name: str,
    description: str,
    shape: tuple[int, int, int],
    image_shape: tuple[int, int, int] | None = None,
) -> None:
    n_samples, n_features, n_classes = shape
    register_dataset(
        DatasetInfo(
            name=name,
            loader=partial(_load_sklearn, name, loader_name, image_shape),
            description=description,
            n_samples=n_samples,
            n_features=n_features,
            n_classes=n_classes,
            image_shape=image_shape,
        )
    )


_embedded("digits", "load_digits", "8x8 handwritten digits (UCI)", (1797, 64, 10), (1, 8, 8))
_embedded("iris", "load_iris", "Fisher's iris flowers", (150, 4, 3))
_embedded("wine", "load_wine", "wine cultivars from chemical analysis", (178, 13, 3))
_embedded("breast_cancer", "load_breast_cancer", "Wisconsin diagnostic breast cancer", (569, 30, 2))
