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
