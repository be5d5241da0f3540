import math

import numpy as np
import pandas as pd
import pytest

from treesvsnets.bench.cells.splits import make_split_plan
from treesvsnets.datasets import load
from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.tables import load_table
from treesvsnets.errors import ConfigError, DatasetError


@pytest.fixture(scope="module")
def digits():
    return load("digits")


def test_folds_partition_the_data(digits, seed):
    split_plan = make_split_plan(digits, n_folds=5, seed=seed)
    tests = np.concatenate([fold.test for fold in split_plan.folds])
    assert sorted(tests.tolist()) == list(range(digits.n_samples))
    for fold in split_plan.folds:
        assert not set(fold.train) & set(fold.test)
        assert len(fold.train) + len(fold.test) == digits.n_samples


def test_folds_are_stratified(digits, seed):
    counts = np.bincount(digits.y)
    for fold in make_split_plan(digits, n_folds=5, seed=seed).folds:
        in_fold = np.bincount(digits.y[fold.test], minlength=digits.n_classes)
        assert np.all(np.abs(in_fold - counts / 5) <= 1)


def test_same_seed_same_hash_and_folds_other_seed_other_folds(digits):
    first, again, other = (
        make_split_plan(digits, 5, 0),
        make_split_plan(digits, 5, 0),
        make_split_plan(digits, 5, 1),
    )
    assert first.hash == again.hash
    assert all(
        np.array_equal(a.test, b.test) for a, b in zip(first.folds, again.folds, strict=True)
    )
    assert other.hash != first.hash
    assert not np.array_equal(first.folds[0].test, other.folds[0].test)
    assert make_split_plan(digits, 4, 0).hash != first.hash


def test_hash_follows_the_data(digits):
    X = digits.X.copy()
    X[0, 0] += 1
    changed = Dataset("digits", X, digits.y, digits.class_names)
    assert make_split_plan(changed, 5, 0).hash != make_split_plan(digits, 5, 0).hash


@pytest.mark.parametrize(
    ("setosa", "message"),
    [
        (3, "class 'setosa' has only 3 samples, fewer than the 5 folds asked for; use --folds 3 "
            "or fewer."),
        # no fold count puts a one-row class in both a training and a test fold (a holdout
        # split neither): --folds 1 would not help, dropping or merging it would
        (1, "class 'setosa' has a single row, which cannot be both trained on and tested; drop "
            "those rows, or merge the class into another."),
    ],
)  # fmt: skip
def test_a_class_smaller_than_the_fold_count_is_refused_by_name(setosa, message):
    iris = load("iris")
    keep = np.r_[0:setosa, 50:150]  # that many setosa left
    small = Dataset("tiny_iris", iris.X[keep], iris.y[keep], iris.class_names)
    with pytest.raises(DatasetError) as caught:
        make_split_plan(small, n_folds=5, seed=0)
    assert str(caught.value) == f"dataset 'tiny_iris': {message}"
    if setosa > 1:  # the advice works
        assert len(make_split_plan(small, n_folds=setosa, seed=0).folds) == setosa


