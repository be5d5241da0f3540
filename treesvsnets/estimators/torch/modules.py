"""The plain architectures: Flatten-Dense, the Conv/Pool CNN for images and the 1-D CNN for
sequences (the tabular nets are in :mod:`~treesvsnets.estimators.torch.tabular`).

All take flat rows (what every estimator of the harness receives); the CNNs reshape them
with the image or sequence shape the dataset declares. :func:`dense_net`: Flatten ->
[Linear -> (BatchNorm) -> ReLU -> (Dropout)] per hidden layer; :func:`conv_net`: [Conv ->
(BatchNorm) -> ReLU -> MaxPool] blocks -> a dense head, over images (``dimensions=2``, the
``cnn``) or sequences (``dimensions=1``, the ``cnn1d``); :func:`initialise` re-initialises
the weights (``he``, ``xavier``, or PyTorch's ``default``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import nn

from treesvsnets.errors import ConfigError


def dense_net(
    n_features: int,
    n_classes: int,
    *,
    hidden_units: Sequence[int] = (256, 128),
    dropout: float = 0.0,
    batch_norm: bool = False,
) -> nn.Module:
    """Flatten -> [Linear -> (BatchNorm) -> ReLU -> (Dropout)] x len(hidden_units) -> logits."""
    layers: list[nn.Module] = [nn.Flatten()]
    width = n_features
    for units in hidden_units:
        layers.append(nn.Linear(width, units))
        if batch_norm:
            layers.append(nn.BatchNorm1d(units))
        layers.append(nn.ReLU())
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = units
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


#: the layers of a convolution over one dimension (sequences) and over two (images)
_CONVOLUTIONS = {
    1: (nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d),
    2: (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d),
}
#: what each dimensionality is called in an error
_NEEDS = {
    1: ("cnn1d", "a sequence shape (such as mnist1d, or a table declaring shape = "
        "[channels, length])"),
    2: ("cnn", "an image shape (such as digits, mnist or fashion_mnist)"),
}  # fmt: skip


def conv_net(
    shape: Sequence[int] | None,
    n_classes: int,
    *,
    channels: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    dense_units: int = 128,
    dropout: float = 0.25,
    batch_norm: bool = True,
    dimensions: int = 2,
) -> nn.Module:
    """[Conv -> (BatchNorm) -> ReLU -> MaxPool] per entry of ``channels`` -> Dense head, over
    rows that are flattened images, ``shape = (channels, height, width)`` (``dimensions=2``,
    the ``cnn``), or sequences, ``(channels, length)`` (``dimensions=1``, the ``cnn1d``).

    Padding keeps each conv's size, and a block pools only while the input is at least 2
    wide, so 8x8 digits, 28x28 MNIST and 40-step mnist1d all fit.
    """
    name, needs = _NEEDS[dimensions]
    if not shape:
        raise ConfigError(f"the {name} needs a dataset with {needs}; this dataset has none.")
    conv, norm, pool = _CONVOLUTIONS[dimensions]
    in_channels, *size = (int(n) for n in shape)
    layers: list[nn.Module] = [nn.Unflatten(1, (in_channels, *size))]
    for out_channels in channels:
        layers.append(conv(in_channels, out_channels, kernel_size, padding=kernel_size // 2))
        if batch_norm:
            layers.append(norm(out_channels))
        layers.append(nn.ReLU())
        if min(size) >= 2:
            layers.append(pool(2))
            size = [n // 2 for n in size]
        in_channels = out_channels
    flat = in_channels * math.prod(size)
    layers += [nn.Flatten(), nn.Linear(flat, dense_units), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(dense_units, n_classes))
    return nn.Sequential(*layers)


INITIALISATIONS = ("default", "he", "xavier")


def initialise(module: nn.Module, scheme: str) -> None:
    """Re-initialise Linear and Conv weights (``default`` keeps PyTorch's own)."""
    if scheme not in INITIALISATIONS:
        raise ConfigError(f"init must be one of {', '.join(INITIALISATIONS)}, got {scheme!r}.")
    if scheme == "default":
        return
    for layer in module.modules():
        if isinstance(layer, nn.Linear | nn.Conv1d | nn.Conv2d):
            if scheme == "he":
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


__all__ = ["conv_net", "count_parameters", "dense_net", "initialise"]
