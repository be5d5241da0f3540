"""A data profile of a user's table, to read before a run (``treesvsnets inspect FILE``).

It reports what the raw file holds (rows, columns, dtypes, missing values and
placeholders, duplicates, class balance, IQR outliers), what the loader makes
of each column (its inferred type, the values that did not parse, the merged
spellings, why a column is dropped, and the encoding each fold will use), and
it warns about leakage (:mod:`.leakage`): a feature that equals the target, or that alone
predicts it perfectly, and a target sorted or grouped in the file's row order (which any
column derived from the row order would leak).

:func:`profile_table` profiles a file as a run with those :class:`TableOptions` would read
it, through the same functions (:func:`~treesvsnets.datasets.tables.read_table`,
``clean_table``, ``read_feature``); :func:`inspect_table` takes the options as keywords (the
Python API's ``treesvsnets.inspect_table``); :func:`.profile_text.format_profile` is
the text ``treesvsnets inspect`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: at most this many rows are used for the leakage check (one small tree per column)
from treesvsnets.datasets.leakage import following_row_order, suspected_leaks, target_order
from treesvsnets.datasets.table_options import TableOptions
from treesvsnets.datasets.tables import (
    clean_table,
    duplicate_rows,
    read_table,
)
from treesvsnets.errors import path_given


@dataclass
class ColumnProfile:
    name: str
    dtype: str  # as read from the file
    kind: str  # what the loader makes of it: numeric, boolean, categorical, datetime, dropped,
    # target (or "?" when the table is refused before its columns are read)
    missing: int  # missing once read: blank cells and placeholders
    distinct: int
    placeholders: int = 0  # text values that stood for missing ('unknown', 'N/A', '?' ...)
    unparsed: int = 0  # values that did not parse as the column's type and became missing
    unparsed_examples: list[str] = field(default_factory=list)
    merged: dict[str, list[str]] = field(default_factory=dict)  # kept spelling -> variants
    encoding: str = ""  # what each fold makes of it
    note: str = ""  # why it was dropped, or what it was parsed from
    outliers: int | None = None  # values beyond the IQR fences (numeric columns)
    example: str = ""


@dataclass
class TableProfile:
    path: str
    rows: int
    columns: list[ColumnProfile]
    target: str
    duplicate_rows: int
    class_counts: dict[str, int]  # classification: the classes a run sees
    constant_columns: list[str]
    leakage: list[str] = field(default_factory=list)
    cleaning: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None  # why a run would refuse this table, if it would
    task: str = "classification"
    target_summary: dict[str, float] = field(default_factory=dict)  # regression: five numbers
    target_order: str | None = None  # how the target follows the file's row order, if it does
    #: with ``target_order``: the features that rise or fall with the row order (an entry
    #: number under another name), which then leak the target
    order_columns: list[str] = field(default_factory=list)
    read_with: dict[str, str] = field(default_factory=dict)  # a text file's sep and decimal
    declared_drops: dict[str, str] = field(default_factory=dict)  # a built-in's: column -> why

    def __str__(self) -> str:
        """The text ``treesvsnets inspect`` prints (``print(inspect_table(...))``)."""
        from treesvsnets.datasets.profile_text import format_profile

        return format_profile(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """A notebook shows that text too, not the dataclass's fields of every column."""
        printer.text(str(self))

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _iqr_outliers(values: Any) -> int:
    """Values beyond the IQR fences the ``clip_outliers`` option would clip to."""
    from treesvsnets.datasets.columns import iqr_fences

    present = values.dropna().to_numpy(dtype=float)
    if len(present) < 4:
        return 0
    lower, upper = iqr_fences(present)
    return int(((present < lower) | (present > upper)).sum())


#: what a column's profile takes from its ColumnReading
_FROM_READING = (
    "kind",
    "missing",
    "distinct",
    "placeholders",
    "unparsed",
    "unparsed_examples",
    "merged",
    "encoding",
    "note",
)


def _read_alone(raw: Any, options: TableOptions, target: str, path: str | Path) -> dict:
    """Each feature column read on its own, for a table a run refuses as a whole (one class,
    say): the profile still shows what every column would become. A column declared with a
    type most of its values do not have is refused (DeclaredTypeError)."""
    from treesvsnets.datasets.base import TableSchema
    from treesvsnets.datasets.columns import describe_encoding
    from treesvsnets.datasets.tables import read_feature
    from treesvsnets.errors import DeclaredTypeError, TreesVsNetsError

    readings = {}
    schema = TableSchema(
        (), (), max_onehot=options.max_onehot, high_cardinality=options.high_cardinality
    )
    for name in raw.columns:
        if name == target or name in options.drop:
            continue
        try:
            _, reading = read_feature(
                raw[name],
                options,
                f"data file {str(path)!r}",
                decimal=raw.attrs.get("read_with", {}).get("decimal", "."),
            )
        except DeclaredTypeError:
            raise  # the user's declaration is wrong: refused, as in a run
        except TreesVsNetsError:
            continue
        reading.encoding = describe_encoding(reading, schema)
        readings[name] = reading
    return readings


