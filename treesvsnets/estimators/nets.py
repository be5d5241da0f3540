"""The built-in PyTorch nets, each a TorchClassifier, or a TorchRegressor on a regression
dataset, trained by the same loop:

- ``dense`` (Flatten-Dense MLP), for any table;
- ``cnn`` (Conv/Pool) for images, ``cnn1d`` (Conv1d/Pool) for sequences;
- the nets that compete on tables: ``resnet`` and ``ft_transformer`` (Gorishniy et al.
  2021), ``mlp_plr`` (2022) and ``tabm`` (2025), which embed a table's categories
  themselves (capability ``native_categorical``);
- ``realmlp`` (Holzmüller et al. 2024): pytabkit's RealMLP-TD, optional (the pytabkit
  extra), trained in pytabkit's own loop, not ours (:mod:`.realmlp_adapter`); its search
  space is its authors'.

Registration imports nothing from torch; the factories import TorchClassifier
when a cell builds one. Defaults were chosen to reach the accuracies in the
README on a 2-core CPU in reasonable time (early stopping on the inner
validation slice with the best weights restored); the tabular nets keep their papers'
default configurations, at a CPU's size.

Each is registered through one ``_register_net``, without importing torch, for both tasks:
a TorchClassifier, or a TorchRegressor with ``loss="mse"`` on a regression dataset, with its
defaults (a table net's module settings read from :mod:`.architectures`) and its search
space.
"""

from __future__ import annotations

from typing import Any

