"""scikit-learn's embedded datasets, and the synthetic friedman1: no download, so the default
run works offline. digits (rows that are 1x8x8 images), iris, wine and breast_cancer are
classification; diabetes and friedman1 regression (``make_friedman1``: 2,000 rows, 10
features, noise 1, seed 0)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.registry import DatasetInfo, register_dataset
from treesvsnets.tasks import CLASSIFICATION, REGRESSION

#: the license the UCI repository gives the tables scikit-learn ships (digits is UCI's optdigits)
UCI_LICENSE = "CC BY 4.0 (UCI)"
#: make_friedman1's settings: the standard synthetic regression benchmark, fixed once
FRIEDMAN1 = {"n_samples": 2000, "n_features": 10, "noise": 1.0, "random_state": 0}


def _load_sklearn(
    name: str, loader_name: str, image_shape: tuple[int, int, int] | None, task: str
) -> Dataset:
    from sklearn import datasets as sk_datasets

    loader: Callable = getattr(sk_datasets, loader_name)
    bunch = loader()
    regression = task == REGRESSION
    class_names = () if regression else tuple(str(c) for c in bunch.target_names)
    feature_names = tuple(str(f) for f in getattr(bunch, "feature_names", ()))
    return Dataset(
        name=name,
        X=np.asarray(bunch.data, dtype=np.float64),
        y=np.asarray(bunch.target, dtype=np.float64 if regression else np.int64),
        class_names=class_names,
        image_shape=image_shape,
        feature_names=feature_names,
        source=f"sklearn.datasets.{loader_name}",
        task=task,
    )


def _load_friedman1() -> Dataset:
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(**FRIEDMAN1)
    settings = ", ".join(f"{key}={value}" for key, value in FRIEDMAN1.items())
    return Dataset(
        name="friedman1",
        X=np.asarray(X, dtype=np.float64),
        y=np.asarray(y, dtype=np.float64),
        class_names=(),
        feature_names=tuple(f"x{i}" for i in range(FRIEDMAN1["n_features"])),
        source=f"sklearn.datasets.make_friedman1({settings})",
        task=REGRESSION,
    )


def _embedded(
    name: str,
    loader_name: str,
    description: str,
    shape: tuple[int, int, int],
    image_shape: tuple[int, int, int] | None = None,
    task: str = CLASSIFICATION,
    license: str = UCI_LICENSE,
) -> None:
    n_samples, n_features, n_classes = shape
    register_dataset(
        DatasetInfo(
            name=name,
            loader=partial(_load_sklearn, name, loader_name, image_shape, task),
            description=description,
            n_samples=n_samples,
            n_features=n_features,
            n_classes=n_classes,
            image_shape=image_shape,
            task=task,
            source=f"scikit-learn {loader_name}",
            license=license,
        )
    )


_embedded("digits", "load_digits", "8x8 handwritten digits (UCI)", (1797, 64, 10), (1, 8, 8))
_embedded("iris", "load_iris", "Fisher's iris flowers", (150, 4, 3))
_embedded("wine", "load_wine", "wine cultivars from chemical analysis", (178, 13, 3))
_embedded("breast_cancer", "load_breast_cancer", "Wisconsin diagnostic breast cancer", (569, 30, 2))
_embedded(
    "diabetes",
    "load_diabetes",
    "diabetes progression after one year (Efron et al.), scaled features",
    (442, 10, 0),
    task=REGRESSION,
    license="none stated (Efron et al. 2004)",
)
register_dataset(
    DatasetInfo(
        name="friedman1",
        loader=_load_friedman1,
        description="make_friedman1: y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + "
        "noise (sd 1), 5 of 10 features informative",
        n_samples=FRIEDMAN1["n_samples"],
        n_features=FRIEDMAN1["n_features"],
        n_classes=0,
        task=REGRESSION,
        source="scikit-learn make_friedman1, generated",
        license="generated here (no data license)",
    )
)
