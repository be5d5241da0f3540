"""Named datasets: metadata known without loading, and ``load(name)``.

The metadata (size, classes, image shape) is declared at registration so that
``treesvsnets list datasets`` answers without importing scikit-learn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from treesvsnets.datasets.base import Dataset
from treesvsnets.errors import ConfigError, unknown_name


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    loader: Callable[..., Dataset]
    description: str
    n_samples: int
    n_features: int
    n_classes: int
    image_shape: tuple[int, int, int] | None = None
    needs_data_dir: bool = False  # the loader takes ``data_dir`` (files on disk or downloaded)


_DATASETS: dict[str, DatasetInfo] = {}
_BUILTINS_LOADED = False


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        from treesvsnets.datasets import embedded, images  # noqa: F401  (register on import)


def register_dataset(info: DatasetInfo) -> DatasetInfo:
    _load_builtins()
    if info.name in _DATASETS:
        raise ConfigError(f"dataset name {info.name!r} is already registered.")
    _DATASETS[info.name] = info
    return info


def info(name: str) -> DatasetInfo:
    _load_builtins()
    try:
        return _DATASETS[name]
    except KeyError:
        raise unknown_name("dataset", name, _DATASETS) from None


def all_infos() -> list[DatasetInfo]:
    _load_builtins()
    return list(_DATASETS.values())


def load(name: str, data_dir: str | Path | None = None) -> Dataset:
    """Load the dataset registered under ``name`` (``data_dir`` for those read from files)."""
    found = info(name)
    return found.loader(data_dir=data_dir) if found.needs_data_dir else found.loader()
