"""Small estimators for harness tests: fast, and each misbehaving in one known way."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class DummyEstimator(ClassifierMixin, BaseEstimator):
    """Predicts the training fold's most frequent class; fast and deterministic."""

    def __init__(self, random_state: int | None = None) -> None:
        self.random_state = random_state

    def fit(self, X, y):
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


class ProbaDummy(DummyEstimator):
    """DummyEstimator with class-frequency probabilities."""

    def fit(self, X, y):
        super().fit(X, y)
        self.prior_ = np.bincount(np.searchsorted(self.classes_, y)) / len(y)
        return self

    def predict_proba(self, X):
        return np.tile(self.prior_, (len(X), 1))


class RaisingEstimator(DummyEstimator):
    """Fails in fit, as a buggy or misconfigured estimator would."""

    def fit(self, X, y):
        raise ValueError("deliberate failure in fit")


class AllocatingEstimator(DummyEstimator):
    """Touches ``megabytes`` of memory during fit, then frees it."""

    def __init__(self, megabytes: int = 200, random_state: int | None = None) -> None:
        self.megabytes = megabytes
        self.random_state = random_state

    def fit(self, X, y):
        block = np.ones(self.megabytes * 1024 * 1024 // 8)
        self.checksum_ = float(block[::4096].sum())
        del block
        return super().fit(X, y)


class ThreadRecordingEstimator(DummyEstimator):
    """Records the thread limits of the native thread pools it sees during fit."""

    def fit(self, X, y):
        from threadpoolctl import threadpool_info

        self.pool_threads_ = {pool["user_api"]: pool["num_threads"] for pool in threadpool_info()}
        return super().fit(X, y)
