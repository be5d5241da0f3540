"""How to read one table file: :class:`TableOptions` (a config file's dataset entry, or
``inspect``'s flags), checked against the file's columns (:func:`check_options`) and, for
a table whose rows are sequences or images, against its shape (:func:`check_shape`).

The options: the target and its task, per-column overrides (``numeric``, ``categorical``,
``datetime``, ``drop``, ``keep``), ``null_tokens``, what to do with missing values, outlier
clipping, ``max_onehot`` and ``high_cardinality`` (target encoding or ordinal codes),
``shape``: the rows as sequences or images, ``name``: what the table is called in a run
(default: the file's stem), and a text file's ``sep`` and ``decimal`` mark (default:
detected). :func:`check_options` refuses a column named that does not
exist, a dropped target or a column given two types; :func:`check_shape` a shaped table that
is not all numbers, as many as the shape holds, none missing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from treesvsnets.datasets.base import TableSchema
from treesvsnets.errors import ConfigError, DatasetError, did_you_mean, unknown_name
from treesvsnets.tasks import TASKS

#: the options that name columns (or, for null_tokens, values): lists in a config file
LIST_OPTIONS = ("drop", "categorical", "numeric", "datetime", "keep", "null_tokens")
#: the per-column overrides, each with what it does (the help of inspect's and run's flags)
COLUMN_OPTIONS = {
    "drop": "ignore COLUMN",
    "categorical": "treat COLUMN as categorical even if it holds numbers",
    "numeric": "treat COLUMN as numeric: values that do not parse become missing",
    "datetime": "treat COLUMN as dates: values that do not parse become missing",
    "keep": "keep COLUMN even if it looks like an identifier or a constant",
}
HIGH_CARDINALITY = ("target", "ordinal")


@dataclass(frozen=True)
class TableOptions:
    """How to read one table: its target, and per-column overrides of the inferred types."""

    target: str | None = None  # default: the last column
    task: str | None = None  # classification or regression; default: inferred from the target
    drop: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()  # forced categorical (others are inferred)
    numeric: tuple[str, ...] = ()  # forced numeric: what does not parse becomes missing
    datetime: tuple[str, ...] = ()  # forced datetime
    keep: tuple[str, ...] = ()  # kept even when they look like an identifier or a constant
    #: values that mean missing, in any case; None: column_types.NULL_TOKENS
    null_tokens: tuple[str, ...] | None = None
    missing: str = "impute"  # or "drop": rows with a missing feature are dropped
    clip_outliers: bool = False  # clip numeric features to the training fold's IQR fences
    max_onehot: int = 20  # categories above this are target-encoded (or ordinal) instead
    high_cardinality: str = "target"  # above max_onehot: "target" encoding, or "ordinal" codes
    categorical_max_values: int = 0  # numbers with at most this many values are categories
    #: rows that are flattened sequences, (channels, length), or images, (channels, height,
    #: width): the order of the numeric columns is the order a 1-D CNN (or a CNN) reads
    shape: tuple[int, ...] | None = None
    #: the name the table goes by in a run's rows, progress and reports (default: the file's
    #: stem; see :func:`treesvsnets.datasets.names.run_names`)
    name: str | None = None
    #: a text file's separator and decimal mark; None: detected from the file's head
    sep: str | None = None
    decimal: str | None = None

    def __post_init__(self) -> None:
        for key in (*LIST_OPTIONS, "shape"):  # a notebook's lists, as a config file's are
            if isinstance(getattr(self, key), list):
                object.__setattr__(self, key, tuple(getattr(self, key)))
        if self.task is not None and self.task not in TASKS:
            raise DatasetError(f"task must be 'classification' or 'regression', got {self.task!r}.")
        if self.missing not in ("impute", "drop"):
            raise DatasetError(f"missing must be 'impute' or 'drop', got {self.missing!r}.")
        if self.high_cardinality not in HIGH_CARDINALITY:
            raise DatasetError(
                f"high_cardinality must be 'target' or 'ordinal', got {self.high_cardinality!r}."
            )
        for key in ("max_onehot", "categorical_max_values"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DatasetError(f"{key} must be a whole number of at least 0, got {value!r}.")
        if self.shape is not None and (
            not isinstance(self.shape, tuple)
            or len(self.shape) not in (2, 3)
            or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in self.shape)
        ):
            raise DatasetError(
                "shape must be [channels, length] for sequences or [channels, height, width] "
                f"for images, in positive whole numbers, got {_listed(self.shape)}."
            )
        if self.sep is not None and (not isinstance(self.sep, str) or len(self.sep) != 1):
            raise DatasetError(
                f'sep must be one character (such as ";" or "\\t"), got {self.sep!r}.'
            )
        if self.decimal not in (None, ".", ","):
            raise DatasetError(f'decimal must be "." or ",", got {self.decimal!r}.')
        if self.decimal is not None and self.decimal == self.sep:
            raise DatasetError(f"sep and decimal must differ, both are {self.sep!r}.")
        if self.name is not None and (not isinstance(self.name, str) or not self.name.strip()):
            raise DatasetError(f"name must be a non-empty string, got {self.name!r}.")
        for key in LIST_OPTIONS:
            value = getattr(self, key)
            if key == "null_tokens" and value is None:
                continue
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise DatasetError(f"{key} must be a list of strings, got {value!r}.")

    @classmethod
    def from_given(cls, name: str, given: dict[str, Any]) -> TableOptions:
        """The options of table ``name`` as a config file gives them (lists as lists, one
        column as a string); an unknown or ill-typed option raises ConfigError naming it."""
        known = {f.name for f in fields(cls)}
        given = dict(given)
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
        try:
            return cls(**given)
        except TypeError as exc:
            raise ConfigError(f"dataset {name!r}: {exc}.") from None
        except DatasetError as exc:
            raise ConfigError(f"dataset {name!r}: {exc}") from None

    def forced_kind(self, column: str) -> str | None:
        """The kind the user declared for ``column`` (numeric, categorical, datetime), if any."""
        for kind in ("numeric", "categorical", "datetime"):
            if column in getattr(self, kind):
                return kind
        return None

    @property
    def tokens(self) -> frozenset[str]:
        """The missing-value tokens, stripped and lower-cased as values are compared."""
        from treesvsnets.datasets.column_types import NULL_TOKENS

        given = NULL_TOKENS if self.null_tokens is None else self.null_tokens
        return frozenset(token.strip().lower() for token in given)

    def describe(self) -> dict[str, Any]:
        described = {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
        }
        described["null_tokens"] = sorted(self.tokens)
        return described


def _listed(value: Any) -> str:
    """``value`` as a config file writes it (a tuple as a list)."""
    return repr(list(value)) if isinstance(value, tuple) else repr(value)


def check_shape(shape: tuple[int, ...], schema: TableSchema, X: Any, where: str) -> None:
    """A shaped table is all numbers, as many as the shape holds, with none missing (a missing
    value would add an indicator column, and the rows would no longer fit the shape)."""
    size = int(np.prod(shape))
    others = [*schema.categorical, *schema.datetime]
    if others:
        raise DatasetError(
            f"{where}: shape {list(shape)} needs numeric columns only, but "
            f"{', '.join(repr(c) for c in others[:3])} {'is' if len(others) == 1 else 'are'} "
            "not numeric; drop them or leave shape out."
        )
    if len(schema.numeric) != size:
        raise DatasetError(
            f"{where}: shape {list(shape)} holds {size} values but the table has "
            f"{len(schema.numeric)} feature columns."
        )
    gaps = [str(c) for c, n in X.isna().sum().items() if n]
    if gaps:
        raise DatasetError(
            f"{where}: shape {list(shape)} needs complete rows, but column {gaps[0]!r} has "
            'missing values (use missing = "drop" or fill them).'
        )


def check_options(options: TableOptions, columns: list[str], target: str, where: str) -> None:
    """Every column an option names exists, the target is not dropped, no column has two kinds."""
    for key, wanted in (
        ("target", [target]),
        ("drop", options.drop),
        ("categorical", options.categorical),
        ("numeric", options.numeric),
        ("datetime", options.datetime),
        ("keep", options.keep),
    ):
        for column in wanted:
            if column not in columns:
                raise unknown_name(f"column ({key})", column, columns, where=where)
    if target in options.drop:
        raise DatasetError(f"{where}: the target column {target!r} is also listed in drop.")
    kinds = {"categorical": options.categorical, "numeric": options.numeric}
    kinds["datetime"] = options.datetime
    for column in sorted({c for names in kinds.values() for c in names}):
        given = [kind for kind, names in kinds.items() if column in names]
        if len(given) > 1:
            raise DatasetError(
                f"{where}: column {column!r} is declared {' and '.join(given)}; give it one type."
            )
