"""Text values as people write them, read with the libraries' vectorised string operations.

:func:`parse_numbers` ('$46,064.65', '19.29%', '(1,200)', '1 234'; with a ``,`` decimal mark,
'1.234,56'), :func:`parse_clock` ('08:30', '2:03:45', '8:30 PM'), :func:`parse_dates` (one
consistent format, guessed by :func:`date_formats`), :func:`boolean_values` (yes/no words as
1/0) and :func:`merge_case_variants` (spellings that differ only in case merged). Every step
is a pandas string method on Arrow-backed strings or a pandas/numpy operation over the
column, never a Python function per value.

:func:`sample_of` is the seeded sample on which a column's type is decided first
(:func:`~treesvsnets.datasets.column_types.read_column`): a column is parsed whole only when
its sample does not rule the type out (:func:`ruled_out`).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from typing import Any

import numpy as np
import pandas as pd

TRUE_TOKENS = frozenset({"true", "yes", "y", "t"})
FALSE_TOKENS = frozenset({"false", "no", "n", "f"})
#: 1 and 0 among yes/no words (a spreadsheet's TRUE/FALSE beside a database's 1/0) are the
#: same two values; alone they are numbers
TRUE_DIGIT, FALSE_DIGIT = "1", "0"
#: a column with more present values than this has its type decided on a sample of this many
#: first; a smaller column is read whole, as it always was
SAMPLE_SIZE = 4000
#: a sample rules a type out when the share of its values that parse is this far below the
#: share the whole column needs: with 4,000 values drawn, a column that does reach the share
#: gives a sample this far below it with a probability under 1e-34 (Hoeffding's bound)
SAMPLE_MARGIN = 0.1

_CURRENCY = "$€£¥₹₽₩¢"
# thousands separators: ',' (1,234), a space or a no-break/thin space (1 234), "'" (1'234)
_GROUPED = re.compile(r"^([+-]?\d{1,3})((?:[,'\u00a0\u202f ]\d{3})+)(\.\d*)?$")
_NEGATIVE = re.compile(r"^\((.*)\)$")  # accounting negatives: (1,234.50)
_TRAILING_MINUS = re.compile(r"[\d.,'\u00a0\u202f ]*\d-")  # an ERP's negatives: 1,234.50-
#: a value censored at a limit: below a detection limit ('<0.35'), above a range's ('>100')
CENSORED = re.compile(r"^(<=?|≤|>=?|≥)\s*(?=[-+\d.$€£(])")
#: the first characters of every value :data:`CENSORED` matches: a cheap test of a column
CENSORED_STARTS = ("<", ">", "≤", "≥")


def sample_of(text: pd.Series, seed: int = 0) -> pd.Series | None:
    """A seeded sample of :data:`SAMPLE_SIZE` of the present values of ``text`` (in their
    order), or None when the column is no larger than a sample (it is then read whole)."""
    present = text.dropna()
    if len(present) <= SAMPLE_SIZE:
        return None
    rows = np.sort(np.random.default_rng(seed).choice(len(present), SAMPLE_SIZE, replace=False))
    return present.iloc[rows]


def ruled_out(sample: pd.Series | None, parsed: pd.Series | None, share: float) -> bool:
    """Whether a column whose ``sample`` parses as ``parsed`` (NaN/NaT where a value does not)
    cannot reach ``share`` of parsed values as a whole (see :data:`SAMPLE_MARGIN`)."""
    if sample is None or parsed is None or sample.empty:
        return False
    return float(parsed.notna().mean()) < share - SAMPLE_MARGIN


def parse_numbers(text: pd.Series, decimal: str = ".") -> pd.Series:
    """Numbers from text as people write them: '$46,064.65' -> 46064.65, '19.29%' -> 0.1929,
    '(1,200)' and '1,200-' -> -1200, '1 234' -> 1234, '54' beside '54%' -> 0.54 (a
    percentage written without its sign: :func:`_percents_unmarked`); NaN where the text is
    not a number. With ``decimal``
    ',' (a file written so) the roles of '.' and ',' swap: '1.234,5' -> 1234.5, '3,5' -> 3.5.

    Each value is read on its own, so a column whose values repeat (categories: Ames' 2,930
    houses hold at most 28 values per text column) is read once per distinct value."""
    codes, distinct = pd.factorize(text)
    if 2 * len(distinct) >= len(text):
        return _parse_numbers(text, decimal)
    numbers = _parse_numbers(pd.Series([*distinct, None], dtype=object), decimal).to_numpy()
    return pd.Series(numbers[codes], index=text.index)  # code -1 (missing): the last, NaN


def _parse_numbers(text: pd.Series, decimal: str) -> pd.Series:
    """:func:`parse_numbers` of each value: a plain number ('3.5', '-2', '1e3', which every
    step below leaves as it is) by pandas' parser at once, the others by those steps (an R
    file's 'NA' made every numeric column text: 16 s to read a million rows); then what
    depends on the whole column (percentages unmarked, negatives, censored values)."""
    numbers = np.full(len(text), np.nan)
    slow = np.ones(len(text), dtype=bool)
    if decimal == ".":
        plain = pd.to_numeric(text.astype(object), errors="coerce").to_numpy(dtype=float)
        slow = np.isnan(plain)
        numbers[~slow] = plain[~slow]
    sign = np.full(len(text), "", dtype=object)
    percent, negative = np.zeros(len(text), dtype=bool), np.zeros(len(text), dtype=bool)
    if slow.any():
        found = _read_each(text[slow], decimal)
        numbers[slow], sign[slow], percent[slow], negative[slow] = found
    numbers = pd.Series(numbers, index=text.index)
    percent = pd.Series(percent, index=text.index)
    numbers = numbers.where(~(percent | _percents_unmarked(numbers, percent)), numbers / 100)
    numbers = numbers.where(~negative, -numbers.abs())
    return _censored(numbers, sign)


def _read_each(text: pd.Series, decimal: str) -> tuple[np.ndarray, ...]:
    """Each value of ``text`` as a number (NaN where none), with its censoring sign ('<'...),
    whether it was a percentage and whether written negative ('(1,200)', '12.57-')."""
    text = text.astype("string").str.strip().str.replace("\u2212", "-")  # the minus sign: −3.5
    sign = text.str.extract(CENSORED, expand=False).astype(object).fillna("").to_numpy(str)
    text = text.str.replace(CENSORED, "", regex=True)
    if decimal == ",":  # '1.234,5' read as '1,234.5' is
        text = text.str.replace(",", "\0").str.replace(".", ",").str.replace("\0", ".")
    negative = text.str.fullmatch(_NEGATIVE).fillna(False)
    text = text.str.replace(_NEGATIVE, r"\1", regex=True)
    trailing = text.str.fullmatch(_TRAILING_MINUS).fillna(False)  # SAP's '12.57-'
    negative |= trailing
    text = text.where(~trailing, text.str.removesuffix("-"))
    text = text.str.replace(f"[{re.escape(_CURRENCY)}]", "", regex=True).str.strip()
    percent = text.str.endswith("%").fillna(False)
    text = text.str.removesuffix("%").str.strip()
    grouped = text.str.fullmatch(_GROUPED).fillna(False)
    text = text.where(~grouped, text.str.replace(r"[,'\u00a0\u202f ]", "", regex=True))
    numbers = pd.to_numeric(text.astype(object), errors="coerce").astype(float)
    flags = percent.to_numpy(dtype=bool), negative.to_numpy(dtype=bool)
    return numbers.to_numpy(dtype=float), sign, *flags


def _percents_unmarked(numbers: pd.Series, percent: pd.Series) -> pd.Series:
    """Where a number without '%' in a column with percentages is one too, written without
    its sign ('54' beside '54%', read as 54 beside 0.54: a hundredfold apart): where the
    numbers without it are nearer the percentages as written than a hundredth of them (their
    median size above a tenth of the percentages'); fractions ('0.54' beside '54%') stay."""
    bare = ~percent & numbers.notna()
    if not (percent.any() and bare.any()):
        return pd.Series(False, index=numbers.index)
    sizes = numbers.abs()
    written, plain = sizes[percent & (sizes > 0)], sizes[bare & (sizes > 0)]
    if written.empty or plain.empty or plain.median() <= written.median() / 10:
        return pd.Series(False, index=numbers.index)
    return bare


def _censored(numbers: pd.Series, sign: np.ndarray) -> pd.Series:
    """A value below a detection limit at half of it ('<0.35' -> 0.175, the usual stand-in),
    above a range at its limit ('>100' -> 100), where the plain numbers are at least as many
    as these; else (bins such as '<18', '>65') they are not numbers."""
    censored = sign != ""
    if not censored.any():
        return numbers
    read = numbers.notna().to_numpy()
    if (read & ~censored).sum() < (read & censored).sum():
        return numbers.where(~censored)
    below = np.isin(sign, ["<", "<=", "≤"]) & (numbers.to_numpy() > 0)
    return numbers.where(~below, numbers / 2)


#: a clock or a duration: H:MM or H:MM:SS(.s), hours of any length, a 12-hour clock's AM/PM
_CLOCK = re.compile(
    r"^(?P<sign>[+-]?)(?P<a>\d{1,4}):(?P<b>[0-5]\d)(?::(?P<c>[0-5]\d(?:\.\d+)?))?"
    r"(?:\s*(?P<half>[AaPp])\.?[Mm]\.?)?$"
)


def parse_clock(text: pd.Series) -> pd.Series:
    """Clock times and durations as numbers in their last field's unit: '11:21' -> 681
    (minutes since midnight, or seconds of a lap: the order is the same), '2:03:45' -> 7425
    seconds, '8:30 PM' -> 1230, '12:05 am' -> 5; NaN where the text is none. A column that
    mixes the two (race times, '59:10' and '1:02:03') reads both in seconds."""
    parts = text.astype("string").str.strip().str.extract(_CLOCK).astype(object)
    hour, b, c = (pd.to_numeric(parts[key], errors="coerce").to_numpy(float) for key in "abc")
    half = parts["half"].fillna("").to_numpy(str)
    twelve, seconds = half != "", ~np.isnan(c)
    a = np.where(twelve, hour % 12 + 12 * np.isin(half, ["p", "P"]), hour)  # 12:05 AM: 0:05
    # seconds in the column: its H:MM values are M:SS, both counted in seconds
    values = np.where(seconds, a * 3600 + b * 60 + c, a * 60 + b)
    values[(parts["sign"] == "-").to_numpy(bool)] *= -1
    values[twelve & ((hour < 1) | (hour > 12) | seconds)] = np.nan  # no 13 PM, no 8:30:15 AM
    return pd.Series(values, index=text.index, dtype=float)


#: a number, perhaps followed by a unit or a magnitude: '23.4 kmpl', '1248 CC', '41k', '1.2M'
_WITH_UNIT = re.compile(
    r"^([-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*([A-Za-z][A-Za-z/]{0,7})?\.?$"
)
#: the magnitudes a number may carry (a 'k' beside an 'M': money, followers, mileage)
MAGNITUDES = {"k": 1e3, "K": 1e3, "M": 1e6, "mn": 1e6, "B": 1e9, "bn": 1e9}
#: the share of a column's values that must read as numbers with its one unit (or none)
UNIT_SHARE = 0.9


def parse_with_unit(text: pd.Series) -> pd.Series:
    """Numbers written with one unit throughout ('23.4 kmpl', '1248 CC', '45 years': the
    unit dropped) or with magnitudes ('41k', '1.2M': multiplied), a bare number among them
    read as it is; NaN where a value has another unit, or where the column has no unit
    that most of its values carry and that, with the bare numbers, makes
    :data:`UNIT_SHARE` of them ('3 apples', '2 pears' stay text)."""
    parts = text.astype("string").str.strip().str.extract(_WITH_UNIT).astype(object)
    numbers = pd.to_numeric(parts[0].str.replace(",", ""), errors="coerce").astype(float)
    units, bare = parts[1], parts[0].notna() & parts[1].isna()
    present = int(text.notna().sum())
    scale = units.map(MAGNITUDES)
    if present and scale.notna().any() and (scale.notna() | bare).sum() >= UNIT_SHARE * present:
        return numbers * scale.where(~bare, 1.0)
    units = _singular(units)
    counts = units.value_counts()
    if counts.empty or counts.iloc[0] < present / 2:
        return pd.Series(np.nan, index=text.index)
    kept = (units == counts.index[0]) | bare
    return numbers.where(kept) if kept.sum() >= UNIT_SHARE * present else numbers * np.nan


def unit_of(text: pd.Series) -> str:
    """The unit (or 'k/M/B magnitudes') :func:`parse_with_unit` read ``text`` with."""
    units = text.astype("string").str.strip().str.extract(_WITH_UNIT)[1].dropna()
    if units.map(MAGNITUDES).notna().any():
        return "k/M/B magnitudes"
    return str(_singular(units).mode().iloc[0]) if len(units) else ""


def _singular(units: pd.Series) -> pd.Series:
    """Units in lower case, a plural as its singular where the singular is written too
    ('1 year', '2 years': one unit; 'ms' stays milliseconds where no 'm' is written)."""
    lower = units.str.lower()
    written = set(lower.dropna())
    plural = {unit: unit[:-1] for unit in written if unit.endswith("s") and unit[:-1] in written}
    return lower.replace(plural) if plural else lower


def share_with_digits(text: pd.Series) -> float:
    """The share of the present values of ``text`` (stripped strings) that hold an ASCII
    digit or a non-ASCII character (:func:`holds_no_digit`'s test): a parse of numbers,
    units, times or dates reads no other, and numbers beside words need half of the values,
    so below that share a column is categories without being parsed (a table of 1,500 coded
    answers took 47 s to inspect)."""
    present = text.dropna()
    if present.empty:
        return 0.0
    return float(present.str.contains(r"[0-9]|[^\x00-\x7f]", regex=True).mean())


def holds_no_digit(spellings: np.ndarray) -> bool:
    """Whether no value among ``spellings`` (text) holds an ASCII digit or any non-ASCII
    character: then none is a number for :func:`parse_numbers` ('inf' and 'nan' are not:
    they become missing) nor a date for :func:`parse_dates` (:func:`date_formats` finds no
    format for values without a digit). A non-ASCII character may be a digit of another
    script or a currency sign, so such a value is left to the parsers."""
    digits = pd.Series(spellings, dtype="string").str.contains(r"[0-9]|[^\x00-\x7f]")
    return not digits.any()


def zero_padded_codes(spellings: np.ndarray) -> bool:
    """Whether ``spellings`` (text) are codes written in digits: every one holding a digit is
    a whole number in digits alone, and one at least begins with a 0 that more digits follow
    ('02134', '007'). Nobody writes a quantity so; a ZIP code, an account or a county code
    keeps its zeros, and its number is no measurement. readr reads such a column as text for
    the same reason. Spellings without a digit are a missing value's placeholders ('NA')."""
    text = pd.Series(spellings, dtype="string")
    text = text[text.str.contains(r"[0-9]", regex=True).fillna(False)]
    return bool(text.str.fullmatch(r"[0-9]+").all() and text.str.fullmatch(r"0[0-9]+").any())


def date_formats(text: pd.Series) -> list[str]:
    """The formats :func:`parse_dates` tries on ``text``: ISO 8601, then those pandas guesses
    from its first present values (month first, then day first); none when those values hold
    no digit."""
    sample = text.dropna().head(200).astype("string").str.strip().astype(object)
    if sample.empty or not sample.str.contains(r"\d", regex=True).any():
        return []
    formats = ["ISO8601"]
    with warnings.catch_warnings():  # pandas warns when dayfirst does not fit the value
        warnings.simplefilter("ignore", UserWarning)
        for dayfirst in (False, True):
            guessed = {
                pd.tseries.api.guess_datetime_format(value, dayfirst=dayfirst)
                for value in sample.head(20)
            }
            formats += sorted(f for f in guessed if f and f not in formats)
    head = sample.head(20)
    for shape, shaped in _SHAPED_FORMATS:
        if head.str.fullmatch(shape).all():
            formats += [f for f in shaped if f not in formats]
    return formats


#: formats pandas does not guess (two-digit years, month names with a year, quarters), each
#: tried where the first values all have its shape (a version number '1.10.2' has none)
_SHAPED_FORMATS = (
    (r"\d{2}\.\d{2}\.\d{2}", ("%d.%m.%y",)),
    (r"\d{1,2}/\d{1,2}/\d{2}", ("%m/%d/%y", "%d/%m/%y")),
    (r"\d{1,2}-\d{1,2}-\d{2}", ("%m-%d-%y", "%d-%m-%y")),
    (r"\d{1,2}[- ][A-Za-z]{3}[- ]\d{2}", ("%d-%b-%y", "%d %b %y")),
    (r"\d{1,2}-[A-Za-z]{3}-\d{4}", ("%d-%b-%Y",)),
    (r"[A-Za-z]{3,9}[ -]\d{4}", ("%b %Y", "%B %Y", "%b-%Y", "%B-%Y")),
    (r"[A-Za-z]{3}-\d{2}", ("%b-%y",)),
    (r"\d{4}/\d{1,2}", ("%Y/%m",)),
    (r"\d{4}\s*-?\s*[Qq][1-4]|[Qq][1-4]\s*-?\s*\d{4}", ("quarter",)),
)
_QUARTER = re.compile(
    r"^(?:(?P<y1>\d{4})\s*-?\s*[Qq](?P<q1>[1-4])|[Qq](?P<q2>[1-4])\s*-?\s*(?P<y2>\d{4}))$"
)


def _quarters(text: pd.Series) -> pd.Series:
    """'2023-Q2', '2023Q2', 'Q2 2023' as the quarter's first day; NaT where the text is none."""
    parts = text.astype("string").str.extract(_QUARTER)
    year = parts["y1"].fillna(parts["y2"])
    quarter = pd.to_numeric(parts["q1"].fillna(parts["q2"]), errors="coerce")
    month = ((quarter - 1) * 3 + 1).astype("Int64").astype("string")
    return pd.to_datetime(year + "-" + month + "-01", format="%Y-%m-%d", errors="coerce")


def parse_dates(text: pd.Series, formats: list[str] | None = None) -> pd.Series:
    """Datetimes from text in one consistent format (ISO 8601, or the format pandas guesses
    from the values, day first when that parses more of them; ``formats``: those of another
    column this one is a sample of); NaT where a value does not match. Time zones are
    converted to UTC and dropped; a format that gives dates beyond pandas' range is skipped."""
    formats = date_formats(text) if formats is None else formats
    text = text.astype("string").str.strip().astype(object)
    best = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        try:
            if fmt == "quarter":
                parsed = _quarters(text).astype("datetime64[ns]")
            else:
                parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
                parsed = parsed.dt.tz_convert(None).astype("datetime64[ns]")
        except (ValueError, TypeError, OverflowError):  # OutOfBoundsDatetime is a ValueError
            continue
        if parsed.notna().sum() > best.notna().sum():
            best = parsed
    return best


def yes_no_sides(spellings: Any) -> tuple[frozenset[str], frozenset[str]] | None:
    """The true and the false tokens of ``spellings`` (distinct lower-cased values) when they
    are all yes/no words, or such words with 1 and 0 among them; else None."""
    written = {str(v) for v in spellings}
    true, false = TRUE_TOKENS, FALSE_TOKENS
    if written & (TRUE_TOKENS | FALSE_TOKENS):
        true, false = true | {TRUE_DIGIT}, false | {FALSE_DIGIT}
    return (true, false) if written and written <= true | false else None


def boolean_values(lowered: pd.Series) -> pd.Series:
    """Lower-cased yes/no words (and 1/0 among them) as 1.0/0.0 (NaN for anything else)."""
    true_tokens, false_tokens = TRUE_TOKENS | {TRUE_DIGIT}, FALSE_TOKENS | {FALSE_DIGIT}
    true = lowered.isin(true_tokens).fillna(False).to_numpy(dtype=bool)
    false = lowered.isin(false_tokens).fillna(False).to_numpy(dtype=bool)
    return pd.Series(np.where(true, 1.0, np.where(false, 0.0, np.nan)), index=lowered.index)


def merge_case_variants(text: pd.Series) -> tuple[pd.Series, dict[str, list[str]]]:
    """Text stripped of surrounding whitespace, each set of spellings that differ only in case
    replaced by its most frequent member (ties: the first in sorted order). Returns the text
    (Python strings, NaN where missing) and ``{kept spelling: [the other spellings]}`` for
    each merge."""
    values, merged, _ = categories(text)
    return values, merged


def merge_yes_no(labels: pd.Series) -> tuple[pd.Series, dict[str, list[str]]]:
    """Labels that are all yes/no words (:data:`TRUE_TOKENS`, :data:`FALSE_TOKENS`, with 1
    and 0 among them: :func:`yes_no_sides`) written several ways (``yes`` and ``Y``, ``no``
    and ``N``, ``TRUE`` and ``1``) as two: each side's most frequent spelling (ties: a word
    first, then the first in sorted order), as a feature of such words is one boolean.
    Returns the labels and ``{kept spelling: [the other spellings]}``; labels that are not all
    such words come back as they are."""
    counts = labels.value_counts()  # each spelling once: no pass over every row as text
    sides = yes_no_sides({str(v).lower() for v in counts.index})
    if sides is None:
        return labels, {}
    renamed: dict[str, str] = {}
    merged: dict[str, list[str]] = {}
    for tokens in sides:
        side = [spelling for spelling in counts.index if str(spelling).lower() in tokens]
        spellings = sorted(  # ties: a word before 1 or 0
            side, key=lambda spelling: (-counts[spelling], str(spelling).isdigit(), spelling)
        )
        if len(spellings) > 1:
            merged[spellings[0]] = spellings[1:]
            renamed.update(dict.fromkeys(spellings[1:], spellings[0]))
    return (labels.replace(renamed) if renamed else labels), merged


def categories(
    text: pd.Series, coded: tuple[np.ndarray, np.ndarray] | None = None, *, feature: bool = False
) -> tuple[pd.Series, dict, int]:
    """:func:`merge_case_variants`, and the number of distinct values left. ``coded``: the
    stripped text's codes (-1 where missing) and spellings, as ``pandas.factorize`` gave
    them (a spelling no row has any more is left out), instead of factorizing ``text``.
    A ``feature`` whose spellings would all merge into one is left as it is: case is its
    code there (a genotype's AA, Aa, aa), and merged it would be constant, dropped.

    Each distinct spelling is found once and counted from its codes; the column is rebuilt
    from one Python string per category (the codes taken from them), not one per row, which
    is what makes a large column cheap to build, hash and save."""
    if coded is None:
        codes, uniques = pd.factorize(text.astype("string").str.strip())
        spellings = np.asarray(uniques, dtype=object)
    else:
        codes, spellings = coded
    counts = np.bincount(codes[codes >= 0], minlength=len(spellings))
    if not counts.all():  # number the spellings some row still has
        used = counts > 0
        codes = np.where(codes >= 0, np.cumsum(used)[codes] - 1, -1)
        spellings, counts = spellings[used], counts[used]
    one_word = feature and len(spellings) > 1 and spelling_keys(spellings).nunique() == 1
    kept, merged = (spellings, {}) if one_word else _merged_spellings(spellings, counts)
    values = pd.Series(  # code -1 (missing): the NaN appended last
        np.append(kept, np.nan).take(codes), index=text.index, name=text.name, dtype=object
    )
    return values, merged, len(spellings) - sum(map(len, merged.values()))


def spelling_keys(spellings: np.ndarray) -> pd.Series:
    """What two spellings of one category share: the text in Unicode's compatibility form
    (a 'ü' typed as 'u' and a combining diaeresis is the one character; a no-break space is a
    space), case folded, its runs of spaces one space ('Zürich' and 'ZÜRICH', 'New\xa0York'
    and 'New York')."""
    keys = pd.Series(spellings, dtype=object).astype(str)
    if not keys.map(str.isascii).all():
        keys = keys.map(lambda text: unicodedata.normalize("NFKC", text))
    return keys.str.casefold().str.split().str.join(" ")


def _merged_spellings(spellings: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, dict]:
    """The spelling each of ``spellings`` (distinct, with their ``counts``) is replaced by,
    and the merges, as :func:`merge_case_variants` says."""
    keys = spelling_keys(spellings)
    if keys.is_unique:  # no two spellings differ only in case (or in Unicode's forms)
        return spellings, {}
    table = pd.DataFrame({"value": spellings, "count": counts, "key": keys}).astype(
        {"value": object}
    )
    table = table.sort_values(["key", "count", "value"], ascending=[True, False, True])
    table["kept"] = table.groupby("key", sort=False)["value"].transform("first")
    others = table[table["value"] != table["kept"]]
    merged: dict[str, list[str]] = {}
    for kept, other in zip(others["kept"].tolist(), others["value"].tolist(), strict=True):
        merged.setdefault(str(kept), []).append(str(other))
    return table["kept"].sort_index().to_numpy(dtype=object), merged
