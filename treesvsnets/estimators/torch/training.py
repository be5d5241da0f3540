"""The training loop: tensors on the device, index-sliced batches, no per-sample Python.

The whole training set is moved to the device once; each epoch draws one
permutation and slices batches out of it. Losses stay on the device and are
read once per epoch, so the loop does not wait on the device every step.

:class:`TrainingSettings` are the loop's settings, checked (``.of`` reads them from the
estimator's parameters); :class:`PreparedFit` is one fit's checked inputs on the device;
:func:`make_optimizer` (fused where PyTorch offers it) and :func:`make_scheduler` build the
optimizer and the learning-rate schedule; :func:`mixed_precision` is the autocast
(:func:`warn_of_cpu_amp` says when it slows a fit down). :class:`EpochLoop` holds the epoch
bookkeeping (clock after the device's queued work, history records, schedule, callbacks,
stop) once, over the hooks ``parameters``, ``train_epoch``, ``validate``, ``sync_module``
and ``end``; :class:`Trainer` is the loop of one fit (its plain step is what a hand-written
loop does; mixed precision, L1, clipping and a fit's ``augment`` transform of each training
batch, :mod:`.augment`, add only their own work), and the stacked trainer
(:mod:`treesvsnets.estimators.torch.stacked`) its peer for k fits at once.
:class:`TrainingRun` is what a callback sees of a fit (:class:`FitRun` implements it).
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

import torch
from torch import nn

from treesvsnets.errors import ConfigError
from treesvsnets.estimators.torch.callbacks import Callback
from treesvsnets.estimators.torch.devices import synchronize
from treesvsnets.estimators.torch.objectives import Classification, HeadsLoss, Objective
from treesvsnets.estimators.validation import plain

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

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> TrainingSettings:
        """The loop's settings among an estimator's parameters (each under its field's name),
        checked; an ``lr_schedule`` of None is ``"none"``."""
        given = {setting.name: plain(params[setting.name]) for setting in fields(cls)}
        settings = cls(**{**given, "lr_schedule": given["lr_schedule"] or "none"})
        settings.check()
        return settings

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
                raise bad(name, "a positive number" if name == "lr" else "a non-negative number")
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


def warn_of_cpu_amp(amp: bool, device: torch.device) -> None:
    """Warn, from a net's ``fit``, that mixed precision on a CPU is slower, not faster."""
    if amp and device.type == "cpu":
        warnings.warn(
            "amp=True on the CPU runs bfloat16 autocast, which is several times slower than "
            "float32 on CPUs without bfloat16 arithmetic; mixed precision pays off on CUDA.",
            UserWarning,
            stacklevel=4,  # here, prepare_fit, fit, the caller of fit
        )


class TrainingRun(Protocol):
    """What a callback sees of the fit it follows (a lone fit, or one member of a stack)."""

    module: nn.Module
    settings: TrainingSettings
    history: list[dict[str, Any]]
    stop: bool  # a callback sets it; the fit ends after this epoch
    stop_reason: str
    restored_epoch: int | None  # the epoch whose weights the module ends with, when restored


@dataclass
class FitRun:
    """One fit's progress, as its callbacks see it (a :class:`TrainingRun`)."""

    module: nn.Module
    settings: TrainingSettings
    callbacks: list[Callback] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    stop: bool = False
    stop_reason: str = ""
    restored_epoch: int | None = None


@dataclass
class PreparedFit:
    """One fit's inputs, checked and on the device: what the training loop needs."""

    module: torch.nn.Module
    settings: TrainingSettings
    device: torch.device
    callbacks: list[Callback]
    generator: torch.Generator
    objective: Objective
    X: torch.Tensor
    y: torch.Tensor
    X_val: torch.Tensor | None
    y_val: torch.Tensor | None
    #: a constant prediction's loss on the training rows (None with l1: the loss holds it)
    constant_loss: float | None = None
    #: the random transform of each training batch (:mod:`.augment`; None: the rows as they are)
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None


class EpochLoop:
    """The epochs of one or more fits, and their bookkeeping, written once.

    Each epoch: the clock (after the device's queued work), :meth:`train_epoch`, then
    :meth:`validate`, the learning-rate schedule, one history record per fit that is still
    running (``epoch``, ``train_loss``, ``lr``, the objective's validation scores when it has
    a validation slice: ``val_loss`` and ``val_accuracy``, or ``val_rmse`` and ``val_r2``;
    ``seconds``) and its callbacks. A fit whose callback sets ``stop`` takes
    no more epochs; the loop ends when every fit has stopped or the epochs are done.

    The hooks a loop implements: :meth:`parameters`, :meth:`train_epoch`, :meth:`validate`,
    and optionally :meth:`sync_module` (before a fit's callbacks read its module) and
    :meth:`end` (after the last epoch). :class:`Trainer` is the lone fit;
    :class:`~treesvsnets.estimators.torch.stacked.StackedTrainer` trains k fits as one stack.
    """

    def __init__(self, runs: list[FitRun], settings: TrainingSettings, device: torch.device):
        self.runs = runs
        self.settings = settings
        self.device = device

    # -- the hooks -----------------------------------------------------------------------------

    def parameters(self) -> list[nn.Parameter]:
        """What the optimizer updates."""
        raise NotImplementedError

    def train_epoch(self, optimizer: torch.optim.Optimizer) -> list[float]:
        """One pass over the training rows; each fit's mean training loss."""
        raise NotImplementedError

    def validate(self) -> list[dict[str, float] | None]:
        """Each fit's validation scores (``val_loss`` first), None for a fit without a slice."""
        raise NotImplementedError

    def sync_module(self, index: int) -> None:
        """Bring fit ``index``'s own module up to date (a stack copies its weights there)."""

    def end(self, running: list[bool]) -> None:
        """After the last epoch, before ``on_train_end``; ``running``: fits never stopped."""

    # -- the bookkeeping -------------------------------------------------------------------------

    def run_epochs(self) -> list[FitRun]:
        """Train every fit for the settings' epochs (or until it stops); returns the runs."""
        settings = self.settings
        optimizer = make_optimizer(self.parameters(), settings, self.device)
        scheduler = make_scheduler(optimizer, settings)
        for run in self.runs:
            for callback in run.callbacks:
                callback.on_train_begin(run)
        running = [True] * len(self.runs)
        for epoch in range(1, settings.epochs + 1):
            synchronize(self.device)
            started = time.perf_counter()
            losses = self.train_epoch(optimizer)
            validation = self.validate()
            lr = optimizer.param_groups[0]["lr"]
            if scheduler is not None:
                if settings.lr_schedule == "plateau":  # lone fits only: it follows their loss
                    first = validation[0]
                    scheduler.step(first["val_loss"] if first is not None else losses[0])
                else:
                    scheduler.step()
            synchronize(self.device)
            seconds = (time.perf_counter() - started) / len(self.runs)
            for index, run in enumerate(self.runs):
                if not running[index]:
                    continue
                record: dict[str, Any] = {"epoch": epoch, "train_loss": losses[index], "lr": lr}
                if validation[index] is not None:
                    record.update(validation[index])
                record["seconds"] = seconds
                run.history.append(record)
                if run.callbacks:  # what a callback saves (or stops at) is current
                    self.sync_module(index)
                for callback in run.callbacks:
                    callback.on_epoch_end(run, record)
                running[index] = not run.stop
            if not any(running):
                break
        self.end(running)
        for run in self.runs:
            for callback in run.callbacks:
                callback.on_train_end(run)
            run.module.eval()
        return self.runs


class Trainer(EpochLoop):
    """The loop of one fit: the training set on the device once, one permutation per epoch,
    batches sliced out of it (each passed through ``augment`` when given: the training
    batches alone, never the validation slice), the losses kept on the device and read once
    per epoch."""

    def __init__(
        self,
        module: nn.Module,
        settings: TrainingSettings,
        device: torch.device,
        callbacks: Sequence[Callback] = (),
        generator: torch.Generator | None = None,
        objective: Objective | None = None,
        augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        super().__init__([FitRun(module, settings, list(callbacks))], settings, device)
        self.module = module
        self.generator = generator
        self.augment = augment
        self.objective = objective or Classification()
        self.loss_fn = self.objective.loss_module()
        if getattr(module, "trains_heads", False):  # TabM: every head's loss while training
            self.loss_fn = HeadsLoss(self.loss_fn)
        self.X = self.y = self.X_val = self.y_val = None

    @classmethod
    def of(cls, fit: PreparedFit) -> Trainer:
        """The trainer of one prepared fit (``TorchNet.fit``'s)."""
        return cls(
            fit.module,
            fit.settings,
            fit.device,
            fit.callbacks,
            fit.generator,
            fit.objective,
            fit.augment,
        )

    @property
    def run(self) -> FitRun:
        return self.runs[0]

    def _autocast(self) -> Any:
        return mixed_precision(self.device, self.settings.amp)

    def fit(
        self,
        X: torch.Tensor,
        y: torch.Tensor,
        X_val: torch.Tensor | None = None,
        y_val: torch.Tensor | None = None,
    ) -> list[dict[str, Any]]:
        """Train on (X, y), validating on (X_val, y_val) when given; returns the history."""
        self.X, self.y = X, y
        has_validation = X_val is not None and y_val is not None and len(X_val) > 0
        self.X_val, self.y_val = (X_val, y_val) if has_validation else (None, None)
        self.run_epochs()
        return self.run.history

    def parameters(self) -> list[nn.Parameter]:
        return list(self.module.parameters())

    def train_epoch(self, optimizer: torch.optim.Optimizer) -> list[float]:
        settings, module, X, y, augment = self.settings, self.module, self.X, self.y, self.augment
        n, size = X.shape[0], settings.batch_size
        if not module.training:  # validation puts it back; a callback might not
            module.train()
        order = torch.randperm(n, generator=self.generator).to(self.device, non_blocking=True)
        step = self._step_function(optimizer)
        losses = []
        for start in range(0, n, size):
            if n - start < 2:  # BatchNorm cannot train on one sample
                continue
            batch = order[start : start + size]
            X_batch = X[batch]
            losses.append(step(augment(X_batch) if augment else X_batch, y[batch]))
        # each batch's mean loss weighed by its rows, read from the device once per epoch and
        # summed in order in the losses' own precision (float32 scalar arithmetic, so the
        # total is the one a running device tensor would hold, without an op per batch)
        stacked = torch.stack(losses) if losses else torch.zeros(0)
        if stacked.dtype not in (torch.float32, torch.float64):  # numpy has no bfloat16
            stacked = stacked.float()
        values = stacked.cpu().numpy()
        running, seen = values.dtype.type(0), 0
        for loss, start in zip(values, range(0, n, size), strict=False):
            rows = min(size, n - start)
            running = running + loss * values.dtype.type(rows)
            seen += rows
        return [float(running) / max(seen, 1)]

    def _step_function(self, optimizer: torch.optim.Optimizer) -> Callable[..., torch.Tensor]:
        """One optimizer step on a batch, returning its (detached) loss. The plain step does
        what a hand-written loop does; mixed precision, L1 and clipping add only their own
        work."""
        settings, module, loss_fn = self.settings, self.module, self.loss_fn
        if not (settings.amp or settings.l1 or settings.grad_clip):

            def plain(X_batch: torch.Tensor, y_batch: torch.Tensor) -> torch.Tensor:
                # the last step's gradients are let go before the forward pass, whose
                # activations then reuse their memory (measurably faster on a CPU)
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(module(X_batch), y_batch)
                loss.backward()
                optimizer.step()
                return loss.detach()

            return plain
        scaler = torch.amp.GradScaler("cuda", enabled=settings.amp and self.device.type == "cuda")
        l1_weights = [p for p in module.parameters() if p.dim() > 1] if settings.l1 else []

        def full(X_batch: torch.Tensor, y_batch: torch.Tensor) -> torch.Tensor:
            optimizer.zero_grad(set_to_none=True)
            with self._autocast():
                loss = loss_fn(module(X_batch), y_batch)
            if l1_weights:
                loss = loss + settings.l1 * sum(w.abs().sum() for w in l1_weights)
            scaler.scale(loss).backward()
            if settings.grad_clip:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(module.parameters(), settings.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            return loss.detach()

        return full

    def validate(self) -> list[dict[str, float] | None]:
        if self.X_val is None or self.y_val is None:
            return [None]
        return [self.evaluate(self.X_val, self.y_val)]

    @torch.no_grad()
    def evaluate(self, X: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """The objective's scores on (X, y) (mean loss first), in eval mode."""
        outputs = predict_logits(self.module, X, self.settings.batch_size * 4, self._autocast)
        return self.objective.scores(outputs, y, self.loss_fn)


@torch.no_grad()
def predict_logits(
    module: nn.Module, X: torch.Tensor, batch_size: int, autocast: Any
) -> torch.Tensor:
    """The module's outputs (logits, or a regressor's one column) for every row of X
    (float32), in eval mode, batched to bound memory."""
    was_training = module.training
    module.eval()
    parts = []
    for start in range(0, X.shape[0], batch_size):
        with autocast():
            parts.append(module(X[start : start + batch_size]).float())
    module.train(was_training)
    return torch.cat(parts) if parts else torch.empty(0)
