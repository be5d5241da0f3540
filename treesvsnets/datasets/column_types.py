"""What each column of a user's table holds, inferred as a careful analyst would read it.

One function, :func:`read_column`, takes a column as read from the file and
returns it with its values in their proper type (floats, datetimes or
stripped text) and a :class:`ColumnReading`: the inferred kind, how many
values were placeholders for missing (``unknown``, ``N/A``, ``?`` ...), which
values did not parse and became missing (with examples), which category spellings were
merged, why a column is dropped, and the encoding each training fold will give it.
``inspect``, the manifest and the report all show these readings.

The rules, in order (a column forced by the user skips the guessing):

1. Missing-value tokens (:data:`NULL_TOKENS`, any case, surrounding spaces
   ignored) become missing in every column.
2. A column whose present values are all yes/no, y/n, true/false or t/f is a
   boolean (0/1).
3. Text that parses as numbers for at least :data:`NUMERIC_SHARE` of its
   present values, after stripping currency symbols and thousands separators
   (a trailing ``%`` divides by 100), is numeric; the rest become missing. Numbers beside
   letter codes ('V57' among '428': a code list) are categories.
4. Text that parses as dates for at least :data:`NUMERIC_SHARE` of its present
   values is a datetime (the fold's pipeline turns it into numbers).
5. Anything else is categorical: values stripped of surrounding whitespace,
   spellings that differ only in case merged into the most frequent one.
6. A text column with a distinct value in (nearly) every row, or distinct
   whole numbers under an identifier's name (``customer_id``, ``Unnamed: 0``),
   is dropped as an ID; a column with one value and no gaps is dropped as
   constant. ``keep`` keeps either.

Rules 2-4 look at a seeded sample of a large column first
(:func:`~treesvsnets.datasets.text_values.sample_of`, 4,000 values): the whole column is
parsed as booleans, numbers or dates only where its sample does not rule that out
(:func:`~treesvsnets.datasets.text_values.ruled_out`: a sample share well below the one the
whole column needs), and then the rule is judged on the whole column as it always was, so
the readings are those of the whole column; a categorical column of 200,000 values costs
the parse of 4,000. The parsing itself is in :mod:`~treesvsnets.datasets.text_values`.

Before any of that, :func:`row_index_reason` finds the file's row index, which R's
``write.csv`` (``""``, read back as ``X`` or ``...1``), Rdatasets (``rownames``) and pandas'
``to_csv`` (``Unnamed: 0``) write as a first column: a column whose values are the row
positions in file order (0..n-1 or 1..n, under any name), or a column of distinct whole
numbers under a row index's name (``Unnamed: 0``, ``rownames``, ``...1``; ``X`` or ``index``
only as the first column). Files are often sorted by their target, so a row index is
a feature that leaks it: it is dropped, before duplicate rows are judged (an index makes
every row distinct), unless the user keeps or declares it.

Nothing here learns from the labels or from other rows than the column's own,
and nothing is fitted: the statistics (medians, categories, encodings, date
references) are fitted inside each training fold, in
:mod:`treesvsnets.datasets.columns`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from treesvsnets.datasets.text_columns import EXAMPLES, examples, parsed_text
from treesvsnets.datasets.text_values import (
    FALSE_DIGIT,
    FALSE_TOKENS,
    TRUE_DIGIT,
    TRUE_TOKENS,
    boolean_values,
    categories,
    holds_no_digit,
    sample_of,
    share_with_digits,
    yes_no_sides,
    zero_padded_codes,
)

#: values that mean "missing" in any column (compared after stripping and lower-casing)
NULL_TOKENS = (
    "",
    "na",
    "n/a",
    "n.a.",
    "nan",
    "null",
    "none",
    "unknown",
    "?",
    "-",
    "--",
    "#n/a",
    "<na>",
    # a spreadsheet's errors, exported as text
    "#div/0!",
    "#value!",
    "#ref!",
    "#name?",
    "#num!",
    "#null!",
)
#: the note on a column of whole numbers some of which are written with leading zeros
ZERO_PADDED_NOTE = "codes: whole numbers written with leading zeros, read as categories"
#: a text column is numeric (or a datetime) when at least this share of its present values parse
NUMERIC_SHARE = 0.9
#: a column the user forces numeric (or datetime) must parse for at least this share
FORCED_SHARE = 0.5
#: a text column with distinct values in at least this share of its rows is an identifier
ID_SHARE = 0.95
#: ...when it has at least this many values (a tiny table's categories are often all distinct)
ID_MIN_ROWS = 20
KINDS = ("numeric", "boolean", "categorical", "datetime")
# id, ID, row_id, customer-id, "client id", PassengerId, index, rowid, a saved index "Unnamed: 0"
_ID_NAME = re.compile(r"(?:^|[_\s.\-])(?:id|index|rowid|row)$|^unnamed: ?\d+$", re.IGNORECASE)
_CAMEL_ID = re.compile(r"[a-z]I[dD]$")  # PassengerId, userID (case matters: not "paid")
# the names a saved row index gets: pandas' "Unnamed: 0", R's blank header read back by readr
# ("...1") or pandas, Rdatasets' "rownames", R's "row.names", pyarrow's "__index_level_0__"
_INDEX_NAME = re.compile(
    r"^(?:|unnamed: ?\d+(?:\.\d+)?|\.\.\.\d+|rownames|row\.names|row_names|__index_level_\d+__)$",
    re.IGNORECASE,
)
# ...and the names R's read.csv (X), older readr (X1) and users give it, for a first column
_FIRST_INDEX_NAME = re.compile(r"^(?:X|X1|(?i:index|idx|row))$")  # a feature "x" stays
#: a column of row positions under any name is only told from a measurement on this many rows
INDEX_MIN_ROWS = ID_MIN_ROWS


@dataclass
class ColumnReading:
    """How one column was read; every field is JSON-able (manifests, reports, ``--json``)."""

    name: str
    read_as: str  # the dtype pandas read from the file
    kind: str  # numeric, boolean, categorical, datetime, or dropped
    missing: int  # values missing once read: blank cells, placeholders, unparsed values
    placeholders: int  # text values that stood for missing: 'unknown', 'N/A', '?' ...
    distinct: int  # distinct present values, once read
    unparsed: int = 0  # values that did not parse as the column's kind and became missing
    unparsed_examples: list[str] = field(default_factory=list)
    merged: dict[str, list[str]] = field(default_factory=dict)  # kept spelling -> variants
    forced: bool = False  # the kind was given by the user
    note: str = ""  # why it was dropped, or what it was parsed from
    encoding: str = ""  # what each training fold's pipeline makes of it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def used(self) -> bool:
        return self.kind in KINDS


def odd_value_types(values: pd.Series) -> list[str]:
    """The names of the types in ``values`` no encoder can turn into features (lists, dicts,
    arrays, bytes), or []: a column of numbers, dates or pandas strings holds none."""
    import datetime

    if values.dtype.kind in "biufmM" or isinstance(values.dtype, pd.StringDtype):  # m: durations
        return []
    kinds = {type(v) for v in values.dropna().iloc[:1000]}
    plain = str | bool | int | float | np.generic | datetime.date  # Timestamp is a datetime
    return sorted(k.__name__ for k in kinds if not issubclass(k, plain))


def null_mask(values: pd.Series, tokens: frozenset[str]) -> pd.Series:
    """Where ``values`` is missing: NaN/None, or text that is one of ``tokens`` (any case)."""
    return _missing(values, tokens)[0]


def _missing(
    values: pd.Series, tokens: frozenset[str]
) -> tuple[pd.Series, pd.Series, pd.Series | None, tuple[np.ndarray, np.ndarray] | None]:
    """(missing, blank: NaN or empty text, the text stripped or None for a typed column, and
    the stripped text's codes and distinct spellings, ``pandas.factorize``'s, or None).

    A spelling is blank or a token whatever row it is in, so each distinct spelling is
    compared once and the rows take their spelling's answer by its code."""
    missing = values.isna().to_numpy(dtype=bool)
    blank, stripped, coded = missing, None, None
    if _is_text(values):
        stripped = values.astype("string").str.strip()
        codes, uniques = pd.factorize(stripped)
        spellings = pd.Series(uniques)
        empty = np.append(spellings.eq("").to_numpy(dtype=bool), False)  # code -1: NaN
        token = np.append(spellings.str.lower().isin(tokens).to_numpy(dtype=bool), False)
        blank, missing = missing | empty[codes], missing | token[codes]
        coded = (codes, np.asarray(uniques, dtype=object))
    index = values.index
    return pd.Series(missing, index=index), pd.Series(blank, index=index), stripped, coded


