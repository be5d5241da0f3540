"""Rows a file holds that are no observations: a spreadsheet's totals row, and the header
written again between the rows of files appended one to another.

A sheet's last rows may add up the others ('TOTAL' in a label column, each number the sum of
its column above): kept, such a row is an observation many times the size of any other (a
regression target's maximum became 1.68e7 beside values in the thousands, and the estimator
that extrapolated to it ranked first). :func:`totals_rows` finds them among the last rows;
the table's cleaning drops them and the run's first line counts them. :func:`header_rows`
finds the header repeated (every value its column's name: `cat a.csv b.csv`), which read as
data made a class of the target's name, or a text value in a column of numbers."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

#: a label that says a row sums the others (any case; a trailing colon allowed)
TOTAL_WORDS = re.compile(
    r"^\s*(?:grand\s+)?(?:totals?|sum|subtotal|gesamt|summe|totale?|totaal)\s*:?\s*$",
    re.IGNORECASE,
)
#: how many of the last rows are looked at
LAST_ROWS = 2
#: a table needs at least this many rows besides for a sum to mean anything
MIN_ROWS = 5


def totals_rows(frame: Any) -> list[Any]:
    """The index labels of ``frame``'s last rows that total the rows above them: a cell that
    says so (``TOTAL``, ``Sum``, ``Grand total``) and a number that is its column's sum above,
    or, with no such word, every numeric column's sum (two at least). Numeric columns are
    those the file holds as numbers: a sum over them is one pass, whatever the table's size."""
    found: list[Any] = []
    if len(frame) < MIN_ROWS + LAST_ROWS:
        return found
    columns = {  # infinities (the column reader's missing values) make no sum either
        c: np.where(np.isinf(values := frame[c].to_numpy(dtype=float)), np.nan, values)
        for c in frame.columns
        if frame[c].dtype.kind in "iuf"
    }
    data = len(frame) - LAST_ROWS
    above = {c: float(np.nansum(values[:data])) for c, values in columns.items()}
    for position in range(len(frame) - 1, data - 1, -1):
        row = frame.iloc[position]
        said = any(isinstance(v, str) and TOTAL_WORDS.match(v) for v in row.to_numpy())
        # the rows after the data and before this one (a subtotal) count as data too
        sums = [
            c
            for c, values in columns.items()
            if _is_sum(row[c], above[c] + float(np.nansum(values[data:position])))
        ]
        if (said and (sums or not columns)) or (len(sums) >= 2 and len(sums) == len(columns)):
            found.append(frame.index[position])
        elif not said:
            break  # only the last rows of a sheet total it
    return found


def _is_sum(value: Any, total: float) -> bool:
    """Whether ``value`` is ``total``, a column's sum (0 is no evidence)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return False
    return bool(np.isfinite(value) and value != 0 and np.isclose(value, total, rtol=1e-6))


def header_rows(frame: Any) -> list[Any]:
    """The index labels of ``frame``'s rows that repeat its header: in every column (two or
    more), the column's name, spaces aside. A column the file holds as numbers has no such
    row (its name would have made it text)."""
    if frame.shape[1] < 2 or any(frame[c].dtype.kind in "biuf" for c in frame.columns):
        return []
    repeated = None
    for column in frame.columns:
        same = frame[column].astype("string").str.strip() == str(column).strip()
        repeated = same if repeated is None else repeated & same
        if not repeated.any():
            return []
    return list(frame.index[repeated.fillna(False).to_numpy(dtype=bool)])


#: what each count of rows a table's cleaning removed says, in the order it removes them
REMOVED = (
    ("header_rows_dropped", "header row(s) repeated among the rows"),
    ("totals_rows_dropped", "totals row (the sums of the rows above)"),
    ("duplicate_rows_removed", "duplicate rows"),
    ("rows_without_target_dropped", "rows without a target"),
    ("rows_with_missing_values_dropped", "rows with missing values"),
)


def rows_removed(cleaning: dict[str, Any]) -> list[str]:
    """The rows a table's cleaning record says it removed, counted, in words ("1 totals row
    (the sums of the rows above)"): the run's first line and inspect say the same."""
    return [f"{cleaning[key]} {what}" for key, what in REMOVED if cleaning.get(key)]
