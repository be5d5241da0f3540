"""Named datasets: metadata known without loading, and ``load(name)``.

The metadata (size, classes, image shape) is declared at registration so that
``treesvsnets list datasets`` answers without importing scikit-learn.

:class:`DatasetInfo` is that metadata and the loader; :func:`register_dataset` adds one;
:func:`info` finds one by name, an OpenML name (``openml:31``, ``openml-task:59``) becomes
:func:`~treesvsnets.datasets.openml_data.openml_info`, and a name that is a table file's path a
:func:`table_info` (loaded by :func:`treesvsnets.datasets.tables.load_table`);
:func:`all_infos` lists the built-ins in the declared :data:`BUILTIN_ORDER`, whichever module
was imported first, then the others; :func:`load_from` loads what an info describes (a worker
gets the info, not the registry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.table_options import TableOptions
from treesvsnets.datasets.tables import looks_like_table
from treesvsnets.errors import ConfigError, unknown_name
from treesvsnets.tasks import CLASSIFICATION


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    loader: Callable[..., Dataset]
    description: str
    n_samples: int
    n_features: int
    n_classes: int  # 0 for regression
    image_shape: tuple[int, int, int] | None = None
    needs_data_dir: bool = False  # the loader takes ``data_dir`` (files on disk or downloaded)
    task: str | None = CLASSIFICATION  # None: known once loaded (a table's target decides)
    sequence_shape: tuple[int, int] | None = None
    source: str = ""  # where the data comes from (a package and its item), for listings
    license: str = ""  # the data's license, as its source states it
    n_categorical: int = 0  # categorical feature columns, as loaded
    n_missing: int = 0  # missing feature values, as loaded (each fold imputes them)
    note: str = ""  # what else a user should know before choosing it (a row cap...)
    requires: str | None = None  # a package beyond the core install that the loader imports
    install: str = ""  # the command that installs ``requires``
    #: the files the loader reads, given the data folder (a table's file, OpenML's cached
    #: files); a resumed run reuses its cleaned copy of the table while their bytes are the
    #: same (None: none to check, the dataset is loaded again)
    files: Callable[[str | Path | None], tuple[Path, ...]] | None = None

    @property
    def installed(self) -> bool:
        """Whether the package the loader needs (``requires``) can be imported here."""
        if self.requires is None:
            return True
        from importlib.util import find_spec

        try:
            return find_spec(self.requires) is not None
        except ValueError:  # a module set to None in sys.modules: blocked, as if absent
            return False


_DATASETS: dict[str, DatasetInfo] = {}
#: The built-ins' listing order, declared so that it never depends on which module was
#: imported first; datasets registered by others come after them, as registered.
BUILTIN_ORDER = (
    "digits",
    "iris",
    "wine",
    "breast_cancer",
    "mnist",
    "fashion_mnist",
    "mnist1d",
    "diabetes",
    "friedman1",
    # real tables (real_tables.py): binary, multiclass, then regression
    "credit_data",
    "mlc_churn",
    "attrition",
    "penguins",
    "hpc_data",
    "olive",
    "leaf_id_flavia",
    "concrete",
    "ames",
    "diamonds",
)
_BUILTINS_LOADED = False


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        from treesvsnets.datasets import (  # noqa: F401  (register on import)
            embedded,
            images,
            real_tables,
            sequences,
        )


def register_dataset(info: DatasetInfo) -> DatasetInfo:
    _load_builtins()
    if info.name in _DATASETS:
        raise ConfigError(f"dataset name {info.name!r} is already registered.")
    _DATASETS[info.name] = info
    return info


def info(name: str, table_options: TableOptions | None = None) -> DatasetInfo:
    """The registered dataset ``name``, an OpenML dataset or task (``openml:ID``,
    ``openml-task:ID``), or a user's table when ``name`` is a file path."""
    _load_builtins()
    if name.startswith(("openml:", "openml-task:")):
        from treesvsnets.datasets.openml_data import openml_info

        return openml_info(name)
    if name not in _DATASETS and looks_like_table(name):
        return table_info(name, table_options)
    try:
        return _DATASETS[name]
    except KeyError:
        raise unknown_name(
            "dataset",
            name,
            _DATASETS,
            also=(
                "a table file (.csv, .tsv, .txt, compressed or not; .parquet, .feather, "
                ".arrow, .xlsx), openml:ID or openml-task:ID"
            ),
        ) from None


def table_info(path: str, options: TableOptions | None = None) -> DatasetInfo:
    """A DatasetInfo that loads the table at ``path`` (its size is known only once read),
    named by its ``name`` option or its file's stem (:mod:`treesvsnets.datasets.names`)."""
    from functools import partial

    from treesvsnets.datasets.names import table_name
    from treesvsnets.datasets.tables import load_table

    name = table_name(path, options)
    return DatasetInfo(
        name=name,
        loader=partial(load_table, path, options or TableOptions(), name),
        description=f"table file {path}",
        n_samples=0,
        n_features=0,
        n_classes=0,
        task=None,
        files=partial(given_files, (path,)),
    )


def given_files(paths: tuple[str, ...], data_dir: str | Path | None = None) -> tuple[Path, ...]:
    """``paths`` as the files a dataset reads, wherever the data folder is."""
    return tuple(Path(path) for path in paths)


def all_infos() -> list[DatasetInfo]:
    """Every registered dataset: the built-ins in BUILTIN_ORDER, then the others."""
    _load_builtins()
    rank = {name: i for i, name in enumerate(BUILTIN_ORDER)}
    return sorted(_DATASETS.values(), key=lambda found: rank.get(found.name, len(rank)))


def load(
    name: str, data_dir: str | Path | None = None, table_options: TableOptions | None = None
) -> Dataset:
    """Load the dataset registered under ``name`` (``data_dir`` for those read from files),
    or the table file ``name`` read with ``table_options``."""
    return load_from(info(name, table_options), data_dir)


def load_from(found: DatasetInfo, data_dir: str | Path | None = None) -> Dataset:
    """Load the dataset ``found`` describes (a worker gets the info, not the registry)."""
    return found.loader(data_dir=data_dir) if found.needs_data_dir else found.loader()
