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
    **_NET,
)
@reports_epochs
def cnn(**params: Any) -> Any:
    return torch_classifier("cnn", params)