def test_a_target_of_a_value_per_row_is_refused_as_no_label(tmp_path):
    """A table whose last column is a date or a note (the default target): it read as
    300 classes of one row each ('drop those rows, or merge the class') or, for a date,
    as 'every feature column is a copy of it'; it is no label, and the sentence says to
    name the target."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=300),
            "x2": rng.normal(size=300),
            "visit": pd.date_range("2020-01-01", periods=300).strftime("%Y-%m-%d"),
        }
    )
    path = tmp_path / "visits.csv"
    frame.to_csv(path, index=False)
    dataset = load_table(path)  # no feature is a copy of a target of one value per row
    assert dataset.X.shape[1] == 2
    with pytest.raises(DatasetError) as caught:
        make_split_plan(dataset, n_folds=5, seed=0)
    assert str(caught.value) == (
        f"dataset {str(path)!r}: the target column 'visit' holds a value of its own in most rows "
        "(300 of its 300 values are in a single row, e.g. '2020-01-01'): it is no label to "
        "learn; name the target column with --target (target = ... in a config file)."
    )


@pytest.mark.parametrize("folds", [1, 0, 2.5, True])
def test_fold_count_must_be_an_integer_of_at_least_two(folds, digits):
    with pytest.raises(ConfigError, match="folds must be an integer of at least 2"):
        make_split_plan(digits, n_folds=folds, seed=0)


def test_validation_slice_lies_inside_the_training_fold_and_is_stratified(digits):
    for fold in make_split_plan(digits, n_folds=5, seed=0, validation_fraction=0.1).folds:
        assert not set(fold.val) & set(fold.fit)
        np.testing.assert_array_equal(np.sort(np.r_[fold.fit, fold.val]), fold.train)
        assert len(fold.val) == round(0.1 * len(fold.train))
        in_val = np.bincount(digits.y[fold.val], minlength=10)
        assert in_val.min() >= 13 and in_val.max() <= 15  # ~14.4 per class


def test_the_hash_covers_the_validation_slices(digits):
    assert (
        make_split_plan(digits, 5, 0, validation_fraction=0.1).hash
        != make_split_plan(digits, 5, 0, validation_fraction=0.2).hash
    )
    no_slice = make_split_plan(digits, 5, 0, validation_fraction=0.0)
    assert all(len(fold.val) == 0 and len(fold.fit) == len(fold.train) for fold in no_slice.folds)


def test_holdout_uses_the_official_split_when_there_is_one(digits):
    official = Dataset(
        "d", digits.X, digits.y, digits.class_names, official_test=np.arange(1500, 1797)
    )
    split_plan = make_split_plan(official, protocol="holdout", seed=3)
    (fold,) = split_plan.folds
    np.testing.assert_array_equal(fold.test, np.arange(1500, 1797))
    assert split_plan.n_folds == 1 and split_plan.protocol == "holdout"
    assert (
        make_split_plan(official, protocol="holdout", seed=4).folds[0].test.tolist()
        == fold.test.tolist()
    )


def test_holdout_without_an_official_split_is_a_stratified_test_size_split(digits):
    (fold,) = make_split_plan(digits, protocol="holdout", test_size=0.25, seed=0).folds
    assert len(fold.test) == math.ceil(0.25 * digits.n_samples)  # scikit-learn rounds up
    shares = np.bincount(digits.y[fold.test]) / np.bincount(digits.y)
    assert np.all(np.abs(shares - 0.25) < 0.02)
    assert (
        make_split_plan(digits, protocol="holdout", seed=1).hash
        != make_split_plan(digits, protocol="holdout").hash
    )


def test_subsample_is_stratified_and_keeps_the_official_proportion(digits):
    official = Dataset(
        "d", digits.X, digits.y, digits.class_names, official_test=np.arange(1400, 1797)
    )
    small = official.subsample(700)
    assert small.n_samples == 700
    assert len(small.official_test) == round(700 * 397 / 1797)
    assert np.bincount(small.y).min() >= 68
    assert small.fingerprint != official.fingerprint
    assert digits.subsample(5000) is digits


def test_regression_folds_are_shuffled_k_fold_and_the_same_for_every_seed_run(diabetes):
    from sklearn.model_selection import KFold

    plan = make_split_plan(diabetes, n_folds=5, seed=0)
    expected = KFold(5, shuffle=True, random_state=0).split(np.zeros(diabetes.n_samples))
    for fold, (train, test) in zip(plan.folds, expected, strict=True):
        assert fold.test.tolist() == sorted(test.tolist())
        assert fold.train.tolist() == sorted(train.tolist())
        assert set(fold.fit) | set(fold.val) == set(fold.train) and len(fold.val) == round(
            0.1 * len(fold.train)
        )
    assert make_split_plan(diabetes, n_folds=5, seed=0).hash == plan.hash
    assert make_split_plan(diabetes, n_folds=5, seed=1).hash != plan.hash


def test_target_bins_stratify_regression_folds_on_quantiles(diabetes):
    from treesvsnets.datasets.target import quantile_bins

    plain = make_split_plan(diabetes, n_folds=5, seed=0)
    binned = make_split_plan(diabetes, n_folds=5, seed=0, target_bins=5)
    assert binned.hash != plain.hash and binned.describe()["target_bins"] == 5
    bins = quantile_bins(diabetes.y, 5)
    for fold in binned.folds:  # each fold holds each fifth of the target in proportion
        counts = np.bincount(bins[fold.test], minlength=5)
        assert counts.max() - counts.min() <= 2
    digits = load("digits")  # classification ignores target_bins: same plan, same hash
    assert make_split_plan(digits, 3, 0, target_bins=5).hash == make_split_plan(digits, 3, 0).hash
    with pytest.raises(ConfigError, match="target_bins must be 0 or at least 2"):
        make_split_plan(diabetes, 5, 0, target_bins=1)


def test_target_bins_smaller_than_the_folds_are_said_once_and_refused_when_all_are(tmp_path):
    """300 rows: 120 bins of 2-3 rows leave some out of some of 3 folds (one warning, not
    scikit-learn's); 500 bins of 1 row are each smaller than 3 folds (refused, exit 2)."""
    import warnings

    from treesvsnets.datasets.table_options import TableOptions
    from treesvsnets.datasets.tables import load_table
    from treesvsnets.errors import TreesVsNetsWarning

    from ..helpers.cli import cli

    rng = np.random.default_rng(0)
    table = tmp_path / "prices.csv"
    x = rng.normal(size=300)
    np.savetxt(
        table,
        np.column_stack([x, 1000 * x + rng.normal(size=300)]),
        delimiter=",",
        header="x,price",
        comments="",
    )
    prices = load_table(table, TableOptions(target="price"))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        make_split_plan(prices, n_folds=3, seed=0, target_bins=120)
    assert [type(w.message) for w in said] == [TreesVsNetsWarning]
    assert "target_bins 120 makes bins of 2 rows (300 rows in 120 bins)" in str(said[0].message)
    with pytest.raises(ConfigError, match=r"fewer than the 3 folds; use --target-bins 100 or"):
        make_split_plan(prices, n_folds=3, seed=0, target_bins=500)
    runs = tmp_path / "runs"
    refused = cli("run", "-d", table, "--target-bins", "500", "--folds", "3", "--out", runs)
    assert refused.returncode == 2 and not runs.exists()
    assert refused.stderr.count("\n") == 1 and "--target-bins 100 or fewer" in refused.stderr


def test_regression_holdout_is_a_shuffled_test_size_split(diabetes):
    plan = make_split_plan(diabetes, protocol="holdout", test_size=0.25, seed=0)
    (fold,) = plan.folds
    assert len(fold.test) == math.ceil(0.25 * diabetes.n_samples)
    assert len(set(fold.test) & set(fold.train)) == 0


def test_a_regression_dataset_needs_two_rows_per_fold():
    tiny = Dataset("tiny", np.zeros((7, 2)), np.arange(7.0), (), task="regression")
    with pytest.raises(DatasetError, match="'tiny' has 7 rows, too few for 5 folds"):
        make_split_plan(tiny, n_folds=5)


def test_a_large_seed_draws_its_validation_slices():
    """A date as the seed (20261207): the validation slices' seed, seed * 1009 + fold, passed
    2**32 and scikit-learn refused it with a traceback (a small seed's slices are the same as
    before: tests/bench/test_pinned_rows.py)."""
    plan = make_split_plan(load("iris"), n_folds=3, seed=20261207)
    assert all(len(fold.val) > 0 and len(fold.fit) + len(fold.val) == len(fold.train)
               for fold in plan.folds)  # fmt: skip
