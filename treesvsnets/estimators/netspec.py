"""What every PyTorch estimator spec shares, and ``register_net`` for a user's own module.

This module registers nothing when imported (the built-in nets live in
``nets.py``), so ``from treesvsnets.estimators import register_net`` is safe
from inside a plugin that is itself being loaded by the registry.

:func:`architecture_capabilities` is declared once, and read by the built-in nets' specs and
by ``TorchNet.__treesvsnets_capabilities__``; :class:`NetFactory` is a picklable factory of
one architecture, for either task; :func:`register_net` registers a user's ``nn.Module``;
:func:`reports_epochs` marks a factory whose estimator prints epoch lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from treesvsnets.estimators.base import specs_per_task
from treesvsnets.estimators.registry import add, current_source

NET_CAPABILITIES = frozenset({"predict_proba", "multithreaded", "early_stopping", "uses_gpu"})
#: what a built-in architecture adds to them: the data it needs, how the harness may fit it
_ARCHITECTURE_CAPABILITIES = {
    "dense": {"fold_parallel"},  # fit_together stacks only the dense architecture
    "cnn": {"needs_images"},
    "cnn1d": {"needs_sequences"},
}


def architecture_capabilities(architecture: Any) -> frozenset[str]:
    """What the harness may do with a net of ``architecture`` (a built-in's name; a user's
    module factory gets :data:`NET_CAPABILITIES`), declared once: the built-in nets' specs
    and :class:`~treesvsnets.estimators.torch.net.TorchNet` both read it."""
    from treesvsnets.estimators.architectures import TABLE_NETS

    if not isinstance(architecture, str):
        return NET_CAPABILITIES
    table = {"native_categorical"} if architecture in TABLE_NETS else set()
    return NET_CAPABILITIES | _ARCHITECTURE_CAPABILITIES.get(architecture, set()) | table


TRAINING_DEFAULTS = {
    "epochs": 60,
    "batch_size": 128,
    "lr": 1e-3,
    "optimizer": "adam",
    "weight_decay": 0.0,
    "early_stopping": True,
    "patience": 8,
    "device": "auto",
}


def reports_epochs(factory: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a factory whose estimator takes ``verbose`` and prints epoch lines (TorchClassifier)."""
    factory.reports_epochs = True  # type: ignore[attr-defined]
    return factory


class NetFactory:
    """Builds the TorchClassifier (or, with ``regressor``, the TorchRegressor) of one
    architecture from a cell's parameters: what a net's spec holds as its factory. A class
    rather than a closure, so that a spec pickles."""

    reports_epochs = True  # its estimator takes ``verbose`` and prints epoch lines

    def __init__(self, architecture: str | Callable[..., Any], regressor: bool = False) -> None:
        self.architecture = architecture
        self.regressor = regressor

    def __call__(self, **params: Any) -> Any:
        build = torch_regressor if self.regressor else torch_classifier
        return build(self.architecture, params)

    @property
    def __name__(self) -> str:  # what a spec's listing and errors name
        name = getattr(self.architecture, "__name__", self.architecture)
        return f"{name}_{'regressor' if self.regressor else 'classifier'}"


def torch_classifier(architecture: str | Callable[..., Any], params: dict[str, Any]) -> Any:
    from treesvsnets.estimators.torch.classifier import TorchClassifier

    return TorchClassifier(architecture, **params)


def torch_regressor(architecture: str | Callable[..., Any], params: dict[str, Any]) -> Any:
    from treesvsnets.estimators.torch.regressor import TorchRegressor

    return TorchRegressor(architecture, **params)


def regression_params(params: dict[str, Any]) -> dict[str, Any]:
    """A net's regression defaults: its classification defaults with the MSE loss."""
    return {**params, "loss": "mse"}


def register_net(
    name: str,
    module_factory: Callable[..., Any],
    *,
    default_params: dict[str, Any] | None = None,
    needs_images: bool = False,
    description: str = "",
    override: bool = False,
    space: dict[str, Any] | None = None,
) -> Callable[..., Any]:
    """Register your own ``torch.nn.Module`` and get the project's loop for free.

    ``module_factory(n_features=, n_classes=, image_shape=)`` returns the module
    (rows arrive flat; reshape with ``image_shape`` for convolutions). On a regression
    dataset the same name builds a TorchRegressor, whose module gets ``n_classes=1``. Training
    settings (epochs, optimizer, early stopping on the harness's validation
    slice, checkpoints, history, device) are TorchClassifier's, overridable in
    ``default_params`` and with ``--param``. ``space`` is what ``--tune`` searches, in the
    form of :mod:`treesvsnets.estimators.space` (e.g. ``{"lr": {"float": [1e-4, 1e-2],
    "log": True}}``; the module's own keyword arguments may be tuned too).
    """

    defaults = {**TRAINING_DEFAULTS, **(default_params or {})}
    specs = specs_per_task(
        name=name,
        family="deep",
        factory=NetFactory(module_factory),
        default_params=defaults,
        regressor=NetFactory(module_factory, regressor=True),
        regressor_params=regression_params(defaults),
        description=description or f"PyTorch module {module_factory.__name__}",
        preprocessing="auto",
        seed_param="random_state",
        threads_param="threads",
        capabilities=NET_CAPABILITIES | ({"needs_images"} if needs_images else set()),
        source=current_source(),
        space=space,
    )
    add(*specs, override=override)
    return module_factory