def _is_text(values: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)


def _is_numeric_id(numbers: pd.Series, name: str) -> bool:
    """Distinct whole numbers under an identifier's name (``id``, ``customer_id``, ``PassengerId``,
    ``index``, a saved index's ``Unnamed: 0``): a numeric column is an ID only when its name says
    so too, since a distinct number in every row is also what a real measurement looks like."""
    if not (_ID_NAME.search(name) or _CAMEL_ID.search(name)):
        return False
    present = numbers.dropna()
    if len(present) < ID_MIN_ROWS or present.nunique() != len(numbers):
        return False
    return bool(np.all(np.mod(present.to_numpy(), 1) == 0))


def row_index_reason(values: pd.Series, first: bool = False) -> str | None:
    """Why the column ``values`` (as read from the file, its rows in file order; ``first``:
    the file's first column) is the file's row index, or None: its values are the row
    positions (0..n-1 or 1..n; under any name, on at least :data:`INDEX_MIN_ROWS` rows), or
    it holds distinct whole numbers under a saved index's name (``Unnamed: 0``, ``rownames``,
    ``...1``; as the first column, also ``X`` or ``index``), the rows perhaps filtered or
    shuffled since the index was made."""
    if pd.api.types.is_bool_dtype(values.dtype) or len(values) < 2:
        return None
    name = str(values.name)
    named = _INDEX_NAME.fullmatch(name) or (first and _FIRST_INDEX_NAME.fullmatch(name))
    if not named and values.isna().any():
        return None
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values
    elif named and _is_text(values):  # R quotes its row names: "1", "2"...
        numbers = pd.to_numeric(values.astype("string").str.strip().astype(object), errors="coerce")
    else:
        return None
    array = numbers.to_numpy(dtype=float, na_value=np.nan)
    odd = ~np.isfinite(array)
    odd[~odd] = np.mod(array[~odd], 1) != 0
    if odd.any():
        return _index_but_for(array, odd) if named else None
    n = len(array)
    if n >= INDEX_MIN_ROWS:
        for start in (0, 1):
            ends = array[0] == start and array[-1] == start + n - 1  # cheap, before the whole
            if ends and np.array_equal(array, np.arange(start, start + n)):
                return (
                    f"the file's row index: its values are the row positions "
                    f"{start}..{start + n - 1}"
                )
    if named and len(np.unique(array)) == n:
        return "the file's row index: distinct whole numbers under an index's name"
    return None


