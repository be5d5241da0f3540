"""A table file read into a DataFrame, in the formats people have, as pandas and pyarrow read them.

:func:`read_table` reads .csv, .tsv and .txt (each also compressed: .gz, .bz2, .zip, .xz, .zst
as pandas reads them), .parquet, .feather and Arrow IPC (.arrow), and Excel's .xlsx through
openpyxl when it is installed (the ``excel`` extra; else one sentence naming it). Only blank
cells are missing as read; placeholders are the column reader's.

A text file's separator and decimal mark are detected on its head
(:mod:`~treesvsnets.datasets.text_separators`) unless the table's options give them (``sep``,
``decimal``). A UTF-8 byte-order mark is skipped; a file UTF-8
cannot read is read as Windows-1252 (Excel's CSV in Western Europe) or Latin-1, a UTF-16 one
by its byte-order mark (:data:`ENCODINGS`). Columns at the end with neither a name nor a value
(a ';' ending every line) are dropped. What was used is kept in the frame's
``attrs["read_with"]`` (the encoding where it is not UTF-8), which
:func:`~treesvsnets.datasets.tables.clean_table` records.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import importlib.util
import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from treesvsnets.datasets.binary_tables import (
    first_sheet_only,
    read_arrow,
    read_excel,
    read_parquet,
    refuse_binary_as_text,
)
from treesvsnets.datasets.names import COMPRESSIONS, table_suffixes
from treesvsnets.datasets.table_headers import (
    check_first_row,
    check_header,
    refuse_headerless,
    refuse_repeated,
    refuse_title_row,
)
from treesvsnets.datasets.text_separators import SEPARATORS, sniff_text
from treesvsnets.errors import DatasetError

#: the separator each text format is written with by default (.txt: none, detected)
TEXT_FORMATS = {".csv": ",", ".tsv": "\t", ".txt": None}
FORMATS = (*TEXT_FORMATS, ".parquet", ".pq", ".feather", ".arrow", ".xlsx")
#: the encodings a text file is read in, the first that reads it: UTF-8 (a byte-order mark
#: skipped), the Windows code page Excel saves CSV in across Western Europe, and Latin-1,
#: which reads any byte (a UTF-16 file, Excel's "Unicode text", is told by its byte-order mark)
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
#: how much of a text file's head the separator and decimal mark are judged on
HEAD_BYTES = 1 << 16


def looks_like_table(name: str) -> bool:
    """Whether a dataset name given by the user is a file path rather than a registered name:
    a table's suffix, a folder in it, or a file of another suffix that exists ('peng.json'
    is then refused as a file of an unknown type, not as an unknown built-in)."""
    if table_suffixes(name)[0] in FORMATS or "/" in name or "\\" in name:
        return True
    return bool(Path(name).suffix) and Path(name).is_file()


def same_file(first: str, second: str) -> bool:
    """Whether two table paths as given name one file (``./a.csv``, ``a.csv`` and its
    absolute path alike), whether or not it exists."""
    import os

    return os.path.normcase(os.path.abspath(first)) == os.path.normcase(os.path.abspath(second))


def _unreadable() -> tuple[type[BaseException], ...]:
    """What the readers raise on a file that is not what its suffix says (a CSV named .xlsx,
    text named .csv.xz, a truncated archive): refused with one sentence, as a bad CSV is."""
    import lzma
    import zipfile

    return (
        ValueError,
        OSError,
        UnicodeDecodeError,
        ImportError,
        csv.Error,
        EOFError,
        KeyError,  # openpyxl on a .zip that is no workbook
        zipfile.BadZipFile,
        lzma.LZMAError,
    )


_UNREADABLE = _unreadable()


def read_table(path: str | Path, sep: str | None = None, decimal: str | None = None) -> Any:
    """The file as a DataFrame; a missing, unknown or unreadable file is one clear sentence.
    ``sep`` and ``decimal`` (a text file's) replace the detected ones."""
    path = Path(path)
    suffix, compression = table_suffixes(path.name)
    if not path.is_file():
        what = "is a folder, not a table file" if path.is_dir() else "does not exist"
        raise DatasetError(f"data file {str(path)!r} {what}.")
    if suffix not in FORMATS or (compression and suffix not in TEXT_FORMATS):
        shown = "".join(s for s in (suffix, compression) if s) or "(no suffix)"
        raise DatasetError(
            f"data file {str(path)!r} has an unknown type {shown!r}; use .csv, .tsv or .txt "
            "(also compressed: .gz, .bz2, .zip, .xz, .zst), .parquet, .feather, .arrow or .xlsx"
            + (" (an .xls workbook: save it as .xlsx)." if suffix == ".xls" else ".")
        )
    read_with: dict[str, str] = {}
    try:
        if suffix in (".parquet", ".pq"):
            frame = read_parquet(path)
        elif suffix in (".feather", ".arrow"):
            frame = read_arrow(path)
        elif suffix == ".xlsx":
            frame = read_excel(path)
        else:
            frame, read_with = _read_text(path, suffix, compression, sep, decimal)
    except DatasetError:
        raise
    except _UNREADABLE as exc:
        said = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc  # no quotes
        message = " ".join(str(said).split()).rstrip(" .") or type(exc).__name__
        kind = "".join(s for s in (suffix, compression) if s)
        packed = suffix not in TEXT_FORMATS or compression  # a binary format, or compressed
        if packed and not isinstance(exc, ImportError):
            message += f" (is it a {kind} file, as its name says?)"
        ending = "" if message.endswith(("?", "!")) else "."
        raise DatasetError(f"data file {str(path)!r} cannot be read: {message}{ending}") from None
    _as_plain_types(frame)
    trailing = 0  # a ';' at the end of every line, a sheet's formatted empty cells
    while frame.shape[1] > 2 and _empty_unnamed(frame.iloc[:, -1 - trailing]):
        trailing += 1
    if trailing:
        frame = frame.iloc[:, : frame.shape[1] - trailing]
        read_with["empty_columns_at_the_end_dropped"] = trailing
    if frame.shape[1] < 2:
        why = (
            first_sheet_only(path)
            if suffix == ".xlsx"
            else 'is the separator right? give it with sep = "..."'
        )
        raise DatasetError(
            f"data file {str(path)!r} has {frame.shape[1]} column(s); a table needs at least a "
            f"feature and a target ({why})."
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    refuse_title_row(list(frame.columns), path)
    refuse_headerless(list(frame.columns), path, frame)
    refuse_repeated(list(frame.columns), path)  # names apart only in spaces, now alike
    frame.attrs["read_with"] = read_with
    return frame


def _read_text(
    path: Path, suffix: str, compression: str | None, sep: str | None, decimal: str | None
) -> tuple[Any, dict[str, str]]:
    """A text table and the separator and decimal mark it was read with."""
    import pandas as pd

    head, complete, encoding = _head(path, compression)
    old_mac = "\r" in head and "\n" not in head  # lines ended by CR alone (classic Mac OS)
    if old_mac:
        head = head.replace("\r", "\n")
    comments = _comment_lines(head)  # '# exported from LIMS' above the header
    head = "".join(head.splitlines(keepends=True)[comments:])
    sep, found_decimal = sniff_text(head, sep or TEXT_FORMATS[suffix], complete, given=bool(sep))
    decimal = decimal or found_decimal
    check_header(head, sep, path)
    check_first_row(head, sep, complete, path)
    codes = _zero_padded_columns(head, sep, complete)  # '02134': kept as written
    tried = ENCODINGS[ENCODINGS.index(encoding) :] if encoding in ENCODINGS else (encoding,)
    for encoding in tried:  # a byte past the head that UTF-8 cannot read: the next one
        # Only blank cells are missing as read; 'NA', 'null', 'unknown' ... are counted
        # as placeholders by the column reader (column_types.NULL_TOKENS), in any case.
        settings = dict(
            sep=sep,
            decimal=decimal,
            engine="python" if sep is None else "c",
            keep_default_na=False,
            na_values=[""],
            encoding=encoding,
            # a zip's table is opened here (:func:`_opened`): pandas refuses a second file
            compression=None if compression == ".zip" else COMPRESSIONS.get(compression or ""),
            skiprows=comments,
            lineterminator="\r" if old_mac and sep is not None else None,
            dtype=dict.fromkeys(codes, str) or None,
        )
        if sep is not None:  # each column typed on all its rows: in chunks, a column of
            # numbers then letter codes was typed twice, with pandas' DtypeWarning
            settings["low_memory"] = False

        def read(settings: dict = settings, **more: Any) -> Any:
            with _opened(path, compression) as source:
                return pd.read_csv(source, **settings, **more)

        try:
            frame = read()
            break
        except UnicodeDecodeError:
            if encoding == tried[-1]:
                raise
    used = {"sep": "(guessed by pandas)" if sep is None else sep, "decimal": decimal}
    if _separator_ends_each_row(frame):
        frame = read(index_col=False)  # the header's fields are the row's first ones
        used["separator_at_the_end_of_each_row"] = "ignored"
    if encoding != ENCODINGS[0]:
        used["encoding"] = encoding
    if comments:
        used["comment_lines_skipped"] = str(comments)
    if old_mac:
        used["line_ends"] = "CR (classic Mac OS)"
    return frame, used


def _zero_padded_columns(head: str, sep: str | None, complete: bool) -> list[str]:
    """The columns whose values in ``head`` are codes written in digits with leading zeros
    (:func:`~treesvsnets.datasets.text_values.zero_padded_codes`: ZIP codes), which pandas
    would read as numbers, dropping the zeros; they are read as text, and the column reader
    makes categories of them. Only the head's values are looked at, as for the separator."""
    import pandas as pd

    from treesvsnets.datasets.text_values import zero_padded_codes

    lines = head.splitlines(keepends=True)
    text = "".join(lines if complete else lines[:-1])  # the head's last line may be cut
    if "0" not in text:
        return []
    try:
        with warnings.catch_warnings():  # rows named as R writes them: one field more
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text), sep=sep, engine="python" if sep is None else "c",
                dtype=str, keep_default_na=False, index_col=False,
            )  # fmt: skip
    except (ValueError, csv.Error):  # the whole file's reading says what is wrong
        return []
    return [
        name
        for name in frame.columns
        if isinstance(name, str) and zero_padded_codes(frame[name].str.strip().unique())
    ]


