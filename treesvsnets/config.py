"""RunConfig: what one benchmark run does, from defaults, a TOML file and flags.

Precedence is defaults < TOML file < command-line flags. Every value is
checked here, before any data is loaded, and a bad one raises ConfigError
naming the key, the value and (for TOML) the file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from treesvsnets.errors import ConfigError, did_you_mean

DEFAULT_DATASETS = ("digits",)
#: The default suite: every classical estimator (ensembles and the linear model) against the
#: two nets, so a first run shows the comparison the tool is named for (plus ``dummy``, which
#: every run gets unless ``baseline = false``).
DEFAULT_ESTIMATORS = ("ensemble", "linear", "dense", "cnn")


#: the metadata of a field that says how cells run, not what they compute
_EXECUTION = {"execution": True}


@dataclass(frozen=True)
class RunConfig:
    datasets: tuple[str, ...] = DEFAULT_DATASETS
    estimators: tuple[str, ...] = DEFAULT_ESTIMATORS
    folds: int = 5
    seeds: tuple[int, ...] = (0,)
    out: Path = Path("runs")
    name: str | None = None
    threads: int | None = None  # per cell; None means every core this process may use
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    protocol: str = "kfold"  # or "holdout": the official train/test split, else test_size
    test_size: float = 0.2
    validation_fraction: float = 0.1  # inner slice of each training fold, for early stopping
    subsample: int | None = None  # stratified subset of each dataset, for quick runs
    device: str = "auto"  # for the nets: auto (CUDA when present), cpu or cuda
    data_dir: Path | None = None  # where MNIST / Fashion-MNIST files are (or are downloaded to)
    plugins: tuple[str, ...] = ()  # files or modules that register estimators
    target: str | None = None  # target column of the table files in datasets (default: last)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # per file: TableOptions
    class_weight: str | None = None  # "balanced": weigh classes by inverse frequency per fold
    baseline: bool = True  # add the trivial baseline (dummy) to the estimators
    # How the cells are executed (may change when a run is resumed; the rows may not). The
    # field metadata marks them, and EXECUTION_KEYS, the CLI's resume check and its flags
    # all derive from that one mark.
    jobs: int = field(default=1, metadata=_EXECUTION)  # cells at once, each in its own worker
    timeout: float | None = field(default=None, metadata=_EXECUTION)  # seconds per cell
    max_memory: str | None = field(default=None, metadata=_EXECUTION)  # per cell, e.g. "8GB"
    scheduler: str | None = field(default=None, metadata=_EXECUTION)  # a Dask scheduler address
    isolate: bool = field(default=True, metadata=_EXECUTION)  # False: cells in this process
    fold_parallel: bool = field(default=False, metadata=_EXECUTION)  # a net's folds stacked

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        def bad(key: str, expected: str, value: Any) -> ConfigError:
            return ConfigError(f"{key!r} must be {expected}, got {value!r}.")

        for key in ("datasets", "estimators"):
            value = getattr(self, key)
            if not value or not all(isinstance(item, str) and item for item in value):
                raise bad(key, "a non-empty list of names", value)
        if isinstance(self.folds, bool) or not isinstance(self.folds, int) or self.folds < 2:
            raise bad("folds", "an integer of at least 2", self.folds)
        if not self.seeds or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in self.seeds
        ):
            raise bad("seeds", "a non-empty list of non-negative integers", self.seeds)
        for key in ("datasets", "seeds"):
            value = getattr(self, key)
            if len(set(value)) != len(value):
                raise bad(key, "a list without repeats", value)
        if self.threads is not None and (
            isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1
        ):
            raise bad("threads", "a positive integer", self.threads)
        if self.name is not None and (
            not self.name or any(c in self.name for c in "/\\") or self.name.startswith(".")
        ):
            raise bad("name", "a plain folder name (no slashes)", self.name)
        if self.protocol not in ("kfold", "holdout"):
            raise bad("protocol", "'kfold' or 'holdout'", self.protocol)
        if not _is_number(self.test_size) or not 0 < self.test_size < 1:
            raise bad("test_size", "a fraction between 0 and 1", self.test_size)
        if not _is_number(self.validation_fraction) or not 0 <= self.validation_fraction < 0.5:
            raise bad("validation_fraction", "a fraction in [0, 0.5)", self.validation_fraction)
        if self.subsample is not None and (
            isinstance(self.subsample, bool)
            or not isinstance(self.subsample, int)
            or self.subsample < 2
        ):
            raise bad("subsample", "an integer of at least 2", self.subsample)
        if self.class_weight not in (None, "balanced"):
            raise bad("class_weight", "'balanced' or absent", self.class_weight)
        if self.device not in ("auto", "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise bad("device", "one of auto, cpu, cuda", self.device)
        if not all(isinstance(p, str) and p for p in self.plugins):
            raise bad("plugins", "a list of files or module names", self.plugins)
        if self.target is not None and (not isinstance(self.target, str) or not self.target):
            raise bad("target", "a column name", self.target)
        if not isinstance(self.tables, dict):
            raise bad("tables", "a table of file -> options", self.tables)
        for name in self.datasets:
            self.table_options(name)  # unknown or ill-typed options fail here
        if isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 1:
            raise bad("jobs", "a positive integer", self.jobs)
        if self.timeout is not None and (not _is_number(self.timeout) or self.timeout <= 0):
            raise bad("timeout", "a positive number of seconds", self.timeout)
        if self.max_memory is not None:
            parse_memory(self.max_memory, key="max_memory")
        if self.scheduler is not None and (
            not isinstance(self.scheduler, str) or "://" not in self.scheduler
        ):
            raise bad("scheduler", "a Dask scheduler address like tcp://HOST:8786", self.scheduler)
        for key in ("isolate", "fold_parallel", "baseline"):
            if not isinstance(getattr(self, key), bool):
                raise bad(key, "true or false", getattr(self, key))
        if not self.isolate:
            needs_workers = [
                flag
                for flag, given in (
                    ("jobs", self.jobs > 1),
                    ("timeout", self.timeout is not None),
                    ("max_memory", self.max_memory is not None),
                    ("scheduler", self.scheduler is not None),
                )
                if given
            ]
            if needs_workers:
                raise ConfigError(
                    f"{', '.join(repr(flag) for flag in needs_workers)} need(s) cells in worker "
                    "processes; drop 'isolate = false' (--in-process) or that setting."
                )
        if not isinstance(self.params, dict) or not all(
            isinstance(v, dict) for v in self.params.values()
        ):
            raise bad(
                "params", "a table of tables, e.g. [params.rf] n_estimators = 300", self.params
            )

    def table_options(self, name: str) -> Any:
        """The TableOptions of dataset ``name`` when it is a table file, else None."""
        from treesvsnets.datasets.tables import LIST_OPTIONS, TableOptions, looks_like_table

        if not looks_like_table(name):
            return None
        given = dict(self.tables.get(name, {}))
        if self.target is not None:
            given.setdefault("target", self.target)
        known = {f.name for f in fields(TableOptions)}
        for key, value in given.items():
            if key not in known:
                hint = did_you_mean(key, sorted(known))
                raise ConfigError(
                    f"dataset {name!r}: unknown option {key!r}; valid options are: "
                    f"{', '.join(sorted(known))}.{hint}"
                )
            if key in LIST_OPTIONS:
                if isinstance(value, str):
                    value = [value]
                if not isinstance(value, list | tuple) or not all(
                    isinstance(v, str) for v in value
                ):
                    what = "values" if key == "null_tokens" else "column names"
                    raise ConfigError(f"dataset {name!r}: {key!r} must be a list of {what}.")
                given[key] = tuple(value)
        from treesvsnets.errors import DatasetError

        try:
            return TableOptions(**given)
        except TypeError as exc:
            raise ConfigError(f"dataset {name!r}: {exc}.") from None
        except DatasetError as exc:
            raise ConfigError(f"dataset {name!r}: {exc}") from None

    def with_overrides(self, **overrides: Any) -> RunConfig:
        """A copy with the given keys replaced; ``None`` means 'not given'."""
        given = {key: value for key, value in overrides.items() if value is not None}
        for key in ("datasets", "estimators", "seeds", "plugins"):
            if key in given:
                given[key] = tuple(given[key])
        for key in ("out", "data_dir"):
            if key in given:
                given[key] = Path(given[key])
        return replace(self, **given)

    def to_dict(self) -> dict[str, Any]:
        return {
            "datasets": list(self.datasets),
            "estimators": list(self.estimators),
            "folds": self.folds,
            "seeds": list(self.seeds),
            "out": str(self.out),
            "name": self.name,
            "threads": self.threads,
            "params": self.params,
            "protocol": self.protocol,
            "test_size": self.test_size,
            "validation_fraction": self.validation_fraction,
            "subsample": self.subsample,
            "device": self.device,
            "data_dir": None if self.data_dir is None else str(self.data_dir),
            "plugins": list(self.plugins),
            "target": self.target,
            "tables": self.tables,
            "class_weight": self.class_weight,
            "baseline": self.baseline,
            **self.execution(),
        }

    def execution(self) -> dict[str, Any]:
        """The keys that say how cells run, not what they compute."""
        return {key: getattr(self, key) for key in EXECUTION_KEYS}

    @property
    def memory_limit_mb(self) -> float | None:
        if self.max_memory is None:
            return None
        return parse_memory(self.max_memory, key="max_memory") / 2**20

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """The inverse of :meth:`to_dict` (a manifest's config), for ``--resume``."""
        known = {key: value for key, value in data.items() if key in _KEYS}
        known.setdefault("baseline", False)  # a run recorded before the baseline had none
        for key in ("datasets", "estimators", "seeds", "plugins"):
            if key in known:
                known[key] = tuple(known[key])
        for key in ("out", "data_dir"):
            if known.get(key) is not None:
                known[key] = Path(known[key])
        return cls(**known)


_KEYS = tuple(f.name for f in fields(RunConfig))
#: Settings a resumed run may change: they decide where and under which limits cells run.
EXECUTION_KEYS = tuple(f.name for f in fields(RunConfig) if f.metadata.get("execution"))
#: Settings that define what a run computes: a resumed run keeps its own.
DEFINITION_KEYS = tuple(key for key in _KEYS if key not in EXECUTION_KEYS)

_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)


