"""The Dataset value every loader returns and every cell reads.

:class:`Dataset` holds X and y (class codes, or a regression target's floats), the class
names, the task, the image or sequence shape its rows have, and for a user's table its
:class:`TableSchema` (which columns are numeric, categorical or dates, and how each fold
treats them), its cleaning record and each column's reading; it gives its ``fingerprint``
(a content hash), ``row_hashes`` (finding duplicates), ``strata`` and a stratified
``subsample``. :func:`encode_labels` turns labels into class codes; :func:`restrict_folds`
carries published folds over to the rows kept (after cleaning, or a subsample).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from treesvsnets.tasks import CLASSIFICATION, REGRESSION


@dataclass(frozen=True)
class TableSchema:
    """Which columns of a table's DataFrame are numeric (booleans included), categorical or
    datetimes, and how to treat them inside each fold (see :mod:`treesvsnets.datasets.columns`)."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    datetime: tuple[str, ...] = ()
    clip_outliers: bool = False
    max_onehot: int = 20
    high_cardinality: str = "target"  # categories above max_onehot: target encoding or ordinal
    target: str | None = None  # the target column's name in the file


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features, a target and what is needed to interpret them.

    ``task`` is ``classification`` or ``regression``. For classification ``y`` holds integer
    codes ``0..n_classes-1`` and ``class_names[code]`` is the original label; for regression
    ``y`` holds the target's float values and ``class_names`` is empty. ``image_shape`` is
    ``(channels, height, width)`` for data whose rows are flattened images (CNNs reshape
    with it), else ``None``; ``sequence_shape`` is ``(channels, length)`` for rows that are
    flattened sequences, ordered features a 1-D CNN convolves along (mnist1d, or a table
    declaring ``shape = [1, 40]``), else ``None``.
    A user's table has a ``schema``; its X is then a DataFrame of float, string
    and datetime columns (missing values kept), which each fold's preprocessing
    imputes and encodes. ``cleaning`` records what loading did to the rows, and
    ``columns`` how each column of the file was read (``ColumnReading``: kind,
    placeholders, unparsed values, merged spellings, encoding).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...]
    image_shape: tuple[int, int, int] | None = None
    feature_names: tuple[str, ...] = field(default=())
    source: str = ""
    official_test: np.ndarray | None = None  # row indices of a published test split
    schema: TableSchema | None = None
    cleaning: dict = field(default_factory=dict)
    columns: tuple = ()  # ColumnReading per column of a table file (not the target)
    task: str = CLASSIFICATION
    sequence_shape: tuple[int, int] | None = None
    #: each fold's test row indices, as published with the data (an OpenML task's folds):
    #: when set, they are the run's split plan (see bench/cells/splits.py)
    predefined_folds: tuple[np.ndarray, ...] | None = None

    @property
    def is_regression(self) -> bool:
        return self.task == REGRESSION

    def rows(self, index: np.ndarray):
        """X restricted to the rows ``index`` (an array, or a DataFrame for a table)."""
        return self.X.iloc[index] if self.schema is not None else self.X[index]

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @cached_property
    def row_hashes(self) -> np.ndarray:
        """One 64-bit hash per row of X: equal rows, equal hashes (finds duplicates)."""
        import pandas as pd

        X = self.X
        if self.schema is None:
            X = pd.DataFrame(np.ascontiguousarray(X).reshape(self.n_samples, -1))
        return pd.util.hash_pandas_object(X, index=False).to_numpy()

    def known_row_hashes(self, hashes: np.ndarray) -> Dataset:
        """This dataset with its :attr:`row_hashes` given, not computed again: ``hashes`` were
        computed from a frame of the same values (a table's cleaned copy hashes its
        categories, which pandas hashes as it hashes their values)."""
        vars(self)["row_hashes"] = hashes  # what the cached property would have stored
        return self

    @cached_property
    def fingerprint(self) -> str:
        """A content hash of X, y and the class names: same data, same fingerprint."""
        digest = hashlib.sha256()
        X = self.X
        if self.schema is not None:  # a DataFrame: hash its values and column names
            digest.update("\x1f".join(map(str, X.columns)).encode())
            X = self.row_hashes
        for array in (X, self.y):
            contiguous = np.ascontiguousarray(array)
            digest.update(f"{contiguous.dtype.str}{contiguous.shape}".encode())
            digest.update(contiguous.tobytes())
        digest.update("\x1f".join(self.class_names).encode())
        if self.is_regression:  # the same numbers read as classes are other data
            digest.update(REGRESSION.encode())
        return digest.hexdigest()[:16]

    def describe(self) -> dict[str, object]:
        """A JSON-able summary for manifests and reports."""
        return {
            "name": self.name,
            "fingerprint": self.fingerprint,
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "task": self.task,
            "n_classes": self.n_classes,
            "class_names": list(self.class_names),
            **(
                {"target": _summary(self.y)}
                if self.is_regression
                else {"class_counts": np.bincount(self.y, minlength=self.n_classes).tolist()}
            ),
            "image_shape": list(self.image_shape) if self.image_shape else None,
            "sequence_shape": list(self.sequence_shape) if self.sequence_shape else None,
            "source": self.source,
            "official_test_size": None if self.official_test is None else len(self.official_test),
            **(
                {"predefined_folds": [len(test) for test in self.predefined_folds]}
                if self.predefined_folds is not None
                else {}
            ),
            **(
                {
                    "numeric_columns": list(self.schema.numeric),
                    "categorical_columns": list(self.schema.categorical),
                    "datetime_columns": list(self.schema.datetime),
                    "cleaning": self.cleaning,
                    "columns": [reading.to_dict() for reading in self.columns],
                }
                if self.schema is not None
                else {}
            ),
        }

    def strata(self, rows: np.ndarray | None = None) -> np.ndarray | None:
        """What a subsample stratifies ``rows`` (all by default) on: the class codes, or a
        regression target's deciles (None when a decile would hold fewer than 2 rows)."""
        from treesvsnets.datasets.target import quantile_bins

        y = self.y if rows is None else self.y[rows]
        if not self.is_regression:
            return y
        bins = quantile_bins(y, 10)
        return bins if np.bincount(bins).min() >= 2 else None  # too few rows to stratify

    def subsample(self, n: int, seed: int = 0) -> Dataset:
        """A stratified subset of ``n`` rows (on the classes, or a regression target's
        deciles; the official split keeps its proportion)."""
        from sklearn.model_selection import train_test_split

        if n >= self.n_samples:
            return self
        if self.official_test is None:
            parts, sizes = [np.arange(self.n_samples)], [n]
        else:  # sample train and test apart, so the official split keeps its proportion
            test = np.asarray(self.official_test)
            n_test = round(n * len(test) / self.n_samples)
            parts = [np.setdiff1d(np.arange(self.n_samples), test), test]
            sizes = [n - n_test, n_test]
        kept = []
        for rows, size in zip(parts, sizes, strict=True):
            chosen, _ = train_test_split(
                rows, train_size=size, stratify=self.strata(rows), random_state=seed
            )
            kept.append(np.sort(chosen))
        keep = np.concatenate(kept)
        official = None if self.official_test is None else np.arange(sizes[0], n)
        return Dataset(
            name=self.name,
            X=self.rows(keep).reset_index(drop=True) if self.schema else self.X[keep],
            y=self.y[keep],
            class_names=self.class_names,
            image_shape=self.image_shape,
            feature_names=self.feature_names,
            source=f"{self.source} (stratified subsample of {n} rows, seed {seed})",
            official_test=official,
            schema=self.schema,
            cleaning=self.cleaning,
            columns=self.columns,
            task=self.task,
            sequence_shape=self.sequence_shape,
            predefined_folds=(
                None
                if self.predefined_folds is None
                else restrict_folds(self.predefined_folds, keep, self.n_samples)
            ),
        )