from treesvsnets.estimators.architectures import TABLE_NETS
from treesvsnets.estimators.netspec import (
    NET_CAPABILITIES,
    TRAINING_DEFAULTS,
    NetFactory,
    architecture_capabilities,
    regression_params,
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
    "augment": False,
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
#: the convolutions' random transforms of each training batch (shifts, small rotations or
#: stretches; "flip" is left to the user, who knows whether a mirror keeps the class)
_AUGMENT_SPACE = {"augment": {"choice": [False, True]}}
_CNN_SPACE = {
    "width": {"choice": [16, 32, 64]},
    "depth": {"int": [1, 3]},
    "dense_units": {"choice": [64, 128, 256]},
    **_TRAINING_SPACE,
    **_AUGMENT_SPACE,  # last: the other values a trial draws stay what they were
}


def _dense_shape(sampled: dict[str, Any]) -> dict[str, Any]:
    """``width`` and ``depth`` -> ``hidden_units``: depth layers of width units (Grinsztajn's
    MLP space: one width for every layer)."""
    params = dict(sampled)
    width, depth = params.pop("width", None), params.pop("depth", None)
    if width is not None or depth is not None:
        # 0 is a value, not "the default": a space's width 0 is refused, as the net would
        params["hidden_units"] = (int(256 if width is None else width),) * int(
            2 if depth is None else depth
        )
    return params


def _cnn_shape(sampled: dict[str, Any]) -> dict[str, Any]:
    """``width`` and ``depth`` -> ``channels``: depth conv blocks, doubling from width (the
    image CNN's and the 1-D CNN's)."""
    params = dict(sampled)
    width, depth = params.pop("width", None), params.pop("depth", None)
    if width is not None or depth is not None:
        first, blocks = int(32 if width is None else width), int(2 if depth is None else depth)
        params["channels"] = tuple(first * 2**i for i in range(blocks))
    return params


#: cnn1d: three conv blocks over the 40 steps of mnist1d; trained longer than a table net
_CNN1D = {
    "channels": (32, 64, 128),
    "kernel_size": 5,
    "dense_units": 128,
    "dropout": 0.2,
    "batch_norm": True,
    "augment": False,
    **TRAINING_DEFAULTS,
    "epochs": 100,
    "patience": 15,
}
_CNN1D_SPACE = {
    "width": {"choice": [16, 32, 64]},
    "depth": {"int": [2, 4]},
    "kernel_size": {"choice": [3, 5, 7]},
    "dense_units": {"choice": [64, 128, 256]},
    **_TRAINING_SPACE,
    **_AUGMENT_SPACE,  # last: the other values a trial draws stay what they were
}

#: what the tabular nets train with: AdamW with a little weight decay and a patience of 16
#: epochs, as their papers do
_TABULAR_TRAINING = {
    **TRAINING_DEFAULTS,
    "optimizer": "adamw",
    "weight_decay": 1e-5,
    "patience": 16,
}
#: the tabular nets' training space: their papers' lr and weight decay ranges (TabZilla's,
#: TabArena's), the batch size
_TABULAR_TRAINING_SPACE = {
    "lr": {"float": [3e-5, 3e-3], "log": True},
    "weight_decay": {"float": [1e-6, 1e-3], "log": True},
    "batch_size": {"choice": [64, 128, 256]},
}
#: each table net's defaults: its module's settings as declared once (architectures.py, which
#: the Python classes read too), then its training
_RESNET = {**TABLE_NETS["resnet"], **_TABULAR_TRAINING, "lr": 3e-4}
_RESNET_SPACE = {
    "n_blocks": {"int": [1, 4]},
    "d_block": {"int": [64, 512], "log": True},
    "d_hidden_multiplier": {"float": [1.0, 4.0]},
    "dropout": {"float": [0.0, 0.5]},
    "residual_dropout": {"float": [0.0, 0.2]},
    **_TABULAR_TRAINING_SPACE,
}
_FT_TRANSFORMER = {**TABLE_NETS["ft_transformer"], **_TABULAR_TRAINING, "lr": 3e-4}
_FT_TRANSFORMER_SPACE = {
    "n_blocks": {"int": [1, 3]},
    "d_block": {"choice": [64, 96, 128, 192]},
    "attention_dropout": {"float": [0.0, 0.5]},
    "ffn_dropout": {"float": [0.0, 0.5]},
    "residual_dropout": {"float": [0.0, 0.2]},
    **_TABULAR_TRAINING_SPACE,
}
_MLP_PLR = {**TABLE_NETS["mlp_plr"], **_TABULAR_TRAINING}
_MLP_PLR_SPACE = {
    "n_blocks": {"int": [1, 4]},
    "d_block": {"int": [64, 512], "log": True},
    "dropout": {"float": [0.0, 0.5]},
    "d_embedding": {"int": [8, 64], "log": True},
    "n_frequencies": {"int": [16, 96], "log": True},
    "frequency_scale": {"float": [0.01, 10.0], "log": True},
    **_TABULAR_TRAINING_SPACE,
}
#: TabM: its paper's AdamW settings
_TABM = {**TABLE_NETS["tabm"], **_TABULAR_TRAINING, "lr": 2e-3, "weight_decay": 3e-4}
_TABM_SPACE = {
    "n_blocks": {"int": [1, 4]},
    "d_block": {"int": [64, 512], "log": True},
    "dropout": {"float": [0.0, 0.5]},
    **_TABULAR_TRAINING_SPACE,
}


def _register_net(
    name: str,
    defaults: dict[str, Any],
    *,
    description: str,
    relative_cost: float,
    space: dict[str, Any],
    space_params: Any = None,
) -> None:
    """Register the built-in net ``name`` (its architecture of the same name) for both
    tasks: a TorchClassifier, or a TorchRegressor (MSE) on a regression dataset; its
    capabilities are its architecture's (netspec.architecture_capabilities)."""
    register(
        name,
        relative_cost=relative_cost,
        default_params=defaults,
        regressor=NetFactory(name, regressor=True),
        regressor_params=regression_params(defaults),
        description=description,
        capabilities=architecture_capabilities(name),
        space=space,
        space_params=space_params,
        **_NET,
    )(NetFactory(name))


_register_net(
    "dense",
    _DENSE,
    relative_cost=3,
    description="PyTorch MLP: Flatten -> Linear/ReLU blocks (dropout, batch norm) -> logits "
    "(regression: one output, MSE on the standardised target)",
    space=_DENSE_SPACE,
    space_params=_dense_shape,
)
_register_net(
    "cnn",
    _CNN,
    relative_cost=15,
    description="PyTorch CNN: [Conv -> BatchNorm -> ReLU -> MaxPool] x2 -> Dense head with dropout",
    space=_CNN_SPACE,
    space_params=_cnn_shape,
)
_register_net(
    "cnn1d",
    _CNN1D,
    relative_cost=5,
    description="PyTorch 1-D CNN for sequences: [Conv1d -> BatchNorm -> ReLU -> MaxPool] x3 -> "
    "Dense head with dropout",
    space=_CNN1D_SPACE,
    space_params=_cnn_shape,
)
_register_net(
    "resnet",
    _RESNET,
    relative_cost=4,
    description="ResNet for tables (Gorishniy et al. 2021, rtdl-revisiting-models): residual "
    "blocks of BatchNorm -> Linear -> ReLU -> Dropout -> Linear; categories embedded",
    space=_RESNET_SPACE,
)
_register_net(
    "ft_transformer",
    _FT_TRANSFORMER,
    relative_cost=12,
    description="FT-Transformer (Gorishniy et al. 2021, rtdl-revisiting-models): a token per "
    "feature (categories as learned tokens) -> 2 attention blocks -> [CLS] head",
    space=_FT_TRANSFORMER_SPACE,
)
_register_net(
    "mlp_plr",
    _MLP_PLR,
    relative_cost=4,
    description="MLP on periodic (PLR) embeddings of the numbers (Gorishniy et al. 2022, "
    "rtdl-num-embeddings); categories embedded",
    space=_MLP_PLR_SPACE,
)
_register_net(
    "tabm",
    _TABM,
    relative_cost=6,
    description="TabM (Gorishniy et al. 2025, tabm): 16 weight-sharing MLPs trained at once on "
    "PLR-lite embeddings; predicts their mean",
    space=_TABM_SPACE,
)


#: RealMLP's search space, after its authors' (pytabkit's RealMLPParamSampler, space
#: "default", the paper's): the same ranges and values, each choice drawn uniformly where
#: the paper weighs them (add_front_scale 0.6/0.4, p_drop 0.3/0.5/0.2, the hidden layers
#: 0.6/0.2/0.2, ls_eps 0.3/0.7), as the space's form has no weights
_REALMLP_REGRESSOR_SPACE = {
    "num_emb_type": {"choice": ["none", "pbld", "pl", "plr"]},
    "add_front_scale": {"choice": [True, False]},
    "lr": {"float": [2e-2, 3e-1], "log": True},
    "p_drop": {"choice": [0.0, 0.15, 0.3]},
    "wd": {"choice": [0.0, 0.02]},
    "plr_sigma": {"float": [0.05, 0.5], "log": True},
    "act": {"choice": ["relu", "selu", "mish"]},
    "hidden_layers": {"choice": ["256x3", "64x5", "512x1"]},
}
_REALMLP_SPACE = {**_REALMLP_REGRESSOR_SPACE, "ls_eps": {"choice": [0.0, 0.1]}}


#: RealMLP-TD's defaults, as pytabkit declares them (DefaultParams.RealMLP_TD_CLASS and _REG;
#: a test holds them equal), shown by ``list estimators`` and recorded on every row
_REALMLP_REGRESSOR = {
    "n_epochs": 256,
    "batch_size": 256,
    "hidden_sizes": (256, 256, 256),
    "lr": 0.2,
    "act": "mish",
    "p_drop": 0.15,
    "wd": 0.02,
    "device": "auto",
}
_REALMLP = {**_REALMLP_REGRESSOR, "lr": 0.04, "act": "selu", "ls_eps": 0.1}


def _realmlp_layers(sampled: dict[str, Any]) -> dict[str, Any]:
    """``hidden_layers`` ("256x3": three layers of 256) -> ``hidden_sizes``."""
    params = dict(sampled)
    layers = params.pop("hidden_layers", None)
    if layers is not None:
        width, _, depth = str(layers).partition("x")
        params["hidden_sizes"] = (int(width),) * int(depth or 1)
    return params


def _realmlp_regressor(**params: Any) -> Any:
    from treesvsnets.estimators.realmlp_adapter import RealMLPRegressorModel

    return RealMLPRegressorModel(**params)


@register(
    "realmlp",
    family="deep",
    # 256 epochs, never stopped early by default: 32 epochs of a digits fold took 7 s on one
    # thread of a busy 2-core machine, so 5 folds take minutes
    relative_cost=120,
    default_params=_REALMLP,
    regressor=_realmlp_regressor,
    regressor_params=_REALMLP_REGRESSOR,
    regressor_space=_REALMLP_REGRESSOR_SPACE,
    description="RealMLP-TD (Holzmüller et al. 2024, pytabkit): an MLP with robust scaling, "
    "smooth clipping, periodic embeddings and tuned defaults, trained in pytabkit's own loop",
    capabilities=NET_CAPABILITIES | {"native_categorical"},
    space=_REALMLP_SPACE,
    space_params=_realmlp_layers,
    preprocessing="none",
    seed_param="random_state",
    threads_param="threads",
    requires="pytabkit",
)
def realmlp(**params: Any) -> Any:
    from treesvsnets.estimators.realmlp_adapter import RealMLPClassifierModel

    return RealMLPClassifierModel(**params)
