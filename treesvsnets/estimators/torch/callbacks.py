"""Training extras as callbacks with no-op hooks (the skorch habit).

Each hook receives the :class:`~treesvsnets.estimators.torch.training.TrainingRun` it
follows: the module, settings, history and stop flag of one fit, whether that fit trains
alone or as one member of a stack. Early stopping sets ``run.stop`` and the loop ends after
the epoch; it never raises KeyboardInterrupt, so a real Ctrl-C still looks like one.

:class:`Callback` has the hooks; :class:`EarlyStopping` restores the best weights when
training ends; :class:`Checkpoint` saves the weights at each new best only, atomically (a
partial file, then renamed); :class:`EpochProgress` prints an epoch line to stderr now and
then during a long fit.
"""

from __future__ import annotations

import copy
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from treesvsnets.estimators.torch.training import TrainingRun


def lower_is_better(monitor: str) -> bool:
    """Whether a smaller value of the history key ``monitor`` is better (losses, RMSE; not
    accuracy or R²)."""
    return not monitor.endswith(("accuracy", "r2"))


def check_callbacks(callbacks: Any) -> None:
    """Refuse ``callbacks`` that are not a sequence of :class:`Callback`, in one sentence,
    before any fit (an int failed each cell with "'int' object is not iterable")."""
    from treesvsnets.errors import ConfigError

    listed = isinstance(callbacks, list | tuple)
    if not listed or not all(isinstance(c, Callback) for c in callbacks):
        raise ConfigError(
            f"callbacks must be a list of treesvsnets Callback objects, got {callbacks!r}."
        )


def check_patience(patience: Any) -> None:
    """Early stopping's patience: a whole number of epochs, at least 1."""
    from treesvsnets.errors import ConfigError
    from treesvsnets.estimators.validation import is_whole

    if not is_whole(patience) or patience < 1:
        raise ConfigError(f"patience must be a positive integer, got {patience!r}.")


class Callback:
    """Override the hooks you need; each receives the fit it follows (a TrainingRun)."""

    def on_train_begin(self, trainer: TrainingRun) -> None:
        pass

    def on_epoch_end(self, trainer: TrainingRun, record: dict[str, Any]) -> None:
        pass

    def on_train_end(self, trainer: TrainingRun) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs; restore the best weights.

    The best state is copied in memory whenever the monitored value improves
    by more than ``min_delta``, and put back into the module when training ends.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best: bool = True,
    ) -> None:
        self.monitor = monitor
        self.patience = patience
        self.min_delta = min_delta
        self.restore_best = restore_best
        self.lower_is_better = lower_is_better(monitor)

    def on_train_begin(self, trainer: TrainingRun) -> None:
        check_patience(self.patience)
        self.best_value = math.inf if self.lower_is_better else -math.inf
        self.best_epoch: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.waited = 0

    def _improved(self, value: float) -> bool:
        if self.lower_is_better:
            return value < self.best_value - self.min_delta
        return value > self.best_value + self.min_delta

    def on_epoch_end(self, trainer: TrainingRun, record: dict[str, Any]) -> None:
        value = record.get(self.monitor)
        if value is None:
            return
        if self._improved(value):
            self.best_value, self.best_epoch, self.waited = value, record["epoch"], 0
            if self.restore_best:
                self.best_state = copy.deepcopy(trainer.module.state_dict())
            record["best"] = True
            return
        self.waited += 1
        if self.waited >= self.patience:
            trainer.stop = True
            trainer.stop_reason = (
                f"{self.monitor} did not improve for {self.patience} epochs "
                f"(best {self.best_value:.4f} at epoch {self.best_epoch})"
            )

    def on_train_end(self, trainer: TrainingRun) -> None:
        if self.restore_best and self.best_state is not None:
            trainer.module.load_state_dict(self.best_state)
            trainer.restored_epoch = self.best_epoch


class Checkpoint(Callback):
    """Save the module's weights to ``path`` each time ``monitor`` reaches a new best."""

    def __init__(self, path: str | Path, monitor: str = "val_loss") -> None:
        self.path = Path(path)
        self.monitor = monitor
        self.lower_is_better = lower_is_better(monitor)

    def on_train_begin(self, trainer: TrainingRun) -> None:
        self.best_value = math.inf if self.lower_is_better else -math.inf
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def on_epoch_end(self, trainer: TrainingRun, record: dict[str, Any]) -> None:
        value = record.get(self.monitor, record.get("train_loss"))
        better = value < self.best_value if self.lower_is_better else value > self.best_value
        if better:
            self.best_value = value
            partial = self.path.with_suffix(self.path.suffix + ".partial")
            torch.save(trainer.module.state_dict(), partial)
            partial.replace(self.path)
            record["checkpoint"] = True


class EpochProgress(Callback):
    """Print an epoch line to stderr, at most every ``every_seconds`` (0: every epoch).

    Long fits (MNIST on a CPU) show they are alive; short ones stay quiet.
    """

    def __init__(self, every_seconds: float = 10.0, prefix: str = "") -> None:
        self.every_seconds = every_seconds
        self.prefix = prefix

    def on_train_begin(self, trainer: TrainingRun) -> None:
        self.since_print = 0.0

    def on_epoch_end(self, trainer: TrainingRun, record: dict[str, Any]) -> None:
        self.since_print += record["seconds"]
        if self.since_print < self.every_seconds:
            return
        self.since_print = 0.0
        parts = [
            f"{self.prefix}epoch {record['epoch']}/{trainer.settings.epochs}",
            f"train_loss {record['train_loss']:.4f}",
        ]
        parts += [
            f"{key.replace('accuracy', 'acc')} {value:.4f}"
            for key, value in record.items()
            if key.startswith("val_")
        ]
        parts.append(f"{record['seconds']:.1f}s/epoch")
        print("    " + "  ".join(parts), file=sys.stderr, flush=True)
