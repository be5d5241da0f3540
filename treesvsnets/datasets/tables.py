"""A user's own table (CSV, TSV, Parquet) as a Dataset, with its types unified and its rows cleaned.

What happens here is what must happen once, before any split: reading the
file, dropping exact duplicate rows (judged on the rows as read) and rows
without a target, and reading each column's type as an analyst would
(:mod:`treesvsnets.datasets.column_types`: placeholders such as "unknown" as
missing, "$1,234" and "12%" as numbers, yes/no as booleans, dates, case
variants of a category merged, identifiers and constants dropped). Everything
that learns a statistic (imputation, clipping,
scaling, encoding) happens later, inside each training fold
(:mod:`treesvsnets.datasets.columns`). Each step is recorded in
``Dataset.cleaning`` and so in the run's manifest.

Bad data raises a DatasetError naming the file and, where there is one, the
column, before anything is trained.

:func:`~treesvsnets.datasets.table_files.read_table` reads the file (.csv, .tsv, .txt, also
compressed, .parquet, .feather, .arrow, .xlsx; a text file's separator and decimal mark
detected, recorded as ``read_with``); :func:`load_table` is ``read_table`` then
:func:`clean_table`, which takes a frame already read (``inspect`` reuses it): the file's row
index is dropped first (:func:`row_index_readings`), exact duplicates are judged on the rows
as read less that index, then the rows without a target go, then every column is read by
:func:`read_feature` (:func:`~treesvsnets.datasets.column_types.read_column` as the table's
options say, shared with ``inspect``). ``Dataset.columns`` keeps each column's reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from treesvsnets.datasets.base import Dataset, TableSchema, restrict_folds
from treesvsnets.datasets.decimal_commas import (
    comma_guessed,
    commas_may_follow,
    holds_a_comma_number,
    written_with_commas,
    written_with_points,
)
from treesvsnets.datasets.duplicates import copied, duplicate_rows
from treesvsnets.datasets.table_files import (  # looks_like_table: the config's, the registry's
    looks_like_table,  # noqa: F401
    read_table,
)
from treesvsnets.datasets.table_options import (
    TableOptions,
    check_options,
    check_shape,
)
from treesvsnets.datasets.target import encoded_target, whole_as_int
from treesvsnets.errors import DatasetError
from treesvsnets.tasks import REGRESSION

#: numbers beyond this overflow when squared (a variance), so scaling would give inf or NaN
LARGEST_NUMBER = 1e150


def _check_encodable(values: Any, column: str, where: str) -> None:
    """Refuse a column of lists, dicts or bytes: no encoder can turn those into features."""
    from treesvsnets.datasets.column_types import odd_value_types

    odd = odd_value_types(values)
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
    options = options or TableOptions()
    return clean_table(read_table(path, options.sep, options.decimal), path, options, name)


def clean_table(
    frame: Any,
    path: str | Path,
    options: TableOptions | None = None,
    name: str | None = None,
    *,
    folds: tuple[np.ndarray, ...] | None = None,
):
    """The Dataset of ``frame`` as read from ``path`` (``frame`` itself is left unchanged);
    ``folds``, each fold's test rows numbered as in ``frame``, become its ``predefined_folds``
    over the rows kept.

    The order matters: the file's row index goes first, then exact duplicate rows are
    judged on the rows as read, over every other column, before any column the user drops is
    dropped (rows that share their features but not their label are real data and stay);
    then the target's missing rows go; then each feature column is read by
    :func:`~treesvsnets.datasets.column_types.read_column`, and the target by
    :func:`~treesvsnets.datasets.target.read_target`.
    """
    from treesvsnets.datasets.columns import describe_encoding
    from treesvsnets.datasets.leakage import finer_than_target, without_target_copies

    options = options or TableOptions()
    where = f"data file {str(path)!r}"
    if folds is not None:  # row numbers from 0, so the rows kept can be told apart
        frame = frame.reset_index(drop=True)
    cleaning = _Cleaning()
    read_with = frame.attrs.get("read_with", {})  # a text file's separator and decimal mark
    cleaning.note("read_with", dict(read_with))
    rows_read = len(frame)
    cleaning.note("rows_read", rows_read)
    columns = list(frame.columns)
    target = options.target if options.target is not None else columns[-1]
    cleaning.steps["target"] = repr(target) + ("" if options.target else " (the last column)")
    check_options(options, columns, target, where)

    frame, readings = _kept_rows(frame, options, target, where, cleaning)
    X = _read_features(frame.drop(columns=[target]), options, where, readings, read_with)
    task, y_raw = _read_labels(frame[target], options, target, where, cleaning)
    _note_readings(cleaning, readings)
    X, y_raw = _complete_rows(X, y_raw, options, where, cleaning, readings)
    X, copies = without_target_copies(
        X, y_raw, task == REGRESSION, options.keep, readings, f"{where}: target {target!r}"
    )
    cleaning.note("columns_dropped_as_target_copies", copies)
    codes, class_names = encoded_target(y_raw, task, target, where)
    cleaning.note("rows_used", len(X))
    kinds = {r.name: r.kind for r in readings}
    schema = TableSchema(
        numeric=tuple(c for c in X.columns if kinds[c] in ("numeric", "boolean")),
        categorical=tuple(c for c in X.columns if kinds[c] == "categorical"),
        datetime=tuple(c for c in X.columns if kinds[c] == "datetime"),
        clip_outliers=options.clip_outliers,
        max_onehot=options.max_onehot,
        high_cardinality=options.high_cardinality,
        target=target,
    )
    for reading in readings:
        reading.encoding = describe_encoding(reading, schema)
    if task != REGRESSION:  # said in the run's first line, as inspect says it
        cleaning.note("columns_finer_than_target", finer_than_target(X, codes, schema.categorical))
    shape = options.shape
    if shape is not None:
        check_shape(shape, schema, X, where)
    return Dataset(
        name=name or str(path),
        predefined_folds=None if folds is None else restrict_folds(folds, X.index, rows_read),
        X=X.reset_index(drop=True),
        y=codes,
        class_names=class_names,
        feature_names=tuple(X.columns),
        source=f"{path} (target {target!r})",
        schema=schema,
        cleaning=cleaning.steps,
        columns=tuple(readings),
        task=task,
        image_shape=shape if shape is not None and len(shape) == 3 else None,
        sequence_shape=shape if shape is not None and len(shape) == 2 else None,
    )


#: Exact duplicate rows are removed while they are at most this share of a table's rows: a
#: copy (a file appended twice, a join gone wrong) would sit on both sides of a split and
#: flatter every model. Where more rows repeat, the table has few distinct rows (a few
#: categorical columns: sex, class, survived), its repeats are observations, and removing
#: them would leave a handful of rows: all are kept, and the run's first line says so.
DUPLICATES_REMOVED_UP_TO = 0.10


def _kept_rows(
    frame: Any, options: TableOptions, target: str, where: str, cleaning: _Cleaning
) -> tuple[Any, list[Any]]:
    """The rows and columns a run uses, and the readings of the row index dropped: the file's
    row index goes first (it makes every row distinct), then exact duplicate rows (judged
    over every other column; kept where they are more than
    :data:`DUPLICATES_REMOVED_UP_TO` of the rows), the columns the user drops, and the rows
    without a target."""
    from treesvsnets.datasets.column_types import null_mask
    from treesvsnets.datasets.summary_rows import header_rows, totals_rows
    from treesvsnets.datasets.target import (
        check_last_column_as_target,
        check_last_column_filled,
        is_na,
        is_none,
        target_tokens,
    )

    for column in frame.columns:  # lists or dicts cannot be compared, so not deduplicated either
        if column not in options.drop:
            _check_encodable(frame[column], column, where)
    headers = header_rows(frame)  # files appended one to another, each with its header
    if headers:
        cleaning.note("header_rows_dropped", len(headers))
        frame = frame.drop(index=headers)
    totals = totals_rows(frame)  # a sheet's TOTAL row: no observation
    if totals:
        cleaning.note("totals_rows_dropped", len(totals))
        frame = frame.drop(index=totals)
    if options.target is None:
        check_last_column_as_target(frame[target], where)
    index_readings = row_index_readings(frame, options, target)
    index_columns = [reading.name for reading in index_readings]
    cleaning.note("columns_dropped_as_row_index", index_columns)
    frame = frame.drop(columns=index_columns)
    duplicated = duplicate_rows(frame)
    repeats = int(duplicated.sum())
    many = repeats > DUPLICATES_REMOVED_UP_TO * len(frame)
    if many and not copied(frame, duplicated):  # observations, not copies: all kept
        cleaning.note("duplicate_rows_kept", repeats)
        duplicated[:] = False
    cleaning.note("duplicate_rows_removed", int(duplicated.sum()))
    frame = _rows(frame, ~duplicated).drop(columns=list(options.drop))
    cleaning.note("columns_dropped", list(options.drop))

    tokens = target_tokens(frame[target], options, target, where)
    if "none" in options.tokens - tokens:
        cleaning.note("target_none_as_class", int(is_none(frame[target]).sum()))
    if "na" in options.tokens - tokens:
        cleaning.note("target_na_as_class", int(is_na(frame[target]).sum()))
    has_target = ~null_mask(frame[target], tokens)
    blank = int((~has_target).sum())
    if options.target is None:
        check_last_column_filled(target, blank, len(frame), where)
    cleaning.note("rows_without_target_dropped", blank)
    frame = _rows(frame, has_target)
    if frame.empty:
        raise DatasetError(f"{where} has no row with a target value in column {target!r}.")
    if frame.shape[1] == 1:
        index = (
            f" ({', '.join(repr(c) for c in index_columns)}: the file's row index, dropped; keep "
            "it with keep = [...] if it is a real feature)"
            if index_columns
            else ""
        )
        raise DatasetError(f"{where} has no feature columns besides the target {target!r}{index}.")
    return frame, list(index_readings)


def _rows(frame: Any, kept: Any) -> Any:
    """The rows of ``frame`` where ``kept`` is true (``frame`` itself when all are: no copy)."""
    return frame if kept.all() else frame[kept]


def _read_features(
    features: Any, options: TableOptions, where: str, readings: list, read_with: dict[str, str]
) -> Any:
    """Every feature column read as ``options`` say (a reading appended to ``readings`` each;
    numbers in text with the decimal mark the file was read with, or with decimal commas
    for a column that is numbers only so, where they may follow: :func:`_commas_may_follow`);
    the columns kept, as a DataFrame on the rows' index."""
    import pandas as pd

    decimal = read_with.get("decimal", ".")
    commas = commas_may_follow(features, read_with, options)
    guessed = comma_guessed(features, read_with, options)

    unified: dict[str, Any] = {}
    for column in features.columns:
        values = features[column]
        result, reading = read_feature(values, options, where, decimal=decimal)
        unread = (  # text: categories, or distinct numbers taken for an identifier's values
            reading.kind == "categorical"
            or (reading.kind == "dropped" and reading.note.startswith("an identifier"))
            or (reading.kind == "numeric" and reading.unparsed)
        )
        if (
            unread
            and options.forced_kind(column) is None
            and (commas or (decimal == "." and written_with_commas(values)))
            and holds_a_comma_number(values)
        ):
            again, second = read_feature(values, options, where, decimal=",")
            if second.kind == "numeric" and (
                reading.kind != "numeric" or second.unparsed < reading.unparsed
            ):  # '45,4' beside '3,096', which the point read as 3096: all are decimals
                result, reading = again, second
                reading.note += " with decimal commas (unlike the file's first lines)"
        elif options.forced_kind(column) is None and written_with_points(values, reading, guessed):
            again, second = read_feature(values, options, where, decimal=".")
            if second.kind == "numeric" and second.unparsed <= reading.unparsed:
                result, reading = again, second  # '4990.754' beside '86.478': decimals
                reading.note += " with decimal points (not the comma guessed from the first lines)"
        if reading.kind in ("numeric", "boolean"):
            _check_magnitude(result, column, where)
            few = (  # (0: only a column with no number left, which nunique would count)
                result.nunique(dropna=True) <= options.categorical_max_values
                if options.categorical_max_values
                else not result.notna().any()
            )
            if few and options.forced_kind(column) is None:  # grades 1-5: categories, not sizes
                result, reading = read_feature(
                    values, options, where, as_categories=True, decimal=decimal
                )
                reading.forced, reading.note = False, "few distinct numbers, as categories"
        readings.append(reading)
        if result is not None:
            unified[column] = result
    if not unified:
        raise DatasetError(
            f"{where}: no feature column is left to learn from ("
            + "; ".join(f"{r.name!r}: {r.note}" for r in readings)
            + "); keep one with keep = [...] or declare its type."
        )
    return pd.DataFrame(unified, index=features.index)


