"""A user's own table (CSV, TSV, Parquet) as a Dataset, with its types unified and its rows cleaned.

What happens here is what must happen once, before any split: reading the
file, choosing the target, parsing numeric strings and booleans, deciding
which columns are categorical, dropping exact duplicate rows and rows
without a target. Everything that learns a statistic (imputation, clipping,
scaling, encoding) happens later, inside each training fold
(:mod:`treesvsnets.datasets.columns`). Each step is recorded in
``Dataset.cleaning`` and so in the run's manifest.

Bad data raises a DatasetError naming the file and, where there is one, the
column, before anything is trained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from treesvsnets.datasets.base import Dataset, TableSchema, encode_labels
from treesvsnets.errors import DatasetError, unknown_name

SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": None, ".parquet": None, ".pq": None}
#: numbers beyond this overflow when squared (a variance), so scaling would give inf or NaN
LARGEST_NUMBER = 1e150
_TRUE = {"true", "yes", "y", "t"}
_FALSE = {"false", "no", "n", "f"}


def looks_like_table(name: str) -> bool:
    """Whether a dataset name given by the user is a file path rather than a registered name."""
    return Path(name).suffix.lower() in SUFFIXES or "/" in name or "\\" in name


@dataclass(frozen=True)
class TableOptions:
    """How to read one table: its target, columns to drop or treat as categorical."""

    target: str | None = None  # default: the last column
    drop: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()  # forced categorical (others are detected)
    numeric: tuple[str, ...] = ()  # forced numeric
    missing: str = "impute"  # or "drop": rows with a missing feature are dropped
    clip_outliers: bool = False  # clip numeric features to the training fold's IQR fences
    max_onehot: int = 20  # categories above this are ordinal-encoded instead of one-hot
    categorical_max_values: int = 0  # numbers with at most this many values are categories

    def __post_init__(self) -> None:
        if self.missing not in ("impute", "drop"):
            raise DatasetError(f"missing must be 'impute' or 'drop', got {self.missing!r}.")
        for key in ("max_onehot", "categorical_max_values"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DatasetError(f"{key} must be a whole number of at least 0, got {value!r}.")

    def describe(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "drop": list(self.drop),
            "categorical": list(self.categorical),
            "numeric": list(self.numeric),
            "missing": self.missing,
            "clip_outliers": self.clip_outliers,
            "max_onehot": self.max_onehot,
            "categorical_max_values": self.categorical_max_values,
        }


def read_table(path: str | Path) -> Any:
    """The file as a DataFrame; a missing, unknown or unreadable file is one clear sentence."""
    import pandas as pd

    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DatasetError(f"data file {str(path)!r} does not exist.")
    if suffix not in SUFFIXES:
        raise DatasetError(
            f"data file {str(path)!r} has an unknown type {suffix or '(no suffix)'!r}; "
            "use .csv, .tsv or .parquet."
        )
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(
                path, sep=SUFFIXES[suffix], engine="python" if suffix == ".txt" else "c"
            )
    except (ValueError, OSError, UnicodeDecodeError, ImportError) as exc:
        message = " ".join(str(exc).split())
        raise DatasetError(f"data file {str(path)!r} cannot be read: {message}.") from None
    if frame.shape[1] < 2:
        raise DatasetError(
            f"data file {str(path)!r} has {frame.shape[1]} column(s); a table needs at least a "
            "feature and a target (is the separator right?)."
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise DatasetError(f"data file {str(path)!r} has repeated column names: {duplicated}.")
    return frame


def _as_number(column: Any) -> Any | None:
    """The column as floats when every present value is a number (or a boolean word), else None."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(column):
        return column.astype(float)
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    text = column.dropna().astype(str).str.strip()
    lowered = text.str.lower()
    if len(text) and lowered.isin(_TRUE | _FALSE).all():
        mapped = (
            column.astype(str)
            .str.strip()
            .str.lower()
            .map(lambda v: 1.0 if v in _TRUE else 0.0 if v in _FALSE else np.nan)
        )
        return mapped.where(column.notna())
    parsed = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    if len(text) and parsed.notna().all():
        return pd.to_numeric(
            column.astype(str).str.strip().str.replace(",", "", regex=False), errors="coerce"
        ).where(column.notna())
    return None


def _check_encodable(values: Any, column: str, where: str) -> None:
    """Refuse a column of lists, dicts or bytes: no encoder can turn those into features."""
    kinds = {type(v) for v in values.dropna().iloc[:1000]}
    odd = sorted(
        k.__name__ for k in kinds if not issubclass(k, str | bool | int | float | np.generic)
    )
    if odd:
        raise DatasetError(
            f"{where}: column {column!r} holds {', '.join(odd)} values that cannot be encoded "
            "as features; drop it (drop = [...]) or flatten it into plain columns."
        )


def _check_magnitude(numbers: Any, column: str, where: str) -> None:
    """Refuse numbers so large that scaling them overflows to inf or NaN."""
    largest = float(numbers.abs().max())
    if largest > LARGEST_NUMBER:
        raise DatasetError(
            f"{where}: column {column!r} holds values as large as {largest:.3g}, which overflow "
            "when scaled; rescale the column (e.g. to log units) or drop it."
        )