#: a saved index's column may hold this share of odd values (a blank, '10a': a record a
#: parser split in two, a hand edit) and still be the index (at least 2 such values)
INDEX_ODD_SHARE = 0.01


def _index_but_for(array: np.ndarray, odd: np.ndarray) -> str | None:
    """Why a column under an index's name, with the ``odd`` values of ``array`` not whole
    numbers, is still the row index: few of them, the others distinct whole numbers."""
    count = int(odd.sum())
    whole = array[~odd]
    if count > max(2, INDEX_ODD_SHARE * len(array)) or len(whole) < INDEX_MIN_ROWS:
        return None
    if len(np.unique(whole)) != len(whole):
        return None
    return (
        "the file's row index: distinct whole numbers under an index's name, but for "
        f"{count} odd value(s)"
    )


def index_reading(values: pd.Series, reason: str) -> ColumnReading:
    """The reading of a column dropped as the file's row index (``reason`` says why)."""
    return ColumnReading(
        name=str(values.name),
        read_as=str(values.dtype),
        kind="dropped",
        missing=0,
        placeholders=0,
        distinct=int(values.nunique()),
        note=f"{reason} (keep it with keep = [...])",
    )


def read_column(
    values: pd.Series,
    *,
    forced: str | None = None,
    keep: bool = False,
    tokens: frozenset[str] = frozenset(NULL_TOKENS),
    where: str = "",
    decimal: str = ".",
) -> tuple[pd.Series | None, ColumnReading]:
    """The column in its inferred (or ``forced``) kind, and how it was read.

    ``forced`` is one of ``numeric``, ``categorical``, ``datetime``; a forced numeric or
    datetime column that parses for fewer than :data:`FORCED_SHARE` of its values raises
    :class:`~treesvsnets.errors.DeclaredTypeError` naming ``where`` and the column. Returns
    ``(None, reading)`` for a column that is dropped (empty, constant, an identifier).
    """
    from treesvsnets.errors import DeclaredTypeError

    name = str(values.name)
    infinities: list[str] = []  # inf becomes missing: counted, said, and a column of it empty
    if values.dtype.kind == "f":
        infinite = np.isinf(values.to_numpy())
        if infinite.any():  # no copy of a column without any
            infinities = [str(v) for v in values[infinite]]
            values = values.where(~infinite)
    missing, blank, stripped, coded = _missing(values, tokens)
    reading = ColumnReading(
        name=name,
        read_as=str(values.dtype),
        kind="dropped",
        missing=int(missing.sum()),
        placeholders=int((missing & ~blank).sum()),
        distinct=0,  # counted below, once the column's kind says which values to count
        forced=forced is not None,
    )
    if infinities:  # said as values the column could not read, as a text 'inf' is
        reading.unparsed = len(infinities)
        reading.unparsed_examples = list(dict.fromkeys(infinities))[:EXAMPLES]
    present = values.where(~missing)
    if reading.missing == len(values):
        reading.note = "empty: no value in any row"
        return None, reading

    result: pd.Series | None = None
    text = None if stripped is None else stripped.where(~missing)
    if forced in (None, "numeric", "datetime"):
        spellings = None if coded is None else coded[1]
        result = _typed(present, missing, reading, forced, decimal, text, spellings)
        if result is None and forced is not None:
            share = 1 - reading.unparsed / max(1, len(values) - reading.missing)
            example = (
                f" (e.g. {reading.unparsed_examples[0]!r})" if reading.unparsed_examples else ""
            )
            raise DeclaredTypeError(
                f"{where}: column {name!r} is declared {forced} but only {share:.0%} of its "
                f"values parse as {'numbers' if forced == 'numeric' else 'dates'}{example}; "
                "fix the values or declare it categorical."
            )
    if result is None:  # categories: counted once, from the codes _missing found
        if coded is not None:  # placeholders are missing: no spelling of theirs is kept
            coded = (np.where(missing, -1, coded[0]), coded[1])
        found = categories(present, coded=coded, feature=True)
        result, reading.merged, reading.distinct = found
        reading.kind, reading.unparsed, reading.unparsed_examples = "categorical", 0, []
    else:  # the distinct values as read (text before it was parsed)
        reading.distinct = int((values if text is None else text).nunique())
    # blanks, placeholders and unparsed values (a category is missing where its value was)
    gaps = reading.missing if reading.kind == "categorical" else int(result.isna().sum())
    reading.missing = gaps
    if keep or forced is not None:
        return result, reading
    note = _dropped_because(result, reading, name, len(values) - gaps, values_read=text is None)
    if note:
        reading.kind, reading.note = "dropped", note
        return None, reading
    return result, reading


