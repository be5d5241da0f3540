"""TorchClassifier: a PyTorch net behind the scikit-learn classifier API.

Everything but the task is :class:`~treesvsnets.estimators.torch.net.TorchNet`'s; this
class adds the classes (``classes_``), class weights, cross-entropy and probabilities.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin

from treesvsnets.errors import ConfigError, TreesVsNetsWarning
from treesvsnets.estimators.torch.net import TorchNet
from treesvsnets.estimators.torch.objectives import Classification


class TorchClassifier(ClassifierMixin, TorchNet):
    """A Dense or CNN classifier trained by the project's loop (see :class:`TorchNet`).

    ``loss`` is cross-entropy (``"auto"`` or ``"cross_entropy"``), weighed by
    ``class_weight`` when given; ``monitor`` is ``val_loss`` or ``val_accuracy``.
    """

    LOSSES = ("auto", "cross_entropy")
    MONITORS = Classification.monitors

    def _check_choices(self) -> None:
        """The loss and the monitor, and ``class_weight``: None, "balanced" or a dict."""
        super()._check_choices()
        weights = self.class_weight
        if not (weights is None or weights == "balanced" or isinstance(weights, dict)):
            raise ConfigError(
                "class_weight must be None, 'balanced' or a dict of class weights, "
                f"got {weights!r}."
            )

    def _targets(self, y: np.ndarray) -> tuple[np.ndarray, int]:
        self.classes_, codes = np.unique(y, return_inverse=True)
        return codes.astype(np.int64), len(self.classes_)

    def _validation_targets(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Validation rows of a class seen in training (the others cannot be scored: they are
        left out, with a warning naming them; early stopping judged the rest, silently)."""
        known = np.isin(y, self.classes_)
        if not known.all():
            unseen = ", ".join(repr(c) for c in np.unique(y[~known])[:5].tolist())
            warnings.warn(
                f"{int((~known).sum())} of {len(y)} validation rows are of classes the net "
                f"does not train on ({unseen}); they are left out of its validation scores"
                + ("" if known.any() else ", which are then none: early stopping cannot judge"),
                TreesVsNetsWarning,
                stacklevel=4,
            )
        return X[known], np.searchsorted(self.classes_, y[known]).astype(np.int64)

    def _objective(self, y: np.ndarray, device: torch.device) -> Classification:
        return Classification(self._class_weights(y, device))

    def _class_weights(self, y: np.ndarray, device: torch.device) -> torch.Tensor | None:
        """Per-class loss weights (``"balanced"``: inversely proportional to class frequency)."""
        if self.class_weight is None:
            return None
        from sklearn.utils.class_weight import compute_class_weight

        weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        return torch.as_tensor(weights, dtype=torch.float32, device=device)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Each row's class probabilities, summing to 1 in float64 (the softmax is taken in
        float64: float32's sums miss 1 by 1e-7, which scikit-learn's log_loss warns of)."""
        return torch.softmax(self._outputs(X).double(), dim=1).cpu().numpy()

    def predict(self, X: Any) -> np.ndarray:
        best = self._outputs(X).argmax(dim=1).cpu().numpy()  # checks it is fitted first
        return self.classes_[best]
