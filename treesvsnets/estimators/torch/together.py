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

This module is that policy: :func:`fit_together` (what ``TorchNet.fit_together`` calls) and
:func:`obstacle` (why a set of estimators cannot be stacked); the stacked model and its loop
are in :mod:`treesvsnets.estimators.torch.stacked`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from torch import nn

if TYPE_CHECKING:
    from treesvsnets.estimators.torch.net import TorchNet
    from treesvsnets.estimators.torch.training import PreparedFit

FitData = tuple[Any, Any, Any]  # (X, y, validation_data or None)

#: Layers a stacked model knows how to run for k nets at once.
STACKABLE_LAYERS = (nn.Flatten, nn.Linear, nn.ReLU, nn.Dropout)


def obstacle(estimators: Sequence[TorchNet]) -> str | None:
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


def fit_together(estimators: list[TorchNet], data: list[FitData]) -> str | None:
    """Fit ``estimators[i]`` on ``data[i] = (X, y, validation_data)``, as one stack if possible.

    Returns None when they trained together, else the reason they were fitted
    one after another.
    """
    if len(estimators) != len(data):
        raise ValueError(f"{len(estimators)} estimators but {len(data)} data sets")
    reason = obstacle(estimators)
    if reason is None:
        from treesvsnets.estimators.torch.stacked import StackedTrainer

        with estimators[0].fitting():
            prepared = [
                estimator.prepare_fit(X, y, validation)
                for estimator, (X, y, validation) in zip(estimators, data, strict=True)
            ]
            reason = _structural_obstacle(prepared)
            if reason is None:
                trained = StackedTrainer(prepared).fit()
                for estimator, fit, run in zip(estimators, prepared, trained, strict=True):
                    estimator.finish_fit(fit, run)
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
