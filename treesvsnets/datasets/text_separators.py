"""A text table's separator and decimal mark, judged on the file's head (:func:`sniff_text`):
the suffix's separator (',' for .csv, a tab for .tsv) when every record of the head has the
same number of fields under it, else the one of ',', ';', tab and '|' that gives the most
fields consistently, else runs of spaces where they split each line alike (a table aligned
in columns: R's print, pandas' to_string); the decimal mark is ',' when the separator is not
',' and the head's numbers are written with a ',' more often than with a '.' (a number such
as '7.804', a thousands group or three decimals alike, counts for neither; where it is all
there is, ';' says ',')."""

from __future__ import annotations

import csv
import io
import re

from treesvsnets.datasets.table_headers import WHITESPACE, records

#: separators a text file may use, in the order they are preferred on a tie
SEPARATORS = (",", ";", "\t", "|")
_COMMA_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:[.\u00a0 ]\d{3})+|\d+),\d+$")
_POINT_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d+$")
#: a number that reads as a thousands group or as three decimals alike ('7.804', '1,250'):
#: it says nothing of the decimal mark
_ONE_GROUP = re.compile(r"^[+-]?[1-9]\d{0,2}[.,]\d{3}$")


def sniff_text(
    head: str, default: str | None, complete: bool = True, given: bool = False
) -> tuple[str | None, str]:
    """The separator and decimal mark of a text table whose first characters are ``head``
    (all of it when ``complete``; else its last record, perhaps cut, is left out), with
    ``default`` the separator its suffix implies (None: none), or the one the user ``given``
    (then only the decimal mark is judged)."""
    sep = default if given else _separator(head, default, complete)
    if sep in (None, ",", WHITESPACE):
        return sep, "."
    values = [v.strip() for r in csv.reader(io.StringIO(head), delimiter=sep) for v in r[:100]]
    grouped = [bool(_ONE_GROUP.match(v)) for v in values]  # 7.804: 7804, or 7.804?
    values = [v for v, one_group in zip(values, grouped, strict=True) if not one_group]
    comma = sum(bool(_COMMA_NUMBER.match(v)) for v in values)
    point = sum(bool(_POINT_NUMBER.match(v)) for v in values)
    if comma == point == 0 and any(grouped) and sep == ";":  # the European's separator
        return sep, ","
    return sep, "," if comma > point else "."


def _separator(head: str, default: str | None, complete: bool) -> str | None:
    """``default`` when every record of ``head`` has the same number of fields (two or more)
    under it, else the separator that gives the most such fields (``default`` if none does).
    Data rows may each have one field more than the header: row names, or a separator at
    the end of each data row (:func:`_separator_ends_each_row`)."""
    counts = {}
    for sep in SEPARATORS:
        records = [r for r in csv.reader(io.StringIO(head), delimiter=sep) if r]
        if not complete:
            records = records[:-1]
        if not records:
            continue
        lengths = {len(r) for r in records[1:]} or {len(records[0])}
        named = len(records[0])  # the header's fields
        if len(lengths) == 1 and named >= 2 and named in (min(lengths), min(lengths) - 1):
            counts[sep] = named
    if not counts and default is None and _aligned(head, complete):
        return WHITESPACE
    if default in counts or not counts:
        return default
    return max(counts, key=lambda s: (counts[s], -SEPARATORS.index(s)))


def _aligned(head: str, complete: bool) -> bool:
    """Whether ``head`` is a table aligned with spaces (R's print, pandas' to_string, a .dat
    file): no separator splits it, while runs of spaces split each line into as many
    fields as the header names (two or more), or one more (R's row names)."""
    lines = [fields for fields in records(head, WHITESPACE) if fields]
    if not complete:
        lines = lines[:-1]
    if len(lines) < 2 or len(lines[0]) < 2:
        return False
    lengths = {len(fields) for fields in lines[1:]}
    return len(lengths) == 1 and min(lengths) in (len(lines[0]), len(lines[0]) + 1)