def _leaks(dataset: Any) -> list[str]:
    """The suspected leaks of ``dataset``'s features, after the copies of its target a run
    drops (named first: the user should remove them from the file)."""
    if dataset is None:
        return []
    copies = dataset.cleaning.get("columns_dropped_as_target_copies", [])
    return [
        f"{name}: holds the target itself (a copy of it; a run drops it)" for name in copies
    ] + suspected_leaks(dataset.X, dataset.y, dataset.schema)


def _column_profiles(
    raw: Any, readings: dict[str, Any], options: TableOptions, target: str, dataset: Any
) -> list[ColumnProfile]:
    """Each column of the file as read (``raw``) with what its reading made of it (the
    ``dataset`` a run would use, or None when a run refuses the table)."""
    from treesvsnets.datasets.column_types import null_mask, odd_value_types

    columns = []
    for name in raw.columns:
        values = raw[name]
        reading = readings.get(name)
        present = values.dropna()
        column = ColumnProfile(
            name=name,
            dtype=str(values.dtype),
            kind="target" if name == target else "?",
            missing=int(values.isna().sum()),
            # a column the loader read has its distinct values from its reading, below
            distinct=0 if reading is not None else int(present.astype(str).nunique()),
            example=str(present.iloc[0])[:30] if len(present) else "",
        )
        if name == target:  # placeholders are missing targets, as a run counts them
            said = {} if dataset is None else dataset.cleaning
            kept = {t for t in ("none", "na") if said.get(f"target_{t}_as_class")}
            missing = null_mask(values, options.tokens - kept)
            column.missing, column.placeholders = (
                int(missing.sum()),
                int((missing & values.notna()).sum()),
            )
            known = values[~missing].astype(str).str.strip()
            column.distinct, column.example = (
                int(known.nunique()),
                known.iloc[0] if len(known) else "",
            )
        elif name in options.drop:
            column.kind, column.note, column.encoding = "dropped", "by request (drop)", "dropped"
        elif odd := odd_value_types(values):  # a run refuses the table for it
            column.kind, column.note = "refused", f"{', '.join(odd)} values: no feature"
            column.encoding = "none: drop it or flatten it"
        elif reading is not None:
            for key in _FROM_READING:
                setattr(column, key, getattr(reading, key))
            if dataset is not None and reading.kind in ("numeric", "boolean"):
                column.outliers = _iqr_outliers(dataset.X[name])
        columns.append(column)
    return columns


def profile_table(
    path: str | Path, options: TableOptions | None = None, raw: Any = None
) -> TableProfile:
    """Profile the table at ``path`` as ``options`` would read it (``raw``: its frame, already
    read, for a table that is no file; ``path`` then only names it).

    Raises :class:`~treesvsnets.errors.TreesVsNetsError` when the file cannot be read or
    the options are wrong (an unknown column, a column given two types, a column forced
    to a type most of its values do not have); a table a run would refuse for its data
    (one class, say) is profiled anyway, with the reason in ``problem``.
    """
    from treesvsnets.datasets.column_types import null_mask
    from treesvsnets.datasets.table_options import check_options
    from treesvsnets.errors import DeclaredTypeError, TreesVsNetsError

    options = options or TableOptions()
    raw = read_table(path, options.sep, options.decimal) if raw is None else raw
    target = options.target if options.target is not None else raw.columns[-1]
    check_options(options, list(raw.columns), target, f"data file {str(path)!r}")
    dataset, problem = None, None
    try:
        dataset = clean_table(raw, path, options)
    except DeclaredTypeError:
        raise  # a wrong declaration is the user's input, refused as in a run
    except TreesVsNetsError as exc:
        problem = str(exc)
    else:  # its classes in every fold, at the run's default folds: a run checks it too
        problem = _folds_problem(dataset)
    readings = (
        {r.name: r for r in dataset.columns}
        if dataset is not None
        else _read_alone(raw, options, target, path)
    )
    columns = _column_profiles(raw, readings, options, target, dataset)
    summary: dict[str, float] = {}
    if dataset is not None and dataset.is_regression:
        class_counts = {}
        summary = dataset.describe()["target"]
    elif dataset is not None:  # the classes a run sees: placeholders out, spellings merged
        counts = np.bincount(dataset.y, minlength=dataset.n_classes)
        order = np.argsort(-counts, kind="stable")
        class_counts = {dataset.class_names[i]: int(counts[i]) for i in order}
    else:  # refused: its labels as written, unless there are too many to be classes
        labels = raw[target][~null_mask(raw[target], options.tokens)].astype(str).str.strip()
        counts = labels.value_counts()
        class_counts = {str(k): int(v) for k, v in counts.items()} if len(counts) <= 100 else {}
    return TableProfile(
        path=str(path),
        rows=len(raw),
        columns=columns,
        target=str(target),
        duplicate_rows=(  # judged without the row index, as a run judges them
            int(
                dataset.cleaning.get("duplicate_rows_kept")
                or dataset.cleaning.get("duplicate_rows_removed", 0)
            )
            if dataset is not None
            else int(duplicate_rows(raw).sum())
        ),
        class_counts=class_counts,
        constant_columns=[c.name for c in columns if c.note.startswith("constant")],
        leakage=_leaks(dataset),
        target_order=(order := target_order(dataset.y) if dataset is not None else None),
        order_columns=following_row_order(dataset.X) if order else [],
        cleaning=dataset.cleaning if dataset is not None else {},
        problem=problem,
        task=dataset.task if dataset is not None else "classification",
        target_summary=summary,
        read_with=dict(raw.attrs.get("read_with", {})),
    )


