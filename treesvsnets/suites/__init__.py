"""Suites: named lists of datasets, as data. A suite is a TOML file: the built-ins are the
``*.toml`` files beside this module (``quick``, ``tabular``, ``images``, ``openml-cc18``, the
four ``grinsztajn-*`` and ``tabarena``;
``treesvsnets list suites``), a user's own is any ``.toml`` file (``--suite my_suite.toml``).

A suite file holds ``description``, ``datasets`` (entries as a run's config file writes them:
a built-in name, ``openml:ID`` / ``openml-task:ID``, or a table ``{path = "x.csv", target =
"y", name = "x", ...}`` with the same options as a ``[tables]`` entry; a relative path is
read from the suite file's folder), optional ``[defaults]`` (run settings such as
``subsample`` or ``folds``) and the time it is expected to take on 2 cores
(``expected_minutes``, and ``measured``: how that was measured). :func:`find` reads one and
checks every entry, refusing in one sentence naming the file and the entry.

:func:`suite_overrides` is how ``suite`` combines with the other settings
(:meth:`treesvsnets.config.RunConfig.with_overrides`): a suite replaces the datasets (``-d``
with ``--suite`` in one command, or ``datasets`` with ``suite`` in one file, is refused;
``-d`` on the command line replaces a config file's suite), and its defaults replace only
the built-in defaults: a setting given in a config file or on the command line wins.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from treesvsnets.errors import ConfigError, TreesVsNetsError, unknown_name

#: the folder of the built-in suites
BUILTIN_DIR = Path(__file__).parent
#: the keys a suite file may hold
SUITE_KEYS = ("description", "datasets", "defaults", "expected_minutes", "measured")
#: the settings a suite's [defaults] may not hold: the suite itself says them
NOT_DEFAULTS = ("datasets", "tables", "suite")
#: how the built-ins are listed (others, if any, come after, by name)
ORDER = (
    "quick",
    "tabular",
    "images",
    "openml-cc18",
    "grinsztajn-numerical-classification",
    "grinsztajn-categorical-classification",
    "grinsztajn-numerical-regression",
    "grinsztajn-categorical-regression",
    "tabarena",
)
OPENML_PREFIXES = ("openml:", "openml-task:")


@dataclass(frozen=True)
class Suite:
    """One suite, read and checked: what a run over it gets."""

    name: str  # a built-in's name, or the file's path as given
    path: Path
    description: str
    datasets: tuple[str, ...]
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> options
    defaults: dict[str, Any] = field(default_factory=dict)
    expected_minutes: float | None = None
    measured: str = ""
    sha256: str = ""

    @property
    def defaults_where(self) -> str:
        """Where its defaults are, in a sentence's words: a file's path, or a built-in's name."""
        if is_suite_file(self.name):
            return f"suite file {str(self.path)!r} [defaults]"
        return f"suite {self.name!r} [defaults]"

    def describe(self) -> dict[str, Any]:
        """What a run's manifest records: the suite's name, file and content hash."""
        return {"name": self.name, "file": str(self.path), "sha256": self.sha256}


def builtin_names() -> list[str]:
    """The built-in suites, in :data:`ORDER`."""
    found = sorted(path.stem for path in BUILTIN_DIR.glob("*.toml"))
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(found, key=lambda name: (rank.get(name, len(rank)), name))


def is_suite_file(spec: str) -> bool:
    """Whether ``--suite SPEC`` names a file rather than a built-in suite."""
    return spec.endswith(".toml") or "/" in spec or os.sep in spec


def find(spec: str) -> Suite:
    """The suite ``spec`` names: a built-in's name or a suite file's path."""
    if is_suite_file(spec):
        return read_suite(Path(spec), spec)
    if spec not in builtin_names():
        raise unknown_name("suite", spec, builtin_names(), also="a suite file (.toml)")
    return read_suite(BUILTIN_DIR / f"{spec}.toml", spec)


