"""The split plan: the outer folds every estimator shares, and the inner validation slices.

One plan per (dataset, seed, protocol): shuffled k-fold (``kfold``) or one train/test
split (``holdout``: the dataset's official split when it has one, such as MNIST's 60k/10k,
else a ``test_size`` split); a dataset published with its folds (an OpenML task) keeps them,
whatever the protocol and fold count. Classification folds are stratified on the classes;
regression folds are plain shuffled folds, or stratified on ``target_bins`` quantile bins of
the target when asked. Inside each training fold a validation slice (stratified alike) is set
aside once, for the estimators that early-stop; every such estimator gets the same slice
(``Fold.fit`` is the training fold less it, ``Fold.val`` the slice). The plan's hash covers
the data, the folds and the slices, and is stored on every row; ``test_rows_seen_in_train``
counts, per split, the test rows whose features also appear in its training fold.

:class:`SplitRecipe` is a run's split settings (folds, protocol, test size, validation
fraction, target bins), built once; its ``plan(dataset, seed)`` makes a :class:`SplitPlan`.
:func:`check_folds` refuses a class smaller than k (for regression, fewer than 2 rows per
fold), naming the class.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass

import numpy as np

from treesvsnets.config_fields import PROTOCOLS
from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.fold_counts import check_folds
from treesvsnets.errors import ConfigError, DatasetError, TreesVsNetsWarning


@dataclass(frozen=True, eq=False)
class Fold:
    index: int
    train: np.ndarray  # the whole training fold
    test: np.ndarray
    fit: np.ndarray  # the training fold less the validation slice
    val: np.ndarray  # the inner validation slice, for estimators that early-stop


@dataclass(frozen=True, eq=False)
class SplitPlan:
    dataset: str
    fingerprint: str
    seed: int
    protocol: str
    n_folds: int
    validation_fraction: float
    folds: tuple[Fold, ...]
    hash: str
    target_bins: int = 0  # regression folds stratified on this many target quantile bins
    predefined: bool = False  # the dataset's published folds (Dataset.predefined_folds)
    #: per fold, test rows whose features equal a training row's: a leak the report counts
    test_rows_seen_in_train: tuple[int, ...] = ()

    def describe(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "seed": self.seed,
            "protocol": self.protocol,
            "n_folds": self.n_folds,
            "validation_fraction": self.validation_fraction,
            **({"target_bins": self.target_bins} if self.target_bins else {}),
            **({"predefined_folds": True} if self.predefined else {}),
            "hash": self.hash,
            "test_sizes": [len(fold.test) for fold in self.folds],
            "test_rows_seen_in_train": list(self.test_rows_seen_in_train),
        }


@dataclass(frozen=True)
class SplitRecipe:
    """How a run splits every dataset: all of :func:`make_split_plan` but the dataset and the
    seed. The plan builds it once from the settings; a worker rebuilds a split plan from it
    (and checks the hash), so the settings are spelled in one place."""

    n_folds: int = 5
    protocol: str = "kfold"
    test_size: float = 0.2
    validation_fraction: float = 0.1
    target_bins: int = 0

    def plan(self, dataset: Dataset, seed: int) -> SplitPlan:
        """``dataset``'s split plan for ``seed``."""
        return make_split_plan(
            dataset,
            self.n_folds,
            seed,
            protocol=self.protocol,
            test_size=self.test_size,
            validation_fraction=self.validation_fraction,
            target_bins=self.target_bins,
        )


def _check_bins(dataset: Dataset, strata: np.ndarray, bins: int, n_parts: int) -> None:
    """Refuse target bins each smaller than the folds (none could be in every fold); warn
    where only some are (those are not)."""
    counts = np.unique(strata, return_counts=True)[1]
    if counts.min() >= n_parts:
        return
    said = (
        f"dataset {dataset.name!r}: target_bins {bins} makes bins of {counts.min()} "
        f"row{'s' if counts.min() > 1 else ''} ({dataset.n_samples} rows in {len(counts)} "
        f"bins), fewer than the {n_parts} folds"
    )
    if counts.max() < n_parts:
        raise ConfigError(
            f"{said}; use --target-bins {max(dataset.n_samples // n_parts, 2)} or fewer."
        )
    warnings.warn(
        f"{said}: those bins are not in every fold (fewer bins stratify every fold).",
        TreesVsNetsWarning,
        stacklevel=3,
    )