def _dropped_because(
    result: pd.Series, reading: ColumnReading, name: str, counted: int, values_read: bool
) -> str:
    """Why a column read as ``result`` is dropped (an identifier, a constant), or "".
    ``counted``: its values present; ``values_read``: ``reading.distinct`` counted the values
    as the file typed them, not parsed from text."""
    categorical = reading.kind == "categorical"
    if categorical and counted >= ID_MIN_ROWS and reading.distinct >= ID_SHARE * counted:
        return (
            f"an identifier: {reading.distinct} distinct values in {counted} "
            "rows (keep it with keep = [...])"
        )
    if reading.kind == "numeric" and _is_numeric_id(result, name):
        return "an identifier: a distinct whole number in every row (keep it with keep = [...])"
    if counted < len(result):  # a gap: not a constant
        return ""
    # with no gap, a float column's values are those read (no infinity became missing)
    same = categorical or (values_read and result.dtype == reading.read_as == "float64")
    if (reading.distinct if same else result.nunique(dropna=True)) <= 1:
        value = result.iloc[0]
        if isinstance(value, float) and value.is_integer():  # 1, not 1.0: a whole number read
            value = int(value)
        return f"constant: {str(value)[:40]!r} in every row"
    return ""


def finite_floats(values: pd.Series) -> pd.Series:
    """``values`` as floats of their own, infinities (and pandas' NA) missing: in NumPy, not
    with ``Series.replace``, whose bookkeeping of the frame's other views grows with every
    column read (a table of 5,000 columns: 30 s to read, against pandas' 1.6 s)."""
    floats = values.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    floats[np.isinf(floats)] = np.nan
    return pd.Series(floats, index=values.index, name=values.name)


