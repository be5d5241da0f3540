"""A text table's header, judged before and after pandas reads it: a name given twice
(pandas would keep 'width' and 'width.1'), a first data row with one field more than the
header (an unquoted separator), a title above the header ('Sales report 2024' in a sheet's
first cell), or no header at all (UCI's iris.data, whose first row is data). Each is one
sentence naming the file."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

from treesvsnets.errors import DatasetError

#: the separator of a table aligned with spaces (R's print, pandas' to_string): runs of them
WHITESPACE = r"\s+"


def records(text: str, sep: str) -> list[list[str]]:
    """The fields of each line of ``text`` under ``sep`` (an empty list for a blank line),
    as the csv module splits them, or at runs of spaces (:data:`WHITESPACE`)."""
    if sep == WHITESPACE:
        return [line.split() for line in text.splitlines()]
    return list(csv.reader(io.StringIO(text), delimiter=sep))


def check_header(head: str, sep: str | None, path: Path) -> None:
    """Refuse a header that names a column twice, as written (pandas would read the second
    'width' as 'width.1'; names that differ only in spaces are refused after reading)."""
    if sep is None:
        return
    names = [name.strip() for name in next(iter(records(head, sep)), [])]
    refuse_repeated(names, path)


def check_first_row(head: str, sep: str | None, complete: bool, path: Path) -> None:
    """Refuse a file whose first data row has one field more than its header while later
    rows have as many: a value holding an unquoted separator ('late, rescheduled'). pandas
    would take the first column for row names and shift every column by one (8 of 400 rows
    were kept, the others read as having no target); the same line further down is refused
    by pandas itself. R's row names (one field more on every row) are read as such."""
    if sep is None:
        return
    lines = [(number, row) for number, row in enumerate(records(head, sep), start=1) if row]
    if not complete:
        lines = lines[:-1]  # the head may end inside a line
    if len(lines) < 3 or len(lines[1][1]) != len(lines[0][1]) + 1:
        return
    fields = len(lines[0][1])
    later = next((number for number, row in lines[2:] if len(row) == fields), None)
    if later is not None:
        raise DatasetError(
            f"{str(path)!r}: line {lines[1][0]} has {fields + 1} fields where the header and "
            f"line {later} have {fields}: a value holds an unquoted {sep!r} (quote it, or fix "
            "the line)."
        )


def refuse_title_row(names: list[str], path: Path) -> None:
    """Refuse a file whose first row names fewer than half of its columns, at least two of
    them left unnamed: a title above the header ('Sales report 2024' in a sheet's first
    cell), which made the header a data row and a column 'Unnamed: 3' the target."""
    unnamed = [name for name in names if re.fullmatch(r"Unnamed: \d+", name)]
    if len(unnamed) >= 2 and 2 * len(unnamed) > len(names):
        raise DatasetError(
            f"data file {str(path)!r}: its first row names {len(names) - len(unnamed)} of its "
            f"{len(names)} columns: is a title above the header? Remove the rows above the "
            "header, or save the table from its header row."
        )


def refuse_repeated(names: list[str], path: Path) -> None:
    """One sentence naming the columns a header names twice (blank names are pandas'), or,
    where those are numbers, saying the first row is data (a file without a header)."""
    repeated = sorted(name for name, n in Counter(names).items() if name and n > 1)
    if repeated and all(_number(name) for name in repeated):
        refuse_headerless(names, path)
    if repeated:
        raise DatasetError(f"data file {str(path)!r} has repeated column names: {repeated}.")


def _number(name: str) -> bool:
    try:
        float(name)
    except ValueError:
        return False
    return True


def refuse_headerless(names: list[str], path: Path, frame: Any = None) -> None:
    """Refuse a file whose first row is data: a UCI file's '5.1,3.5,1.4,0.2,Iris-setosa',
    read as the header (columns named '5.1', a target named 'Iris-setosa', one row lost).
    Told by numbers named twice, or by names that are numbers with decimals (two at least)
    each inside the range of its column's values (``frame``: the file as read), as a data
    row's are; years as column names ('1990', '1991') are a header, and so are a spectrum's
    wavelengths ('1100.5' over absorbances near 0.4)."""
    decimals = [name for name in names if _number(name) and not name.lstrip("+-").isdigit()]
    repeated = [n for n, count in Counter(names).items() if count > 1 and _number(n)]
    if len(decimals) >= 2 and frame is not None and not repeated:
        decimals = [name for name in decimals if _within(frame[name], float(name))]
    if len(decimals) >= 2 or repeated:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise DatasetError(
            f"data file {str(path)!r}: its first row ({shown}) is data, not column names: "
            "add a header row naming the columns (the file has none)."
        )


def _within(column: Any, value: float) -> bool:
    """Whether ``value`` lies within the numbers of ``column`` (a data row's value would)."""
    import pandas as pd

    numbers = pd.to_numeric(column, errors="coerce").dropna()
    return bool(len(numbers)) and numbers.min() <= value <= numbers.max()
