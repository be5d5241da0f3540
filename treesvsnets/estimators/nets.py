"""The built-in PyTorch nets: ``dense`` (Flatten-Dense MLP) and ``cnn`` (Conv/Pool), each a
TorchClassifier, or a TorchRegressor on a regression dataset.

Registration imports nothing from torch; the factories import TorchClassifier
when a cell builds one. Defaults were chosen to reach the accuracies in the
README on a 2-core CPU in reasonable time (Adam, early stopping on the inner
validation slice with the best weights restored).
"""

from __future__ import annotations

from typing import Any

from treesvsnets.estimators.netspec import (
    NET_CAPABILITIES,
    TRAINING_DEFAULTS,
    regression_params,
    reports_epochs,
    torch_classifier,
    torch_regressor,
)
from treesvsnets.estimators.registry import register

#: what both nets' specs say alike: trained by TorchClassifier, scaled per fold ("auto")
_NET = {
    "family": "deep",
    "preprocessing": "auto",
    "seed_param": "random_state",
    "threads_param": "threads",
}


_DENSE = {"hidden_units": (256, 128), "dropout": 0.2, "batch_norm": False, **TRAINING_DEFAULTS}
_CNN = {
    "channels": (32, 64),
    "kernel_size": 3,
    "dense_units": 128,
    "dropout": 0.25,
    "batch_norm": True,
    **TRAINING_DEFAULTS,
    "epochs": 30,
    "patience": 5,
}


#: what both nets tune alike (TabZilla's and Grinsztajn's MLP spaces: lr log-uniform, dropout,
#: weight decay, batch size), plus the optimizer
_TRAINING_SPACE = {
    "lr": {"float": [1e-4, 1e-2], "log": True},
    "dropout": {"float": [0.0, 0.5]},
    "weight_decay": {"float": [1e-6, 1e-2], "log": True},
    "batch_size": {"choice": [32, 64, 128, 256, 512]},
    "optimizer": {"choice": ["adam", "adamw", "sgd"]},
}
_DENSE_SPACE = {
    "width": {"int": [32, 1024], "log": True},
    "depth": {"int": [1, 4]},
    **_TRAINING_SPACE,
}
_CNN_SPACE = {
    "width": {"choice": [16, 32, 64]},
    "depth": {"int": [1, 3]},
    "dense_units": {"choice": [64, 128, 256]},
    **_TRAINING_SPACE,
}


def _dense_shape(sampled: dict[str, Any]) -> dict[str, Any]:
    """``width`` and ``depth`` -> ``hidden_units``: depth layers of width units (Grinsztajn's
    MLP space: one width for every layer)."""
    params = dict(sampled)
    width, depth = params.pop("width", None), params.pop("depth", None)
    if width is not None or depth is not None:
        params["hidden_units"] = (int(width or 256),) * int(depth or 2)
    return params


def _cnn_shape(sampled: dict[str, Any]) -> dict[str, Any]:
    """``width`` and ``depth`` -> ``channels``: depth conv blocks, doubling from width."""
    params = dict(sampled)
    width, depth = params.pop("width", None), params.pop("depth", None)
    if width is not None or depth is not None:
        params["channels"] = tuple(int(width or 32) * 2**i for i in range(int(depth or 2)))
    return params


@reports_epochs
def _dense_regressor(**params: Any) -> Any:
    return torch_regressor("dense", params)


@reports_epochs
def _cnn_regressor(**params: Any) -> Any:
    return torch_regressor("cnn", params)


@register(
    "dense",
    relative_cost=3,
    default_params=_DENSE,
    regressor=_dense_regressor,
    regressor_params=regression_params(_DENSE),
    description="PyTorch MLP: Flatten -> Linear/ReLU blocks (dropout, batch norm) -> logits "
    "(regression: one output, MSE on the standardised target)",
    capabilities=NET_CAPABILITIES | {"fold_parallel"},
    space=_DENSE_SPACE,
    space_params=_dense_shape,
    **_NET,
)
@reports_epochs
def dense(**params: Any) -> Any:
    return torch_classifier("dense", params)


@register(
    "cnn",
    relative_cost=15,
    default_params=_CNN,
    regressor=_cnn_regressor,
    regressor_params=regression_params(_CNN),
    description="PyTorch CNN: [Conv -> BatchNorm -> ReLU -> MaxPool] x2 -> Dense head with dropout",
    capabilities=NET_CAPABILITIES | {"needs_images"},
    space=_CNN_SPACE,
    space_params=_cnn_shape,
    **_NET,
)
@reports_epochs
def cnn(**params: Any) -> Any:
    return torch_classifier("cnn", params)