def _read_labels(
    values: Any, options: TableOptions, target: str, where: str, cleaning: _Cleaning
) -> tuple[str, Any]:
    """The task the target column asks for, and its values: numbers for regression, class
    labels with their case variants merged for classification, and yes/no words written
    several ways merged into two classes."""
    from treesvsnets.datasets.target import far_values, read_target
    from treesvsnets.datasets.text_values import merge_case_variants, merge_yes_no

    reading = read_target(values, options.task, target, where)
    cleaning.steps["task"] = f"{reading.task} ({reading.reason})"
    if reading.task == REGRESSION:
        cleaning.note("target_far_values", far_values(reading.numbers))
        return reading.task, reading.numbers
    labels, merged = merge_case_variants(whole_as_int(values).astype(str))
    labels, words = merge_yes_no(labels)  # yes and Y, no and N: two classes, not four
    for kept, others in words.items():
        merged[kept] = sorted({*merged.get(kept, []), *others})
    cleaning.note("target_spellings_merged", merged)
    return reading.task, labels


def _complete_rows(
    X: Any, y: Any, options: TableOptions, where: str, cleaning: _Cleaning, readings: list
) -> tuple[Any, Any]:
    """The rows with a missing feature dropped (``missing = "drop"``), or counted for the
    fold's imputation (each column's ``readings`` counted its values missing once read); a
    table left without rows is refused."""
    if options.missing == "drop":
        complete = X.notna().all(axis=1)
        cleaning.note("rows_with_missing_values_dropped", int((~complete).sum()))
        X, y = _rows(X, complete), _rows(y, complete)
    else:
        gaps = {reading.name: reading.missing for reading in readings}
        missing = {c: gaps[str(c)] for c in X.columns if gaps[str(c)]}
        cleaning.note("missing_values_imputed_per_fold", missing)
    if len(X) == 0:
        raise DatasetError(f"{where} has no rows left after cleaning.")
    return X, y


