"""A data profile of a user's table, to read before a run (``treesvsnets inspect FILE``).

It reports what the raw file holds (rows, columns, dtypes, missing values and
placeholders, duplicates, class balance, IQR outliers), what the loader makes
of each column (its inferred type, the values that did not parse, the merged
spellings, why a column is dropped, and the encoding each fold will use), and
it warns about leakage: a feature that equals the target, or that alone
predicts it perfectly, and a target sorted or grouped in the file's row order (which any
column derived from the row order would leak).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from treesvsnets.datasets.tables import TableOptions, clean_table, read_table

#: at most this many rows are used for the leakage check (one small tree per column)
LEAKAGE_SAMPLE = 20_000


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


def _leaks(X: Any, y: np.ndarray, schema: Any, seed: int = 0) -> list[str]:
    """Features that equal the target, or that predict it perfectly on their own.

    A categorical column predicts perfectly when each of its values goes with
    one class, and it is no identifier (fewer distinct values than half the
    rows). A numeric column predicts perfectly when a small tree on it alone
    scores 100% in 3-fold cross-validation.
    """
    import pandas as pd
    from sklearn.model_selection import cross_val_score
    from sklearn.tree import DecisionTreeClassifier

    if len(X) > LEAKAGE_SAMPLE:
        keep = np.random.default_rng(seed).choice(len(X), LEAKAGE_SAMPLE, replace=False)
        X, y = X.iloc[keep], y[keep]
    if np.issubdtype(y.dtype, np.floating):
        return _regression_leaks(X, y, schema, seed)
    n_classes = len(np.unique(y))
    found = []
    for column in schema.categorical:
        values = X[column].fillna("(missing)").to_numpy()
        classes_per_value = pd.Series(y).groupby(values).nunique()
        if (classes_per_value == 1).all() and len(classes_per_value) < len(values) / 2:
            if len(classes_per_value) == n_classes:
                found.append(f"{column}: holds the target itself (one value per class)")
            else:
                found.append(f"{column}: each of its values goes with a single class")
    folds = min(3, int(np.bincount(y).min()))
    for column in schema.numeric:
        values = X[[column]].fillna(X[column].median() if X[column].notna().any() else 0.0)
        if values[column].nunique() <= 1 or folds < 2:
            continue
        tree = DecisionTreeClassifier(max_leaf_nodes=2 * n_classes, random_state=seed)
        if cross_val_score(tree, values, y, cv=folds).min() >= 0.999:
            found.append(f"{column}: a small tree on this column alone is 100% accurate")
    return found


#: the row position alone explains at least this share of the target (R², or of the gap
#: between the most frequent class's rate and perfect accuracy): the file is sorted by it
ORDER_SHARE = 0.1


def target_order(y: np.ndarray, seed: int = 0) -> str | None:
    """How the target is sorted or grouped in file order ("follows the file's row order: ..."),
    or None when it is not.

    A depth-3 tree on the row position alone (the rows a run uses, in file order) is scored
    in shuffled 3-fold cross-validation, as a run's folds are. On a file in random order it
    learns nothing; on a sorted or grouped file it predicts the target, and then any column
    derived from the row order (a row index, an entry number, a timestamp of entry) leaks it.
    """
    from scipy.stats import spearmanr
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    y = np.asarray(y)
    n = len(y)
    if len(y) > LEAKAGE_SAMPLE:  # every k-th row keeps the order
        y = y[:: int(np.ceil(n / LEAKAGE_SAMPLE))]
    position = np.arange(len(y), dtype=float)[:, None]
    regression = np.issubdtype(y.dtype, np.floating)
    if len(y) < 30 or len(np.unique(y)) < 2:
        return None
    if regression:
        tree = DecisionTreeRegressor(max_depth=3, random_state=seed)
        cv = KFold(3, shuffle=True, random_state=seed)
        r2 = float(cross_val_score(tree, position, y, cv=cv, scoring="r2").mean())
        if r2 < ORDER_SHARE:
            return None
        rho = float(spearmanr(position[:, 0], y).statistic)
        return (
            f"follows the file's row order: a depth-3 tree on the row position "
            f"alone reaches R² {r2:.2f} (rank correlation with the position {rho:+.2f})"
        )
    counts = np.bincount(y)
    if counts[counts > 0].min() < 3:
        return None
    tree = DecisionTreeClassifier(max_depth=3, random_state=seed)
    cv = StratifiedKFold(3, shuffle=True, random_state=seed)
    accuracy = float(cross_val_score(tree, position, y, cv=cv).mean())
    majority = counts.max() / len(y)
    if (accuracy - majority) < ORDER_SHARE * (1 - majority):
        return None
    return (
        f"is grouped in the file's row order: a depth-3 tree on the row position "
        f"alone is {accuracy:.3f} accurate, against {majority:.3f} for the most frequent class"
    )


def _regression_leaks(X: Any, y: np.ndarray, schema: Any, seed: int) -> list[str]:
    """Numeric features from which a small tree alone predicts a regression target almost
    perfectly (R² of at least 0.999 in 3-fold cross-validation)."""
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.tree import DecisionTreeRegressor

    found = []
    cv = KFold(3, shuffle=True, random_state=seed)
    for column in schema.numeric:
        values = X[[column]].fillna(X[column].median() if X[column].notna().any() else 0.0)
        if values[column].nunique() <= 1 or len(y) < 6:
            continue
        tree = DecisionTreeRegressor(max_leaf_nodes=64, random_state=seed)
        if cross_val_score(tree, values, y, cv=cv).min() >= 0.999:
            found.append(f"{column}: a small tree on this column alone predicts the target")
    return found


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
            _, reading = read_feature(raw[name], options, f"data file {str(path)!r}")
        except DeclaredTypeError:
            raise  # the user's declaration is wrong: refused, as in a run
        except TreesVsNetsError:
            continue
        reading.encoding = describe_encoding(reading, schema)
        readings[name] = reading
    return readings


def profile_table(path: str | Path, options: TableOptions | None = None) -> TableProfile:
    """Profile the table at ``path`` as ``options`` would read it.

    Raises :class:`~treesvsnets.errors.TreesVsNetsError` when the file cannot be read or
    the options are wrong (an unknown column, a column given two types, a column forced
    to a type most of its values do not have); a table a run would refuse for its data
    (one class, say) is profiled anyway, with the reason in ``problem``.
    """
    from treesvsnets.datasets.column_types import null_mask
    from treesvsnets.datasets.tables import check_options
    from treesvsnets.errors import DeclaredTypeError, TreesVsNetsError

    options = options or TableOptions()
    raw = read_table(path)
    target = options.target if options.target is not None else raw.columns[-1]
    check_options(options, list(raw.columns), target, f"data file {str(path)!r}")
    dataset, problem = None, None
    try:
        dataset = clean_table(raw, path, options)
    except DeclaredTypeError:
        raise  # a wrong declaration is the user's input, refused as in a run
    except TreesVsNetsError as exc:
        problem = str(exc)
    schema = dataset.schema if dataset is not None else None
    readings = (
        {r.name: r for r in dataset.columns}
        if dataset is not None
        else _read_alone(raw, options, target, path)
    )
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
            distinct=int(present.astype(str).nunique()),
            example=str(present.iloc[0])[:30] if len(present) else "",
        )
        if name in options.drop:
            column.kind, column.note, column.encoding = "dropped", "by request (drop)", "dropped"
        elif reading is not None:
            for key in _FROM_READING:
                setattr(column, key, getattr(reading, key))
            if schema is not None and reading.kind in ("numeric", "boolean"):
                column.outliers = _iqr_outliers(dataset.X[name])
        columns.append(column)
    summary: dict[str, float] = {}
    if dataset is not None and dataset.is_regression:
        class_counts = {}
        summary = dataset.describe()["target"]
    elif dataset is not None:  # the classes a run sees: placeholders out, spellings merged
        counts = np.bincount(dataset.y, minlength=dataset.n_classes)
        order = np.argsort(-counts, kind="stable")
        class_counts = {dataset.class_names[i]: int(counts[i]) for i in order}
    else:
        labels = raw[target][~null_mask(raw[target], options.tokens)].astype(str).str.strip()
        class_counts = {str(k): int(v) for k, v in labels.value_counts().items()}
    return TableProfile(
        path=str(path),
        rows=len(raw),
        columns=columns,
        target=str(target),
        duplicate_rows=(  # judged without the row index, as a run judges them
            int(dataset.cleaning.get("duplicate_rows_removed", 0))
            if dataset is not None
            else int(raw.duplicated().sum())
        ),
        class_counts=class_counts,
        constant_columns=[c.name for c in columns if c.note.startswith("constant")],
        leakage=_leaks(dataset.X, dataset.y, schema) if dataset is not None else [],
        target_order=target_order(dataset.y) if dataset is not None else None,
        cleaning=dataset.cleaning if dataset is not None else {},
        problem=problem,
        task=dataset.task if dataset is not None else "classification",
        target_summary=summary,
    )


def inspect_table(path: str | Path, target: str | None = None, **options: Any) -> TableProfile:
    """Profile a table file: ``inspect_table("data.csv", target="label", drop=["id"])``.

    ``options`` are those of a config file's dataset entry (see TableOptions).
    """
    from treesvsnets.datasets.tables import LIST_OPTIONS

    for key in LIST_OPTIONS:
        if isinstance(options.get(key), list | tuple):
            options[key] = tuple(options[key])
    return profile_table(path, TableOptions(target=target, **options))


def format_profile(profile: TableProfile) -> str:
    """The profile as text for a terminal: the column table, then what reading the columns
    did, then the rows, the target and the warnings."""
    lines = [
        f"{profile.path}: {profile.rows} rows, {len(profile.columns)} columns, "
        f"target {profile.target!r}"
        + (f", {profile.cleaning['task']}" if profile.cleaning.get("task") else ""),
        "",
        _column_table(profile),
        "",
    ]
    used = profile.cleaning.get("rows_used")
    if used is not None:
        lines.append(
            f"counts per column are over the {used} rows a run uses (exact duplicates and rows "
            "without a target left out)"
        )
    lines.append(
        "numbers are scaled as each estimator asks (none for trees); every statistic of an "
        "encoding is fitted inside each training fold"
    )
    lines += _reading_notes(profile)
    lines += [
        f"duplicate rows: {profile.duplicate_rows}"
        + (
            " (exact copies over every column but the row index; removed before splitting)"
            if profile.duplicate_rows
            else ""
        ),
        f"constant columns: {', '.join(profile.constant_columns) or 'none'}",
    ]
    lines += _target_notes(profile)
    if profile.problem:
        lines.append(f"a run would refuse this table: {profile.problem}")
    elif profile.cleaning:
        lines.append(f"rows a run would use: {profile.cleaning.get('rows_used')}")
    return "\n".join(lines)


def _column_table(profile: TableProfile) -> str:
    """One line per column: as read, what it became, its counts, its encoding or why dropped."""
    from tabulate import tabulate

    return tabulate(
        [
            [
                c.name,
                c.dtype,
                c.kind,
                c.missing or "",
                c.placeholders or "",
                c.unparsed or "",
                c.distinct,
                "" if c.outliers is None else c.outliers or "",
                c.note if c.kind == "dropped" else c.encoding,
                c.example,
            ]
            for c in profile.columns
        ],
        headers=[
            "column",
            "read as",
            "type",
            "missing",
            "placeholders",
            "unparsed",
            "distinct",
            "IQR outliers",
            "encoding (or why dropped)",
            "e.g.",
        ],
    )


def _reading_notes(profile: TableProfile) -> list[str]:
    """The values that did not parse, and the category spellings merged (the target's too)."""
    lines = []
    unparsed = [c for c in profile.columns if c.unparsed and c.kind != "dropped"]
    if unparsed:
        lines.append("values that did not parse and became missing:")
        lines.extend(
            f"  - {c.name} ({c.kind}): {c.unparsed} value(s), e.g. "
            + ", ".join(repr(v) for v in c.unparsed_examples)
            for c in unparsed
        )
    merged = [c for c in profile.columns if c.merged]
    target_merged = profile.cleaning.get("target_spellings_merged", {})
    if target_merged:
        merged.append(ColumnProfile(profile.target, "", "target", 0, 0, merged=target_merged))
    if merged:
        lines.append("category spellings merged (they differ only in case or spaces):")
        lines.extend(
            f"  - {c.name}: "
            + "; ".join(
                f"{kept!r} <- {', '.join(repr(v) for v in variants)}"
                for kept, variants in c.merged.items()
            )
            for c in merged
        )
    return lines


def _target_notes(profile: TableProfile) -> list[str]:
    """The class balance or the target's numbers, the suspected leaks, the target's order."""
    lines = []
    total = sum(profile.class_counts.values())
    if total:
        balance = ", ".join(
            f"{name} {count} ({count / total:.0%})" for name, count in profile.class_counts.items()
        )
        ratio = max(profile.class_counts.values()) / min(profile.class_counts.values())
        lines.append(f"class balance: {balance}; largest/smallest {ratio:.1f}")
    if profile.target_summary:
        summary = profile.target_summary
        lines.append(
            "target: "
            + ", ".join(f"{key} {summary[key]:.4g}" for key in ("mean", "std", "min", "median"))
            + f", max {summary['max']:.4g}"
        )
    if profile.leakage:
        lines.append("suspected leakage (check before trusting any score):")
        lines.extend(f"  - {leak}" for leak in profile.leakage)
    else:
        lines.append("suspected leakage: none found")
    if profile.target_order:
        lines.append(
            f"the target {profile.target_order}; any column derived from the row order (a row "
            "index, an entry number) leaks it: check that none is among the features"
        )
    return lines
