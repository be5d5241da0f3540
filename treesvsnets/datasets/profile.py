"""A data profile of a user's table, to read before a run (``treesvsnets inspect FILE``).

It reports what the raw file holds (rows, columns, dtypes, missing values,
duplicates, constant columns, class balance, IQR outliers) and what the
loader would make of it (which columns become numeric or categorical), and
it warns about leakage: a feature that equals the target, or that alone
predicts it perfectly.
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
    kind: str  # what the loader makes of it: numeric, categorical, target, dropped, empty
    missing: int
    distinct: int
    outliers: int | None = None  # values beyond the IQR fences (numeric columns)
    example: str = ""


@dataclass
class TableProfile:
    path: str
    rows: int
    columns: list[ColumnProfile]
    target: str
    duplicate_rows: int
    class_counts: dict[str, int]
    constant_columns: list[str]
    leakage: list[str] = field(default_factory=list)
    cleaning: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None  # why a run would refuse this table, if it would

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


def profile_table(path: str | Path, options: TableOptions | None = None) -> TableProfile:
    """Profile the table at ``path`` as ``options`` would read it.

    Raises :class:`~treesvsnets.errors.DatasetError` only when the file cannot be
    read at all; a table a run would refuse (one class, say) is profiled
    anyway, with the reason in ``problem``.
    """
    from treesvsnets.errors import TreesVsNetsError

    options = options or TableOptions()
    raw = read_table(path)
    target = options.target if options.target is not None else raw.columns[-1]
    dataset, problem = None, None
    try:
        dataset = clean_table(raw, path, options)
    except TreesVsNetsError as exc:
        problem = str(exc)
    schema = dataset.schema if dataset is not None else None
    columns = []
    for name in raw.columns:
        values = raw[name]
        if name == target:
            kind = "target"
        elif name in options.drop:
            kind = "dropped"
        elif values.isna().all():
            kind = "empty"
        elif schema is None:
            kind = "?"
        else:
            kind = "numeric" if name in schema.numeric else "categorical"
        present = values.dropna()
        columns.append(
            ColumnProfile(
                name=name,
                dtype=str(values.dtype),
                kind=kind,
                missing=int(values.isna().sum()),
                distinct=int(present.astype(str).nunique()),
                outliers=_iqr_outliers(dataset.X[name]) if kind == "numeric" else None,
                example=str(present.iloc[0])[:30] if len(present) else "",
            )
        )
    labels = raw[target].dropna().astype(str).str.strip() if target in raw.columns else None
    class_counts = (
        {str(k): int(v) for k, v in labels.value_counts().items()} if labels is not None else {}
    )
    return TableProfile(
        path=str(path),
        rows=len(raw),
        columns=columns,
        target=str(target),
        duplicate_rows=int(raw.duplicated().sum()),
        class_counts=class_counts,
        constant_columns=[c.name for c in columns if c.distinct == 1 and c.kind != "target"],
        leakage=_leaks(dataset.X, dataset.y, schema) if dataset is not None else [],
        cleaning=dataset.cleaning if dataset is not None else {},
        problem=problem,
    )


def inspect_table(path: str | Path, target: str | None = None, **options: Any) -> TableProfile:
    """Profile a table file: ``inspect_table("data.csv", target="label", drop=["id"])``.

    ``options`` are those of a config file's dataset entry (see TableOptions).
    """
    for key in ("drop", "categorical", "numeric"):
        if isinstance(options.get(key), list | tuple):
            options[key] = tuple(options[key])
    return profile_table(path, TableOptions(target=target, **options))


def format_profile(profile: TableProfile) -> str:
    """The profile as text for a terminal."""
    from tabulate import tabulate

    lines = [
        f"{profile.path}: {profile.rows} rows, {len(profile.columns)} columns, "
        f"target {profile.target!r}",
        "",
        tabulate(
            [
                [
                    c.name,
                    c.dtype,
                    c.kind,
                    c.missing or "",
                    c.distinct,
                    "" if c.outliers is None else c.outliers or "",
                    c.example,
                ]
                for c in profile.columns
            ],
            headers=["column", "dtype", "used as", "missing", "distinct", "IQR outliers", "e.g."],
        ),
        "",
        f"duplicate rows: {profile.duplicate_rows}"
        + (" (removed before splitting)" if profile.duplicate_rows else ""),
        f"constant columns: {', '.join(profile.constant_columns) or 'none'}",
    ]
    total = sum(profile.class_counts.values())
    if total:
        balance = ", ".join(
            f"{name} {count} ({count / total:.0%})" for name, count in profile.class_counts.items()
        )
        ratio = max(profile.class_counts.values()) / min(profile.class_counts.values())
        lines.append(f"class balance: {balance}; largest/smallest {ratio:.1f}")
    if profile.leakage:
        lines.append("suspected leakage (check before trusting any score):")
        lines.extend(f"  - {leak}" for leak in profile.leakage)
    else:
        lines.append("suspected leakage: none found")
    if profile.problem:
        lines.append(f"a run would refuse this table: {profile.problem}")
    elif profile.cleaning:
        lines.append(f"rows a run would use: {profile.cleaning.get('rows_used')}")
    return "\n".join(lines)