def row_index_readings(frame: Any, options: TableOptions, target: str) -> list[Any]:
    """The readings of the columns of ``frame`` (as read, rows in file order) that are the
    file's row index (:func:`~treesvsnets.datasets.column_types.row_index_reason`); never the
    target, nor a column the user drops, keeps or declares a type for."""
    from treesvsnets.datasets.column_types import index_reading, row_index_reason

    spared = {target, *options.drop, *options.keep}
    found = []
    for position, column in enumerate(frame.columns):
        if column in spared or options.forced_kind(column) is not None:
            continue
        reason = row_index_reason(frame[column], first=position == 0)
        if reason is not None:
            found.append(index_reading(frame[column], reason))
    return found


def read_feature(
    values: Any,
    options: TableOptions,
    where: str,
    *,
    as_categories: bool = False,
    decimal: str = ".",
) -> tuple[Any, Any]:
    """One feature column read as ``options`` say (its declared kind, keep, the missing-value
    tokens; numbers in text with the file's ``decimal`` mark):
    :func:`~treesvsnets.datasets.column_types.read_column`'s values and reading."""
    from treesvsnets.datasets.column_types import read_column

    name = str(values.name)
    return read_column(
        values,
        forced="categorical" if as_categories else options.forced_kind(name),
        keep=name in options.keep,
        tokens=options.tokens,
        where=where,
        decimal=decimal,
    )


def _note_readings(cleaning: _Cleaning, readings: list[Any]) -> None:
    """The cleaning record's summary of the column readings (the readings themselves are kept
    whole in ``Dataset.columns``)."""
    dropped = [r for r in readings if r.kind == "dropped"]
    for key, prefix in (
        ("columns_all_missing_dropped", "empty"),
        ("columns_dropped_as_identifiers", "an identifier"),
        ("constant_columns_dropped", "constant"),
    ):
        cleaning.note(key, [r.name for r in dropped if r.note.startswith(prefix)])
    cleaning.note(
        "columns_parsed_from_text",
        {r.name: r.kind for r in readings if r.note.startswith(("parsed", "yes/no"))},
    )
    cleaning.note(
        "placeholders_as_missing", {r.name: r.placeholders for r in readings if r.placeholders}
    )
    cleaning.note(
        "values_unparsed_as_missing",
        {r.name: r.unparsed for r in readings if r.unparsed and r.kind != "dropped"},
    )
    cleaning.note("category_spellings_merged", {r.name: r.merged for r in readings if r.merged})