def _comment_lines(head: str) -> int:
    """How many lines at the top of ``head`` are comments: '#' first, and not as many fields
    as the first line without it (a header written '#id,name,...' is the header)."""
    lines = head.splitlines()
    count = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    if count == len(lines):
        return 0

    def fields(line: str) -> list[int]:
        return [len(next(csv.reader([line], delimiter=sep), [])) for sep in SEPARATORS]

    while count and fields(lines[count - 1]) == fields(lines[count]):
        count -= 1  # the '#' line just above the data is its header
    return count


def _as_plain_types(frame: Any) -> None:
    """Decimal columns (a database's or Spark's Parquet) become floats, and times of day
    durations since midnight (read as seconds), in place: types a feature can be made of."""
    import datetime
    import decimal

    import pandas as pd

    for column in frame.columns[(frame.dtypes == "object").to_numpy()]:
        present = frame[column].dropna()
        if present.empty or not isinstance(present.iloc[0], (decimal.Decimal, datetime.time)):
            continue
        kinds = set(present.map(type))
        if kinds == {decimal.Decimal}:
            frame[column] = pd.to_numeric(frame[column].astype(object), errors="coerce")
        elif kinds == {datetime.time}:
            times = frame[column].map(
                lambda t: t.isoformat() if isinstance(t, datetime.time) else None
            )
            frame[column] = pd.to_timedelta(times)


