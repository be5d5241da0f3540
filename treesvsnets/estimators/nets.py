"""The built-in PyTorch nets: ``dense`` (Flatten-Dense MLP) and ``cnn`` (Conv/Pool).

Registration imports nothing from torch; the factories import TorchClassifier
when a cell builds one. Defaults were chosen to reach the accuracies in the
README on a 2-core CPU in reasonable time (Adam, early stopping on the inner
validation slice with the best weights restored).
"""

from __future__ import annotations

from typing import Any

from treesvsnets.estimators.registry import register

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


def _torch_classifier(architecture: str, params: dict[str, Any]) -> Any:
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
    threads_param="threads",
    capabilities=_NET | {"needs_images"},
)
def cnn(**params: Any) -> Any:
    return _torch_classifier("cnn", params)
