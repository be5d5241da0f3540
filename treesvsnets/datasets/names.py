"""The name a table file goes by in a run: its rows' ``dataset`` column, the progress lines,
warnings, leaderboards, report headings and exports. The path itself stays in the manifest
and the report's data section.

:func:`table_name` is one file's name: its ``name`` option, else the file's stem without its
format and compression suffixes (``data/churn.csv`` and ``data/churn.csv.gz`` -> ``churn``;
:func:`table_stem`). :func:`run_names` names every dataset of a run at once, so
that no two share a name: where files would share a stem (``a/data.csv``, ``b/data.csv``) or a
stem is a built-in's name (``iris.csv`` beside ``iris``), each such file is named by the
shortest tail of its path that tells it apart (``a/data``, ``b/data``; the suffix is kept
only where it is what differs: ``data.csv``, ``data.parquet``). A run resumed from a folder
keeps the names its manifest recorded (rows written before tables had short names store
the whole path)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from treesvsnets.errors import ConfigError

#: the compressions a text table may carry, by suffix, as pandas names them
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zip": "zip", ".xz": "xz", ".zst": "zstd"}


def table_suffixes(path: str) -> tuple[str, str | None]:
    """The format suffix of the file at ``path`` (lower case) and its compression suffix, if
    any: ``data.csv.gz`` -> ``('.csv', '.gz')``, ``data.parquet`` -> ``('.parquet', None)``."""
    pure = PurePath(path)
    compression = pure.suffix.lower() if pure.suffix.lower() in COMPRESSIONS else None
    if compression:
        pure = PurePath(pure.stem)
    return pure.suffix.lower(), compression


def table_stem(path: str) -> str:
    """The file's name without its format and compression suffixes: ``data/churn.csv.gz`` ->
    ``churn``."""
    pure = PurePath(path)
    return PurePath(pure.stem).stem if table_suffixes(path)[1] else pure.stem


def table_name(path: str, options: Any = None) -> str:
    """The name of the table at ``path`` read with ``options`` (a TableOptions, or None),
    before any other dataset of its run is known."""
    given = getattr(options, "name", None)
    return given if given else table_stem(path)


def _tails(path: str) -> list[str]:
    """The candidate names of ``path``, shortest first: the stem, the file's name, then the
    name under one folder, two, ... (without the suffix, then with it)."""
    parts = PurePath(path).parts
    stem = table_stem(path)
    found = [stem, parts[-1]]
    for depth in range(2, len(parts) + 1):
        folders = "/".join(parts[-depth:-1])
        found += [f"{folders}/{stem}", f"{folders}/{parts[-1]}"]
    return list(dict.fromkeys(found))


def run_names(
    given: list[str] | tuple[str, ...],
    options: Mapping[str, Any],
    recorded: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Each dataset name as given (a built-in, or a table file's path) -> the name it goes by
    in the run; ``options`` holds each table's TableOptions (None for a built-in), and
    ``recorded`` the names a resumed run's manifest gave (given -> name)."""
    recorded = recorded or {}
    names = {name: name for name in given if options.get(name) is None}
    tables = [name for name in given if options.get(name) is not None]
    for path in tables:
        if path in recorded:
            names[path] = recorded[path]
        elif getattr(options[path], "name", None):
            names[path] = options[path].name
    unnamed = [path for path in tables if path not in names]
    depth = dict.fromkeys(unnamed, 0)
    while unnamed:
        wanted = {path: _tails(path)[min(depth[path], len(_tails(path)) - 1)] for path in unnamed}
        taken = Counter([*names.values(), *wanted.values()])
        clashing = [p for p in unnamed if taken[wanted[p]] > 1 and depth[p] < len(_tails(p)) - 1]
        if not clashing:
            names.update(wanted)
            break
        for path in clashing:
            depth[path] += 1
    seen: dict[str, str] = {}
    for name in given:
        other = seen.setdefault(names[name], name)
        if other != name:
            raise ConfigError(
                f"datasets {other!r} and {name!r} would both be named {names[name]!r} in the "
                'run; give a table entry another name (name = "...") or list it once.'
            )
    return names
