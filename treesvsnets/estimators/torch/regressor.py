"""TorchRegressor: a PyTorch net behind the scikit-learn regressor API.

Everything but the task is :class:`~treesvsnets.estimators.torch.net.TorchNet`'s (the
same parameters, loop, devices, early stopping, fold-parallel stacking and pickling). The
target is standardised on the rows ``fit`` is given (``y_mean_``, ``y_scale_``: the training
fold's; the validation slice and the test fold never shape it), the module has one output,
the loss is ``mse`` or ``huber``, and predictions are mapped back to the target's units.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import RegressorMixin

from treesvsnets.errors import ConfigError
from treesvsnets.estimators.torch.net import TorchNet
from treesvsnets.estimators.torch.objectives import Regression


class TorchRegressor(RegressorMixin, TorchNet):
    """A Dense or CNN regressor trained by the project's loop (see :class:`TorchNet`).

    ``loss`` is ``"mse"`` (``"auto"``) or ``"huber"`` (on the standardised target, so its
    threshold is one standard deviation); ``monitor`` is ``val_loss``, ``val_rmse`` or
    ``val_r2``. Fitted: ``y_mean_`` and ``y_scale_``, the training target's mean and
    standard deviation.
    """

    LOSSES = ("auto", "mse", "huber")
    MONITORS = Regression.monitors
    _numeric_target = True

    def _check_choices(self) -> None:
        """The task's loss and monitor, and no class weights (validate_params and fit)."""
        super()._check_choices()
        if self.class_weight is not None:
            raise ConfigError(
                f"class_weight is for classifiers; a {type(self).__name__} takes none, "
                f"got {self.class_weight!r}."
            )

    def _targets(self, y: np.ndarray) -> tuple[np.ndarray, int]:
        y = np.asarray(y, dtype=np.float64)  # finite: fit's check_X_y refused NaN and inf
        self.y_mean_ = float(y.mean())
        scale = float(y.std())
        self.y_scale_ = scale if scale > 0 else 1.0
        return self._standardised(y), 1

    def _standardised(self, y: np.ndarray) -> np.ndarray:
        return ((np.asarray(y, dtype=np.float64) - self.y_mean_) / self.y_scale_).astype(
            np.float32
        )[:, None]

    def _validation_targets(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return X, self._standardised(y)

    def _objective(self, y: np.ndarray, device: torch.device) -> Regression:
        return Regression("mse" if self.loss == "auto" else self.loss, self.y_scale_)

    def predict(self, X: Any) -> np.ndarray:
        standardised = self._outputs(X)[:, 0].cpu().numpy().astype(np.float64)
        return standardised * self.y_scale_ + self.y_mean_
