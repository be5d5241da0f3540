"""RunConfig: what one benchmark run does, from defaults, a TOML file and flags.

Precedence is defaults < TOML file < command-line flags. Every value is
checked here, before any data is loaded, and a bad one raises ConfigError
naming the key, the value and (for TOML) the file.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from treesvsnets.errors import ConfigError

DEFAULT_DATASETS = ("digits",)
#: The default suite: every classical estimator (ensembles and the linear baseline).
DEFAULT_ESTIMATORS = ("ensemble", "linear")


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
        if self.device not in ("auto", "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise bad("device", "one of auto, cpu, cuda", self.device)
        if not all(isinstance(p, str) and p for p in self.plugins):
            raise bad("plugins", "a list of files or module names", self.plugins)
        if not isinstance(self.params, dict) or not all(
            isinstance(v, dict) for v in self.params.values()
        ):
            raise bad(
                "params", "a table of tables, e.g. [params.rf] n_estimators = 300", self.params
            )

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
        }


_KEYS = tuple(f.name for f in fields(RunConfig))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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
            close = difflib.get_close_matches(key, _KEYS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{path}: unknown key {key!r}; valid keys are: {', '.join(_KEYS)}.{hint}"
            )
    for key in ("datasets", "estimators", "seeds", "plugins"):
        if isinstance(data.get(key), str | int) and not isinstance(data.get(key), bool):
            data[key] = [data[key]]
        if key in data and isinstance(data[key], list):
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
