"""The mechanics of fold-parallel training: k nets as one stacked model, and its loop.

:class:`StackedSequential` runs k copies of a Flatten/Linear/ReLU/Dropout net as batched
matrix products (``baddbmm`` over ``(k, in, out)`` weights); :func:`plan_steps` lays out an
epoch's steps for members of different sizes; :class:`StackedTrainer` trains the stack with
the same epoch bookkeeping as a lone fit
(:class:`~treesvsnets.estimators.torch.training.EpochLoop`), each member with its own rows,
shuffles, initial weights, optimizer state, class weights, early stopping and history, and
each a :class:`~treesvsnets.estimators.torch.training.FitRun` its callbacks see. What may be
stacked, and why the result equals k separate fits, is the policy in
:mod:`treesvsnets.estimators.torch.together`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from treesvsnets.estimators.torch.callbacks import EpochProgress
from treesvsnets.estimators.torch.objectives import Classification, Objective, Regression
from treesvsnets.estimators.torch.training import EpochLoop, FitRun, PreparedFit


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


class StackedTrainer(EpochLoop):
    """The peer of :class:`~treesvsnets.estimators.torch.training.Trainer` for k fits: the same
    epoch bookkeeping (:class:`EpochLoop`), each fit's own history and callbacks, one stacked
    model stepped for all.

    It takes over the fits' data: their training and validation tensors are
    replaced by empty ones once stacked, so the device holds the data once.
    """

    def __init__(self, prepared: list[PreparedFit]) -> None:
        first = prepared[0]
        super().__init__(
            [
                FitRun(
                    fit.module,
                    fit.settings,
                    # one fit's epoch lines stand for all (with a prefix that says so)
                    [c for c in fit.callbacks if index == 0 or not isinstance(c, EpochProgress)],
                )
                for index, fit in enumerate(prepared)
            ],
            first.settings,
            first.device,
        )
        for callback in self.runs[0].callbacks:
            if isinstance(callback, EpochProgress):
                callback.prefix = f"{len(prepared)} folds together, fold 1: "
        self.prepared = prepared
        self.k = len(prepared)
        self.stack = StackedSequential([run.module for run in prepared]).to(self.device)
        self.sizes = [int(run.y.shape[0]) for run in prepared]
        self.X = _padded([run.X for run in prepared])
        self.y = _padded([run.y for run in prepared])
        self.members = torch.arange(self.k, device=self.device)[:, None]
        self.steps = plan_steps(self.sizes, self.settings.batch_size, self.device)
        self.rows_per_epoch = [
            sum(int(step.rows[index]) for step in self.steps) for index in range(self.k)
        ]
        self.objective = stacked_objective([run.objective for run in prepared], self.device)
        # a member without a validation slice gets an empty one (and no val_* in its history)
        X_val = [run.X_val if run.X_val is not None else run.X[:0] for run in prepared]
        y_val = [run.y_val if run.y_val is not None else run.y[:0] for run in prepared]
        self.val_sizes = [len(rows) for rows in y_val]
        self.X_val = _padded(X_val) if any(self.val_sizes) else None
        self.y_val = _padded(y_val) if any(self.val_sizes) else None
        for run in prepared:  # the stacked copies replace them: do not hold the data twice
            run.X, run.y = _emptied(run.X), _emptied(run.y)
            if run.X_val is not None and run.y_val is not None:
                run.X_val, run.y_val = _emptied(run.X_val), _emptied(run.y_val)

    def fit(self) -> list[FitRun]:
        """Train all fits; returns each one's run (history, restored epoch, stop reason)."""
        return self.run_epochs()

    def parameters(self) -> list[nn.Parameter]:
        return list(self.stack.parameters())

    def sync_module(self, index: int) -> None:
        self.stack.copy_into(index, self.runs[index].module)

    def end(self, running: list[bool]) -> None:
        for index, still in enumerate(running):
            if still:  # a stopped fit's module already holds its weights at the stop
                self.stack.copy_into(index, self.runs[index].module)

    def validate(self) -> list[dict[str, float] | None]:
        if self.X_val is None:
            return [None] * self.k
        scores = self._evaluate()
        return [found if size else None for found, size in zip(scores, self.val_sizes, strict=True)]

    def train_epoch(self, optimizer: torch.optim.Optimizer) -> list[float]:
        """One pass over every member's rows; each member's mean training loss."""
        self.stack.train()
        longest = self.X.shape[1]
        order = torch.stack(
            [
                torch.cat([torch.randperm(n, generator=run.generator), torch.arange(n, longest)])
                for n, run in zip(self.sizes, self.prepared, strict=True)
            ]
        ).to(self.device, non_blocking=True)
        running = torch.zeros(self.k, device=self.device)
        for step in self.steps:
            batch = order[:, step.start : step.start + step.width]
            y = self.y[self.members, batch]
            outputs = self.stack(self.X[self.members, batch])
            per_row = self.objective.per_row(outputs, y)
            class_weights = self.objective.row_weights(y, self.members)
            if step.weights is None and class_weights is None:
                member_loss = per_row.mean(dim=1)
            else:
                weights = step.row_weights(self.k, self.device)
                if class_weights is not None:
                    weights = weights * class_weights
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
        return [total / max(n, 1) for total, n in zip(totals, self.rows_per_epoch, strict=True)]

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
    def _evaluate(self) -> list[dict[str, float]]:
        """Each member's mean validation loss (class-weighted, as the lone loop's) and its
        objective's other scores."""
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
        per_row = self.objective.per_row(logits, self.y_val)
        sizes = torch.tensor(self.val_sizes, device=self.device)
        real = (torch.arange(longest, device=self.device)[None, :] < sizes[:, None]).float()
        weights = real
        class_weights = self.objective.row_weights(self.y_val, self.members)
        if class_weights is not None:
            weights = real * class_weights
        loss = (per_row * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-12)
        others = self.objective.stacked_scores(logits, self.y_val, real, sizes)
        return [
            {"val_loss": value, **found} for value, found in zip(loss.tolist(), others, strict=True)
        ]


def stacked_objective(objectives: list[Objective], device: torch.device) -> Objective:
    """One objective for a stack of k fits: the members' class weights stacked (k, classes),
    or their target scales (k,)."""
    first = objectives[0]
    if isinstance(first, Regression):
        scales = torch.tensor([float(o.scale) for o in objectives], device=device)
        return Regression(first.loss, scales)
    if first.class_weights is None:
        return Classification()
    return Classification(torch.stack([o.class_weights for o in objectives]))