def _check_holdout_parts(dataset: Dataset, test_size: float, n_strata: int) -> None:
    """Refuse a stratified holdout whose test part, or training part, would hold fewer rows
    than there are classes (or target deciles) to keep a share of."""
    n_test = int(np.ceil(test_size * dataset.n_samples))
    if min(n_test, dataset.n_samples - n_test) < n_strata:
        groups = "target deciles" if dataset.is_regression else "classes"
        raise DatasetError(
            f"dataset {dataset.name!r}: a holdout of test_size {test_size:g} on its "
            f"{dataset.n_samples} rows tests on {n_test} and trains on "
            f"{dataset.n_samples - n_test}, too few for each of its {n_strata} {groups}; "
            f"it needs at least {int(np.ceil(n_strata / min(test_size, 1 - test_size)))} rows "
            f"(a --subsample of at least that many, or more data), or a --test-size nearer "
            "0.5."
        )


def _validation_slice(
    train: np.ndarray, y: np.ndarray | None, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split a training fold into (fit, val), stratified on ``y`` (class codes or target bins;
    None: a plain shuffled slice), fixed by ``seed``."""
    from sklearn.model_selection import StratifiedShuffleSplit, train_test_split

    if fraction == 0:
        return train, train[:0]
    if y is None:
        n_val = max(int(round(fraction * len(train))), 1)
        if len(train) - n_val < 2:
            return train, train[:0]
        fit, val = train_test_split(train, test_size=n_val, random_state=seed)
        return np.sort(fit), np.sort(val)
    n_classes = len(np.unique(y[train]))
    n_val = max(int(round(fraction * len(train))), n_classes)
    if len(train) - n_val < n_classes:
        return train, train[:0]
    try:
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=n_val, random_state=seed)
        fit_pos, val_pos = next(splitter.split(np.zeros(len(train)), y[train]))
    except ValueError:  # a class with one member cannot be stratified; shuffle plainly
        fit_pos, val_pos = train_test_split(
            np.arange(len(train)), test_size=n_val, random_state=seed
        )
    return np.sort(train[fit_pos]), np.sort(train[val_pos])


def _predefined_outer(dataset: Dataset) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) per fold of ``dataset``'s published folds: train is every other row; a
    fold left without test or training rows (by cleaning or a subsample) is refused."""
    every = np.arange(dataset.n_samples)
    outer = [(np.setdiff1d(every, test), test) for test in dataset.predefined_folds or ()]
    for index, (train, test) in enumerate(outer):
        if len(test) == 0 or len(train) == 0:
            raise DatasetError(
                f"dataset {dataset.name!r}: fold {index} of its published folds has no "
                f"{'test' if len(test) == 0 else 'training'} rows left (after cleaning or "
                "--subsample); use more rows."
            )
    return outer


def _outer_splits(
    dataset: Dataset,
    strata: np.ndarray | None,
    n_folds: int,
    seed: int,
    protocol: str,
    test_size: float,
) -> tuple[list[tuple[np.ndarray, np.ndarray]], bytes]:
    """The (train, test) outer splits, stratified on ``strata`` when given, and what the
    split hash adds for them: the dataset's published folds (``predefined``), k shuffled
    folds, its official test split (``official``), or one ``test_size`` split."""
    from sklearn.model_selection import (
        KFold,
        ShuffleSplit,
        StratifiedKFold,
        StratifiedShuffleSplit,
    )

    stratified = strata is not None
    if dataset.predefined_folds is not None:
        return _predefined_outer(dataset), b"predefined"
    if protocol == "kfold":
        check_folds(dataset, n_folds)
        if stratified:
            splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
        else:
            splitter = KFold(n_splits=n_folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(dataset.n_samples), strata)), b""
    if dataset.official_test is not None:
        test = np.asarray(dataset.official_test, dtype=np.int64)
        return [(np.setdiff1d(np.arange(dataset.n_samples), test), test)], b"official"
    if not 0 < test_size < 1:
        raise ConfigError(f"test_size must be between 0 and 1, got {test_size!r}.")
    check_folds(dataset, 2)
    if stratified:
        _check_holdout_parts(dataset, test_size, len(np.unique(strata)))
    shuffle_split = StratifiedShuffleSplit if stratified else ShuffleSplit
    splitter = shuffle_split(n_splits=1, test_size=test_size, random_state=seed)
    return list(splitter.split(np.zeros(dataset.n_samples), strata)), b""


