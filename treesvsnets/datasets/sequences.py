"""mnist1d (Greydanus 2020): ten digits' 1-D templates, padded, sheared, shifted and noised
into sequences of 40 values, generated offline by the ``mnist1d`` package.

The package's own settings (``get_dataset_args()``: 5,000 sequences, seed 42) give its
official 4,000 / 1,000 train/test split, kept as the dataset's ``official_test`` for
``--protocol holdout``. Generating takes several seconds, so the arrays are cached as
``mnist1d/mnist1d-<settings hash>.npz`` in the data folder (``--data-dir``, else
``$TREESVSNETS_DATA_DIR``, else the per-user cache); a folder that cannot be written only
means the next load generates again. The dataset's sequence shape is (1, 40), and numpy's
global random state, which the package reseeds, is put back after generating.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.registry import DatasetInfo, register_dataset

#: what one mnist1d row is: one channel, 40 steps
MNIST1D_SHAPE = (1, 40)


def _settings() -> dict:
    """The package's official settings, less the download address (never used here)."""
    from mnist1d.data import get_dataset_args

    settings = get_dataset_args(as_dict=True)
    settings.pop("url", None)
    return settings


def _generate(settings: dict) -> dict[str, np.ndarray]:
    """The package's ``make_dataset`` with ``settings``; numpy's global random state (which
    it reseeds) is put back afterwards."""
    from mnist1d.data import make_dataset
    from mnist1d.utils import ObjectView

    state = np.random.get_state()
    try:
        made = make_dataset(ObjectView(dict(settings)))
    finally:
        np.random.set_state(state)
    return {key: np.asarray(made[key]) for key in ("x", "y", "x_test", "y_test")}


def _cached(root: Path, settings: dict) -> dict[str, np.ndarray]:
    """The generated arrays, read from ``root`` when cached there, else generated and saved."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    path = root / "mnist1d" / f"mnist1d-{digest}.npz"
    if path.is_file():
        try:
            with np.load(path) as stored:
                return {key: stored[key] for key in ("x", "y", "x_test", "y_test")}
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is generated again
    arrays = _generate(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npz")
        np.savez(partial, **arrays)
        partial.replace(path)
    except OSError:
        pass  # a read-only data folder: generated each time
    return arrays


def load_mnist1d(data_dir: str | Path | None = None) -> Dataset:
    from treesvsnets.datasets.images import default_data_dir

    root = Path(data_dir).expanduser() if data_dir else default_data_dir()
    settings = _settings()
    arrays = _cached(root, settings)
    X = np.concatenate([arrays["x"], arrays["x_test"]]).astype(np.float32)
    y = np.concatenate([arrays["y"], arrays["y_test"]]).astype(np.int64)
    n_train = len(arrays["x"])
    return Dataset(
        name="mnist1d",
        X=X,
        y=y,
        class_names=tuple(str(digit) for digit in range(10)),
        feature_names=tuple(f"t{i}" for i in range(X.shape[1])),
        source=f"mnist1d.data.make_dataset(get_dataset_args()), seed {settings['seed']}",
        official_test=np.arange(n_train, len(X), dtype=np.int64),
        sequence_shape=MNIST1D_SHAPE,
    )


register_dataset(
    DatasetInfo(
        name="mnist1d",
        loader=load_mnist1d,
        description="1-D digits as sequences of 40 values (Greydanus 2020), generated offline, "
        "official 4,000/1,000 split",
        n_samples=5000,
        n_features=40,
        n_classes=10,
        needs_data_dir=True,
        sequence_shape=MNIST1D_SHAPE,
        source="mnist1d package, generated with its official settings",
        license="Apache-2.0 (the mnist1d package)",
    )
)
