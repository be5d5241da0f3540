"""What a net learns to predict: its loss and the validation scores of its history.

An objective is the only place where classification and regression differ inside the
training loop: the lone :class:`~treesvsnets.estimators.torch.training.Trainer` takes its
loss module and validation scores, and the stacked trainer
(:mod:`~treesvsnets.estimators.torch.stacked`) its per-row loss and masked scores, so
neither loop is written twice.

- :class:`Classification`: logits, cross-entropy (class-weighted when asked),
  ``val_loss`` and ``val_accuracy``.
- :class:`Regression`: one output on a target standardised in the training fold, mean
  squared error (or Huber), ``val_loss`` and, in the target's own units, ``val_rmse``,
  and ``val_r2``.

Each also says its ``constant_loss``: what a net that learned nothing scores on the training
rows (every class alike, log(classes); the mean, 1.0 on a standardised target), the
yardstick of :mod:`~treesvsnets.estimators.torch.divergence`. :class:`HeadsLoss` is the
loss of a module that trains several heads at once (TabM, ``trains_heads = True``): the mean
of every head's loss.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional


class Classification:
    monitors = ("val_loss", "val_accuracy")

    def __init__(self, class_weights: torch.Tensor | None = None) -> None:
        self.class_weights = class_weights

    def loss_module(self) -> nn.Module:
        return nn.CrossEntropyLoss(weight=self.class_weights)

    @torch.no_grad()
    def scores(self, logits: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module) -> dict:
        """A lone fit's validation loss and accuracy."""
        loss = loss_fn(logits, y)
        accuracy = (logits.argmax(dim=1) == y).float().mean()
        return {"val_loss": float(loss.item()), "val_accuracy": float(accuracy.item())}

    def constant_loss(self, y: torch.Tensor) -> float:
        """The loss of predicting every class alike, log(classes), class weights or not:
        about where an untrained net starts (its divergence's yardstick). Not the class
        frequencies' loss: on 97:3 labels that is 0.13, and a healthy net's first epoch
        averages far above it."""
        return math.log(int(y.max().item()) + 1)  # the fit's classes are coded 0..k-1

    #: what :meth:`constant_loss` predicts, in words
    constant = "every class alike"

    def per_row(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Each row's loss, for (k, rows, classes) logits of a stack of k fits."""
        return functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none"
        ).view(y.shape)

    def row_weights(self, y: torch.Tensor, members: torch.Tensor) -> torch.Tensor | None:
        """Each row's class weight in a stack (``self.class_weights`` is then (k, classes))."""
        return None if self.class_weights is None else self.class_weights[members, y]

    @torch.no_grad()
    def stacked_scores(
        self, logits: torch.Tensor, y: torch.Tensor, real: torch.Tensor, sizes: torch.Tensor
    ) -> list[dict]:
        """Each member's validation accuracy (``real`` masks the padding)."""
        correct = ((logits.argmax(dim=2) == y).float() * real).sum(dim=1)
        return [{"val_accuracy": value} for value in (correct / sizes.clamp(min=1)).tolist()]


LOSSES = {"mse": nn.MSELoss, "huber": nn.HuberLoss}


class Regression:
    monitors = ("val_loss", "val_rmse", "val_r2")

    def __init__(self, loss: str = "mse", scale: float | torch.Tensor = 1.0) -> None:
        self.loss = loss
        self.scale = scale  # the target's training standard deviation: RMSE in its units

    def loss_module(self) -> nn.Module:
        return LOSSES[self.loss]()

    @torch.no_grad()
    def scores(self, outputs: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module) -> dict:
        """A lone fit's validation loss, RMSE (target units) and R² ((rows, 1) tensors)."""
        loss = loss_fn(outputs, y)
        mse = float(((outputs - y) ** 2).mean().item())
        variance = float(((y - y.mean()) ** 2).mean().item())
        return {
            "val_loss": float(loss.item()),
            "val_rmse": math.sqrt(mse) * float(self.scale),
            "val_r2": 1 - mse / variance if variance > 0 else float("nan"),
        }

    @torch.no_grad()
    def constant_loss(self, y: torch.Tensor) -> float:
        """The loss of always predicting the training mean (1.0 for the mean squared error of
        a standardised target): what a net that learned nothing scores."""
        return float(self.loss_module()(y.mean().expand_as(y), y).item())

    #: what :meth:`constant_loss` predicts, in words
    constant = "the mean of the standardised target"

    def per_row(self, outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Each row's loss, for (k, rows, 1) outputs of a stack of k fits."""
        if self.loss == "huber":
            return functional.huber_loss(outputs, y, reduction="none").squeeze(-1)
        return ((outputs - y) ** 2).squeeze(-1)

    def row_weights(self, y: torch.Tensor, members: torch.Tensor) -> None:
        return None

    @torch.no_grad()
    def stacked_scores(
        self, outputs: torch.Tensor, y: torch.Tensor, real: torch.Tensor, sizes: torch.Tensor
    ) -> list[dict]:
        """Each member's validation RMSE (its own target units: ``self.scale`` is (k,)) and
        R² (``real`` masks the padding)."""
        count = sizes.clamp(min=1)
        squared = ((outputs - y) ** 2).squeeze(-1) * real
        mse = squared.sum(dim=1) / count
        target = y.squeeze(-1)
        mean = (target * real).sum(dim=1) / count
        variance = (((target - mean[:, None]) ** 2) * real).sum(dim=1) / count
        rmse = mse.sqrt() * torch.as_tensor(self.scale, device=mse.device)
        r2 = torch.where(variance > 0, 1 - mse / variance.clamp(min=1e-30), float("nan"))
        return [
            {"val_rmse": a, "val_r2": b} for a, b in zip(rmse.tolist(), r2.tolist(), strict=True)
        ]


Objective = Classification | Regression


class HeadsLoss(nn.Module):
    """The loss of a module that trains several heads at once (TabM: outputs of shape (rows,
    heads, outputs) in training mode): the mean of every head's loss on the rows' targets.
    Two-dimensional outputs (evaluation: the heads' mean) take the loss as it is."""

    def __init__(self, loss: nn.Module) -> None:
        super().__init__()
        self.loss = loss

    def forward(self, outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if outputs.dim() == 3:
            heads = outputs.shape[1]
            return self.loss(outputs.flatten(0, 1), y.repeat_interleave(heads, dim=0))
        return self.loss(outputs, y)
