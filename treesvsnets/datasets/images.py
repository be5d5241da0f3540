"""MNIST and Fashion-MNIST through torchvision, with their official 60k/10k split (kept as
``Dataset.official_test``, for ``--protocol holdout``).

Files are read from the data folder (``--data-dir``, else ``$TREESVSNETS_DATA_DIR``,
else a per-user cache folder). When they are not there, torchvision downloads
them into that folder; offline, the error says where the files were looked for.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import numpy as np

from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.registry import DatasetInfo, register_dataset
from treesvsnets.errors import DatasetError

DATA_DIR_ENV = "TREESVSNETS_DATA_DIR"


def default_data_dir() -> Path:
    """``$TREESVSNETS_DATA_DIR``, else ``$XDG_CACHE_HOME/treesvsnets/datasets`` (``~/.cache``)."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "treesvsnets" / "datasets"


def _load_torchvision(name: str, class_name: str, data_dir: str | Path | None = None) -> Dataset:
    import torchvision

    dataset_class = getattr(torchvision.datasets, class_name)
    root = Path(data_dir).expanduser() if data_dir else default_data_dir()
    try:
        parts = [dataset_class(str(root), train=train, download=False) for train in (True, False)]
    except RuntimeError:
        try:
            root.mkdir(parents=True, exist_ok=True)
            parts = [
                dataset_class(str(root), train=train, download=True) for train in (True, False)
            ]
        except Exception as exc:  # noqa: BLE001 - any download failure gets the same advice
            raise DatasetError(
                f"dataset {name!r}: its files are not in {root / class_name / 'raw'} and could "
                f"not be downloaded ({type(exc).__name__}: {str(exc).splitlines()[0][:120]}); "
                f"point --data-dir (or ${DATA_DIR_ENV}) at a folder holding {class_name}/raw/."
            ) from None
    images = np.concatenate([part.data.numpy() for part in parts])
    labels = np.concatenate([part.targets.numpy() for part in parts]).astype(np.int64)
    n_train = len(parts[0].data)
    return Dataset(
        name=name,
        X=images.reshape(len(images), -1).astype(np.float32),
        y=labels,
        class_names=tuple(str(c) for c in parts[0].classes),
        image_shape=(1, *images.shape[1:]),
        source=f"torchvision.datasets.{class_name} ({root})",
        official_test=np.arange(n_train, len(images), dtype=np.int64),
    )


for _name, _class, _description, _license in (
    (
        "mnist",
        "MNIST",
        "28x28 handwritten digits (LeCun et al.), official 60k/10k split",
        "none stated by its authors",
    ),
    (
        "fashion_mnist",
        "FashionMNIST",
        "28x28 Zalando clothing images, official 60k/10k split",
        "MIT",
    ),
):
    register_dataset(
        DatasetInfo(
            name=_name,
            loader=partial(_load_torchvision, _name, _class),
            description=_description,
            n_samples=70000,
            n_features=784,
            n_classes=10,
            image_shape=(1, 28, 28),
            needs_data_dir=True,
            source=f"torchvision {_class}, downloaded once into the data folder",
            license=_license,
        )
    )
