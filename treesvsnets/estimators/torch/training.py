"""The training loop: tensors on the device, index-sliced batches, no per-sample Python.

The whole training set is moved to the device once; each epoch draws one
permutation and slices batches out of it. Losses are summed on the device
and read once per epoch, so the loop does not wait on the device every step.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from treesvsnets.errors import ConfigError
from treesvsnets.estimators.torch.callbacks import Callback
from treesvsnets.estimators.torch.devices import synchronize

OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adam", "adamw")
SCHEDULES = ("none", "step", "cosine", "plateau")


@dataclass(frozen=True)
class TrainingSettings:
    epochs: int = 30
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    l1: float = 0.0
    lr_schedule: str = "none"
    step_size: int = 10
    gamma: float = 0.1
    grad_clip: float | None = None
    amp: bool = False

    def check(self) -> None:
        def bad(name: str, expected: str) -> ConfigError:
            return ConfigError(f"{name} must be {expected}, got {getattr(self, name)!r}.")

        for name in ("epochs", "batch_size", "step_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise bad(name, "a positive integer")
        for name in ("lr", "momentum", "weight_decay", "l1", "gamma"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise bad(name, "a non-negative number")
        if self.lr == 0:
            raise bad("lr", "a positive number")
        if self.optimizer not in OPTIMIZERS:
            raise bad("optimizer", f"one of {', '.join(OPTIMIZERS)}")
        if self.lr_schedule not in SCHEDULES:
            raise bad("lr_schedule", f"one of {', '.join(SCHEDULES)}")
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            raise ConfigError(
                "nesterov=True needs optimizer='sgd' with momentum > 0 "
                f"(got optimizer={self.optimizer!r}, momentum={self.momentum!r})."
            )
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise bad("grad_clip", "a positive number or None")


def make_optimizer(
    parameters: Sequence[nn.Parameter], settings: TrainingSettings, device: torch.device
) -> torch.optim.Optimizer:
    """The optimizer, fused (one kernel for all parameters) where PyTorch offers it."""
    common: dict[str, Any] = {"lr": settings.lr, "weight_decay": settings.weight_decay}
    name = settings.optimizer
    if name == "sgd":
        common.update(momentum=settings.momentum, nesterov=settings.nesterov)
        fusable = settings.momentum > 0  # plain SGD gains nothing from fusing
        return torch.optim.SGD(parameters, **common, **({"fused": True} if fusable else {}))
    if name in ("adam", "adamw"):
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        return cls(parameters, **common, fused=True)
    if name == "adagrad":
        return torch.optim.Adagrad(parameters, **common, fused=device.type == "cpu" or None)
    return torch.optim.RMSprop(parameters, **common, momentum=settings.momentum)


def make_scheduler(optimizer: torch.optim.Optimizer, settings: TrainingSettings) -> Any:
    if settings.lr_schedule == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, settings.step_size, settings.gamma)
    if settings.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=settings.epochs)
    if settings.lr_schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, factor=settings.gamma, patience=max(1, settings.step_size // 5)
        )
    return None


def mixed_precision(device: torch.device, enabled: bool) -> Any:
    """float16 autocast on CUDA (bfloat16 on CPU) when enabled; otherwise a free no-op."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(
        device.type, dtype=torch.float16 if device.type == "cuda" else torch.bfloat16
    )


class Trainer:
    """Runs the epochs of one fit and keeps the per-epoch history."""

    def __init__(
        self,
        module: nn.Module,
        settings: TrainingSettings,
        device: torch.device,
        callbacks: Sequence[Callback] = (),
        generator: torch.Generator | None = None,
        class_weights: torch.Tensor | None = None,
    ) -> None:
        self.module = module
        self.settings = settings
        self.device = device
        self.callbacks = list(callbacks)
        self.generator = generator
        self.history: list[dict[str, Any]] = []
        self.stop = False
        self.stop_reason = ""
        self.restored_epoch: int | None = None
        self.loss_fn = nn.CrossEntropyLoss(weight=class_weights)

    def _autocast(self) -> Any:
        return mixed_precision(self.device, self.settings.amp)

    def fit(
        self,
        X: torch.Tensor,
        y: torch.Tensor,
        X_val: torch.Tensor | None = None,
        y_val: torch.Tensor | None = None,
    ) -> list[dict[str, Any]]:
        settings = self.settings
        module = self.module
        optimizer = make_optimizer(list(module.parameters()), settings, self.device)
        scheduler = make_scheduler(optimizer, settings)
        scaler = torch.amp.GradScaler("cuda", enabled=settings.amp and self.device.type == "cuda")
        l1_weights = [p for p in module.parameters() if p.dim() > 1] if settings.l1 else []
        n = X.shape[0]
        for callback in self.callbacks:
            callback.on_train_begin(self)
        for epoch in range(1, settings.epochs + 1):
            synchronize(self.device)
            started = time.perf_counter()
            module.train()
            order = torch.randperm(n, generator=self.generator).to(self.device, non_blocking=True)
            running = torch.zeros((), device=self.device)
            seen = 0
            for start in range(0, n, settings.batch_size):
                batch = order[start : start + settings.batch_size]
                if batch.numel() < 2:  # BatchNorm cannot train on one sample
                    continue
                with self._autocast():
                    loss = self.loss_fn(module(X[batch]), y[batch])
                if l1_weights:
                    loss = loss + settings.l1 * sum(w.abs().sum() for w in l1_weights)
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                if settings.grad_clip:
                    scaler.unscale_(optimizer)
                    nn.utils.clip_grad_norm_(module.parameters(), settings.grad_clip)
                scaler.step(optimizer)
                scaler.update()
                running += loss.detach() * batch.numel()
                seen += batch.numel()
            record: dict[str, Any] = {
                "epoch": epoch,
                "train_loss": running.item() / max(seen, 1),
                "lr": optimizer.param_groups[0]["lr"],
            }
            if X_val is not None and y_val is not None and len(X_val):
                record["val_loss"], record["val_accuracy"] = self.evaluate(X_val, y_val)
            if scheduler is not None:
                if settings.lr_schedule == "plateau":
                    scheduler.step(record.get("val_loss", record["train_loss"]))
                else:
                    scheduler.step()
            synchronize(self.device)
            record["seconds"] = time.perf_counter() - started
            self.history.append(record)
            for callback in self.callbacks:
                callback.on_epoch_end(self, record)
            if self.stop:
                break
        for callback in self.callbacks:
            callback.on_train_end(self)
        module.eval()
        return self.history

    @torch.no_grad()
    def evaluate(self, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
        """Mean cross-entropy and accuracy on (X, y), in eval mode."""
        logits = predict_logits(self.module, X, self.settings.batch_size * 4, self._autocast)
        loss = self.loss_fn(logits, y)
        accuracy = (logits.argmax(dim=1) == y).float().mean()
        return float(loss.item()), float(accuracy.item())


@torch.no_grad()
def predict_logits(
    module: nn.Module, X: torch.Tensor, batch_size: int, autocast: Any
) -> torch.Tensor:
    """Logits for every row of X (float32), in eval mode, batched to bound memory."""
    was_training = module.training
    module.eval()
    parts = []
    for start in range(0, X.shape[0], batch_size):
        with autocast():
            parts.append(module(X[start : start + batch_size]).float())
    module.train(was_training)
    return torch.cat(parts) if parts else torch.empty(0)
