"""A deliberately broken estimator: predict drops the last row."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class ShortPredict(ClassifierMixin, BaseEstimator):
    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X) - 1, self.classes_[0])


class NanProba(ShortPredict):
    """Whole labels, and probabilities of NaN for half the rows."""

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def predict_proba(self, X):
        proba = np.full((len(X), len(self.classes_)), 1 / len(self.classes_))
        proba[::2] = np.nan
        return proba


class WritesIntoX(ShortPredict):
    """Predicts, then zeroes the rows it was given: what the harness reads next from them
    (predict_proba's input, a tuning trial's rows) would be zeros."""

    def predict(self, X):
        X[:] = 0
        return np.full(len(X), self.classes_[0])
