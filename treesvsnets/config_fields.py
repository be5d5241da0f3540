"""What a RunConfig setting's declaration is made of (:func:`setting`): its check, its
:class:`Flag`, and the readings of typed values (:func:`parse_memory`, :func:`parse_shape`).

A check returns None when a value is fine, else what it must be ("a positive integer"),
which :meth:`treesvsnets.config.RunConfig.validate` puts in its sentence."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from treesvsnets.errors import ConfigError

#: how a benchmark splits each dataset: k stratified folds, or one train/test split
PROTOCOLS = ("kfold", "holdout")
DEVICES = ("auto", "cpu", "cuda")  # or cuda:N
#: how ``--tune`` draws each trial's config: Optuna's random sampler (TabZilla's and TabArena's
#: choice), TPE, or a grid over each distribution's points
SAMPLERS = ("random", "tpe", "grid")
#: how ``--resample`` resamples each training fold's fit rows (treesvsnets.datasets.resampling)
RESAMPLERS = ("none", "over", "under", "smote")

#: a field's check: None when the value is fine, else what it must be ("a positive integer")
Check = Callable[[Any], "str | None"]


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def int_at_least(least: int, *, optional: bool = False) -> Check:
    expected = "a positive integer" if least == 1 else f"an integer of at least {least}"
    return lambda v: None if (optional and v is None) or (is_int(v) and v >= least) else expected


def names(what: str = "names") -> Check:
    def check(value: Any) -> str | None:
        listed = isinstance(value, tuple | list)
        if listed and any(hasattr(item, "to_csv") for item in value):  # a notebook's frame
            return (
                f"a non-empty list of {what}, not DataFrames: write one to a file "
                "(frame.to_csv('table.csv', index=False)) and give the file's name"
            )
        if not listed or not value or not all(isinstance(item, str) and item for item in value):
            return f"a non-empty list of {what}"
        return "a list without repeats" if len(set(value)) != len(value) else None

    return check


def metric(value: Any) -> str | None:
    """The name of a task's score (:data:`treesvsnets.tasks.METRICS`), one per task separated
    by a comma (``roc_auc,mae``), or None (defaults)."""
    from treesvsnets.tasks import metric_choices, metric_problem

    if value is None:
        return None
    return metric_problem(value) if isinstance(value, str) else f"one of {metric_choices()}"


def seeds(value: Any) -> str | None:
    listed = isinstance(value, tuple | list)
    if not listed or not value or not all(is_int(s) and 0 <= s < 2**32 for s in value):
        # an estimator's random_state, scikit-learn's and NumPy's, is below 2**32
        return "a non-empty list of non-negative integers below 2**32 (4294967296)"
    return "a list without repeats" if len(set(value)) != len(value) else None


def one_of(*choices: Any, expected: str) -> Check:
    return lambda v: None if v in choices else expected


def fraction(low: float, high: float, *, low_open: bool, expected: str) -> Check:
    def check(value: Any) -> str | None:
        inside = is_number(value) and (low < value if low_open else low <= value) and value < high
        return None if inside else expected

    return check


def folder(value: Any) -> str | None:
    """A folder's path, as a Path (:func:`~treesvsnets.config_values.held` keeps an empty
    text as it is: ``--out ""`` wrote into the working folder, unasked)."""
    return None if isinstance(value, Path) else "a folder's path (not empty)"


#: a run's --name, after the folder's timestamp and a '-2' suffix, within the 255 bytes a
#: file name may have on Linux, macOS and Windows
MAX_NAME_BYTES = 200


def folder_name(value: Any) -> str | None:
    plain = (
        value is None
        or isinstance(value, str)
        and value
        and not any(c in value for c in "/\\")
        and not value.startswith(".")
        and len(value.encode("utf-8", "surrogateescape")) <= MAX_NAME_BYTES
    )
    return None if plain else f"a plain folder name (no slashes, {MAX_NAME_BYTES} bytes at most)"


def device(value: Any) -> str | None:
    ok = value in DEVICES or str(value).startswith("cuda:")
    return None if ok else "one of auto, cpu, cuda"


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "true or false"


def optional_text(expected: str) -> Check:
    return lambda v: None if v is None or (isinstance(v, str) and v) else expected


def texts(value: Any) -> str | None:
    ok = isinstance(value, tuple | list) and all(isinstance(p, str) and p for p in value)
    return None if ok else "a list of files or module names"


def table_of_tables(expected: str) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, dict) and all(isinstance(v, dict) for v in value.values())
        return None if ok else expected

    return check


def shape(value: Any) -> str | None:
    ok = value is None or (
        isinstance(value, list | tuple)
        and len(value) in (2, 3)
        and all(is_int(n) and n > 0 for n in value)
    )
    return None if ok else "[channels, length] or [channels, height, width], positive integers"


def bins(value: Any) -> str | None:
    ok = is_int(value) and (value == 0 or value >= 2)
    return None if ok else "0 (plain shuffled folds) or a number of bins of at least 2"


def seconds(value: Any) -> str | None:
    import math

    ok = value is None or (is_number(value) and value > 0 and math.isfinite(value))
    return None if ok else "a positive, finite number of seconds (leave it out for no limit)"


def memory(value: Any) -> str | None:
    if value is not None:
        parse_memory(value, key="max_memory")  # its own sentence
    return None


def scheduler(value: Any) -> str | None:
    ok = value is None or (isinstance(value, str) and "://" in value)
    return None if ok else "a Dask scheduler address like tcp://HOST:8786"


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


@dataclass(frozen=True)
class Flag:
    """How a setting reads on the command line. Its type, its default and whether it is
    repeated come from the field; this holds only the words."""

    help: str
    metavar: str | None = None
    #: the flag when it is not ``--KEY`` (``--dataset`` for datasets, ``--in-process``)
    name: str | None = None
    short: str | None = None
    choices: tuple[Any, ...] | None = None
    #: the default as the help names it, where the value alone would not say it
    #: ("every core" for threads=None); "" names none
    default: str | None = None
    #: the help's section ("tuning"; execution settings have theirs by their mark)
    group: str | None = None
    #: turns the typed text into the value (``--shape 1x40``); a ConfigError is its refusal
    parse: Callable[[str], Any] | None = None


def setting(
    default: Any = None,
    *,
    check: Check,
    flag: Flag | None = None,
    execution: bool = False,
    **kwargs: Any,
) -> Any:
    """A RunConfig field: its check, its flag (None: set only in a TOML file, or by a flag of
    the CLI's own syntax), and whether it says how cells run rather than what they compute
    (``execution``: a resumed run may change it)."""
    metadata = {"check": check, "execution": execution, "flag": flag}
    if "default_factory" in kwargs:
        return field(metadata=metadata, **kwargs)
    return field(default=default, metadata=metadata)


def column_names(value: Any) -> str | None:
    ok = isinstance(value, tuple | list) and all(isinstance(c, str) and c for c in value)
    return None if ok else "a list of column names"


def columns_setting(option: str) -> Any:
    """A per-column override of the table files a run reads (``drop``, ``categorical``...;
    a [tables] entry's own list adds to it): its words are the table option's."""
    from treesvsnets.datasets.table_options import COLUMN_OPTIONS

    help = f"in the table files, {COLUMN_OPTIONS[option]}; repeatable"
    return setting((), check=column_names, flag=Flag(help, "COLUMN"))


def parse_shape(text: str) -> tuple[int, ...]:
    """``1x40`` (or ``1,40``) -> (1, 40): a sequence's or an image's shape as typed."""
    parts = text.replace(",", "x").lower().split("x")
    try:
        shape = tuple(int(part) for part in parts)
    except ValueError:
        shape = ()
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise ConfigError(
            f"{text!r} is not a shape; write CxL for sequences (1x40) or CxHxW for images"
        )
    return shape


def inner_folds(value: Any) -> str | None:
    if is_int(value) and (value == 0 or value >= 2):
        return None
    return "0 (the validation slice) or a number of inner folds of at least 2"
