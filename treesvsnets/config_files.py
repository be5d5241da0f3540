"""Config files: a run's TOML file (:func:`load_toml`: the same keys as the ``run`` flags; a
dataset entry may be a table with its file's options, ``{path = "x.csv", target = "y", drop =
[...]}``; ``suite = "quick"`` brings a suite's datasets and defaults) and a ``--space`` file
(:func:`load_spaces`: a search space per estimator), each refused in one sentence naming the
file when it cannot be read or holds an unknown key; :func:`read_toml` and
:func:`dataset_entries` serve suite files too."""

from __future__ import annotations

import codecs
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from treesvsnets.config import KEYS, RunConfig
from treesvsnets.config_values import LIST_KEYS, held
from treesvsnets.errors import ConfigError, did_you_mean


def dataset_entries(
    entries: list[Any], tables: dict[str, Any], path: Path
) -> tuple[list[Any], dict[str, Any]]:
    """``{path = "x.csv", target = "y", drop = [...]}`` entries -> names + per-file options
    (a run's file and a suite's, :mod:`treesvsnets.suites`, alike)."""
    names, tables = [], dict(tables) if isinstance(tables, dict) else tables
    for entry in entries:
        if isinstance(entry, dict):
            if not isinstance(entry.get("path"), str):
                raise ConfigError(
                    f'{path}: a dataset entry that is a table must have path = "file.csv", '
                    f"got {entry!r}."
                )
            options = {k: v for k, v in entry.items() if k != "path"}
            tables[entry["path"]] = {**tables.get(entry["path"], {}), **options}
            names.append(entry["path"])
        else:
            names.append(entry)
    return names, tables


def _check_table_keys(tables: Any, datasets: list[Any], path: Path) -> None:
    """Each ``[tables."file"]`` of a file that lists its datasets names one of them (under
    any spelling of its path): an entry that names none would be silently ignored, its
    target with it (the run would learn the last column)."""
    from treesvsnets.datasets.table_files import same_file

    files = [name for name in datasets if isinstance(name, str)]
    for key in tables if isinstance(tables, dict) else ():
        if not any(same_file(key, name) for name in files):
            raise ConfigError(
                f"{path}: [tables.\"{key}\"] names no dataset of its 'datasets' "
                f"({', '.join(map(repr, files))}); write the path as a dataset's, or add it."
            )


#: byte-order marks a text file may begin with, and the encoding each says
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The TOML file ``path`` (a ``what``: config file, space file, suite file), or one
    sentence naming it when it is missing or not TOML."""
    try:
        raw = path.read_bytes()
        # TOML is UTF-8; Windows' Notepad saves "Unicode" (UTF-16) and UTF-8 with a BOM
        encoding = next((e for bom, e in _BOMS if raw.startswith(bom)), "utf-8")
        return tomllib.loads(raw.decode(encoding))
    except UnicodeDecodeError:
        raise ConfigError(f"{what} {str(path)!r} is not UTF-8 text; save it as UTF-8.") from None
    except FileNotFoundError:
        raise ConfigError(f"{what} {str(path)!r} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {str(path)!r} is not valid TOML: {exc}.") from None
    except OSError as exc:
        raise ConfigError(f"{what} {str(path)!r} cannot be read: {exc.strerror}.") from None


def load_spaces(path: str | Path) -> dict[str, dict[str, Any]]:
    """A ``--space`` file: a table per estimator (``[rf]``, or ``[spaces.rf]`` as in a run's
    config) of parameter = distribution."""
    path = Path(path)
    data = read_toml(path, "space file")
    if set(data) == {"spaces"}:
        data = data["spaces"]
    if not data:
        raise ConfigError(
            f"space file {str(path)!r} holds no search space; write [rf] "
            "max_depth = {int = [2, 12]}."
        )
    from treesvsnets.estimators.space import parse_distribution

    for name, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(
                f"space file {str(path)!r}: {name!r} must be a table of an estimator's "
                f"parameters ([{name}] then param = {{float = [low, high]}}), got {table!r}."
            )
        for param, raw in table.items():  # its form judged here, so the sentence names the file
            parse_distribution(raw, f"space file {str(path)!r}: [{name}] parameter {param!r}")
    return data


def setting_sources(
    config: RunConfig, config_file: str | Path | None, flags: Iterable[str]
) -> dict[str, str]:
    """Where each setting of ``config`` not given as one of ``flags`` was given: the config
    file, else its suite's ``[defaults]``; an error about one of them names it
    (:meth:`~treesvsnets.errors.TreesVsNetsError.given_in`)."""
    from treesvsnets.suites import find

    sources: dict[str, str] = {}
    if config.suite:
        suite = find(config.suite)
        sources.update(dict.fromkeys(suite.defaults, suite.defaults_where))
    if config_file is not None:
        sources.update(dict.fromkeys(read_toml(Path(config_file), "config file"), str(config_file)))
    for key in flags:
        sources.pop(key, None)
    return sources


def load_toml(path: str | Path) -> RunConfig:
    """Read a TOML file with the same keys as the ``run`` flags."""
    path = Path(path)
    data = read_toml(path, "config file")
    for key in data:
        if key not in KEYS:
            hint = did_you_mean(key, KEYS)
            raise ConfigError(
                f"{path}: unknown key {key!r}; valid keys are: {', '.join(KEYS)}.{hint}"
            )
    for key in LIST_KEYS:
        if isinstance(data.get(key), str | int | dict) and not isinstance(data.get(key), bool):
            data[key] = [data[key]]
    if isinstance(data.get("datasets"), list):
        data["datasets"], tables = dataset_entries(data["datasets"], data.get("tables", {}), path)
        if tables:
            data["tables"] = tables
        _check_table_keys(tables, data["datasets"], path)
    for key in ("out", "data_dir"):
        if key in data and not isinstance(data[key], str):
            raise ConfigError(f"{path}: {key!r} must be a folder path, got {data[key]!r}.")
    data = {key: held(key, value) for key, value in data.items()}
    try:  # through with_overrides, so that a file's ``suite`` brings its datasets
        return RunConfig().with_overrides(**data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