#: the folds a run makes unless told otherwise (RunConfig.folds)
DEFAULT_FOLDS = 5


def _folds_problem(dataset: Any) -> str | None:
    """Why a run with :data:`DEFAULT_FOLDS` folds would refuse ``dataset``'s classes, or None
    (inspect said "rows a run would use" of tables whose run was refused at once)."""
    from treesvsnets.datasets.fold_counts import check_folds
    from treesvsnets.errors import DatasetError

    try:
        check_folds(dataset, DEFAULT_FOLDS)
    except DatasetError as exc:
        return str(exc)
    return None


def inspect_table(
    path: Any, target: str | None = None, data_dir: str | Path | None = None, **options: Any
) -> TableProfile:
    """Profile a table file: ``inspect_table("data.csv", target="label", drop=["id"])``, or a
    pandas DataFrame as that file would be read (``inspect_table(frame, target="label")``).

    ``options`` are those of a config file's dataset entry (see TableOptions). An OpenML name
    (``openml:31``) profiles its cached table (from ``data_dir``, else $TREESVSNETS_DATA_DIR),
    with its declared target, task and nominal columns unless ``options`` say otherwise. A
    built-in real table's name (``olive``) profiles its frame as its package ships it, traps
    included, with the columns its definition drops and why (``declared_drops``).
    """
    import pandas as pd

    from treesvsnets.datasets.openml_data import openml_table, parse_name

    name = "the DataFrame" if isinstance(path, pd.DataFrame) else str(path_given(path))
    checked = TableOptions.from_given(name, {"target": target, **options})  # names a typo
    if isinstance(path, pd.DataFrame):  # a frame in a notebook: profiled as read from a file
        return profile_table(name, checked, raw=path)
    options = {key: getattr(checked, key) for key in options}
    if not Path(path).exists() and parse_name(str(path)) is None:
        built_in = _built_in_profile(str(path), target, options)
        if built_in is not None:
            return built_in
    if parse_name(str(path)) is not None:
        table = openml_table(str(path), data_dir)
        declared, path, target = table.options, table.path, target or table.options.target
        given = {c for key in ("numeric", "datetime", "drop") for c in options.get(key) or ()}
        nominal = [c for c in declared.categorical if c not in given and c != target]
        options["categorical"] = (*nominal, *(options.get("categorical") or ()))
        options.setdefault("task", declared.task if target == declared.target else None)
    return profile_table(path, TableOptions(target=target, **options))


def _built_in_profile(name: str, target: str | None, options: dict) -> TableProfile | None:
    """The profile of the built-in real table ``name`` (None for a name that is none); a
    built-in that is no table of a package is one sentence."""
    from treesvsnets.datasets.real_tables import package_frame, real_table
    from treesvsnets.datasets.registry import all_infos
    from treesvsnets.errors import DatasetError

    table = real_table(name)
    if table is None:
        if name in {found.name for found in all_infos()}:
            raise DatasetError(
                f"dataset {name!r} is a built-in, not a table file: inspect profiles a table "
                "file, a built-in real table (treesvsnets list datasets) or an OpenML name."
            )
        return None
    task = options.pop("task", None) or (table.task if target in (None, table.target) else None)
    given = TableOptions(target=target or table.target, task=task, **options)
    profile = profile_table(f"{table.package} {table.item}", given, raw=package_frame(table))
    profile.declared_drops = dict(table.drop)
    if table.cap is not None and profile.cleaning.get("rows_used", 0) > table.cap:
        profile.cleaning["row_cap"] = (
            f"capped at {table.cap} by its definition (seeded, stratified)"
        )
    return profile
