"""Estimator classes that declare their capabilities, as scikit-learn's tags are declared."""

from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression


class ImagesOnly(ClassifierMixin, BaseEstimator):
    """A classifier of 8x8 images: it refuses any other width, so it must be checked on
    images, which only its declaration says."""

    def __init__(self, C=1.0, random_state=None, image_shape=None):
        self.C = C
        self.random_state = random_state
        self.image_shape = image_shape  # what a cell passes an estimator that needs images

    def __treesvsnets_capabilities__(self):
        return {"predict_proba", "needs_images"}

    def fit(self, X, y):
        if X.shape[1] != 64:
            raise ValueError(f"expected 8x8 images (64 columns), got {X.shape[1]} columns")
        self.model_ = LogisticRegression(C=self.C, max_iter=500).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


class DeclaresNonsense(ImagesOnly):
    def __treesvsnets_capabilities__(self):
        return {"predict_proba", "flies"}


class DeclarationRaises(ImagesOnly):
    def __treesvsnets_capabilities__(self):
        raise RuntimeError("no tags today")


class DeclaresNothingUsable(ImagesOnly):
    def __treesvsnets_capabilities__(self):
        return None
