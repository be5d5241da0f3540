"""RealMLP (Holzmüller et al. 2024) with its tuned defaults, RealMLP-TD, from ``pytabkit``.

:class:`RealMLPClassifierModel` and :class:`RealMLPRegressorModel` put pytabkit's
``RealMLP_TD_Classifier`` / ``RealMLP_TD_Regressor`` behind the project's contract; they share
:class:`RealMLPModel`'s parameters (the ones RealMLP's authors tune, and those its paper names
as the knobs to turn), which ``validate_params`` checks before any fit. A parameter left at
None takes RealMLP-TD's value for the task (``lr`` 0.04 for a classifier, 0.2 for a regressor;
``act`` selu or mish; label smoothing for a classifier only).

RealMLP trains in pytabkit's own loop (PyTorch Lightning), not in the project's Trainer, so
the project's callbacks, ``--fold-parallel`` and AMP do not apply to it. What it does itself:
its preprocessing (robust scaling and smooth clipping of the numbers, one-hot or embedded
categories), the best epoch on the validation slice, and, with ``use_early_stopping``, its
own patience (stop once the epoch exceeds ``multiplicative * best + additive``).

- **Validation**: ``fit(X, y, validation_data=(X_val, y_val))`` hands the harness's slice to
  RealMLP, which keeps the weights of its best epoch on it. Without a slice nothing is held
  out: it trains ``n_epochs`` on every row and keeps the last epoch (as RealMLP's refit does),
  instead of pytabkit's own 20% holdout.
- **Categories**: the last ``n_categorical`` columns are the fold's category codes (-1 for a
  category the fold never had); they reach RealMLP as categorical columns, where -1 joins its
  missing/unknown category.
- **Threads and device**: ``threads`` is torch's thread budget, set for the fit and for
  predict and put back afterwards (:func:`~.torch.devices.torch_threads`); ``device`` is
  auto, cpu or cuda (``cuda:N``), resolved as the project's nets resolve it.
- **Quiet**: no progress bar, no Lightning logs; the library's deprecation warnings are
  dropped. Each epoch's validation score is recorded instead: ``history_`` (one record per
  epoch, ``"best": True`` on the epoch whose weights it keeps), ``n_epochs_``,
  ``best_epoch_``, ``stop_reason_``, ``device_``; the harness writes ``history_`` into the
  row, as it does a net's.

Class weights: RealMLP takes neither ``class_weight`` nor ``sample_weight``, so with
``--class-weight balanced`` it trains unweighted and its rows say ``unsupported``.
"""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from collections.abc import Iterator, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions

from treesvsnets.errors import ConfigError
from treesvsnets.estimators.validation import (
    fitted_rows,
    plain,
    seed_of,
    training_rows,
    validation_rows,
)

ACTIVATIONS = ("relu", "selu", "mish", "silu")
NUMERIC_EMBEDDINGS = ("none", "pl", "plr", "pbld", "pblrd")
#: a validation message of pytabkit's loop: "Epoch 3/256: val class_error = 0.041667"
_EPOCH_LINE = re.compile(r"^Epoch (\d+)/\d+: val (\S+) = (\S+)$")


