import numpy as np
import pytest

from treesvsnets.bench.splits import plan
from treesvsnets.datasets import load
from treesvsnets.datasets.base import Dataset
from treesvsnets.errors import ConfigError, DatasetError


@pytest.fixture(scope="module")
def digits():
    return load("digits")


def test_folds_partition_the_data(digits, seed):
    split_plan = plan(digits, n_folds=5, seed=seed)
    tests = np.concatenate([fold.test for fold in split_plan.folds])
    assert sorted(tests.tolist()) == list(range(digits.n_samples))
    for fold in split_plan.folds:
        assert not set(fold.train) & set(fold.test)
        assert len(fold.train) + len(fold.test) == digits.n_samples


def test_folds_are_stratified(digits, seed):
    counts = np.bincount(digits.y)
    for fold in plan(digits, n_folds=5, seed=seed).folds:
        in_fold = np.bincount(digits.y[fold.test], minlength=digits.n_classes)
        assert np.all(np.abs(in_fold - counts / 5) <= 1)


def test_same_seed_same_hash_and_folds_other_seed_other_folds(digits):
    first, again, other = plan(digits, 5, 0), plan(digits, 5, 0), plan(digits, 5, 1)
    assert first.hash == again.hash
    assert all(
        np.array_equal(a.test, b.test) for a, b in zip(first.folds, again.folds, strict=True)
    )
    assert other.hash != first.hash
    assert not np.array_equal(first.folds[0].test, other.folds[0].test)
    assert plan(digits, 4, 0).hash != first.hash


def test_hash_follows_the_data(digits):
    X = digits.X.copy()
    X[0, 0] += 1
    changed = Dataset("digits", X, digits.y, digits.class_names)
    assert plan(changed, 5, 0).hash != plan(digits, 5, 0).hash


def test_a_class_smaller_than_the_fold_count_is_refused_by_name():
    iris = load("iris")
    keep = np.r_[0:3, 50:150]  # three setosa left
    small = Dataset("tiny_iris", iris.X[keep], iris.y[keep], iris.class_names)
    with pytest.raises(DatasetError) as caught:
        plan(small, n_folds=5, seed=0)
    assert str(caught.value) == (
        "dataset 'tiny_iris': class 'setosa' has only 3 samples, fewer than the 5 folds "
        "asked for; use --folds 3 or fewer."
    )
    assert len(plan(small, n_folds=3, seed=0).folds) == 3


@pytest.mark.parametrize("folds", [1, 0, 2.5, True])
def test_fold_count_must_be_an_integer_of_at_least_two(folds, digits):
    with pytest.raises(ConfigError, match="folds must be an integer of at least 2"):
        plan(digits, n_folds=folds, seed=0)
