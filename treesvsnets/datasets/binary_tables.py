"""The table files that are not text: Parquet's index (:func:`named_index_as_column`), Feather
and Arrow IPC (:func:`read_arrow`), Excel workbooks through openpyxl (:func:`read_excel`,
and :func:`first_sheet_only`, what a workbook whose first sheet is not its table is told), and
a binary file named as text (:func:`refuse_binary_as_text`: a Parquet file saved as .csv)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from treesvsnets.datasets.table_headers import refuse_repeated
from treesvsnets.errors import DatasetError


def read_parquet(path: Path) -> Any:
    """A Parquet table, its column names checked first (repeated names gave pyarrow's
    'Multiple matches for FieldRef.Name(x)'), its stored index a column
    (:func:`named_index_as_column`)."""
    import pandas as pd
    import pyarrow.parquet as pq

    refuse_repeated([str(name).strip() for name in pq.read_schema(path).names], path)
    return named_index_as_column(pd.read_parquet(path))


def named_index_as_column(frame: Any) -> Any:
    """A frame whose index pandas rebuilt from the file's metadata (a date index, saved by
    ``to_parquet``) with that index as its first columns, as the file's schema lists them: an
    index is data (it was silently lost), named as the file names it, or, unnamed, as pandas
    names it in a CSV (``Unnamed: 0``), where the row index rule reads it as it reads that
    CSV's (the rows' numbers are dropped, saying so; dates are a feature). Only pandas' own
    numbering (a range, which the file does not store) is no column."""
    import pandas as pd

    if isinstance(frame.index, pd.RangeIndex):
        return frame
    names = [
        f"Unnamed: {level}" if name is None else name
        for level, name in enumerate(frame.index.names)
    ]
    return frame.rename_axis(names).reset_index()


def read_arrow(path: Path) -> Any:
    """A Feather (Arrow IPC file) table, or an Arrow IPC stream."""
    import pandas as pd
    import pyarrow as pa

    try:
        return pd.read_feather(path)
    except pa.ArrowInvalid:
        with pa.ipc.open_stream(path) as stream:
            return stream.read_all().to_pandas()


def first_sheet_only(path: Path) -> str:
    """Why a workbook's table may not be where it is read: the first sheet, named with the
    others (a sheet of notes before the data)."""
    import pandas as pd

    with pd.ExcelFile(path, engine="openpyxl") as book:
        names = [str(name) for name in book.sheet_names]
    if len(names) == 1:  # no other sheet to put first (an empty workbook)
        return f"its only sheet, {names[0]!r}, holds no table of two columns or more"
    others = f"; its sheets: {', '.join(repr(n) for n in names)}"
    return (
        f"the table is read from the workbook's first sheet, {names[0]!r}{others}: put the "
        "table's sheet first, or save it as CSV"
    )


def read_excel(path: Path) -> Any:
    """The first sheet of an .xlsx workbook, through openpyxl (the ``excel`` extra), from its
    first filled row and column: a table placed at B3, below blank rows and right of a blank
    column, was refused as having 'a title above the header'."""
    import pandas as pd

    if importlib.util.find_spec("openpyxl") is None:
        raise DatasetError(
            f"data file {str(path)!r} is an Excel workbook, which needs openpyxl: "
            "pip install 'treesvsnets[excel]' (or save the sheet as CSV)."
        )
    top = pd.read_excel(path, sheet_name=0, engine="openpyxl", header=None, nrows=HEAD_ROWS)
    filled = top.notna().to_numpy()
    row = int(filled.any(axis=1).argmax()) if filled.any() else 0  # a table placed at B3
    column = int(filled[row].argmax()) if filled.any() else 0
    if filled[:, :column].any():  # a filled cell left of the header's first: the table's own
        column = 0
    names = [] if top.empty else top.iloc[row, column:].dropna()
    refuse_repeated([str(name).strip() for name in names], path)  # pandas: 'width', 'width.1'
    return pd.read_excel(
        path,
        sheet_name=0,
        engine="openpyxl",
        keep_default_na=False,
        na_values=[""],
        skiprows=row,
        usecols=list(range(column, top.shape[1])) if column else None,
    )


#: the rows a workbook's first sheet is searched for its header row: a table placed lower
#: (a title, notes and blank rows above it) is refused as having a title above its header
HEAD_ROWS = 50


#: the first bytes of the binary formats a table is saved in, and what each is
_MAGIC = (
    (b"PAR1", "a Parquet file (name it .parquet)"),
    (b"ARROW1", "a Feather/Arrow file (name it .feather)"),
    (b"PK\x03\x04", "a zip archive or an Excel workbook (name it .csv.zip or .xlsx)"),
    (b"\x1f\x8b", "gzip-compressed (name it .csv.gz)"),
    (b"BZh", "bzip2-compressed (name it .csv.bz2)"),
    (b"\xfd7zXZ\x00", "xz-compressed (name it .csv.xz)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed (name it .csv.zst)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls: save it as .xlsx or .csv)"),
    (b"SQLite format 3\x00", "an SQLite database (export the table as .csv or .parquet)"),
)


def refuse_binary_as_text(start: bytes, path: Path) -> None:
    """Refuse a file named as text whose first bytes (``start``) say it is a binary format,
    naming it (pandas said 'new-line character seen in unquoted field - do you need to open
    the file in universal-newline mode?')."""
    for magic, what in _MAGIC:
        if start.startswith(magic):
            raise DatasetError(f"data file {str(path)!r} is not text: it is {what}.")
