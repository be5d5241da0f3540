"""TorchNet: what a PyTorch net behind the scikit-learn API does for either task.

``__init__`` only stores its arguments. ``fit(X, y, validation_data=...)`` is, inside
:meth:`~TorchNet.thread_budget` (torch's threads for the fit), :meth:`~TorchNet.prepare_fit`
(input and settings checked; the module built and seeded, each architecture's from the
parameters it reads, :mod:`.builders`; the data on the device once), the Trainer
(:mod:`.training`, with the loop's own settings, ``TrainingSettings.of(get_params())``) and
:meth:`~TorchNet.finish_fit`: the halves are public for :meth:`~TorchNet.fit_together`.
:meth:`~TorchNet.warm_up` pays torch's start-up outside a timed fit; pickling carries the
module as ``torch.save`` bytes (onto the CPU where CUDA is missing); ``load_checkpoint``
loads saved weights. Fitted state ends in ``_``: ``module_``, ``history_``, ``device_``,
``best_epoch_``, ``cardinalities_`` (each of the last ``n_categorical`` columns' category
count in the training rows), ``diverged_`` (None, or :mod:`.divergence`'s sentence, also
warned as a ``DivergenceWarning``)...

The task lives in two small subclasses, :class:`.classifier.TorchClassifier` (classes, class
weights, probabilities) and :class:`.regressor.TorchRegressor` (a standardised target mapped
back): they share every parameter, this fit and one training loop; their objective
(:mod:`.objectives`) and the hooks ``_targets``, ``_validation_targets`` and ``_objective``
differ.
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from treesvsnets.errors import ConfigError, DivergenceWarning
from treesvsnets.estimators.netspec import architecture_capabilities
from treesvsnets.estimators.torch.augment import augmentation
from treesvsnets.estimators.torch.builders import (
    ModuleData,
    build_module,
    cardinalities,
    check_module_settings,
)
from treesvsnets.estimators.torch.callbacks import (
    Callback,
    Checkpoint,
    EarlyStopping,
    EpochProgress,
    check_callbacks,
    check_patience,
)
from treesvsnets.estimators.torch.devices import (
    check_device,
    resolve_device,
    synchronize,
    to_device,
    torch_threads,
)
from treesvsnets.estimators.torch.divergence import divergence
from treesvsnets.estimators.torch.modules import count_parameters, initialise
from treesvsnets.estimators.torch.objectives import Objective
from treesvsnets.estimators.torch.training import (
    PreparedFit,
    Trainer,
    TrainingRun,
    TrainingSettings,
    mixed_precision,
    predict_logits,
    warn_of_cpu_amp,
)
from treesvsnets.estimators.validation import fitted_rows, seed_of, training_rows, validation_rows


class TorchNet(BaseEstimator):
    """A PyTorch net trained by the project's loop, on the GPU when there is one.

    ``architecture`` is one of :data:`~treesvsnets.estimators.torch.builders.ARCHITECTURES`:
    ``"dense"`` (an MLP), ``"cnn"`` (images, ``image_shape``), ``"cnn1d"`` (sequences,
    ``sequence_shape``), the tabular nets ``"resnet"``, ``"ft_transformer"``, ``"mlp_plr"``
    and ``"tabm"`` (their settings None for the architecture's default, declared once in
    :mod:`treesvsnets.estimators.architectures`; the last ``n_categorical`` columns of X are
    category codes they embed), or a callable ``factory(n_features=, n_classes=,
    image_shape=) -> nn.Module`` for a user's own module, which then gets the same loop,
    devices, early stopping and history (a regressor's module gets ``n_classes=1``). Which
    parameters each architecture's module reads is declared in :mod:`.builders`.
    Early stopping needs the validation slice passed to ``fit`` as
    ``validation_data=(X_val, y_val)``; nothing is held out behind your back. ``augment``
    (True, or "flip") transforms each training batch at random on the device (:mod:`.augment`).
    ``loss`` is ``"auto"`` (cross-entropy for a classifier, ``"mse"`` for a regressor) or
    one of the task's :attr:`LOSSES`.
    """

    #: the losses and early-stopping monitors of the task (set by each subclass)
    LOSSES: tuple[str, ...] = ("auto",)
    MONITORS: tuple[str, ...] = ("val_loss",)

    def __init__(
        self,
        architecture: str | Callable[..., torch.nn.Module] = "dense",
        *,
        hidden_units: Sequence[int] = (256, 128),
        channels: Sequence[int] = (32, 64),
        kernel_size: int = 3,
        dense_units: int = 128,
        image_shape: Sequence[int] | None = None,
        sequence_shape: Sequence[int] | None = None,
        n_categorical: int = 0,
        n_blocks: int | None = None,
        d_block: int | None = None,
        d_hidden_multiplier: float | None = None,
        residual_dropout: float | None = None,
        attention_heads: int | None = None,
        attention_dropout: float | None = None,
        ffn_dropout: float | None = None,
        d_embedding: int | None = None,
        n_frequencies: int | None = None,
        frequency_scale: float | None = None,
        ensemble_size: int | None = None,
        dropout: float | None = None,
        batch_norm: bool = False,
        init: str = "default",
        epochs: int = 30,
        batch_size: int = 128,
        lr: float = 1e-3,
        optimizer: str = "adam",
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        l1: float = 0.0,
        lr_schedule: str = "none",
        step_size: int = 10,
        gamma: float = 0.1,
        grad_clip: float | None = None,
        augment: bool | str = False,
        loss: str = "auto",
        class_weight: str | dict | None = None,
        early_stopping: bool = False,
        monitor: str = "val_loss",
        patience: int = 5,
        restore_best: bool = True,
        checkpoint: str | None = None,
        amp: bool = False,
        device: str = "auto",
        threads: int | None = None,
        callbacks: Sequence[Callback] = (),
        verbose: int = 0,
        random_state: int | None = None,
    ) -> None:
        """Store each parameter under its own name, as scikit-learn asks. Long because each of
        the seven architectures' settings is a parameter here, one line each."""
        self.architecture = architecture
        self.hidden_units = hidden_units
        self.channels = channels
        self.kernel_size = kernel_size
        self.dense_units = dense_units
        self.image_shape = image_shape
        self.sequence_shape = sequence_shape
        self.n_categorical = n_categorical
        self.n_blocks = n_blocks
        self.d_block = d_block
        self.d_hidden_multiplier = d_hidden_multiplier
        self.residual_dropout = residual_dropout
        self.attention_heads = attention_heads
        self.attention_dropout = attention_dropout
        self.ffn_dropout = ffn_dropout
        self.d_embedding = d_embedding
        self.n_frequencies = n_frequencies
        self.frequency_scale = frequency_scale
        self.ensemble_size = ensemble_size
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.init = init
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.momentum = momentum
        self.nesterov = nesterov
        self.weight_decay = weight_decay
        self.l1 = l1
        self.lr_schedule = lr_schedule
        self.step_size = step_size
        self.gamma = gamma
        self.grad_clip = grad_clip
        self.augment = augment
        self.loss = loss
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.monitor = monitor
        self.patience = patience
        self.restore_best = restore_best
        self.checkpoint = checkpoint
        self.amp = amp
        self.device = device
        self.threads = threads
        self.callbacks = callbacks
        self.verbose = verbose
        self.random_state = random_state

    # -- checking and building ------------------------------------------------------------

    def __treesvsnets_capabilities__(self) -> set[str]:
        """What the harness may do with this net (see treesvsnets.estimators.capabilities)."""
        found = set(architecture_capabilities(self.architecture))  # as its spec declares
        if not hasattr(self, "predict_proba"):
            found.discard("predict_proba")
        return found

    def validate_params(self) -> None:
        """Check every parameter value as ``fit`` would, without fitting (the harness calls
        this before any cell trains, so a bad value stops the run at once)."""
        TrainingSettings.of(self.get_params(deep=False))
        check_module_settings(self.get_params(deep=False))
        check_device(self.device)
        check_callbacks(self.callbacks)
        self._check_choices()

    def _check_choices(self) -> None:
        """The loss and the monitor are the task's; patience a count of epochs, at least 1."""
        check_patience(self.patience)
        for name, allowed in (("loss", self.LOSSES), ("monitor", self.MONITORS)):
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(
                    f"{name} must be one of {', '.join(allowed)} for a {type(self).__name__}, "
                    f"got {value!r}."
                )

    def _callbacks(self, has_validation: bool) -> list[Callback]:
        self._check_choices()
        callbacks = list(self.callbacks)
        if self.early_stopping:
            if not has_validation:
                raise ConfigError(
                    "early_stopping=True needs a validation slice: call "
                    "fit(X, y, validation_data=(X_val, y_val)) or set early_stopping=False."
                )
            callbacks.append(
                EarlyStopping(self.monitor, patience=self.patience, restore_best=self.restore_best)
            )
        if self.verbose:
            callbacks.append(EpochProgress(every_seconds=10.0 if self.verbose == 1 else 0.0))
        if self.checkpoint:
            monitor = self.monitor if has_validation else "train_loss"
            callbacks.append(Checkpoint(Path(self.checkpoint), monitor=monitor))
        return callbacks

    @contextlib.contextmanager
    def thread_budget(self) -> Iterator[None]:
        """torch's intra-op threads set to ``threads`` for the block, then put back."""
        with torch_threads(self.threads):
            yield

    @contextlib.contextmanager
    def fitting(self) -> Iterator[None]:
        """The block of a fit: :meth:`thread_budget`, and the caller's random streams put
        back after it (a fit seeds torch's global generators, which the module's
        initialisation and dropout draw from; a caller's own draws must not restart)."""
        device = resolve_device(self.device)
        devices = [device.index or 0] if device.type == "cuda" else []
        with self.thread_budget(), torch.random.fork_rng(devices=devices):
            yield

    # -- the scikit-learn API ---------------------------------------------------------------

    def fit(self, X: Any, y: Any, validation_data: tuple[Any, Any] | None = None) -> TorchNet:
        with self.fitting():
            run = self.prepare_fit(X, y, validation_data)
            trainer = Trainer.of(run)
            trainer.fit(run.X, run.y, run.X_val, run.y_val)
            synchronize(run.device)
        return self.finish_fit(run, trainer.run)

    @classmethod
    def fit_together(
        cls,
        estimators: Sequence[TorchNet],
        data: Sequence[tuple[Any, Any, tuple[Any, Any] | None]],
    ) -> str | None:
        """Fit each estimator on its own ``(X, y, validation_data)``, all as one stacked model.

        The harness calls this with one estimator per fold (fold-parallel
        training); each ends fitted as if by its own ``fit``. Where the
        settings cannot be stacked, they are fitted one after another; the
        reason is returned (None when they trained together). See
        :mod:`treesvsnets.estimators.torch.together`.
        """
        from treesvsnets.estimators.torch.together import fit_together

        return fit_together(list(estimators), list(data))

    def prepare_fit(self, X: Any, y: Any, validation_data: tuple[Any, Any] | None) -> PreparedFit:
        """Check the input and settings, build and seed the module, put the data on the device.

        The first half of :meth:`fit`, public for a loop that trains several fits at once
        (:meth:`fit_together`): ``prepare_fit``, train the returned run's module on its data,
        then :meth:`finish_fit`, all inside :meth:`thread_budget`."""
        X, y = training_rows(self, X, y, dtype=np.float32, y_numeric=self._numeric_target)
        targets, n_outputs = self._targets(y)
        params = self.get_params(deep=False)
        settings = TrainingSettings.of(params)
        callbacks = self._callbacks(validation_data is not None)
        device = resolve_device(self.device)
        self.device_ = str(device)
        warn_of_cpu_amp(self.amp, device)
        seed = seed_of(self.random_state)
        if seed is not None:  # the module's initialisation and dropout (fit's fork_rng)
            torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(
            seed if seed is not None else int(time.time_ns() % 2**31)
        )
        self.cardinalities_ = cardinalities(params, X)
        module = build_module(params, ModuleData(X.shape[1], n_outputs, self.cardinalities_))
        initialise(module, self.init)
        module.to(device)
        X_val = y_val = None
        if validation_data is not None:
            X_val_raw, y_val_raw = validation_rows(
                self, *validation_data, dtype=np.float32, y_numeric=self._numeric_target
            )
            X_val_kept, y_val_targets = self._validation_targets(X_val_raw, y_val_raw)
            X_val = to_device(X_val_kept, device)
            y_val = torch.from_numpy(y_val_targets).to(device)
        self.n_val_ = 0 if y_val is None else int(y_val.shape[0])
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        objective = self._objective(y, device)
        y_fit = torch.from_numpy(targets).to(device)
        return PreparedFit(
            module=module,
            settings=settings,
            device=device,
            callbacks=callbacks,
            generator=generator,
            objective=objective,
            X=to_device(X, device),
            y=y_fit,
            X_val=X_val,
            y_val=y_val,
            constant_loss=None if settings.l1 else objective.constant_loss(y_fit),
            augment=augmentation(params, device, generator),
        )

    def finish_fit(self, run: PreparedFit, trained: TrainingRun) -> TorchNet:
        """Keep the trained module and what the fit reports about itself (the second half of
        :meth:`fit`)."""
        history = trained.history
        self.module_ = run.module
        self.history_ = history
        self.n_epochs_ = len(history)
        self.best_epoch_ = trained.restored_epoch
        self.stop_reason_ = trained.stop_reason
        self.n_parameters_ = count_parameters(run.module)
        self.warmup_seconds_ = history[0]["seconds"] if history else None
        self.diverged_ = divergence(
            history, run.constant_loss, run.objective.constant, trained.restored_epoch
        )
        if self.diverged_ is not None:
            warnings.warn(
                DivergenceWarning(f"{type(self).__name__} {self.diverged_}"), stacklevel=3
            )
        self.peak_gpu_memory_mb_ = (
            torch.cuda.max_memory_allocated(run.device) / 2**20
            if run.device.type == "cuda"
            else None
        )
        return self

    # -- the task's hooks ---------------------------------------------------------------------

    #: whether ``fit`` needs a numeric target (scikit-learn's y_numeric)
    _numeric_target = False

    def _targets(self, y: np.ndarray) -> tuple[np.ndarray, int]:
        """The training targets as the loss reads them, and the module's output count (and
        the fitted state that maps predictions back)."""
        raise NotImplementedError

    def _validation_targets(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The validation rows the loss can score, and their targets."""
        raise NotImplementedError

    def _objective(self, y: np.ndarray, device: torch.device) -> Objective:
        """The loss and validation scores of this fit (``y``: the training targets as given)."""
        raise NotImplementedError

    def warm_up(self, X: Any, y: Any) -> None:
        """Pay torch's one-time start-up (kernels, allocator, CUDA context) outside a timed fit:
        a throw-away copy fitted for one epoch on a few rows, before the clock starts, so a
        cold process is not charged to the first fold (milliseconds once torch is warm)."""
        from sklearn.base import clone

        once = {"epochs": 1, "early_stopping": False, "checkpoint": None, "callbacks": ()}
        clone(self).set_params(**once, lr_schedule="none", verbose=0).fit(X, y)

    def _outputs(self, X: Any) -> torch.Tensor:
        """The module's outputs for X (logits, or a regressor's standardised predictions)."""
        X = fitted_rows(self, X, fitted="module_", dtype=np.float32)
        device = torch.device(self.device_)
        with self.thread_budget():
            precision = partial(mixed_precision, device, self.amp)
            logits = predict_logits(self.module_, to_device(X, device), 4096, precision)
            synchronize(device)
        return logits

    # -- pickling ---------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """The fitted module travels as ``torch.save`` bytes, so it can be loaded on any device."""
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns __dict__
        if isinstance(state.get("module_"), torch.nn.Module):
            buffer = io.BytesIO()
            torch.save(state["module_"], buffer)
            state["module_"] = buffer.getvalue()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A net pickled on a GPU loads onto the CPU where CUDA is missing, and says so."""
        if isinstance(state.get("module_"), bytes):
            device = state.get("device_", "cpu")
            if device.startswith("cuda") and not torch.cuda.is_available():
                warnings.warn(
                    f"this {type(self).__name__} was trained on {device}, which is not available "
                    "here; it is loaded onto the CPU.",
                    UserWarning,
                    stacklevel=2,
                )
                device = "cpu"
            state = {
                **state,
                "module_": torch.load(
                    io.BytesIO(state["module_"]), map_location=device, weights_only=False
                ),
                "device_": device,
            }
        super().__setstate__(state)

    def load_checkpoint(self, path: str | Path) -> TorchNet:
        """Load weights saved by the ``checkpoint`` option into the fitted module."""
        check_is_fitted(self, "module_")
        state = torch.load(Path(path), map_location=self.device_, weights_only=True)
        self.module_.load_state_dict(state)
        self.module_.eval()
        return self