def _refused(present: pd.Series, missing: pd.Series, reading: ColumnReading) -> None:
    """A typed column that cannot be the kind the user forced: every value counts as unparsed."""
    reading.unparsed = int((~missing).sum())
    reading.unparsed_examples = examples(present, ~missing)


def _typed(
    present: pd.Series,
    missing: pd.Series,
    reading: ColumnReading,
    forced: str | None,
    decimal: str = ".",
    text: pd.Series | None = None,
    spellings: np.ndarray | None = None,
) -> pd.Series | None:
    """The column as booleans, numbers or datetimes when it is one (sets ``reading``), else
    None (then ``reading.unparsed`` says how much of it failed to parse, for the error).
    ``text``: a text column's present values already stripped, as pandas strings;
    ``spellings``: its distinct values (an inferred column none of whose values could hold a
    digit is neither numbers nor dates, and is not parsed as either)."""
    if pd.api.types.is_bool_dtype(present.dtype):
        reading.kind = "boolean"
        return present.astype(float)
    if pd.api.types.is_datetime64_any_dtype(present.dtype):
        if forced == "numeric":
            return _refused(present, missing, reading)
        reading.kind = "datetime"
        dates = pd.to_datetime(present, utc=True).dt.tz_convert(None)
        return dates.astype("datetime64[ns]")
    if pd.api.types.is_timedelta64_dtype(present.dtype):  # Parquet's durations
        if forced == "datetime":
            return _refused(present, missing, reading)
        reading.kind, reading.note = "numeric", "durations as seconds"
        return present.dt.total_seconds()
    if pd.api.types.is_numeric_dtype(present.dtype):
        if forced == "datetime":
            return _refused(present, missing, reading)
        reading.kind = "numeric"
        return finite_floats(present)
    text = present.astype("string").str.strip() if text is None else text
    # The type is decided on a seeded sample first (text_values.sample_of); the whole column
    # is parsed only where the sample does not rule its type out, and judged as a whole.
    sample = sample_of(text) if forced is None else None
    yes_no = TRUE_TOKENS | FALSE_TOKENS | {TRUE_DIGIT, FALSE_DIGIT}
    if forced is None and (sample is None or sample.str.lower().isin(yes_no).all()):
        lowered = text.str.lower()
        if yes_no_sides(lowered.dropna().unique()) is not None:
            reading.kind, reading.note = "boolean", "yes/no text as 1/0"
            return boolean_values(lowered)
    if forced is None and spellings is not None and holds_no_digit(spellings):
        return None  # categories: what parsing would have found, without the parse
    if forced is None and spellings is not None and zero_padded_codes(spellings):
        reading.note = ZERO_PADDED_NOTE
        return None  # categories: '02134' is a ZIP code, not 2,134 of anything
    threshold = NUMERIC_SHARE if forced is None else FORCED_SHARE
    if forced is None and share_with_digits(text) < min(threshold, 0.5):
        return None  # categories: no parse reads half of the values without a digit in them
    return parsed_text(text, present, missing, reading, forced, decimal, sample, threshold)
