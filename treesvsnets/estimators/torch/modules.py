"""The plain architectures: Flatten-Dense, the Conv/Pool CNN for images and the 1-D CNN for
sequences (the tabular nets are in :mod:`~treesvsnets.estimators.torch.tabular`).

All take flat rows (what every estimator of the harness receives); the CNNs reshape them
with the image or sequence shape the dataset declares.
"""

from __future__ import annotations

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


def conv_net(
    image_shape: Sequence[int] | None,
    n_classes: int,
    *,
    channels: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    dense_units: int = 128,
    dropout: float = 0.25,
    batch_norm: bool = True,
) -> nn.Module:
    """[Conv -> (BatchNorm) -> ReLU -> MaxPool] per entry of ``channels`` -> Dense head.

    Padding keeps each conv's size, and a block pools only while the image is
    at least 2 pixels wide, so 8x8 digits and 28x28 MNIST both fit.
    """
    if not image_shape:
        raise ConfigError(
            "the cnn needs a dataset with an image shape (such as digits, mnist or "
            "fashion_mnist); this dataset is a plain table."
        )
    in_channels, height, width = (int(n) for n in image_shape)
    layers: list[nn.Module] = [nn.Unflatten(1, (in_channels, height, width))]
    for out_channels in channels:
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(nn.ReLU())
        if min(height, width) >= 2:
            layers.append(nn.MaxPool2d(2))
            height, width = height // 2, width // 2
        in_channels = out_channels
    layers += [nn.Flatten(), nn.Linear(in_channels * height * width, dense_units), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(dense_units, n_classes))
    return nn.Sequential(*layers)


def conv1d_net(
    sequence_shape: Sequence[int] | None,
    n_classes: int,
    *,
    channels: Sequence[int] = (32, 64, 128),
    kernel_size: int = 5,
    dense_units: int = 128,
    dropout: float = 0.2,
    batch_norm: bool = True,
) -> nn.Module:
    """[Conv1d -> (BatchNorm) -> ReLU -> MaxPool] per entry of ``channels`` -> Dense head, on
    rows that are flattened ``(channels, length)`` sequences.

    Padding keeps each conv's length, and a block pools only while the sequence is at least
    2 steps long."""
    if not sequence_shape:
        raise ConfigError(
            "the cnn1d needs a dataset with a sequence shape (such as mnist1d, or a table "
            "declaring shape = [channels, length]); this dataset has none."
        )
    in_channels, length = (int(n) for n in sequence_shape)
    layers: list[nn.Module] = [nn.Unflatten(1, (in_channels, length))]
    for out_channels in channels:
        layers.append(nn.Conv1d(in_channels, out_channels, kernel_size, padding=kernel_size // 2))
        if batch_norm:
            layers.append(nn.BatchNorm1d(out_channels))
        layers.append(nn.ReLU())
        if length >= 2:
            layers.append(nn.MaxPool1d(2))
            length //= 2
        in_channels = out_channels
    layers += [nn.Flatten(), nn.Linear(in_channels * length, dense_units), nn.ReLU()]
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


__all__ = ["conv1d_net", "conv_net", "count_parameters", "dense_net", "initialise"]