def _separator_ends_each_row(frame: Any) -> bool:
    """Whether each data row has one field more than the header and that last field is blank
    in every row: a separator at the end of each data line (pandas would take the first
    field for row names and shift every column by one), not row names (R's write.table)."""
    import pandas as pd

    implicit = not isinstance(frame.index, pd.RangeIndex)  # pandas's row names from the file
    return implicit and frame.shape[1] > 0 and bool(frame.iloc[:, -1].isna().all())


def _empty_unnamed(column: Any) -> bool:
    """Whether a column has no name in the file (pandas calls it 'Unnamed: 7') and no value."""
    return str(column.name).startswith("Unnamed: ") and bool(column.isna().all())


def _encoding(raw: bytes, complete: bool) -> str:
    """The encoding of a text file whose first bytes are ``raw`` (all of it when
    ``complete``): UTF-16 by its byte-order mark, else the first of :data:`ENCODINGS` that
    reads them."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    body = raw if complete else raw[:-4]  # the head may end inside a character
    for encoding in ENCODINGS[:-1]:
        try:
            body.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return ENCODINGS[-1]


def _zip_member(archive: Any) -> str:
    """The one file of a zip archive, beside what the archiver added (macOS's
    ``__MACOSX/._data.csv`` resource forks, a ``.DS_Store``, Windows' ``Thumbs.db``)."""
    members = [
        name
        for name in archive.namelist()
        if not name.endswith("/")
        and not name.startswith("__MACOSX/")
        and not name.rsplit("/", 1)[-1].startswith("._")
        and name.rsplit("/", 1)[-1] not in (".DS_Store", "Thumbs.db")
    ]
    if len(members) != 1:
        raise ValueError(f"a .zip file must hold one table, this one holds {len(members)}")
    return members[0]


@contextlib.contextmanager
def _opened(path: Path, compression: str | None) -> Iterator[Any]:
    """What pandas reads the text table from: the file, or a zip archive's one table."""
    if COMPRESSIONS.get(compression or "") != "zip":
        yield path
        return
    import zipfile

    with zipfile.ZipFile(path) as archive, archive.open(_zip_member(archive)) as member:
        yield member


def _head(path: Path, compression: str | None) -> tuple[str, bool, str]:
    """The first :data:`HEAD_BYTES` of the file's text (decompressed), or more where they hold
    no row after the header (:func:`_read_head`), whether that is all of it, and the file's
    encoding (:func:`_encoding`)."""
    import bz2
    import gzip
    import lzma
    import zipfile

    kind = COMPRESSIONS.get(compression or "")
    if kind == "zip":
        with zipfile.ZipFile(path) as archive, archive.open(_zip_member(archive)) as file:
            raw, complete = _read_head(file)
    elif kind == "zstd":
        if importlib.util.find_spec("zstandard") is None:
            raise ImportError("a .zst file needs the zstandard package (pip install zstandard)")
        import zstandard

        with zstandard.open(path, "rb") as file:
            raw, complete = _read_head(file)
    else:
        opener = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}.get(kind or "", open)
        with opener(path, "rb") as file:
            raw, complete = _read_head(file)
        if kind is None:  # a plain file's first bytes: a binary format's, named as text?
            refuse_binary_as_text(raw, path)
    encoding = _encoding(raw, complete)
    return raw.decode(encoding, errors="ignore"), complete, encoding


#: the most a file's head may grow to hold its header and a row (a header of 6,000 names)
WIDE_HEAD_BYTES = 1 << 26


def _read_head(file: Any) -> tuple[bytes, bool]:
    """The file's first :data:`HEAD_BYTES`, or, where they hold fewer than three line ends (a
    spectrum's header of 6,000 wavelengths is longer: the separator was judged on part of one
    line, and a ';' file was refused as one column), four times more until they do (up to
    :data:`WIDE_HEAD_BYTES`); and whether that is the whole file."""
    size = HEAD_BYTES
    raw = file.read(size + 1)

    def few_lines(raw: bytes) -> bool:
        return max(raw.count(b"\n"), raw.count(b"\r")) < 3

    while len(raw) > size and size < WIDE_HEAD_BYTES and few_lines(raw):
        size *= 4
        raw += file.read(size + 1 - len(raw))
    return raw[:size], len(raw) <= size
