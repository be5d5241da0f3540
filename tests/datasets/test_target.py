"""A table's target decides its task: inferred as an analyst would, overridable, refused with
one sentence when it cannot be the task asked for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from treesvsnets.datasets import load
from treesvsnets.datasets.table_options import TableOptions
from treesvsnets.datasets.tables import clean_table
from treesvsnets.datasets.target import quantile_bins, read_target
from treesvsnets.errors import DatasetError

from ..helpers.tables import house_prices


def _task(values, task=None):
    return read_target(pd.Series(values, name="y"), task, "y", "data file 't.csv'")


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["a", "b", "a", "c"], "classification"),
        ([True, False, True], "classification"),
        (["yes", "no", "yes"], "classification"),
        ([0, 1, 2, 1, 0, 2], "classification"),  # class codes
        ([1.0, 2.0, 1.0, 3.0], "classification"),  # whole numbers, few: codes
        (list(np.linspace(0, 1, 30)), "regression"),  # fractions
        (list(range(100)), "regression"),  # many whole numbers: a count or a price
        (["$1,200.50", "$3,400.00", "$980.25", "$2,000.75"], "regression"),
        (["12%", "15.5%", "9%", "11.25%"], "regression"),
    ],
)
def test_the_task_is_inferred_from_the_target(values, task):
    reading = _task(values)
    assert reading.task == task
    assert reading.reason.startswith("inferred")


def test_the_task_can_be_given_either_way():
    assert _task([0, 1, 2, 1], "regression").task == "regression"
    assert _task(list(np.linspace(0, 1, 30)), "classification").task == "classification"


def test_regression_on_a_text_target_is_one_sentence_naming_file_and_column():
    with pytest.raises(DatasetError, match=r"t\.csv.*task = regression.*'y'.*'red'"):
        _task(["red", "blue", "red", "green"], "regression")


def test_a_numeric_target_with_a_few_stray_values_is_refused_naming_them():
    values = [f"{v:.2f}" for v in np.linspace(10, 500, 60)] + ["abc", "n.a."]
    with pytest.raises(
        DatasetError, match=r"holds numbers except 2 value\(s\) \('abc', 'n\.a\.'\)"
    ):
        _task(values)
    assert _task(values, "classification").task == "classification"
    assert _task(["1", "2", "x"] * 5).task == "classification"  # few values: labels


def test_an_infinite_or_constant_regression_target_is_refused():
    with pytest.raises(DatasetError, match=r"'y' holds 1 infinite value"):
        _task([1.5, 2.5, np.inf, 4.25], "regression")
    with pytest.raises(DatasetError, match=r"same value \(3\.5\) in every row"):
        _task([3.5] * 10, "regression")


def test_a_messy_price_table_reads_as_regression_with_its_rows_counted():
    frame = house_prices()
    dataset = clean_table(frame, "houses.csv", TableOptions())
    assert dataset.task == "regression" and dataset.class_names == ()
    assert dataset.y.dtype == np.float64 and dataset.y.min() > 0
    assert dataset.cleaning["rows_without_target_dropped"] == 5
    assert dataset.cleaning["task"].startswith("regression (inferred")
    assert "listing" in dataset.cleaning["columns_dropped_as_identifiers"]
    assert set(dataset.schema.categorical) == {"district", "city"}
    assert dataset.describe()["target"]["max"] == pytest.approx(dataset.y.max())
    as_classes = clean_table(frame, "houses.csv", TableOptions(target="rooms", task=None))
    assert as_classes.task == "classification" and as_classes.n_classes == 6


def test_the_same_numbers_as_classes_or_as_a_target_are_different_data():
    frame = house_prices()
    options = TableOptions(target="rooms")
    codes = clean_table(frame, "h.csv", options)
    numbers = clean_table(frame, "h.csv", TableOptions(target="rooms", task="regression"))
    assert numbers.task == "regression" and codes.fingerprint != numbers.fingerprint


def test_builtin_regression_datasets():
    diabetes, friedman = load("diabetes"), load("friedman1")
    assert (diabetes.task, diabetes.n_samples, diabetes.n_features) == ("regression", 442, 10)
    assert (friedman.task, friedman.n_samples, friedman.n_features) == ("regression", 2000, 10)
    assert friedman.fingerprint == load("friedman1").fingerprint  # a fixed seed
    assert load("iris").task == "classification"


def test_quantile_bins_split_a_target_into_near_equal_strata():
    y = np.random.default_rng(0).exponential(size=1000)
    counts = np.bincount(quantile_bins(y, 10))
    assert len(counts) == 10 and counts.min() >= 95
    assert len(np.unique(quantile_bins(np.array([1.0] * 50 + [2.0] * 50), 10))) == 2
