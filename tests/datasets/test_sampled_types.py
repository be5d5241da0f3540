"""A large column's type is decided on a sample first, and read exactly as the whole column
would be: the readings and values equal those of the whole-column path (the sample turned
off), on columns made to fool a sample (rare text beyond it, shares near the rule's)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from treesvsnets.datasets import text_columns, text_values
from treesvsnets.datasets.column_types import read_column

N_ROWS = 12_000  # three samples' worth: every column below is sampled


def _adversarial(n: int = N_ROWS, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=n).round(3).astype(str).astype(object)

    def some(share: float, value: str, base: np.ndarray = numbers) -> np.ndarray:
        column = base.copy()
        column[rng.random(n) < share] = value
        return column

    late = numbers.copy()
    late[-3:] = ["oops", "n.v.", "abc"]  # text no sample of 4,000 is likely to hold
    dates = pd.date_range("2020-01-01", periods=n, freq="h").strftime("%Y-%m-%d %H:%M")
    dates = dates.to_numpy(dtype=object)
    words = np.array(["a", "b", "c"], dtype=object)[rng.integers(3, size=n)]
    words[-1] = "12"
    yes_no = np.array(["yes", "No", "TRUE"], dtype=object)[rng.integers(3, size=n)]
    almost = yes_no.copy()
    almost[-1] = "maybe"
    money = np.array([f"${v:,.2f}" for v in rng.normal(scale=5000, size=n)], dtype=object)
    money[-1] = "(1,200)"
    half = numbers.copy()
    half[: n // 2] = "cat"
    return {
        "rare_text_late": late,
        "placeholders_5pct": some(0.05, "unknown"),
        "text_9pct": some(0.09, "text"),  # just inside the 90% rule
        "text_12pct": some(0.12, "text"),  # just outside it
        "half_numbers": half,
        "words_and_one_number": words,
        "yes_no": yes_no,
        "yes_no_and_one_maybe": almost,
        "dates_8pct_text": some(0.08, "never", dates),
        "dates_20pct_text": some(0.20, "never", dates),  # the sample's share is near the margin
        "money": money,
        "case_variants": np.array(["Red", "red", "RED ", "blue"], dtype=object)[
            rng.integers(4, size=n)
        ],
    }


def _read(values: np.ndarray, name: str, **options) -> tuple[pd.Series | None, dict]:
    result, reading = read_column(pd.Series(values, name=name, dtype="str"), **options)
    return result, reading.to_dict()


@pytest.mark.parametrize("name", list(_adversarial()))
def test_a_sampled_column_reads_as_the_whole_column_does(name, monkeypatch):
    values = _adversarial()[name]
    sampled, sampled_reading = _read(values, name)
    monkeypatch.setattr(text_values, "SAMPLE_SIZE", 10 * N_ROWS)  # no sample: the whole column
    whole, whole_reading = _read(values, name)
    assert sampled_reading == whole_reading
    if whole is None:
        assert sampled is None
    else:
        pd.testing.assert_series_equal(sampled, whole)


def test_rare_text_beyond_the_sample_is_still_found_and_shown():
    _, reading = _read(_adversarial()["rare_text_late"], "x")
    assert reading["kind"] == "numeric" and reading["unparsed"] == 3
    assert sorted(reading["unparsed_examples"]) == ["abc", "n.v.", "oops"]


def test_a_text_column_is_parsed_only_on_its_sample(monkeypatch):
    """The saving: a column of words is tried as numbers and dates on its sample alone."""
    lengths = []
    for name in ("parse_numbers", "parse_with_unit", "parse_clock", "parse_dates"):
        parse = getattr(text_columns, name)
        monkeypatch.setattr(
            text_columns, name, lambda text, *a, p=parse: lengths.append(len(text)) or p(text, *a)
        )
    rng = np.random.default_rng(0)
    words = np.array([f"level {i}" for i in range(30)], dtype=object)[rng.integers(30, size=N_ROWS)]
    _, reading = _read(words, "words")
    assert reading["kind"] == "categorical"
    assert lengths and max(lengths) == text_values.SAMPLE_SIZE


def test_a_declared_type_is_judged_on_the_whole_column():
    values = _adversarial()["text_12pct"]
    result, reading = _read(values, "x", forced="numeric")
    assert reading["kind"] == "numeric" and reading["unparsed"] == int((values == "text").sum())
    assert result.notna().sum() == N_ROWS - reading["unparsed"]
