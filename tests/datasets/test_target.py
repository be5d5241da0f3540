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


@pytest.mark.parametrize(
    "yes, no",
    [
        (["yes", "Y", "yes"], ["no", "N", "no"]),
        (["TRUE", "t", "yes"], ["false", "F", "n"]),
        # a spreadsheet's TRUE/FALSE beside a database's 1/0: 4 classes, logreg 0.47 (0.89)
        (["TRUE", "1", "TRUE"], ["FALSE", "0", "FALSE"]),
        (["1", "Y", "1"], ["0", "no", "0"]),
    ],
)
def test_a_target_of_yes_no_words_written_several_ways_is_two_classes(yes, no):
    """carData's TitanicSurvival with some rows Y/N: 4 classes, and logreg 0.47 (0.79 clean);
    the same column as a feature is one boolean."""
    x = np.random.default_rng(0).normal(size=120)
    survived = np.where(x > 0, yes * 40, no * 40)  # each row one of its side's spellings
    frame = pd.DataFrame({"x": x, "survived": survived})
    dataset = clean_table(frame, "t.csv", TableOptions(target="survived"))
    kept_no, kept_yes = dataset.class_names
    assert kept_yes.lower() in ("yes", "true", "t", "1") and kept_no.lower() in (
        "no", "false", "f", "0"
    )  # fmt: skip
    assert np.array_equal(dataset.y, (x > 0).astype(int))
    merged = dataset.cleaning["target_spellings_merged"]
    assert set(merged) == {kept_no, kept_yes}


def test_labels_apart_only_in_unicode_forms_or_spaces_are_one_class():
    """'Zürich' typed with a combining diaeresis beside the one character, 'New\xa0York' (a
    no-break space) and 'New  York' beside 'New York': 8 classes that printed alike where
    there are 3 (case variants were merged, these were not); 1 and 0 alone stay numbers."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=180)
    city = np.where(x < -0.4, "Zürich", np.where(x < 0.4, "New York", "São Paulo"))
    spelled = {
        "Zürich": ["Zürich", "Zu\u0308rich", "ZÜRICH"],
        "New York": ["New York", "New\u00a0York", "new  york"],
        "São Paulo": ["São Paulo", "Sa\u0303o Paulo", "São Paulo"],
    }
    labels = [spelled[c][i % 3] for i, c in enumerate(city)]
    dataset = clean_table(
        pd.DataFrame({"x": x, "city": labels}), "t.csv", TableOptions(target="city")
    )
    assert len(dataset.class_names) == 3
    codes = {c: set(dataset.y[city == c]) for c in spelled}  # each city one class of its own
    assert all(len(found) == 1 for found in codes.values()) and len(set.union(*codes.values())) == 3
    numbers = clean_table(
        pd.DataFrame({"x": x[:60], "y": ["1", "0", "2"] * 20}), "t.csv", TableOptions(target="y")
    )
    assert len(numbers.class_names) == 3


def test_words_that_are_not_all_yes_no_stay_their_own_classes():
    frame = pd.DataFrame(
        {"x": np.random.default_rng(0).normal(size=60), "answer": ["yes", "no", "maybe", "Y"] * 15}
    )
    dataset = clean_table(frame, "t.csv", TableOptions(target="answer"))
    assert dataset.class_names == ("Y", "maybe", "no", "yes")


def _with_none(labels, n=90):
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {"x": rng.normal(size=n), "y": rng.normal(size=n), "target": labels * (n // len(labels))}
    )


def test_none_among_word_labels_is_a_class_and_among_numbers_is_missing():
    """MASS::survey's Exer (Freq, None, Some): the None rows were dropped as missing, and the
    3-class task became binary without a word."""
    words = clean_table(
        _with_none(["Freq", "None", "Some"]), "t.csv", TableOptions(target="target")
    )
    assert words.class_names == ("Freq", "None", "Some") and len(words.y) == 90
    assert words.cleaning["target_none_as_class"] == 30
    assert "rows_without_target_dropped" not in words.cleaning

    codes = clean_table(_with_none(["0", "1", "None"]), "t.csv", TableOptions(target="target"))
    assert codes.class_names == ("0", "1") and len(codes.y) == 60  # a code's gap: missing
    assert codes.cleaning["rows_without_target_dropped"] == 30

    told = TableOptions(target="target", null_tokens=("", "NA", "None"))  # the user's word
    missing = clean_table(_with_none(["Freq", "None", "Some"]), "t.csv", told)
    assert missing.class_names == ("Freq", "Some") and len(missing.y) == 60

    numbers = _with_none(["1.5", "None", "2.25"]).assign(target=lambda f: f["target"] + "")
    numbers["target"] = np.where(numbers["target"] == "None", "None", numbers["x"].round(3))
    quantity = clean_table(numbers, "t.csv", TableOptions(target="target"))
    assert quantity.is_regression and len(quantity.y) == 60


def test_na_among_two_letter_codes_is_a_class_and_among_other_words_is_missing():
    """A continent's code (EU, AS, NA, SA): North America's rows were dropped as missing
    targets, a quarter of the table and a whole class gone without a word. Among other
    words (R writes a missing value NA) and among numbers, NA stays missing."""
    continents = clean_table(_with_none(["EU", "NA", "AS"]), "t.csv", TableOptions(target="target"))
    assert continents.class_names == ("AS", "EU", "NA") and len(continents.y) == 90
    assert continents.cleaning["target_na_as_class"] == 30
    for labels in (["yes", "no", "NA"], ["0", "1", "NA"], ["EU", "NA", "Asia"]):
        dropped = clean_table(_with_none(labels), "t.csv", TableOptions(target="target"))
        assert len(dropped.y) == 60 and "NA" not in dropped.class_names, labels
        assert dropped.cleaning["rows_without_target_dropped"] == 30
    told = TableOptions(target="target", null_tokens=("", "NA"))  # the user's word
    missing = clean_table(_with_none(["EU", "NA", "AS"]), "t.csv", told)
    assert missing.class_names == ("AS", "EU") and len(missing.y) == 60


def test_whole_numbers_most_rows_hold_alone_are_a_quantity_not_class_codes():
    """scikit-learn's linnerud (20 rows): Weight, 16 distinct whole numbers, was read as 16
    classes and refused for classes of one row."""
    pounds = [191.0, 189, 193, 162, 189, 182, 211, 167, 176, 154]
    pounds += [169, 166, 154, 247, 193, 202, 176, 157, 156, 138]
    weights = pd.Series(pounds, name="Weight")
    assert read_target(weights, None, "Weight", "t.csv").task == "regression"
    grades = pd.Series(list(range(1, 11)) * 2, name="grade")  # 10 codes twice: classes
    assert read_target(grades, None, "grade", "t.csv").task == "classification"
