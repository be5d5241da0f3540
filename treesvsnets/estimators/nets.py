"""The built-in PyTorch nets: ``dense`` (Flatten-Dense MLP) and ``cnn`` (Conv/Pool).

Registration imports nothing from torch; the factories import TorchClassifier
when a cell builds one. Defaults were chosen to reach the accuracies in the
README on a 2-core CPU in reasonable time (Adam, early stopping on the inner
validation slice with the best weights restored).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from treesvsnets.estimators.base import EstimatorSpec
from treesvsnets.estimators.registry import add, current_source, register

_NET = frozenset({"predict_proba", "multithreaded", "early_stopping", "uses_gpu"})

_TRAINING_DEFAULTS = {
    "epochs": 60,
    "batch_size": 128,
    "lr": 1e-3,
    "optimizer": "adam",
    "weight_decay": 0.0,
    "early_stopping": True,
    "patience": 8,
    "device": "auto",
}


def _torch_classifier(architecture: str | Callable[..., Any], params: dict[str, Any]) -> Any:
    from treesvsnets.estimators.torch.classifier import TorchClassifier

    return TorchClassifier(architecture, **params)


@register(
    "dense",
    family="deep",
    default_params={
        "hidden_units": (256, 128),
        "dropout": 0.2,
        "batch_norm": False,
        **_TRAINING_DEFAULTS,
    },
    description="PyTorch MLP: Flatten -> Linear/ReLU blocks (dropout, batch norm) -> logits",
    preprocessing="auto",
    seed_param="random_state",
    threads_param="threads",
    capabilities=_NET,
)
def dense(**params: Any) -> Any:
    return _torch_classifier("dense", params)


@register(
    "cnn",
    family="deep",
    default_params={
        "channels": (32, 64),
        "kernel_size": 3,
        "dense_units": 128,
        "dropout": 0.25,
        "batch_norm": True,
        **_TRAINING_DEFAULTS,
        "epochs": 30,
        "patience": 5,
    },
    description="PyTorch CNN: [Conv -> BatchNorm -> ReLU -> MaxPool] x2 -> Dense head with dropout",
    preprocessing="auto",
    seed_param="random_state",
    threads_param="threads",
    capabilities=_NET | {"needs_images"},
)
def cnn(**params: Any) -> Any:
    return _torch_classifier("cnn", params)


def register_net(
    name: str,
    module_factory: Callable[..., Any],
    *,
    default_params: dict[str, Any] | None = None,
    needs_images: bool = False,
    description: str = "",
    override: bool = False,
) -> Callable[..., Any]:
    """Register your own ``torch.nn.Module`` and get the project's loop for free.

    ``module_factory(n_features=, n_classes=, image_shape=)`` returns the module
    (rows arrive flat; reshape with ``image_shape`` for convolutions). Training
    settings (epochs, optimizer, early stopping on the harness's validation
    slice, checkpoints, history, device) are TorchClassifier's, overridable in
    ``default_params`` and with ``--param``.
    """

    def factory(**params: Any) -> Any:
        return _torch_classifier(module_factory, params)

    add(
        EstimatorSpec(
            name=name,
            family="deep",
            factory=factory,
            default_params={**_TRAINING_DEFAULTS, **(default_params or {})},
            description=description or f"PyTorch module {module_factory.__name__}",
            preprocessing="auto",
            seed_param="random_state",
            threads_param="threads",
            capabilities=_NET | ({"needs_images"} if needs_images else set()),
            source=current_source(),
        ),
        override=override,
    )
    return module_factory