def parse_memory(text: Any, key: str = "max_memory") -> int:
    """``"8GB"``, ``"512m"``, ``"1.5GiB"`` -> bytes (K/M/G/T are powers of 1024, as in Docker)."""
    match = _MEMORY.match(text) if isinstance(text, str) else None
    if match is None or not (match.group(2) or match.group(3)):
        raise ConfigError(f"{key!r} must be a size with a unit like 8GB or 512MB, got {text!r}.")
    number, unit = float(match.group(1)), match.group(2).lower()
    size = int(number * 1024 ** " kmgt".index(unit or " "))
    if size < 2**20:
        raise ConfigError(f"{key!r} must be at least 1MB, got {text!r}.")
    return size


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dataset_entries(
    entries: list[Any], tables: dict[str, Any], path: Path
) -> tuple[list[Any], dict[str, Any]]:
    """``{path = "x.csv", target = "y", drop = [...]}`` entries -> names + per-file options."""
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


def load_toml(path: str | Path) -> RunConfig:
    """Read a TOML file with the same keys as the ``run`` flags."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}.") from None
    except OSError as exc:
        raise ConfigError(f"config file {str(path)!r} cannot be read: {exc.strerror}.") from None
    for key in data:
        if key not in _KEYS:
            hint = did_you_mean(key, _KEYS)
            raise ConfigError(
                f"{path}: unknown key {key!r}; valid keys are: {', '.join(_KEYS)}.{hint}"
            )
    for key in ("datasets", "estimators", "seeds", "plugins"):
        if isinstance(data.get(key), str | int | dict) and not isinstance(data.get(key), bool):
            data[key] = [data[key]]
    if isinstance(data.get("datasets"), list):
        data["datasets"], tables = _dataset_entries(data["datasets"], data.get("tables", {}), path)
        if tables:
            data["tables"] = tables
    for key in ("datasets", "estimators", "seeds", "plugins"):
        if isinstance(data.get(key), list):
            data[key] = tuple(data[key])
    for key in ("out", "data_dir"):
        if key in data:
            if not isinstance(data[key], str):
                raise ConfigError(f"{path}: {key!r} must be a folder path, got {data[key]!r}.")
            data[key] = Path(data[key])
    try:
        return RunConfig(**data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