def make_split_plan(
    dataset: Dataset,
    n_folds: int = 5,
    seed: int = 0,
    *,
    protocol: str = "kfold",
    test_size: float = 0.2,
    validation_fraction: float = 0.1,
    target_bins: int = 0,
) -> SplitPlan:
    """The outer folds and inner validation slices for ``dataset``, fixed by ``seed``.

    Classification is stratified on the classes. Regression is shuffled, or stratified on
    ``target_bins`` quantile bins of the target (ignored for classification)."""
    if protocol not in PROTOCOLS:
        raise ConfigError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}.")
    if not 0 <= validation_fraction < 0.5:
        raise ConfigError(f"validation_fraction must be in [0, 0.5), got {validation_fraction!r}.")
    predefined = dataset.predefined_folds
    if predefined is not None:
        n_folds = len(predefined)
    digest = hashlib.sha256(
        f"{dataset.fingerprint}:{protocol}:{n_folds}:{seed}:{validation_fraction}".encode()
    )
    bins = target_bins if dataset.is_regression else 0
    if bins:
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
            raise ConfigError(f"target_bins must be 0 or at least 2, got {target_bins!r}.")
        digest.update(f":bins{bins}".encode())
    # what folds and slices are stratified on: class codes, target bins, or nothing
    strata = None if dataset.is_regression and not bins else dataset.y
    if bins:
        from treesvsnets.datasets.target import quantile_bins

        strata = quantile_bins(dataset.y, bins)
        if predefined is None:  # published folds are as they are
            _check_bins(dataset, strata, bins, n_folds if protocol == "kfold" else 2)
    with warnings.catch_warnings():  # a bin smaller than k: said once by _check_bins
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        outer, kind = _outer_splits(dataset, strata, n_folds, seed, protocol, test_size)
    digest.update(kind)
    folds = []
    for index, (train, test) in enumerate(outer):
        train, test = np.sort(train).astype(np.int64), np.sort(test).astype(np.int64)
        fit, val = _validation_slice(
            train, strata, validation_fraction, (seed * 1009 + index) % 2**32
        )
        digest.update(test.tobytes())
        digest.update(val.tobytes())
        folds.append(Fold(index=index, train=train, test=test, fit=fit, val=val))
    return SplitPlan(
        dataset=dataset.name,
        fingerprint=dataset.fingerprint,
        seed=seed,
        protocol=protocol,
        n_folds=len(folds),
        validation_fraction=validation_fraction,
        folds=tuple(folds),
        hash=digest.hexdigest()[:16],
        target_bins=bins,
        predefined=predefined is not None,
        test_rows_seen_in_train=_test_rows_seen_in_train(dataset.row_hashes, folds),
    )


def _test_rows_seen_in_train(row_hashes: np.ndarray, folds: list[Fold]) -> tuple[int, ...]:
    """Per fold, how many test rows hash as some training row does (``numpy.isin`` of the
    fold's hashes, with the hashes numbered once by ``pandas.factorize`` rather than sorted
    per fold: ten times faster on 200,000 rows)."""
    import pandas as pd

    codes, distinct = pd.factorize(row_hashes)
    seen = []
    for fold in folds:
        in_train = np.zeros(len(distinct), dtype=bool)
        in_train[codes[fold.train]] = True
        seen.append(int(in_train[codes[fold.test]].sum()))
    return tuple(seen)