def restrict_folds(
    folds: tuple[np.ndarray, ...], kept: np.ndarray, n_rows: int
) -> tuple[np.ndarray, ...]:
    """Each fold's test rows (numbered among ``n_rows``) renumbered among the rows ``kept``
    (``kept[i]`` is new row ``i``'s old number); rows not kept leave their fold."""
    position = np.full(n_rows, -1, dtype=np.int64)
    position[np.asarray(kept, dtype=np.int64)] = np.arange(len(kept))
    renumbered = (position[np.asarray(test, dtype=np.int64)] for test in folds)
    return tuple(np.sort(test[test >= 0]) for test in renumbered)


def _summary(y: np.ndarray) -> dict[str, float]:
    """A regression target in five numbers (for the manifest and the report)."""
    return {
        "mean": float(np.mean(y)),
        "std": float(np.std(y)),
        "min": float(np.min(y)),
        "median": float(np.median(y)),
        "max": float(np.max(y)),
    }


def encode_labels(labels: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer codes in sorted label order, and the labels as strings: ``numpy.unique``'s,
    with the labels found by hashing first (``pandas.factorize``), so that only the distinct
    labels are sorted, not every row's."""
    import pandas as pd

    found, distinct = pd.factorize(labels)
    if (found < 0).any():  # a missing label: numpy.unique's own order for it
        classes, codes = np.unique(labels, return_inverse=True)
        return codes.astype(np.int64), tuple(str(c) for c in classes)
    classes, order = np.unique(np.asarray(distinct, dtype=labels.dtype), return_inverse=True)
    return order[found].astype(np.int64), tuple(str(c) for c in classes)


def class_weight_codes(weights: dict, class_names: tuple[str, ...], where: str) -> dict[int, float]:
    """A ``class_weight`` dict keyed by the dataset's class labels (``{"yes": 2}``: a TOML
    table's keys are text), or by their codes ``0..k-1`` where a key names no label, as the
    estimator sees the classes (codes); a key that is neither is one sentence naming
    ``where`` and the classes. A run's manifest keeps the dict as JSON (its keys text), so
    a resumed run's weights are the same."""
    from treesvsnets.errors import ConfigError

    codes = {name: code for code, name in enumerate(class_names)}
    found: dict[int, float] = {}
    for key, weight in weights.items():
        text = str(key)
        code = codes.get(text)
        if code is None and text.lstrip("-").isdigit() and 0 <= int(text) < len(class_names):
            code = int(text)
        if code is None:
            shown = ", ".join(repr(name) for name in class_names[:10])
            more = ", ..." if len(class_names) > 10 else ""
            raise ConfigError(
                f"{where}: class_weight names {key!r}, which is no class of the dataset (its "
                f"classes: {shown}{more}; or their codes 0..{len(class_names) - 1})."
            )
        found[code] = weight
    return found
