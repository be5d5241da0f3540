"""The split plan: one set of stratified k-fold indices per (dataset, seed, k).

Every estimator of a run gets its folds from the same plan, and every result
row carries the plan's hash, so a reader can check that two numbers were
measured on the same splits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from treesvsnets.datasets.base import Dataset
from treesvsnets.errors import ConfigError, DatasetError


@dataclass(frozen=True, eq=False)
class Fold:
    index: int
    train: np.ndarray
    test: np.ndarray


@dataclass(frozen=True, eq=False)
class SplitPlan:
    dataset: str
    fingerprint: str
    seed: int
    n_folds: int
    folds: tuple[Fold, ...]
    hash: str

    def describe(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "seed": self.seed,
            "n_folds": self.n_folds,
            "hash": self.hash,
            "test_sizes": [len(fold.test) for fold in self.folds],
        }


def check_folds(dataset: Dataset, n_folds: int) -> None:
    """Refuse a fold count that stratified k-fold cannot honour, naming the class."""
    if isinstance(n_folds, bool) or not isinstance(n_folds, int) or n_folds < 2:
        raise ConfigError(f"folds must be an integer of at least 2, got {n_folds!r}.")
    counts = np.bincount(dataset.y, minlength=dataset.n_classes)
    smallest = int(np.argmin(counts))
    if counts[smallest] < n_folds:
        raise DatasetError(
            f"dataset {dataset.name!r}: class {dataset.class_names[smallest]!r} has only "
            f"{counts[smallest]} samples, fewer than the {n_folds} folds asked for; "
            f"use --folds {max(int(counts[smallest]), 2)} or fewer."
        )


def plan(dataset: Dataset, n_folds: int, seed: int) -> SplitPlan:
    """Stratified, shuffled k-fold indices for ``dataset``, fixed by ``seed``."""
    from sklearn.model_selection import StratifiedKFold

    check_folds(dataset, n_folds)
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    digest = hashlib.sha256(f"{dataset.fingerprint}:{n_folds}:{seed}".encode())
    folds = []
    for index, (train, test) in enumerate(splitter.split(np.zeros(dataset.n_samples), dataset.y)):
        train = train.astype(np.int64)
        test = test.astype(np.int64)
        digest.update(test.tobytes())
        folds.append(Fold(index=index, train=train, test=test))
    return SplitPlan(
        dataset=dataset.name,
        fingerprint=dataset.fingerprint,
        seed=seed,
        n_folds=n_folds,
        folds=tuple(folds),
        hash=digest.hexdigest()[:16],
    )