@dataclass
class _Cleaning:
    steps: dict[str, Any] = field(default_factory=dict)

    def note(self, key: str, value: Any) -> None:
        if value:
            self.steps[key] = value


def load_table(path: str | Path, options: TableOptions | None = None, name: str | None = None):
    """Read ``path`` and return a Dataset whose X is a DataFrame of numeric and string columns."""
    return clean_table(read_table(path), path, options, name)


def clean_table(
    frame: Any, path: str | Path, options: TableOptions | None = None, name: str | None = None
):
    """The Dataset of ``frame`` as read from ``path`` (``frame`` itself is left unchanged)."""
    import pandas as pd

    options = options or TableOptions()
    where = f"data file {str(path)!r}"
    cleaning = _Cleaning()
    cleaning.note("rows_read", len(frame))
    columns = list(frame.columns)
    target = options.target if options.target is not None else columns[-1]
    cleaning.steps["target"] = repr(target) + ("" if options.target else " (the last column)")
    for key, wanted in (
        ("target", [target]),
        ("drop", options.drop),
        ("categorical", options.categorical),
        ("numeric", options.numeric),
    ):
        for column in wanted:
            if column not in columns:
                raise unknown_name(f"column ({key})", column, columns, where=where)
    if target in options.drop:
        raise DatasetError(f"{where}: the target column {target!r} is also listed in drop.")
    if set(options.categorical) & set(options.numeric):
        both = sorted(set(options.categorical) & set(options.numeric))
        raise DatasetError(f"{where}: column(s) {both} are declared both categorical and numeric.")
    frame = frame.drop(columns=list(options.drop))
    cleaning.note("columns_dropped", list(options.drop))

    labels = frame[target]
    missing_target = int(labels.isna().sum())
    frame = frame[labels.notna()]
    cleaning.note("rows_without_target_dropped", missing_target)
    if frame.empty:
        raise DatasetError(f"{where} has no row with a target value in column {target!r}.")
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise DatasetError(f"{where} has no feature columns besides the target {target!r}.")

    numeric, categorical, parsed, constant, empty = [], [], [], [], []
    unified = {}
    for column in features.columns:
        values = features[column]
        if values.isna().all():
            empty.append(column)
            continue
        _check_encodable(values, column, where)
        as_number = None if column in options.categorical else _as_number(values)
        if column in options.numeric and as_number is None:
            bad = values.dropna().astype(str)
            example = bad[pd.to_numeric(bad, errors="coerce").isna()].iloc[0]
            raise DatasetError(
                f"{where}: column {column!r} is declared numeric but holds {example!r}."
            )
        if as_number is not None:
            as_number = as_number.replace([np.inf, -np.inf], np.nan).astype(float)
            _check_magnitude(as_number, column, where)
            few = as_number.nunique(dropna=True) <= options.categorical_max_values
            if few and column not in options.numeric:  # e.g. grades 1-5: categories, not sizes
                as_number = None
        if as_number is not None:
            if not pd.api.types.is_numeric_dtype(values):
                parsed.append(column)
            unified[column] = as_number
            numeric.append(column)
        else:
            text = values.astype("string").str.strip().astype(object)
            unified[column] = text.where(values.notna(), np.nan)
            categorical.append(column)
        if unified[column].nunique(dropna=True) <= 1:
            constant.append(column)
    cleaning.note("columns_all_missing_dropped", empty)
    cleaning.note("columns_parsed_as_numbers", parsed)
    cleaning.note("constant_columns", constant)
    X = pd.DataFrame(unified, index=features.index)[numeric + categorical]
    if not len(X.columns):
        raise DatasetError(f"{where}: every feature column is empty.")
    y_raw = labels[labels.notna()].astype(str).str.strip()

    keep = ~pd.concat([X, y_raw.rename("__target__")], axis=1).duplicated()
    cleaning.note("duplicate_rows_removed", int((~keep).sum()))
    X, y_raw = X[keep], y_raw[keep]
    if options.missing == "drop":
        complete = X.notna().all(axis=1)
        cleaning.note("rows_with_missing_values_dropped", int((~complete).sum()))
        X, y_raw = X[complete], y_raw[complete]
    else:
        missing = {c: int(n) for c, n in X.isna().sum().items() if n}
        cleaning.note("missing_values_imputed_per_fold", missing)
    if len(X) == 0:
        raise DatasetError(f"{where} has no rows left after cleaning.")
    codes, class_names = encode_labels(y_raw.to_numpy())
    if len(class_names) < 2:
        raise DatasetError(
            f"{where}: target column {target!r} has a single class ({class_names[0]!r}); "
            "classification needs at least two."
        )
    cleaning.note("rows_used", len(X))
    schema = TableSchema(
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        clip_outliers=options.clip_outliers,
        max_onehot=options.max_onehot,
        target=target,
    )
    return Dataset(
        name=name or str(path),
        X=X.reset_index(drop=True),
        y=codes,
        class_names=class_names,
        feature_names=tuple(X.columns),
        source=f"{path} (target {target!r})",
        schema=schema,
        cleaning=cleaning.steps,
    )
