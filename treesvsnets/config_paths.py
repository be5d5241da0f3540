"""Where a config's files are: the relative paths a run was given (table files and their
``[tables]`` entries, plugin files, a suite file, ``data_dir``) are relative to the folder it
started in, which its manifest records (``working_dir``). :func:`rebased` makes them absolute
from there, so that ``run --resume`` finds the run's files from any folder."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from treesvsnets.config import RunConfig


def from_folder(origin: str, path: str | Path) -> str:
    """``path`` as given in the folder ``origin``, reached from anywhere (absolute)."""
    return str(path) if os.path.isabs(path) else os.path.join(origin, path)


def rebased(config: RunConfig, origin: str | None) -> RunConfig:
    """``config`` read from another folder than ``origin``, where its run started: its
    relative paths to files made absolute from there (``config`` itself where no ``origin``
    is known: a run recorded before it was)."""
    from treesvsnets.datasets.table_files import looks_like_table

    if origin is None:
        return config
    return replace(
        config,
        datasets=tuple(
            from_folder(origin, d) if looks_like_table(d) else d for d in config.datasets
        ),
        tables={from_folder(origin, key): value for key, value in config.tables.items()},
        plugins=tuple(from_folder(origin, p) if p.endswith(".py") else p for p in config.plugins),
        suite=from_folder(origin, config.suite)
        if config.suite and config.suite.endswith(".toml")
        else config.suite,
        data_dir=None if config.data_dir is None else Path(from_folder(origin, config.data_dir)),
    )
