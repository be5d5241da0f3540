"""The shortcuts a large table is read with give exactly what the plain pandas operations
give: duplicate rows (judged on a few columns first), categories counted once, labels
sorted once per class."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from treesvsnets.datasets import column_types
from treesvsnets.datasets.base import encode_labels
from treesvsnets.datasets.duplicates import duplicate_rows
from treesvsnets.datasets.text_values import categories


def _frames() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    n = 3000
    distinct = pd.DataFrame(rng.normal(size=(n, 6)).round(2), columns=list("abcdef"))
    distinct["g"] = rng.choice(["x", "y", None], n)
    copies = pd.concat([distinct, distinct.sample(900, random_state=0)], ignore_index=True)
    # equal in the first columns, different in the last one only
    late = pd.DataFrame({"k": 1.0, "l": "same", "m": rng.integers(0, 2, n), "z": np.arange(n)})
    late.loc[::7, "z"] = 0
    signs = pd.DataFrame({"a": [0.0, -0.0, np.nan, np.nan, 1.0], "b": ["u", "u", None, None, "v"]})
    signs["c"] = [1, 1, 2, 2, 3]
    mostly = pd.DataFrame({"a": rng.integers(0, 3, n), "b": rng.integers(0, 2, n), "c": 0})
    # a fifth of the rows repeat their neighbour in the first columns, some of them in all
    pairs = pd.DataFrame({f"p{j}": np.arange(n, dtype=float) for j in range(5)})
    pairs.iloc[1::5, :4] = pairs.iloc[0::5, :4].to_numpy()
    pairs.iloc[1::10, 4] = pairs.iloc[0::10, 4].to_numpy()
    named = {"distinct": distinct, "pairs": pairs, "copies": copies, "late": late}
    return {**named, "signs": signs, "mostly": mostly}


@pytest.mark.parametrize("name", list(_frames()))
def test_duplicate_rows_are_those_pandas_finds(name):
    frame = _frames()[name]
    pd.testing.assert_series_equal(duplicate_rows(frame), frame.duplicated())


def test_categories_are_counted_once_and_case_variants_merged_into_the_most_frequent():
    text = pd.Series(["Red", " red", "RED", "red ", "blue", None, "Blue", "blue"], name="c")
    values, merged, distinct = categories(text)
    assert values.dtype == object and values.name == "c"
    assert values.tolist()[:5] == ["red", "red", "red", "red", "blue"]
    assert np.isnan(values[5]) and distinct == 2
    assert merged == {"blue": ["Blue"], "red": ["RED", "Red"]}
    assert values.nunique() == distinct


def test_labels_are_coded_in_sorted_order_as_numpy_unique_codes_them():
    labels = np.array(["b", "a", "c", "a", "b", "b"], dtype=object)
    codes, names = encode_labels(labels)
    expected_names, expected_codes = np.unique(labels, return_inverse=True)
    assert names == tuple(expected_names) and codes.tolist() == expected_codes.tolist()
    assert codes.dtype == np.int64


@pytest.mark.parametrize(
    "values",
    [
        ["red", "Red ", "inf", "nan", "now", "today", "unknown", "(x)", "%", None] * 600,
        ["yes", "no", "Y", "n", None] * 1000,  # booleans: read before the digit check
        ["none", "?", "a"] * 10,  # a column smaller than a sample
    ],
)
def test_a_column_without_digits_reads_as_it_does_when_parsed(values, monkeypatch):
    column = pd.Series(values, name="c", dtype="str")
    assert column_types.holds_no_digit(column.dropna().unique())  # the shortcut is taken
    shortcut, shortcut_reading = column_types.read_column(column)
    monkeypatch.setattr(column_types, "holds_no_digit", lambda spellings: False)
    parsed, parsed_reading = column_types.read_column(column)
    assert shortcut_reading == parsed_reading
    pd.testing.assert_series_equal(shortcut, parsed)
