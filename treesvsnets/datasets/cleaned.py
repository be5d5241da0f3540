"""A table's Dataset as read and cleaned, saved to one Arrow IPC file and loaded back whole.

The harness reads a table (a user's file, an OpenML cached table, a built-in real table) and
reads each column's type once; :func:`save_cleaned` writes what that produced: the typed
columns (floats, category strings with NaN for missing, datetimes), the target (class codes
or a regression target's floats), and in the file's metadata everything else the Dataset
carries (name, classes, task, the TableSchema, the cleaning record, each column's reading,
shapes, published folds) plus a ``read_from`` record the caller chooses (what the table was
read from, so that a resumed run can tell whether the file is still current).
:func:`load_cleaned` gives back a Dataset equal to the one saved (same values, dtypes,
missing markers and fingerprint) without reading the original or inferring a type again;
:func:`cleaned_read_from` reads only the ``read_from`` record; :func:`files_fingerprint` is
a content hash of the files a table was read from. The file is written atomically (a
reader finds the old file or the new one, never half of one).

The format is Arrow IPC (Feather v2), uncompressed, with each text column dictionary-encoded
(its codes and categories as the table's categories already are, from ``pandas.factorize``;
loading makes one Python string per category, not per row). Uncompressed, because the copy is
written and read once per run on the way to the first cell: on issue 31's 200,000-row table
(a 60 MB CSV) the file is 57 MB and pyarrow writes it in about 0.05 s, where LZ4 made 33 MB
in 0.25 s and took three times as long to read, on a shared 2-core machine (Parquet took
about twice LZ4 Arrow IPC's time both ways).

Only a Dataset with a table schema (X a DataFrame) is saved: an array dataset loads from its
package as cheaply as from a file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np

from treesvsnets.datasets.base import Dataset, TableSchema

#: written uncompressed: compressing floats costs more time than the smaller file saves
COMPRESSION = "uncompressed"
#: the key of the file's metadata that holds everything but the columns
METADATA_KEY = b"treesvsnets.dataset"
#: bumped when the layout changes: a file of another format is not reused
FORMAT = 1
#: Dataset fields kept as they are in JSON (the arrays, shapes and readings are converted)
_PLAIN = ("name", "source", "cleaning", "task")


def save_cleaned(dataset: Dataset, path: str | Path, read_from: dict[str, Any]) -> Path:
    """Write ``dataset`` (a table's: it has a schema) to ``path`` with ``read_from`` recorded."""
    import pyarrow as pa
    import pyarrow.feather as feather

    if dataset.schema is None:
        raise ValueError(f"dataset {dataset.name!r} is not a table: only tables are saved")
    path = Path(path)
    target = _target_column(dataset.X.columns)
    columns = {str(name): _arrow(values) for name, values in dataset.X.items()}
    table = pa.table({**columns, target: pa.array(dataset.y)})
    meta = {
        "format": FORMAT,
        "read_from": read_from,
        "target_column": target,
        "dtypes": {str(c): str(t) for c, t in dataset.X.dtypes.items()},
        **{key: getattr(dataset, key) for key in _PLAIN},
        "class_names": list(dataset.class_names),
        "feature_names": list(dataset.feature_names),
        "image_shape": _listed(dataset.image_shape),
        "sequence_shape": _listed(dataset.sequence_shape),
        "schema": asdict(dataset.schema),
        "columns": [reading.to_dict() for reading in dataset.columns],
        "official_test": _listed(dataset.official_test),
        "predefined_folds": (
            None
            if dataset.predefined_folds is None
            else [np.asarray(f).tolist() for f in dataset.predefined_folds]
        ),
        "fingerprint": dataset.fingerprint,
    }
    table = table.replace_schema_metadata({METADATA_KEY: json.dumps(meta).encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.partial")  # the umask's mode
    try:
        feather.write_feather(table, scratch, compression=COMPRESSION)
        os.replace(scratch, path)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    return path


def cleaned_read_from(path: str | Path) -> dict[str, Any] | None:
    """The ``read_from`` record of the cleaned file at ``path`` (None: no such file, another
    format, or not a cleaned file), read from its schema alone."""
    import pyarrow as pa

    try:
        with pa.memory_map(str(path)) as source:
            metadata = pa.ipc.open_file(source).schema.metadata or {}
        meta = json.loads(metadata[METADATA_KEY])
    except (OSError, KeyError, ValueError, pa.ArrowInvalid):
        return None
    return meta["read_from"] if meta.get("format") == FORMAT else None


def load_cleaned(path: str | Path) -> Dataset:
    """The Dataset saved at ``path``, as it was saved (checked against its fingerprint)."""
    import pandas as pd
    import pyarrow.feather as feather

    table = feather.read_table(path)
    meta = json.loads(table.schema.metadata[METADATA_KEY])
    target = meta["target_column"]
    y = table.column(target).to_numpy()
    coded = table.drop_columns([target]).to_pandas()  # a text column as pandas categories
    X = pd.DataFrame(
        {column: _restored(coded[column], dtype) for column, dtype in meta["dtypes"].items()}
    )
    # pandas hashes a category as it hashes its value: the row hashes of X, found without
    # hashing each row's Python string (the fingerprint below checks them)
    hashed = {c: coded[c] if dtype == "object" else X[c] for c, dtype in meta["dtypes"].items()}
    row_hashes = pd.util.hash_pandas_object(pd.DataFrame(hashed), index=False).to_numpy()
    schema = meta["schema"]
    dataset = Dataset(
        X=X,
        y=y,
        class_names=tuple(meta["class_names"]),
        feature_names=tuple(meta["feature_names"]),
        image_shape=_tupled(meta["image_shape"]),
        sequence_shape=_tupled(meta["sequence_shape"]),
        schema=TableSchema(
            **{
                f.name: tuple(schema[f.name])
                if isinstance(schema[f.name], list)
                else schema[f.name]
                for f in fields(TableSchema)
            }
        ),
        columns=tuple(_reading(reading) for reading in meta["columns"]),
        official_test=_array(meta["official_test"]),
        predefined_folds=(
            None
            if meta["predefined_folds"] is None
            else tuple(_array(fold) for fold in meta["predefined_folds"])
        ),
        **{key: meta[key] for key in _PLAIN},
    ).known_row_hashes(row_hashes)
    if dataset.fingerprint != meta["fingerprint"]:
        raise ValueError(
            f"the cleaned table {str(path)!r} gives fingerprint {dataset.fingerprint}, not the "
            f"{meta['fingerprint']} it was saved with"
        )
    return dataset


def files_fingerprint(paths: tuple[Path, ...]) -> str | None:
    """A hash of the names and bytes of ``paths`` (None: no file, or one missing)."""
    import hashlib

    if not paths or not all(Path(path).is_file() for path in paths):
        return None
    digest = hashlib.sha256()
    for path in paths:
        digest.update(f"{Path(path).name}\x1f".encode())
        with open(path, "rb") as file:
            while chunk := file.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()[:32]


def _target_column(columns: Any) -> str:
    """A column name for the target that no feature has."""
    name = "__target__"
    while name in set(map(str, columns)):
        name = f"_{name}_"
    return name


def _arrow(values: Any) -> Any:
    """A column as Arrow stores it: text (a table's categories) dictionary-encoded, so that
    loading it makes one Python string per category, not per row; numbers and dates as
    they are (NaN and NaT as nulls). The categories are found by ``pandas.factorize`` (in
    the order they first appear, as Arrow's ``dictionary_encode`` finds them), which hashes
    the column's strings without converting each row to Arrow first."""
    import pandas as pd
    import pyarrow as pa

    if values.dtype == object:
        codes, categories = pd.factorize(values)
        return pa.DictionaryArray.from_arrays(
            pa.array(codes.astype(np.int32), mask=codes < 0),
            pa.array(np.asarray(categories, dtype=object), type=pa.string()),
        )
    return pa.array(values, from_pandas=True)


def _restored(values: Any, dtype: str) -> Any:
    """A column as it was saved: a dictionary-encoded text column comes back as pandas
    categories, and a table's categories are Python strings with NaN for missing."""
    import pandas as pd

    if dtype == "object":
        categories = np.asarray(values.cat.categories.astype(object), dtype=object)
        codes = values.cat.codes.to_numpy()
        strings = np.append(categories, np.nan).take(codes)  # code -1 (missing): the NaN
        return pd.Series(strings, index=values.index, name=values.name, dtype=object)
    return values.astype(dtype) if str(values.dtype) != dtype else values


def _reading(fields_: dict[str, Any]) -> Any:
    from treesvsnets.datasets.column_types import ColumnReading

    return ColumnReading(**fields_)


def _listed(values: Any) -> list | None:
    return None if values is None else np.asarray(values).tolist()


def _tupled(values: list | None) -> tuple | None:
    return None if values is None else tuple(values)


def _array(values: list | None) -> np.ndarray | None:
    return None if values is None else np.asarray(values, dtype=np.int64)