class EpochRecorder:
    """A pytabkit logger that prints nothing and keeps each epoch's validation scores.

    pytabkit reports an epoch's validation score only as a log message (verbosity 2); this
    logger reads those messages into records in the project's vocabulary: ``val_accuracy``
    for RealMLP's ``class_error``, ``val_<metric>`` for any other."""

    def __init__(self) -> None:
        self.verbosity_level = 2
        self.records: dict[int, dict[str, Any]] = {}

    def get_verbosity_level(self) -> int:
        return self.verbosity_level

    def log(self, verbosity: int, content: str) -> None:
        found = _EPOCH_LINE.match(content.strip()) if verbosity <= 2 else None
        if found is None:
            return
        epoch, metric, value = int(found[1]), found[2], float(found[3])
        record = self.records.setdefault(epoch, {"epoch": epoch})
        if metric == "class_error":
            record["val_accuracy"] = 1.0 - value
        else:
            record[f"val_{metric}"] = value

    def force_log(self, content: str) -> None:
        self.log(0, content)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """pytabkit's, Lightning's and torch's deprecation warnings dropped for the block (they
    are about the libraries, not about the data or the fit)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", module=r"(pytorch_)?lightning.*")
        # pytabkit reads pandas' read-only arrays into tensors it never writes to
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        yield


def _config_with_logger(config: Any, logger: EpochRecorder) -> dict[str, Any]:
    """pytabkit's config with our logger in it: its training module takes a ``logger`` from
    the config over the printing one that the scikit-learn wrapper makes."""
    return {**config(), "logger": logger}


class RealMLPModel(BaseEstimator):
    """What the classifier and the regressor share: parameters, checks, the frame RealMLP
    reads, the fit and the thread budget. Defaults are RealMLP-TD's; None: the task's."""

    def __init__(
        self,
        n_epochs: int = 256,
        batch_size: int = 256,
        hidden_sizes: Sequence[int] = (256, 256, 256),
        lr: float | None = None,
        p_drop: float = 0.15,
        wd: float = 0.02,
        act: str | None = None,
        num_emb_type: str = "pbld",
        plr_sigma: float = 0.1,
        add_front_scale: bool = True,
        ls_eps: float | None = None,
        max_one_hot_cat_size: int = 9,
        embedding_size: int = 8,
        use_early_stopping: bool = False,
        early_stopping_additive_patience: int = 20,
        early_stopping_multiplicative_patience: float = 2.0,
        val_metric_name: str | None = None,
        n_categorical: int = 0,
        threads: int | None = None,
        device: str = "auto",
        random_state: int | None = None,
    ) -> None:
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.hidden_sizes = hidden_sizes
        self.lr = lr
        self.p_drop = p_drop
        self.wd = wd
        self.act = act
        self.num_emb_type = num_emb_type
        self.plr_sigma = plr_sigma
        self.add_front_scale = add_front_scale
        self.ls_eps = ls_eps
        self.max_one_hot_cat_size = max_one_hot_cat_size
        self.embedding_size = embedding_size
        self.use_early_stopping = use_early_stopping
        self.early_stopping_additive_patience = early_stopping_additive_patience
        self.early_stopping_multiplicative_patience = early_stopping_multiplicative_patience
        self.val_metric_name = val_metric_name
        self.n_categorical = n_categorical
        self.threads = threads
        self.device = device
        self.random_state = random_state

    def __treesvsnets_capabilities__(self) -> set[str]:
        from treesvsnets.estimators.netspec import NET_CAPABILITIES

        found = set(NET_CAPABILITIES) | {"native_categorical"}
        return found if isinstance(self, ClassifierMixin) else found - {"predict_proba"}

    #: the values RealMLP takes, in scikit-learn's declared form: checked before any fit (by
    #: ``validate_params``, which the harness calls when it plans a run), and by ``fit``
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "hidden_sizes": ["array-like"],
        "lr": [Interval(Real, 0, None, closed="neither"), None],
        "p_drop": [Interval(Real, 0, 1, closed="left")],
        "wd": [Interval(Real, 0, None, closed="left")],
        "act": [StrOptions(set(ACTIVATIONS)), None],
        "num_emb_type": [StrOptions(set(NUMERIC_EMBEDDINGS))],
        "plr_sigma": [Interval(Real, 0, None, closed="neither")],
        "add_front_scale": ["boolean"],
        "ls_eps": [Interval(Real, 0, 1, closed="left"), None],
        "max_one_hot_cat_size": [Interval(Integral, 0, None, closed="left")],
        "embedding_size": [Interval(Integral, 1, None, closed="left")],
        "use_early_stopping": ["boolean"],
        "early_stopping_additive_patience": [Interval(Integral, 0, None, closed="left")],
        "early_stopping_multiplicative_patience": [Interval(Real, 0, None, closed="neither")],
        "val_metric_name": [str, None],
        "n_categorical": [Interval(Integral, 0, None, closed="left")],
        "threads": [Interval(Integral, 1, None, closed="left"), None],
        "device": [str],
        "random_state": ["random_state"],
    }

    def validate_params(self) -> None:
        """The declared constraints, each hidden layer's width, and the device's name."""
        from treesvsnets.estimators.torch.devices import check_device

        self._validate_params()
        widths = np.asarray(self.hidden_sizes)
        if widths.ndim != 1 or not len(widths) or widths.dtype.kind not in "iu" or widths.min() < 1:
            raise ConfigError(
                f"hidden_sizes must be a list of whole layer widths, got {self.hidden_sizes!r}."
            )
        check_device(self.device)

    def _library_params(self, device: str, threads: int) -> dict[str, Any]:
        """The parameters pytabkit's estimator is built with (None: RealMLP-TD's default)."""
        params = {
            name: plain(getattr(self, name))
            for name in (
                "n_epochs",
                "batch_size",
                "lr",
                "p_drop",
                "wd",
                "act",
                "num_emb_type",
                "plr_sigma",
                "add_front_scale",
                "max_one_hot_cat_size",
                "embedding_size",
                "use_early_stopping",
                "early_stopping_additive_patience",
                "early_stopping_multiplicative_patience",
                "val_metric_name",
            )
        }
        params["hidden_sizes"] = [int(width) for width in self.hidden_sizes]
        if isinstance(self, ClassifierMixin) and self.ls_eps is not None:
            params.update(use_ls=self.ls_eps > 0, ls_eps=self.ls_eps)
        params.update(device=device, n_threads=threads, random_state=seed_of(self.random_state))
        return {key: value for key, value in params.items() if value is not None}

    def _frame(self, X: np.ndarray) -> tuple[Any, list[bool]]:
        """X as RealMLP reads it: the numbers as float32 columns, the last ``n_categorical``
        columns as categories (a code of -1, a category the fold never had, as missing)."""
        import pandas as pd

        from treesvsnets.datasets.columns import coded_columns

        n_codes = self.n_categorical or 0
        codes = coded_columns(X, n_codes)
        first = X.shape[1] - codes.shape[1]
        columns = {f"x{i}": X[:, i].astype(np.float32) for i in range(first)}
        for i in range(first, X.shape[1]):
            values = np.where(X[:, i] < 0, np.nan, X[:, i])
            columns[f"x{i}"] = pd.Categorical(values)
        frame = pd.DataFrame(columns, index=pd.RangeIndex(len(X)))
        return frame, [i >= first for i in range(X.shape[1])]

    def _fit(self, model_class_name: str, X: Any, y: Any, validation_data: Any) -> Any:
        """Fit pytabkit's ``model_class_name`` on (X, y), choosing its epoch on the slice."""
        from treesvsnets.estimators.torch.devices import resolve_device, torch_threads

        self.validate_params()
        regression = isinstance(self, RegressorMixin)
        X, y = training_rows(self, X, y, dtype=np.float64, y_numeric=regression)
        frame, categorical = self._frame(X)
        fit_kwargs: dict[str, Any] = {"cat_indicator": categorical}
        if validation_data is not None:
            X_val, y_val = validation_rows(
                self, *validation_data, dtype=np.float64, y_numeric=regression
            )
            fit_kwargs.update(X_val=self._frame(X_val)[0], y_val=y_val)
        device = resolve_device(self.device)
        self.device_ = "cpu" if device.type == "cpu" else f"cuda:{device.index or 0}"
        with torch_threads(self.threads), quiet():
            import torch
            from pytabkit.models.sklearn import sklearn_interfaces

            threads = int(self.threads or torch.get_num_threads())
            params = self._library_params(self.device_, threads)
            if validation_data is None:
                params["val_fraction"] = 0.0  # nothing held out behind the caller's back
            self.model_ = getattr(sklearn_interfaces, model_class_name)(**params)
            recorder = EpochRecorder()
            config = self.model_.get_config
            self.model_.get_config = functools.partial(_config_with_logger, config, recorder)
            try:
                self.model_.fit(frame, y, **fit_kwargs)
            finally:
                del self.model_.get_config
        self._record_epochs(recorder, validation_data is not None)
        self.n_val_ = 0 if validation_data is None else len(fit_kwargs["y_val"])
        return self

    def _record_epochs(self, recorder: EpochRecorder, validated: bool) -> None:
        """``history_``, ``n_epochs_``, ``best_epoch_`` and ``stop_reason_`` of the fit."""
        history = [recorder.records[epoch] for epoch in sorted(recorder.records)]
        self.best_epoch_ = None
        if validated:
            stop = getattr(self.model_, "fit_params_", {}).get("stop_epoch", {})
            self.best_epoch_ = int(next(iter(stop.values()))) if stop else None
        for record in history:
            if record["epoch"] == self.best_epoch_:
                record["best"] = True
        self.history_ = history
        self.n_epochs_ = len(history) if validated else self.n_epochs
        self.stop_reason_ = None
        if validated and self.n_epochs_ < self.n_epochs:
            self.stop_reason_ = (
                f"early stopping at epoch {self.n_epochs_}: no better validation score since "
                f"epoch {self.best_epoch_}"
            )

    def _predict_raw(self, method: str, X: Any) -> np.ndarray:
        """pytabkit's ``method`` on X, checked against the fit, within the thread budget."""
        from treesvsnets.estimators.torch.devices import torch_threads

        X = fitted_rows(self, X, fitted="model_", dtype=np.float64)
        with torch_threads(self.threads), quiet():
            return np.asarray(getattr(self.model_, method)(self._frame(X)[0]))

    def warm_up(self, X: Any, y: Any) -> None:
        """Pay the import of pytabkit and Lightning, and their first fit, outside a timed fit:
        a throw-away copy trains one epoch on the few rows it is given."""
        from sklearn.base import clone

        clone(self).set_params(n_epochs=1).fit(X, y)


class RealMLPClassifierModel(ClassifierMixin, RealMLPModel):
    """RealMLP-TD for classification (cross-entropy with label smoothing, selu)."""

    def fit(
        self, X: Any, y: Any, validation_data: tuple[Any, Any] | None = None
    ) -> RealMLPClassifierModel:
        self._fit("RealMLP_TD_Classifier", X, y, validation_data)
        self.classes_ = np.asarray(self.model_.classes_)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        proba = self._predict_raw("predict_proba", X).astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        best = np.argmax(self.predict_proba(X), axis=1)  # checks it is fitted first
        return self.classes_[best]


class RealMLPRegressorModel(RegressorMixin, RealMLPModel):
    """RealMLP-TD for regression (MSE on the standardised target, mish, outputs clamped to
    the training range)."""

    def fit(
        self, X: Any, y: Any, validation_data: tuple[Any, Any] | None = None
    ) -> RealMLPRegressorModel:
        return self._fit("RealMLP_TD_Regressor", X, y, validation_data)

    def predict(self, X: Any) -> np.ndarray:
        return self._predict_raw("predict", X).astype(np.float64).ravel()