def read_suite(path: Path, name: str) -> Suite:
    """Read and check the suite file ``path``: every key, entry, table option and default."""
    from treesvsnets.config_files import read_toml

    data = read_toml(path, "suite file")
    where = f"suite file {str(path)!r}"
    unknown = [key for key in data if key not in SUITE_KEYS]
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; a suite holds {', '.join(SUITE_KEYS)}."
        )
    entries = data.get("datasets")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f'{where}: datasets must be a non-empty list, e.g. ["iris", "wine"].')
    datasets, tables = _entries(entries, path, where)
    twice = next((name for i, name in enumerate(datasets) if name in datasets[:i]), None)
    if twice is not None:
        raise ConfigError(f"{where}: dataset {twice!r} is listed twice; list each once.")
    defaults = _defaults(data.get("defaults", {}), where)
    minutes = data.get("expected_minutes")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int | float)):
        raise ConfigError(f"{where}: expected_minutes must be a number, got {minutes!r}.")
    for key in ("description", "measured"):
        if not isinstance(data.get(key, ""), str):
            raise ConfigError(f"{where}: {key} must be text, got {data[key]!r}.")
    return Suite(
        name=name,
        path=path,
        description=data.get("description", ""),
        datasets=tuple(datasets),
        tables=tables,
        defaults=defaults,
        expected_minutes=minutes,
        measured=data.get("measured", ""),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def _entries(entries: list[Any], path: Path, where: str) -> tuple[list[str], dict[str, Any]]:
    """The suite's dataset names (a table's path read from the suite's folder) and each
    table's options, every entry checked: a known built-in, an OpenML id, or a table file
    that exists with options that are TableOptions'."""
    from treesvsnets.config_files import dataset_entries
    from treesvsnets.datasets.openml_data import parse_name
    from treesvsnets.datasets.registry import info
    from treesvsnets.datasets.table_options import TableOptions
    from treesvsnets.datasets.tables import looks_like_table

    for entry in entries:
        if not isinstance(entry, str | dict) or not entry:
            raise ConfigError(
                f'{where}: entry {entry!r} must be a dataset name or a table {{path = "x.csv"}}.'
            )
    try:
        names, tables = dataset_entries(entries, {}, path)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {str(exc).removeprefix(f'{path}: ')}") from None
    found, options = [], {}
    for name in names:
        if name.startswith(OPENML_PREFIXES):
            try:
                parse_name(name)
            except TreesVsNetsError as exc:
                raise ConfigError(f"{where}: entry {name!r}: {exc}") from None
            found.append(name)
            continue
        if not looks_like_table(name):
            try:
                info(name)
            except TreesVsNetsError as exc:
                raise ConfigError(f"{where}: entry {name!r}: {exc}") from None
            found.append(name)
            continue
        table = name if Path(name).is_absolute() else str(path.parent / name)
        if not Path(table).is_file():
            raise ConfigError(f"{where}: entry {name!r}: the file {table!r} does not exist.")
        try:
            TableOptions.from_given(name, tables.get(name, {}))
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        found.append(table)
        options[table] = tables.get(name, {})
    return found, options


def _defaults(defaults: Any, where: str) -> dict[str, Any]:
    """A suite's [defaults]: run settings, each checked as the setting checks it."""
    from treesvsnets.config import KEYS, RunConfig
    from treesvsnets.config_values import LIST_KEYS, held

    if not isinstance(defaults, dict):
        raise ConfigError(f"{where}: defaults must be a table of settings, e.g. folds = 3.")
    allowed = [key for key in KEYS if key not in NOT_DEFAULTS]
    for key in defaults:
        if key not in allowed:
            raise ConfigError(
                f"{where}: [defaults] cannot hold {key!r}; it may hold {', '.join(allowed)}."
            )
    given = {
        key: held(key, [value] if key in LIST_KEYS and isinstance(value, str | int) else value)
        for key, value in defaults.items()
    }
    try:
        RunConfig(**given)
    except ConfigError as exc:
        raise ConfigError(f"{where}: [defaults]: {exc}") from None
    return given


def _builtin_default(key: str) -> Any:
    from treesvsnets.config import RunConfig

    declared = next(f for f in fields(RunConfig) if f.name == key)
    return declared.default_factory() if declared.default is MISSING else declared.default


def suite_overrides(config: Any, given: dict[str, Any]) -> dict[str, Any]:
    """The settings a RunConfig takes when ``given`` (settings given together: one command
    line, one file, one call) holds ``suite``, or holds ``datasets`` while ``config`` came
    with a suite: the suite's datasets, its tables' options, its defaults where ``config``
    still holds the built-in default and ``given`` says nothing, then ``given`` itself."""
    if "suite" not in given:  # -d replaces the suite the config file named
        return {**given, "suite": None}
    if "datasets" in given:
        raise ConfigError(
            "a suite is its own list of datasets, so --suite and -d (suite and datasets in one "
            "file) cannot be combined; list the extra datasets in a suite file of your own "
            "(docs/suites.md) or drop one of them."
        )
    suite = find(given["suite"])
    chosen: dict[str, Any] = {
        key: value
        for key, value in suite.defaults.items()
        if key not in given and getattr(config, key) == _builtin_default(key)
    }
    tables = {**config.tables, **suite.tables, **given.get("tables", {})}
    return {**chosen, **given, "datasets": suite.datasets, "tables": tables}


def describe_suite(spec: str) -> dict[str, Any]:
    """The manifest's record of the suite ``spec``: its name, file and content hash."""
    return find(spec).describe()
