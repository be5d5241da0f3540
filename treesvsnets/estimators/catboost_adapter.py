"""CatBoost behind the scikit-learn API, with a table's categories passed natively.

The harness gives every estimator the same numeric rows; for an estimator that takes
categories natively (capability ``native_categorical``) a table's categorical columns come
last, as the training fold's category codes (-1 for a category the fold never had), and
``n_categorical`` says how many there are. :class:`CatBoostModel` hands those columns to
CatBoost as ``cat_features`` (whole-number codes), so CatBoost's ordered target statistics
encode them instead of a one-hot or target encoding fitted outside it.

The thread budget goes to ``thread_count``, the seed to ``random_seed``; ``device="cuda"``
(or ``cuda:N``) trains on that GPU (``task_type="GPU"``), ``device="auto"`` does when
CatBoost sees one, and ``device_`` records where it ran. :func:`gpu_count` asks CatBoost only
where an NVIDIA driver is loaded (elsewhere CatBoost would print a CUDA error). CatBoost
writes no files (``allow_writing_files=False``) and prints nothing.
:class:`CatBoostClassifierModel` and :class:`CatBoostRegressorModel` share
:class:`CatBoostModel`'s parameters, which ``validate_params`` checks before any fit.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from treesvsnets.errors import ConfigError
from treesvsnets.estimators.validation import (
    fitted_rows,
    is_number,
    is_whole,
    plain,
    seed_of,
    training_rows,
)

DEVICES = ("auto", "cpu", "cuda")


@functools.cache
def gpu_count() -> int:
    """The CUDA GPUs CatBoost can use here (asked once per process). Where no NVIDIA driver
    is loaded the answer is 0 without asking CatBoost, which would print a CUDA error."""
    if not Path("/proc/driver/nvidia/version").exists() and not Path("/dev/nvidia0").exists():
        return 0
    from catboost.utils import get_gpu_device_count

    return int(get_gpu_device_count())


class CatBoostModel(BaseEstimator):
    """What the classifier and the regressor share: parameters, the frame CatBoost reads, the
    device. ``None`` leaves a setting to CatBoost (its learning rate is then chosen from
    the data size and ``iterations``)."""

    def __init__(
        self,
        iterations: int = 1000,
        learning_rate: float | None = None,
        depth: int = 6,
        l2_leaf_reg: float = 3.0,
        random_strength: float = 1.0,
        bagging_temperature: float = 1.0,
        border_count: int | None = None,
        one_hot_max_size: int | None = None,
        n_categorical: int = 0,
        thread_count: int | None = None,
        random_seed: int | None = None,
        device: str = "auto",
    ) -> None:
        self.iterations = iterations
        self.learning_rate = learning_rate
        self.depth = depth
        self.l2_leaf_reg = l2_leaf_reg
        self.random_strength = random_strength
        self.bagging_temperature = bagging_temperature
        self.border_count = border_count
        self.one_hot_max_size = one_hot_max_size
        self.n_categorical = n_categorical
        self.thread_count = thread_count
        self.random_seed = random_seed
        self.device = device

    def __treesvsnets_capabilities__(self) -> set[str]:
        found = {"multithreaded", "uses_gpu", "native_categorical"}
        return found | ({"predict_proba"} if isinstance(self, ClassifierMixin) else set())

    def validate_params(self) -> None:
        """The values CatBoost would refuse, refused before any fit, in one sentence."""
        for name, low in (("iterations", 1), ("depth", 1), ("n_categorical", 0)):
            value = getattr(self, name)
            if not is_whole(value) or value < low:
                raise ConfigError(
                    f"{name} must be a whole number of at least {low}, got {value!r}."
                )
        if self.depth > 16:
            raise ConfigError(f"depth must be at most 16 (CatBoost's limit), got {self.depth!r}.")
        for name in ("learning_rate", "l2_leaf_reg", "random_strength", "bagging_temperature"):
            value = getattr(self, name)
            if value is None and name == "learning_rate":
                continue
            if not is_number(value) or value < 0:
                raise ConfigError(f"{name} must be a non-negative number, got {value!r}.")
        if self.device not in DEVICES and not str(self.device).startswith("cuda:"):
            raise ConfigError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}.")

    def _gpu(self) -> str | None:
        """The GPU index CatBoost trains on (``task_type="GPU"``): device cuda (``cuda:N``),
        or auto where CatBoost sees a GPU; None for the CPU."""
        if self.device == "cpu":
            return None
        has_gpu = gpu_count() > 0
        if self.device != "auto" and not has_gpu:
            raise ConfigError(f"device {self.device!r} was asked for, but CatBoost sees no GPU.")
        if not has_gpu:
            return None
        return str(self.device).partition(":")[2] or "0"

    def _settings(self) -> dict[str, Any]:
        self.validate_params()
        gpu = self._gpu()
        self.device_ = "cpu" if gpu is None else f"cuda:{gpu}"
        settings = {
            "iterations": self.iterations,
            "learning_rate": self.learning_rate,
            "depth": self.depth,
            "l2_leaf_reg": self.l2_leaf_reg,
            "random_strength": self.random_strength,
            "bagging_temperature": self.bagging_temperature,
            "border_count": self.border_count,
            "one_hot_max_size": self.one_hot_max_size,
            "thread_count": self.thread_count or -1,
            "random_seed": seed_of(0 if self.random_seed is None else self.random_seed),
            "task_type": "CPU" if gpu is None else "GPU",
            "devices": gpu,
            "verbose": False,
            "allow_writing_files": False,
        }
        return {key: plain(value) for key, value in settings.items() if value is not None}

    def _frame(self, X: np.ndarray) -> Any:
        """X as CatBoost reads it: the numbers as floats, the last ``n_categorical`` columns
        as whole-number codes (CatBoost takes categories as integers or strings)."""
        import pandas as pd

        from treesvsnets.datasets.columns import coded_columns

        frame = pd.DataFrame(X)
        n_codes = self.n_categorical or 0
        first = X.shape[1] - coded_columns(X, n_codes).shape[1]
        if n_codes:
            frame[frame.columns[first:]] = frame[frame.columns[first:]].astype(np.int64)
        return frame, list(range(first, X.shape[1]))

    def _fit(self, model_class: Any, X: Any, y: Any, sample_weight: Any = None) -> Any:
        from sklearn.utils.validation import _check_sample_weight

        X, y = training_rows(
            self, X, y, dtype=np.float64, y_numeric=isinstance(self, RegressorMixin)
        )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
            if not sample_weight.any():
                raise ValueError("Sample weights must contain at least one non-zero number.")
        frame, cat_features = self._frame(X)
        self.model_ = model_class(**self._settings())
        self.model_.fit(frame, y, cat_features=cat_features, sample_weight=sample_weight)
        return self

    def _ready(self, X: Any) -> Any:
        """X checked against the fit (fitted, as many features) and framed for CatBoost."""
        return self._frame(fitted_rows(self, X, fitted="model_", dtype=np.float64))[0]


class CatBoostClassifierModel(ClassifierMixin, CatBoostModel):
    """CatBoostClassifier (Logloss, or MultiClass for more than two classes)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CatBoostClassifierModel:
        from catboost import CatBoostClassifier

        self._fit(CatBoostClassifier, X, y, sample_weight)
        self.classes_ = np.asarray(self.model_.classes_)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        frame = self._ready(X)  # checks it is fitted first
        return np.asarray(self.model_.predict_proba(frame), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        best = np.argmax(self.predict_proba(X), axis=1)  # checks it is fitted first
        return self.classes_[best]


class CatBoostRegressorModel(RegressorMixin, CatBoostModel):
    """CatBoostRegressor (RMSE)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CatBoostRegressorModel:
        from catboost import CatBoostRegressor

        return self._fit(CatBoostRegressor, X, y, sample_weight)

    def predict(self, X: Any) -> np.ndarray:
        frame = self._ready(X)  # checks it is fitted first
        return np.asarray(self.model_.predict(frame), dtype=np.float64).ravel()
