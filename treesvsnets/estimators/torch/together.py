"""Fold-parallel training: one estimator's nets for k folds trained as one stacked model.

A small MLP on a CPU is overhead-bound: each step of a 64-256-128-10 net on a
batch of 128 spends more time in Python, the autograd engine and kernel
launches than in arithmetic, and on a GPU it leaves the device idle. Stacking
the k folds' weights into ``(k, in, out)`` tensors and running every layer as
one batched matrix product (``torch.baddbmm``) pays that overhead once per step
for all k nets (benchmarks/fold_parallel.py measures the gain).

What stays each fold's own, so the k results equal k separate ``fit`` calls:
its rows, its shuffling (its own generator, seeded as its own fit seeds it),
its initial weights (each module is built and seeded by its own estimator),
its optimizer state (every optimizer offered is elementwise, so one optimizer
over stacked weights is k optimizers), its class weights, its validation slice,
its early stopping (best weights restored) and its history. Each fold's loss
is the mean over its own rows; the folds' losses are summed, so each fold's
gradient is exactly its own. Without dropout the stacked fit follows the
separate fits' arithmetic up to float rounding (tests/estimators/test_together.py).

What is shared: the global random stream behind dropout masks (each fold still
draws its own, independent masks, so the fits are equal in distribution, not
bit for bit), the learning-rate schedule (epoch-driven, the same for every
fold), and the clock: a fold's epoch ``seconds`` are the stack's divided by k.

A fold whose batch is empty (or one row, which a lone fit skips) while another
fold's is not takes no step there: its weights and optimizer state are put
back. Adam's step counter cannot be put back (one per stacked tensor), so with
Adam the folds must take the same number of steps per epoch (their sizes
differ by a row or two, so they nearly always do).

Settings that cannot be stacked (another architecture, batch norm, gradient
clipping, a plateau schedule, mixed precision, checkpoints, custom callbacks,
folds whose training rows hold different numbers of classes, Adam with folds
taking different numbers of steps per epoch) are fitted one after another
instead, and :func:`fit_together` says why.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn import functional

from treesvsnets.estimators.torch.callbacks import EpochProgress
from treesvsnets.estimators.torch.devices import synchronize
from treesvsnets.estimators.torch.training import (
    TrainingSettings,
    make_optimizer,
    make_scheduler,
)

if TYPE_CHECKING:
    from treesvsnets.estimators.torch.classifier import PreparedFit, TorchClassifier

FitData = tuple[Any, Any, Any]  # (X, y, validation_data or None)

#: Layers a stacked model knows how to run for k nets at once.
STACKABLE_LAYERS = (nn.Flatten, nn.Linear, nn.ReLU, nn.Dropout)


def obstacle(estimators: Sequence[TorchClassifier]) -> str | None:
    """Why these estimators cannot be trained as one stack (None when they can)."""
    if len(estimators) < 2:
        return "there is only one fit"
    params = [estimator.get_params(deep=False) for estimator in estimators]
    differing = sorted(
        {
            name
            for other in params[1:]
            for name in params[0]
            if name != "random_state" and not _same(other[name], params[0][name])
        }
    )
    if differing:
        return f"their parameters differ ({', '.join(differing)})"
    first = estimators[0]
    if first.architecture != "dense":
        return f"only the dense architecture is stacked, not {first.architecture!r}"
    if first.batch_norm:
        return "batch_norm=True is not stacked (each fold's batch statistics)"
    if first.grad_clip:
        return "grad_clip is not stacked (it clips each fold's own gradient norm)"
    if first.lr_schedule == "plateau":
        return "lr_schedule='plateau' is not stacked (it follows each fold's validation loss)"
    if first.amp:
        return "amp is not stacked"
    if first.checkpoint or first.callbacks:
        return "checkpoints and custom callbacks belong to one fit"
    return None


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def fit_together(estimators: list[TorchClassifier], data: list[FitData]) -> str | None:
    """Fit ``estimators[i]`` on ``data[i] = (X, y, validation_data)``, as one stack if possible.

    Returns None when they trained together, else the reason they were fitted
    one after another.
    """
    if len(estimators) != len(data):
        raise ValueError(f"{len(estimators)} estimators but {len(data)} data sets")
    reason = obstacle(estimators)
    if reason is None:
        with estimators[0]._thread_budget():
            runs = [
                estimator._start_fit(X, y, validation)
                for estimator, (X, y, validation) in zip(estimators, data, strict=True)
            ]
            reason = _structural_obstacle(runs)
            if reason is None:
                outcomes = StackedTrainer(runs).fit()
                for estimator, run, (history, restored, stop_reason) in zip(
                    estimators, runs, outcomes, strict=True
                ):
                    estimator._end_fit(run, history, restored, stop_reason)
                return None
    for estimator, (X, y, validation) in zip(estimators, data, strict=True):
        estimator.fit(X, y, validation_data=validation)
    return reason


def _structural_obstacle(runs: list[PreparedFit]) -> str | None:
    shapes = {tuple(tuple(p.shape) for p in run.module.parameters()) for run in runs}
    if len(shapes) > 1:
        return "the folds' training rows hold different classes (their nets differ in shape)"
    if len({run.device for run in runs}) > 1:
        return "the fits are on different devices"
    layers = [layer for layer in runs[0].module.children()]
    if not all(isinstance(layer, STACKABLE_LAYERS) for layer in layers):
        return "the module has layers other than Flatten, Linear, ReLU and Dropout"
    settings = runs[0].settings
    steps = {steps_per_epoch(int(run.y.shape[0]), settings.batch_size) for run in runs}
    if len(steps) > 1 and settings.optimizer in COUNTING_OPTIMIZERS:
        return (
            f"the folds take different numbers of steps per epoch ({sorted(steps)}, batch_size "
            f"{settings.batch_size}), which {settings.optimizer}'s shared step counter cannot "
            "follow"
        )
    return None


#: Optimizers whose update depends on their step count (Adam's bias correction).
COUNTING_OPTIMIZERS = ("adam", "adamw")


def steps_per_epoch(n_rows: int, batch_size: int) -> int:
    """The optimizer steps of one epoch over ``n_rows`` (a last batch of one row is skipped)."""
    return n_rows // batch_size + (1 if n_rows % batch_size >= 2 else 0)


class StackedSequential(nn.Module):
    """k copies of a Flatten/Linear/ReLU/Dropout ``nn.Sequential`` as batched matrix products.

    Input and output are ``(k, batch, features)``; linear layer ``j`` holds
    ``weights[j]`` of shape ``(k, in, out)`` (forward and backward measured a
    little faster than nn.Linear's ``(out, in)`` on a CPU) and ``biases[j]`` of
    ``(k, 1, out)``.
    """

    def __init__(self, modules: Sequence[nn.Sequential]) -> None:
        super().__init__()
        self.template = list(modules[0].children())
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for position, layer in enumerate(self.template):
            if isinstance(layer, nn.Linear):
                members = [list(module.children())[position] for module in modules]
                self.weights.append(
                    nn.Parameter(torch.stack([m.weight.detach().T for m in members]).contiguous())
                )
                self.biases.append(
                    nn.Parameter(torch.stack([m.bias.detach()[None] for m in members]))
                )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        linear = 0
        for layer in self.template:
            if isinstance(layer, nn.Linear):
                x = torch.baddbmm(self.biases[linear], x, self.weights[linear])
                linear += 1
            elif isinstance(layer, nn.ReLU):
                x = torch.relu(x)
            elif isinstance(layer, nn.Dropout):
                x = functional.dropout(x, layer.p, self.training)
        return x

    def l1_per_member(self) -> torch.Tensor:
        """Each member's sum of absolute weights (biases excluded, as the lone loop does)."""
        return sum(w.abs().sum(dim=(1, 2)) for w in self.weights)

    @torch.no_grad()
    def copy_into(self, index: int, module: nn.Module) -> None:
        """Write member ``index``'s weights into its own (unstacked) module."""
        linears = [layer for layer in module.children() if isinstance(layer, nn.Linear)]
        for layer, weight, bias in zip(linears, self.weights, self.biases, strict=True):
            layer.weight.copy_(weight[index].T)
            layer.bias.copy_(bias[index, 0])


class _MemberTrainer:
    """What a callback sees of one member: its own module, settings, history and stop flag."""

    def __init__(self, module: nn.Module, settings: TrainingSettings) -> None:
        self.module = module
        self.settings = settings
        self.history: list[dict[str, Any]] = []
        self.stop = False
        self.stop_reason = ""
        self.restored_epoch: int | None = None


def _padded(tensors: list[torch.Tensor]) -> torch.Tensor:
    """Stack tensors of different lengths into (k, longest, ...), zero-padded at the end."""
    longest = max(len(t) for t in tensors)
    out = tensors[0].new_zeros((len(tensors), longest, *tensors[0].shape[1:]))
    for index, tensor in enumerate(tensors):
        out[index, : len(tensor)] = tensor
    return out


def _emptied(tensor: torch.Tensor) -> torch.Tensor:
    """An empty tensor shaped like ``tensor``'s rows that holds none of its memory.

    (A slice ``tensor[:0]`` would keep the whole storage alive.)
    """
    return tensor.new_empty((0, *tensor.shape[1:]))


@dataclass(frozen=True)
class Step:
    """One optimizer step of an epoch: which batch positions, and whose rows are real there."""

    start: int
    width: int
    rows: torch.Tensor  # (k,) float: each member's real rows in this batch (0 when idle)
    active: torch.Tensor  # (k,) float: 1 for a member that steps here, 0 for an idle one
    idle: list[int]
    weights: torch.Tensor | None  # (k, width): 1 for real rows, 0 for padding; None: all real

    def row_weights(self, k: int, device: torch.device) -> torch.Tensor:
        if self.weights is None:
            return torch.ones(k, self.width, device=device)
        return self.weights


def plan_steps(sizes: list[int], batch_size: int, device: torch.device) -> list[Step]:
    """The steps of every epoch (the same each epoch; only the rows' order changes)."""
    steps = []
    for start in range(0, max(sizes), batch_size):
        real = [min(max(n - start, 0), batch_size) for n in sizes]
        rows = [count if count >= 2 else 0 for count in real]  # a lone fit skips a 1-row batch
        if not any(rows):
            continue
        width = max(real)
        weights = None
        if any(count != width for count in rows):
            counts = torch.tensor(rows, device=device)
            weights = (torch.arange(width, device=device)[None, :] < counts[:, None]).float()
        steps.append(
            Step(
                start=start,
                width=width,
                rows=torch.tensor(rows, dtype=torch.float32, device=device),
                active=torch.tensor([float(count > 0) for count in rows], device=device),
                idle=[index for index, count in enumerate(rows) if not count],
                weights=weights,
            )
        )
    return steps


class StackedTrainer:
    """The training loop of :class:`~treesvsnets.estimators.torch.training.Trainer`, for k fits.

    It takes over the runs' data: their training and validation tensors are
    replaced by empty ones once stacked, so the device holds the data once.
    """

    def __init__(self, runs: list[PreparedFit]) -> None:
        self.runs = runs
        self.k = len(runs)
        self.settings = runs[0].settings
        self.device = runs[0].device
        self.stack = StackedSequential([run.module for run in runs]).to(self.device)
        self.sizes = [int(run.y.shape[0]) for run in runs]
        self.X = _padded([run.X for run in runs])
        self.y = _padded([run.y for run in runs])
        self.members = torch.arange(self.k, device=self.device)[:, None]
        self.steps = plan_steps(self.sizes, self.settings.batch_size, self.device)
        self.rows_per_epoch = [
            sum(int(step.rows[index]) for step in self.steps) for index in range(self.k)
        ]
        self.class_weights = (
            torch.stack([run.class_weights for run in runs])
            if runs[0].class_weights is not None
            else None
        )
        # a member without a validation slice gets an empty one (and no val_* in its history)
        X_val = [run.X_val if run.X_val is not None else run.X[:0] for run in runs]
        y_val = [run.y_val if run.y_val is not None else run.y[:0] for run in runs]
        self.val_sizes = [len(rows) for rows in y_val]
        self.X_val = _padded(X_val) if any(self.val_sizes) else None
        self.y_val = _padded(y_val) if any(self.val_sizes) else None
        for run in runs:  # the stacked copies replace them: do not hold the data twice
            run.X, run.y = _emptied(run.X), _emptied(run.y)
            if run.X_val is not None and run.y_val is not None:
                run.X_val, run.y_val = _emptied(run.X_val), _emptied(run.y_val)

    def fit(self) -> list[tuple[list[dict[str, Any]], int | None, str]]:
        """Train all members; returns each one's (history, restored epoch, stop reason)."""
        settings = self.settings
        optimizer = make_optimizer(list(self.stack.parameters()), settings, self.device)
        scheduler = make_scheduler(optimizer, settings)
        members = [_MemberTrainer(run.module, settings) for run in self.runs]
        callbacks = [
            [c for c in run.callbacks if index == 0 or not isinstance(c, EpochProgress)]
            for index, run in enumerate(self.runs)
        ]
        for callback in callbacks[0]:
            if isinstance(callback, EpochProgress):
                callback.prefix = f"{self.k} folds together, fold 1: "
        for member, member_callbacks in zip(members, callbacks, strict=True):
            for callback in member_callbacks:
                callback.on_train_begin(member)
        running = [True] * self.k
        for epoch in range(1, settings.epochs + 1):
            synchronize(self.device)
            started = time.perf_counter()
            losses, lr = self._epoch(optimizer)
            val = self._evaluate() if self.X_val is not None else None
            if scheduler is not None:
                scheduler.step()
            synchronize(self.device)
            seconds = (time.perf_counter() - started) / self.k
            for index, member in enumerate(members):
                if not running[index]:
                    continue
                record: dict[str, Any] = {"epoch": epoch, "train_loss": losses[index], "lr": lr}
                if val is not None and self.val_sizes[index]:
                    record["val_loss"], record["val_accuracy"] = val[0][index], val[1][index]
                record["seconds"] = seconds
                member.history.append(record)
                if callbacks[index]:  # what a callback saves (or stops at) is current
                    self.stack.copy_into(index, member.module)
                for callback in callbacks[index]:
                    callback.on_epoch_end(member, record)
                running[index] = not member.stop
            if not any(running):
                break
        outcomes = []
        for index, member in enumerate(members):
            if running[index]:  # a stopped member's module already holds its weights at the stop
                self.stack.copy_into(index, member.module)
            for callback in callbacks[index]:
                callback.on_train_end(member)
            member.module.eval()
            outcomes.append((member.history, member.restored_epoch, member.stop_reason))
        return outcomes

    def _epoch(self, optimizer: torch.optim.Optimizer) -> tuple[list[float], float]:
        """One pass over every member's rows; each member's mean training loss, and the lr."""
        self.stack.train()
        longest = self.X.shape[1]
        order = torch.stack(
            [
                torch.cat([torch.randperm(n, generator=run.generator), torch.arange(n, longest)])
                for n, run in zip(self.sizes, self.runs, strict=True)
            ]
        ).to(self.device, non_blocking=True)
        running = torch.zeros(self.k, device=self.device)
        for step in self.steps:
            batch = order[:, step.start : step.start + step.width]
            y = self.y[self.members, batch]
            logits = self.stack(self.X[self.members, batch])
            per_row = functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none"
            ).view(self.k, step.width)
            if step.weights is None and self.class_weights is None:
                member_loss = per_row.mean(dim=1)
            else:
                weights = step.row_weights(self.k, self.device)
                if self.class_weights is not None:
                    weights = weights * self.class_weights[self.members, y]
                member_loss = (per_row * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-12)
            if self.settings.l1:
                member_loss = member_loss + self.settings.l1 * self.stack.l1_per_member()
            if step.idle:
                member_loss = member_loss * step.active
            optimizer.zero_grad(set_to_none=True)
            member_loss.sum().backward()
            saved = self._save(optimizer, step.idle) if step.idle else None
            optimizer.step()
            if saved:
                self._restore(saved, step.idle)
            running += member_loss.detach() * step.rows
        totals = running.tolist()
        return (
            [total / max(n, 1) for total, n in zip(totals, self.rows_per_epoch, strict=True)],
            optimizer.param_groups[0]["lr"],
        )

    def _save(self, optimizer: torch.optim.Optimizer, idle: list[int]) -> list[Any]:
        """Idle members' weights and optimizer state, to put back after the step."""
        saved = []
        for parameter in self.stack.parameters():
            state = optimizer.state.get(parameter, {})
            tensors = [parameter] + [
                value
                for value in state.values()
                if torch.is_tensor(value) and value.shape == parameter.shape
            ]
            saved += [(tensor, tensor.detach()[idle].clone()) for tensor in tensors]
        return saved

    @staticmethod
    @torch.no_grad()
    def _restore(saved: list[Any], idle: list[int]) -> None:
        for tensor, values in saved:
            tensor[idle] = values

    @torch.no_grad()
    def _evaluate(self) -> tuple[list[float], list[float]]:
        """Each member's mean cross-entropy (class-weighted, as the lone loop's) and accuracy."""
        assert self.X_val is not None and self.y_val is not None
        self.stack.eval()
        chunk = self.settings.batch_size * 4
        logits = torch.cat(
            [
                self.stack(self.X_val[:, start : start + chunk])
                for start in range(0, self.X_val.shape[1], chunk)
            ],
            dim=1,
        )
        self.stack.train()
        longest = self.X_val.shape[1]
        per_row = functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), self.y_val.reshape(-1), reduction="none"
        ).view(self.k, longest)
        sizes = torch.tensor(self.val_sizes, device=self.device)
        real = (torch.arange(longest, device=self.device)[None, :] < sizes[:, None]).float()
        weights = real
        if self.class_weights is not None:
            weights = real * self.class_weights[self.members, self.y_val]
        loss = (per_row * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-12)
        correct = ((logits.argmax(dim=2) == self.y_val).float() * real).sum(dim=1)
        accuracy = correct / sizes.clamp(min=1)
        return loss.tolist(), accuracy.tolist()
