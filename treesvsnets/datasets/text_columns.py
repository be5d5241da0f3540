"""A text column's numbers or dates, as :func:`~treesvsnets.datasets.column_types.read_column`
tries them once booleans and categories are ruled out: plain numbers ('$1,234.50', '12%',
censored '<0.35'), numbers with one unit or magnitudes ('23.4 kmpl', '41k'), clock times and
durations ('08:30', '2:03:45'), then dates, each decided on a seeded sample first
(:func:`~treesvsnets.datasets.text_values.sample_of`) and kept where the whole column reads
so; its reading says which (:data:`NUMBERS_NOTE` ...), and what could not be read."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from treesvsnets.datasets.text_values import (
    CENSORED,
    CENSORED_STARTS,
    date_formats,
    parse_clock,
    parse_dates,
    parse_numbers,
    parse_with_unit,
    ruled_out,
    unit_of,
)

#: how a column of plain numbers in text was read
NUMBERS_NOTE = "parsed from text as numbers"
#: how a column of numbers with a unit ('23.4 kmpl') or magnitudes ('41k') was read
UNIT_NOTE = "parsed from text as numbers with a unit or magnitudes"
#: how a column of clock times or durations was read (text_values.parse_clock)
CLOCK_NOTE = "parsed from text as clock times or durations: H:MM as 60·H+MM, H:MM:SS in seconds"
#: unparsed values shown as examples
EXAMPLES = 5
#: a code among numbers: ICD-9's 'V57' and 'E888.1' beside '428' and '250.83'
CODE = r"[A-Za-z]{1,2}\d+(?:\.\d+)?"
#: how a column of numbers beside a few words ('Call for price') is read
WORDS_NOTE = "; a few words among them read as missing (a missing-value flag keeps them apart)"
#: a quantity beside words: at most this many distinct words ...
MAX_WORDS = 5
#: ... beside at least this many distinct numbers, which are at least half of the values
MIN_NUMBERS = 20
#: how a column of such codes is read
CODES_NOTE = "codes, numbers beside letter codes such as {}: read as categories"


def examples(raw: pd.Series, failed: pd.Series) -> list[str]:
    """The most frequent of the values of ``raw`` where ``failed``, as the reading shows them."""
    values = raw[failed].astype(str).str.strip()
    return [str(v)[:40] for v in values.value_counts().index[:EXAMPLES]]


def parsed_text(
    text: pd.Series,
    present: pd.Series,
    missing: pd.Series,
    reading: Any,
    forced: str | None,
    decimal: str,
    sample: pd.Series | None,
    threshold: float,
) -> pd.Series | None:
    """The column as numbers or dates when ``threshold`` of its present values read so (the
    first way that does, of those ``forced`` allows; ``reading`` says which), else None, with
    ``reading.unparsed`` what the way that read the most could not (a forced type's refusal
    quotes it)."""
    attempts = [
        (
            "numeric",
            lambda t: parse_numbers(t, decimal).replace([np.inf, -np.inf], np.nan),
            NUMBERS_NOTE,
        ),
        ("numeric", parse_with_unit, UNIT_NOTE),
        ("numeric", parse_clock, CLOCK_NOTE),
        ("datetime", parse_dates, "parsed from text as dates"),
    ]
    n_present = int((~missing).sum())
    closest: pd.Series | None = None  # the failed values of the attempt that read the most
    for kind, parse, note in attempts:
        if forced is not None and kind != forced:
            continue
        if sample is not None:
            tried = parse_dates(sample, date_formats(text)) if kind == "datetime" else parse(sample)
            if ruled_out(sample, tried, threshold):
                continue
        parsed = parse(text)
        failed = parsed.isna() & ~missing
        if forced is None and note == NUMBERS_NOTE and (codes := _codes(present, failed)):
            reading.note = CODES_NOTE.format(", ".join(repr(code) for code in codes))
            return None
        if closest is None or failed.sum() < closest.sum():
            closest = failed
        if n_present and (n_present - int(failed.sum())) >= threshold * n_present:
            reading.kind, reading.note = kind, note
            closest = failed
            break
    if closest is not None:  # what could not be read, as the refusal of a forced type says
        reading.unparsed = int(closest.sum())
        reading.unparsed_examples = examples(present, closest)
    if reading.kind not in ("numeric", "datetime") and forced is None:
        beside = _numbers_beside_words(text, present, missing, attempts[0][1], sample)
        if beside is not None:
            parsed, failed = beside
            reading.kind, reading.note = "numeric", NUMBERS_NOTE + WORDS_NOTE
            reading.unparsed = int(failed.sum())
            reading.unparsed_examples = examples(present, failed)
            return parsed
    if reading.kind not in ("numeric", "datetime"):
        return None
    if reading.note == UNIT_NOTE:
        reading.note += f": {unit_of(text)}"
    if reading.note == NUMBERS_NOTE:  # '<0.35' among the numbers: said, with how many
        censored = text.str.startswith(CENSORED_STARTS).fillna(False) & parsed.notna()
        if censored.any():  # the pattern on those alone: extracting it from every value is slow
            censored[censored] = text[censored].str.contains(CENSORED).fillna(False)
        if censored.any():
            example = present[censored].iloc[0]
            reading.note += (
                f"; {int(censored.sum())} censored values such as {str(example).strip()!r}: "
                "below a limit read as half of it, above one as the limit"
            )
    return parsed


def _codes(raw: pd.Series, failed: pd.Series) -> list[str]:
    """The most frequent letter codes ('V57', 'E888') among the values of ``raw`` that did not
    read as numbers (where ``failed``), when at least two are and they are most of those
    values (a code list such as ICD-9's, read as numbers, lost every letter code), else []."""
    values = raw[failed].astype("string").str.strip()
    codes = values[values.str.fullmatch(CODE).fillna(False)]
    if len(codes) < 2 or 2 * len(codes) < len(values):
        return []
    return [str(code) for code in codes.value_counts().index[:2]]


def _numbers_beside_words(
    text: pd.Series, present: pd.Series, missing: pd.Series, parse: Any, sample: Any
) -> tuple[pd.Series, pd.Series] | None:
    """A quantity with a few words in place of some of its values ('$12,400' beside 'Call for
    price', 'negotiable', 'TBD' in 18% of the rows: read whole it was 340 target-encoded
    categories), as the numbers and where the words were: at least half of the values
    numbers, :data:`MIN_NUMBERS` of them distinct, beside :data:`MAX_WORDS` distinct words at
    most (sizes 'S', 'M', '42', '44' stay categories). A large column's sample decides first."""
    for values in ([sample] if sample is not None else []) + [text]:
        numbers = parse(values)
        words = values[numbers.isna() & values.notna()]
        if (
            2 * int(numbers.notna().sum()) < int(values.notna().sum())
            or numbers.nunique() < MIN_NUMBERS
            or words.str.casefold().nunique() > MAX_WORDS
            or not words.str.contains(r"[A-Za-z]").all()
        ):
            return None
    return numbers, numbers.isna() & ~missing
