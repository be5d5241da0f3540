"""Stacking (classifier and regressor) that keeps every core busy while its members fit.

scikit-learn's ``StackingClassifier.fit`` runs two parallel phases one after
the other: the members' fits on the whole training data, then, member by
member, ``cross_val_predict`` over the inner folds. When one member costs far
more than the others (gradient boosting beside a random forest), each phase
waits on that member while the other cores idle: on digits with 2 cores the
stacking of rf + bagging + adaboost + gb spent ~26 s per fold where its ~40 s of
single-threaded work could take ~20 s.

``PooledStackingClassifier`` submits all of that work, (member, whole data)
and (member, inner fold) alike, to one joblib pool, then stacks exactly as
scikit-learn does: same clones, same folds, same out-of-fold predictions, same
final estimator, so its predictions equal ``StackingClassifier``'s
(``tests/estimators/test_stacking.py`` checks it). Cases it does not speed up (``cv="prefit"``,
multilabel targets, metadata routing, a class missing from an inner training
fold) go to scikit-learn's own ``fit``. ``PooledStackingRegressor`` does the same for
``StackingRegressor`` (its members' out-of-fold predictions are their ``predict``); the
pooled fit both use (``_PooledFit``) is written once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import StackingClassifier, StackingRegressor
from sklearn.model_selection import check_cv
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch, _safe_indexing
from sklearn.utils.metadata_routing import _routing_enabled
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import column_or_1d


def _fit_member(estimator, X, y, sample_weight, train, test, method):
    """Fit a clone on ``train`` rows; return it (``test`` is None) or its ``method`` on ``test``."""
    member = clone(estimator)
    rows = slice(None) if train is None else train
    fit_params = {} if sample_weight is None else {"sample_weight": sample_weight[rows]}
    member.fit(_safe_indexing(X, rows), y[rows], **fit_params)
    if test is None:
        return member
    return getattr(member, method)(_safe_indexing(X, test))


def _not_pooled(estimator: Any, fit_params: dict[str, Any]) -> bool:
    """Cases scikit-learn's own ``fit`` handles and the pool does not."""
    return (
        estimator.cv == "prefit" or bool(set(fit_params) - {"sample_weight"}) or _routing_enabled()
    )


class _PooledFit:
    """The pooled fit both stackings share: every member on the whole data and on each inner
    fold in one joblib pool, then the final estimator on the out-of-fold predictions."""

    def _fit_pooled(self, X: Any, y: Any, folds: list, fit_params: dict[str, Any]) -> Any:
        names, all_estimators = self._validate_estimators()
        self._validate_final_estimator()
        kept = [
            (name, est) for name, est in zip(names, all_estimators, strict=True) if est != "drop"
        ]
        methods = [self._method_name(name, est, self.stack_method) for name, est in kept]
        sample_weight = fit_params.get("sample_weight")
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)

        # every fit in one pool: each member on the whole data, then on each inner fold
        jobs = [(index, None, None) for index in range(len(kept))]
        jobs += [(index, train, test) for index in range(len(kept)) for train, test in folds]
        outputs = Parallel(n_jobs=self.n_jobs, verbose=self.verbose, batch_size=1)(
            delayed(_fit_member)(kept[index][1], X, y, sample_weight, train, test, methods[index])
            for index, train, test in jobs
        )

        self.estimators_ = outputs[: len(kept)]
        out_of_fold = iter(outputs[len(kept) :])
        predictions = []
        for _ in kept:
            parts = [(test, next(out_of_fold)) for _, test in folds]
            first = parts[0][1]
            stacked = np.empty((len(y), *first.shape[1:]), dtype=first.dtype)
            for test, part in parts:
                stacked[test] = part
            predictions.append(stacked)

        fitted = iter(self.estimators_)
        self.named_estimators_ = Bunch()
        for name, est in zip(names, all_estimators, strict=True):
            self.named_estimators_[name] = "drop" if est == "drop" else next(fitted)
        for member in self.estimators_:
            if hasattr(member, "feature_names_in_"):
                self.feature_names_in_ = member.feature_names_in_
        self.stack_method_ = methods
        meta_features = self._concatenate_predictions(X, predictions)
        final_params = {} if sample_weight is None else {"sample_weight": sample_weight}
        self.final_estimator_.fit(meta_features, y, **final_params)
        return self

    @staticmethod
    def _rows(X: Any) -> Any:
        """X as the pool slices it: a sparse matrix of any format as CSR (its rows can be
        taken), an array-like without indexing (a plain sequence of rows) as an array;
        a DataFrame or an array as it is (the members check it)."""
        from scipy import sparse
        from sklearn.utils.validation import indexable

        if sparse.issparse(X):
            return X.tocsr()
        return indexable(X)[0]

    @staticmethod
    def _folds(cv: Any, X: Any, y: Any) -> list:
        """The inner folds, fixed once (a splitter without a seed gets one, as scikit-learn's)."""
        if hasattr(cv, "random_state") and cv.random_state is None:
            cv.random_state = np.random.RandomState()
        return list(cv.split(X, y))


class PooledStackingClassifier(_PooledFit, StackingClassifier):
    """``StackingClassifier`` whose member fits (whole data and inner folds) share one pool."""

    def fit(self, X: Any, y: Any, **fit_params: Any) -> PooledStackingClassifier:
        check_classification_targets(y)
        if _not_pooled(self, fit_params) or type_of_target(y) == "multilabel-indicator":
            return super().fit(X, y, **fit_params)
        self._validate_params()
        X = self._rows(X)
        encoder = LabelEncoder().fit(y)
        y_encoded = encoder.transform(y)
        folds = self._folds(check_cv(self.cv, y=y_encoded, classifier=True), X, y_encoded)
        n_classes = len(encoder.classes_)
        if any(np.unique(y_encoded[train]).size < n_classes for train, _ in folds):
            return super().fit(X, y, **fit_params)  # scikit-learn re-orders such folds' columns
        self._label_encoder = encoder
        self.classes_ = encoder.classes_
        return self._fit_pooled(X, y_encoded, folds, fit_params)


class PooledStackingRegressor(_PooledFit, StackingRegressor):
    """``StackingRegressor`` whose member fits (whole data and inner folds) share one pool."""

    def fit(self, X: Any, y: Any, **fit_params: Any) -> PooledStackingRegressor:
        if _not_pooled(self, fit_params):
            return super().fit(X, y, **fit_params)
        self._validate_params()
        X = self._rows(X)
        y = column_or_1d(y, warn=True)
        folds = self._folds(check_cv(self.cv, y=y, classifier=False), X, y)
        return self._fit_pooled(X, y, folds, fit_params)
