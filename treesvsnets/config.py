"""RunConfig: what one benchmark run does, from defaults, a TOML file and flags.

Precedence is defaults < TOML file < command-line flags. Every value is
checked here, before any data is loaded, and a bad one raises ConfigError
naming the key, the value and (for TOML) the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from treesvsnets.errors import ConfigError, did_you_mean
from treesvsnets.tasks import TASKS

DEFAULT_DATASETS = ("digits",)
#: The default suite: every classical estimator (ensembles and the linear model) against the
#: two nets, so a first run shows the comparison the tool is named for (plus ``dummy``, which
#: every run gets unless ``baseline = false``).
DEFAULT_ESTIMATORS = ("ensemble", "linear", "dense", "cnn")
#: the settings a config file or a manifest writes as lists, held as tuples
LIST_KEYS = ("datasets", "estimators", "seeds", "plugins", "shape")


#: how ``--tune`` draws each trial's config: Optuna's random sampler (TabZilla's and TabArena's
#: choice), TPE, or a grid over each distribution's points
SAMPLERS = ("random", "tpe", "grid")

#: how a benchmark splits each dataset: k stratified folds, or one train/test split
PROTOCOLS = ("kfold", "holdout")
DEVICES = ("auto", "cpu", "cuda")  # or cuda:N

#: a field's check: None when the value is fine, else what it must be ("a positive integer")
Check = Callable[[Any], "str | None"]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int_at_least(least: int, *, optional: bool = False) -> Check:
    expected = "a positive integer" if least == 1 else f"an integer of at least {least}"
    return lambda v: None if (optional and v is None) or (_is_int(v) and v >= least) else expected


def _names(what: str = "names") -> Check:
    def check(value: Any) -> str | None:
        if not value or not all(isinstance(item, str) and item for item in value):
            return f"a non-empty list of {what}"
        return "a list without repeats" if len(set(value)) != len(value) else None

    return check


def _seeds(value: Any) -> str | None:
    if not value or not all(_is_int(s) and s >= 0 for s in value):
        return "a non-empty list of non-negative integers"
    return "a list without repeats" if len(set(value)) != len(value) else None


def _one_of(*choices: Any, expected: str) -> Check:
    return lambda v: None if v in choices else expected


def _fraction(low: float, high: float, *, low_open: bool, expected: str) -> Check:
    def check(value: Any) -> str | None:
        inside = _is_number(value) and (low < value if low_open else low <= value) and value < high
        return None if inside else expected

    return check


def _folder_name(value: Any) -> str | None:
    plain = (
        value is None
        or isinstance(value, str)
        and value
        and not any(c in value for c in "/\\")
        and not value.startswith(".")
    )
    return None if plain else "a plain folder name (no slashes)"


def _device(value: Any) -> str | None:
    ok = value in DEVICES or str(value).startswith("cuda:")
    return None if ok else "one of auto, cpu, cuda"


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "true or false"


def _optional_text(expected: str) -> Check:
    return lambda v: None if v is None or (isinstance(v, str) and v) else expected


def _texts(value: Any) -> str | None:
    ok = all(isinstance(p, str) and p for p in value)
    return None if ok else "a list of files or module names"


def _table_of_tables(expected: str) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, dict) and all(isinstance(v, dict) for v in value.values())
        return None if ok else expected

    return check


def _shape(value: Any) -> str | None:
    ok = value is None or (
        isinstance(value, list | tuple)
        and len(value) in (2, 3)
        and all(_is_int(n) and n > 0 for n in value)
    )
    return None if ok else "[channels, length] or [channels, height, width], positive integers"


def _bins(value: Any) -> str | None:
    ok = _is_int(value) and (value == 0 or value >= 2)
    return None if ok else "0 (plain shuffled folds) or a number of bins of at least 2"


def _seconds(value: Any) -> str | None:
    ok = value is None or (_is_number(value) and value > 0)
    return None if ok else "a positive number of seconds"


def _memory(value: Any) -> str | None:
    if value is not None:
        parse_memory(value, key="max_memory")  # its own sentence
    return None


def _scheduler(value: Any) -> str | None:
    ok = value is None or (isinstance(value, str) and "://" in value)
    return None if ok else "a Dask scheduler address like tcp://HOST:8786"


def _setting(default: Any = None, *, check: Check, execution: bool = False, **kwargs: Any) -> Any:
    """A RunConfig field: its check, and whether it says how cells run rather than what they
    compute (``execution``: a resumed run may change it, and the CLI stores its flag apart)."""
    metadata = {"check": check, "execution": execution}
    if "default_factory" in kwargs:
        return field(metadata=metadata, **kwargs)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class RunConfig:
    """What one run does. Each field declares its own check (:func:`_setting`); the
    settings that only say how cells execute are marked ``execution``, and EXECUTION_KEYS,
    DEFINITION_KEYS, the CLI's flags and resume's refusal all derive from that mark."""

    datasets: tuple[str, ...] = _setting(DEFAULT_DATASETS, check=_names())
    estimators: tuple[str, ...] = _setting(DEFAULT_ESTIMATORS, check=_names())
    folds: int = _setting(5, check=_int_at_least(2))
    seeds: tuple[int, ...] = _setting((0,), check=_seeds)
    out: Path = _setting(Path("runs"), check=lambda v: None)
    name: str | None = _setting(None, check=_folder_name)
    # per cell; None means every core this process may use
    threads: int | None = _setting(None, check=_int_at_least(1, optional=True))
    params: dict[str, dict[str, Any]] = _setting(
        check=_table_of_tables("a table of tables, e.g. [params.rf] n_estimators = 300"),
        default_factory=dict,
    )
    # "holdout": the official train/test split, else test_size
    protocol: str = _setting("kfold", check=_one_of(*PROTOCOLS, expected="'kfold' or 'holdout'"))
    test_size: float = _setting(
        0.2, check=_fraction(0, 1, low_open=True, expected="a fraction between 0 and 1")
    )
    # the inner slice of each training fold, for early stopping
    validation_fraction: float = _setting(
        0.1, check=_fraction(0, 0.5, low_open=False, expected="a fraction in [0, 0.5)")
    )
    # a stratified subset of each dataset, for quick runs
    subsample: int | None = _setting(None, check=_int_at_least(2, optional=True))
    device: str = _setting("auto", check=_device)  # for the nets: auto (CUDA when present)
    data_dir: Path | None = _setting(None, check=lambda v: None)  # MNIST / Fashion-MNIST files
    plugins: tuple[str, ...] = _setting((), check=_texts)  # files or modules that register
    # the target column of the table files in datasets (default: their last column)
    target: str | None = _setting(None, check=_optional_text("a column name"))
    #: a table's task (default: inferred from its target); per file too, in tables / entries
    task: str | None = _setting(
        None, check=_one_of(None, *TASKS, expected="'classification' or 'regression'")
    )
    #: the table files' rows as sequences (channels, length) or images (channels, height,
    #: width), for cnn1d and cnn; per file too, in tables / entries
    shape: tuple[int, ...] | None = _setting(None, check=_shape)
    #: regression folds stratified on this many quantile bins of the target (0: plain k-fold)
    target_bins: int = _setting(0, check=_bins)
    tables: dict[str, dict[str, Any]] = _setting(  # per file: TableOptions
        check=lambda v: None if isinstance(v, dict) else "a table of file -> options",
        default_factory=dict,
    )
    # "balanced": weigh classes by inverse frequency in each training fold
    class_weight: str | None = _setting(
        None, check=_one_of(None, "balanced", expected="'balanced' or absent")
    )
    baseline: bool = _setting(True, check=_boolean)  # add the trivial baseline (dummy)
    # Tuning: per outer fold, trials (trial 0: the defaults) scored on the validation slice
    tune: int | None = _setting(None, check=_int_at_least(1, optional=True))  # trials
    tune_time: float | None = _setting(None, check=_seconds)  # seconds per estimator per fold
    sampler: str = _setting("random", check=_one_of(*SAMPLERS, expected="one of random, tpe, grid"))
    # 0: score trials on the validation slice; K >= 2: by inner K-fold CV of the training fold
    tune_cv: int = _setting(
        0,
        check=lambda v: (
            None
            if _is_int(v) and (v == 0 or v >= 2)
            else ("0 (the validation slice) or a number of inner folds of at least 2")
        ),
    )
    spaces: dict[str, dict[str, Any]] = _setting(  # per estimator: its search space
        check=_table_of_tables("a table of tables, e.g. [spaces.rf] max_depth = {int = [2, 12]}"),
        default_factory=dict,
    )
    # How the cells are executed (may change when a run is resumed; the rows may not).
    jobs: int = _setting(1, check=_int_at_least(1), execution=True)  # cells at once
    timeout: float | None = _setting(None, check=_seconds, execution=True)  # per cell
    max_memory: str | None = _setting(None, check=_memory, execution=True)  # per cell: "8GB"
    scheduler: str | None = _setting(None, check=_scheduler, execution=True)  # Dask address
    isolate: bool = _setting(True, check=_boolean, execution=True)  # False: in this process
    fold_parallel: bool = _setting(False, check=_boolean, execution=True)  # a net's folds

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Each field's own check, then what involves several fields."""
        for setting in fields(self):
            value = getattr(self, setting.name)
            expected = setting.metadata["check"](value)
            if expected is not None:
                raise ConfigError(f"{setting.name!r} must be {expected}, got {value!r}.")
        for name in self.datasets:
            self.table_options(name)  # unknown or ill-typed options fail here
        self._check_isolation()
        self._check_tuning()

    @property
    def tuning(self) -> bool:
        """Whether the run tunes (a number of trials or a time budget per fold)."""
        return self.tune is not None or self.tune_time is not None

    def _check_tuning(self) -> None:
        """Tuning settings need tuning; tuning needs somewhere to score trials."""
        if not self.tuning:
            given = [
                key
                for key, unset in (("sampler", "random"), ("tune_cv", 0), ("spaces", {}))
                if getattr(self, key) != unset
            ]
            if given:
                raise ConfigError(
                    f"{', '.join(repr(key) for key in given)} appl(y/ies) only when tuning; add "
                    "--tune N (trials per fold) or --tune-time SECONDS, or drop it."
                )
            return
        if self.fold_parallel:
            raise ConfigError(
                "'tune' and 'fold_parallel' cannot be combined: a tuned run fits each fold's "
                "trials one by one; drop --fold-parallel."
            )
        if self.tune_cv == 0 and self.validation_fraction == 0:
            raise ConfigError(
                "tuning scores each trial on the validation slice, and 'validation_fraction' "
                "is 0; give it a slice (e.g. 0.1) or score by inner CV with --tune-cv K."
            )

    def _check_isolation(self) -> None:
        """Limits, several jobs and Dask need cells in worker processes."""
        if self.isolate:
            return
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

    def table_options(self, name: str) -> Any:
        """The TableOptions of dataset ``name`` when it is a table file, else None."""
        from treesvsnets.datasets.table_options import LIST_OPTIONS, TableOptions
        from treesvsnets.datasets.tables import looks_like_table

        if not looks_like_table(name):
            return None
        given = dict(self.tables.get(name, {}))
        if self.target is not None:
            given.setdefault("target", self.target)
        if self.task is not None:
            given.setdefault("task", self.task)
        if self.shape is not None:
            given.setdefault("shape", tuple(self.shape))
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
            if key == "shape" and isinstance(value, list):
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
        for key in LIST_KEYS:
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
            "task": self.task,
            "shape": None if self.shape is None else list(self.shape),
            "target_bins": self.target_bins,
            "tables": self.tables,
            "class_weight": self.class_weight,
            "baseline": self.baseline,
            "tune": self.tune,
            "tune_time": self.tune_time,
            "sampler": self.sampler,
            "tune_cv": self.tune_cv,
            "spaces": self.spaces,
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
        known = {key: value for key, value in data.items() if key in KEYS}
        known.setdefault("baseline", False)  # a run recorded before the baseline had none
        for key in LIST_KEYS:
            if known.get(key) is not None:  # shape may be None
                known[key] = tuple(known[key])
        for key in ("out", "data_dir"):
            if known.get(key) is not None:
                known[key] = Path(known[key])
        return cls(**known)


KEYS = tuple(f.name for f in fields(RunConfig))
#: Settings a resumed run may change: they decide where and under which limits cells run.
EXECUTION_KEYS = tuple(f.name for f in fields(RunConfig) if f.metadata.get("execution"))
#: Settings that define what a run computes: a resumed run keeps its own.
DEFINITION_KEYS = tuple(key for key in KEYS if key not in EXECUTION_KEYS)

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
