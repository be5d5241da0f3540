"""Building a TorchNet's module: one declaration per architecture.

As skorch routes its ``module__*`` parameters to the module, each built-in architecture is
one :class:`Architecture` in :data:`ARCHITECTURES`: the estimator's parameters its module
reads, and the function that builds it from them (and, for one, a check of how they fit
together). :func:`build_module` looks the architecture up and hands its builder those
settings and nothing else; :func:`check_module_settings` checks every module setting's
value first (``TorchNet.validate_params`` calls it too, so a bad value stops a run before
any cell trains).

- ``dense``: an MLP (:func:`~treesvsnets.estimators.torch.modules.dense_net`);
- ``cnn`` and ``cnn1d``: convolutions over images (``image_shape``) or sequences
  (``sequence_shape``) (:func:`~treesvsnets.estimators.torch.modules.conv_net`);
- the tabular nets (:data:`TABULAR`): the builders of :mod:`.tabular`, given the settings
  of :data:`~treesvsnets.estimators.architectures.TABLE_NETS` that are set (None: the
  declared default); they embed the last ``n_categorical`` columns' codes, whose category
  counts are :func:`cardinalities`.

A callable ``architecture`` is a user's own ``factory(n_features=, n_classes=,
image_shape=)``. Everything here reads the estimator's parameters as a mapping
(``get_params(deep=False)``), so it needs no estimator to be called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from torch import nn

from treesvsnets.errors import ConfigError
from treesvsnets.estimators.architectures import TABLE_NETS
from treesvsnets.estimators.torch.augment import check_augment
from treesvsnets.estimators.torch.modules import conv_net, dense_net
from treesvsnets.estimators.validation import is_number, is_whole

#: the architectures of :mod:`.tabular`: each takes the table's category codes natively
TABULAR = tuple(TABLE_NETS)
#: the tabular architectures' own settings besides ``dropout`` (None: the architecture's
#: declared default, :data:`~treesvsnets.estimators.architectures.TABLE_NETS`)
TABULAR_OPTIONS = tuple(
    dict.fromkeys(
        name for settings in TABLE_NETS.values() for name in settings if name != "dropout"
    )
)
_DROPOUTS = ("dropout", "residual_dropout", "attention_dropout", "ffn_dropout")


@dataclass(frozen=True)
class ModuleData:
    """What the training rows tell a module: their width, the outputs (classes, or 1 for a
    regressor), and each code column's category count (the tabular nets')."""

    n_features: int
    n_outputs: int
    cardinalities: tuple[int, ...] = ()


Builder = Callable[[ModuleData, dict[str, Any]], nn.Module]


@dataclass(frozen=True)
class Architecture:
    """One architecture: the estimator's parameters its module reads, the function that
    builds the module from them, and a check of how they fit together (None: none)."""

    reads: tuple[str, ...]
    build: Builder
    check: Callable[[dict[str, Any]], None] | None = None

    def settings(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters this architecture's module reads, by name."""
        return {name: params[name] for name in self.reads}


def _dense(data: ModuleData, settings: dict[str, Any]) -> nn.Module:
    return dense_net(
        data.n_features,
        data.n_outputs,
        hidden_units=tuple(settings["hidden_units"]),
        dropout=settings["dropout"] or 0.0,
        batch_norm=settings["batch_norm"],
    )


def _check_shape(name: str, shape: Any, n_features: int) -> None:
    """``image_shape`` or ``sequence_shape`` (``name``), when given, holds every feature."""
    if shape and int(np.prod(shape)) != n_features:
        raise ConfigError(
            f"{name} {tuple(shape)} holds {int(np.prod(shape))} values but the data has "
            f"{n_features} features."
        )


def _convolution(
    shape_name: str, dimensions: int, data: ModuleData, settings: dict[str, Any]
) -> nn.Module:
    _check_shape(shape_name, settings[shape_name], data.n_features)
    return conv_net(
        settings[shape_name],
        data.n_outputs,
        channels=tuple(settings["channels"]),
        kernel_size=settings["kernel_size"],
        dense_units=settings["dense_units"],
        dropout=settings["dropout"] or 0.0,
        batch_norm=settings["batch_norm"],
        dimensions=dimensions,
    )


def _tabular(architecture: str, data: ModuleData, settings: dict[str, Any]) -> nn.Module:
    """A module of :mod:`.tabular` with the settings it takes that are set (not None; the
    others are its declared defaults)."""
    from treesvsnets.estimators.torch import tabular

    n_codes = len(data.cardinalities)
    inputs = tabular.TableInputs(data.n_features - n_codes, data.cardinalities, data.n_outputs)
    if data.n_features - n_codes == 0 and not n_codes:
        raise ConfigError(f"the {architecture} needs at least one feature.")
    options = {name: value for name, value in settings.items() if value is not None}
    return getattr(tabular, architecture)(inputs, **options)


def _heads_share_the_tokens(settings: dict[str, Any]) -> None:
    heads, width = settings["attention_heads"], settings["d_block"]
    if heads and width and width % heads:
        raise ConfigError(
            f"d_block ({width}) must be a multiple of attention_heads ({heads}): each head "
            "attends over an equal share of a token."
        )


_CONVOLUTION = ("channels", "kernel_size", "dense_units", "dropout", "batch_norm")
_TABULAR_CHECKS = {"ft_transformer": _heads_share_the_tokens}

#: every built-in architecture, by the name ``architecture`` gives it
ARCHITECTURES: dict[str, Architecture] = {
    "dense": Architecture(("hidden_units", "dropout", "batch_norm"), _dense),
    "cnn": Architecture(("image_shape", *_CONVOLUTION), partial(_convolution, "image_shape", 2)),
    "cnn1d": Architecture(
        ("sequence_shape", *_CONVOLUTION), partial(_convolution, "sequence_shape", 1)
    ),
    **{
        name: Architecture(tuple(declared), partial(_tabular, name), _TABULAR_CHECKS.get(name))
        for name, declared in TABLE_NETS.items()
    },
}


def _declared(architecture: Any) -> Architecture | None:
    return ARCHITECTURES.get(architecture) if isinstance(architecture, str) else None


#: the shapes the convolutions read, with the axes each must have
_SHAPES = {"image_shape": "(channels, height, width)", "sequence_shape": "(channels, length)"}


def _check_layers(params: Mapping[str, Any]) -> None:
    """The layer widths (``hidden_units``, ``channels``) a sequence of positive whole
    numbers, and an image's or a sequence's shape, when given, with its every axis."""
    for name in ("hidden_units", "channels"):
        value = params[name]
        if (
            isinstance(value, str)
            or not isinstance(value, Sequence | np.ndarray)
            or not all(is_whole(width) and width > 0 for width in value)
        ):
            raise ConfigError(
                f"{name} must be a list of positive whole layer widths such as (64, 32), "
                f"got {value!r}."
            )
    for name, axes in _SHAPES.items():
        shape = params[name]
        if shape is None:
            continue
        if (
            isinstance(shape, str)
            or not isinstance(shape, Sequence | np.ndarray)
            or len(shape) != axes.count(",") + 1
            or not all(is_whole(size) and size > 0 for size in shape)
        ):
            raise ConfigError(f"{name} must be {axes}, positive whole numbers, got {shape!r}.")


def check_module_settings(params: Mapping[str, Any]) -> None:
    """Every dropout rate in [0, 1); the tabular settings (those set) and n_categorical
    well-formed; ``augment`` one the architecture takes (:mod:`.augment`); then the
    architecture's own check (the FT-Transformer's tokens split evenly among its heads)."""
    for name in _DROPOUTS:
        value = params[name]
        if value is None:  # the architecture's own (none for dense and the CNNs)
            continue
        if not is_number(value) or not 0 <= value < 1:
            raise ConfigError(f"{name} must be in [0, 1), got {value!r}.")
    for name in (*TABULAR_OPTIONS, "n_categorical"):
        value = params[name]
        if name in _DROPOUTS or value is None:
            continue
        whole = name not in ("d_hidden_multiplier", "frequency_scale")
        kind_ok = is_whole(value) if whole else is_number(value)
        if not kind_ok or not (value >= 0 if name == "n_categorical" else value > 0):
            expected = "a whole number" if whole else "a number"
            bound = "at least 0" if name == "n_categorical" else "above 0"
            raise ConfigError(f"{name} must be {expected} {bound}, got {value!r}.")
    _check_layers(params)
    architecture = params["architecture"]
    if params["n_categorical"] and architecture not in TABULAR:
        raise ConfigError(
            f"n_categorical is for the architectures that embed categories "
            f"({', '.join(TABULAR)}), not {architecture!r}."
        )
    check_augment(params)
    declared = _declared(architecture)
    if declared is not None:
        _check_read(architecture, declared, params)
    if declared is not None and declared.check is not None:
        declared.check(declared.settings(params))


def _check_read(name: str, declared: Architecture, params: Mapping[str, Any]) -> None:
    """Refuse a module setting of another architecture set away from its default: the
    module would not read it, and the run's rows would record it as used (dense with
    attention_heads=8, resnet with hidden_units=[4])."""
    import inspect

    from treesvsnets.estimators.torch.net import TorchNet

    defaults = inspect.signature(TorchNet.__init__).parameters
    for setting in dict.fromkeys(s for a in ARCHITECTURES.values() for s in a.reads):
        if setting in declared.reads or setting not in params:
            continue
        if _normal(params[setting]) != _normal(defaults[setting].default):
            owners = [n for n, a in ARCHITECTURES.items() if setting in a.reads]
            raise ConfigError(
                f"{setting} is a setting of the {' and '.join(owners)} net, which the {name} "
                f"net does not read; its module reads {', '.join(declared.reads)}."
            )


def _normal(value: Any) -> Any:
    """A setting as compared with its default (a list as the tuple it defaults to)."""
    return tuple(value) if isinstance(value, list | tuple | np.ndarray) else value


def cardinalities(params: Mapping[str, Any], X: np.ndarray) -> tuple[int, ...]:
    """The category count of each of the last ``n_categorical`` columns of the training
    rows (codes 0, 1, ...; -1 for a category the fold's encoder never saw): () but for a
    tabular architecture."""
    from treesvsnets.datasets.columns import coded_columns
    from treesvsnets.estimators.torch.tabular import cardinalities_of

    n_codes = params["n_categorical"] or 0
    if params["architecture"] not in TABULAR or not n_codes:
        return ()
    return cardinalities_of(coded_columns(X, n_codes))


def build_module(params: Mapping[str, Any], data: ModuleData) -> nn.Module:
    """The module of ``params["architecture"]``, its settings checked first: a declared
    architecture's builder gets the settings it reads; a callable is the user's factory."""
    check_module_settings(params)
    architecture = params["architecture"]
    if callable(architecture):
        module = architecture(
            n_features=data.n_features, n_classes=data.n_outputs, image_shape=params["image_shape"]
        )
        return checked_module(module, architecture, data)
    declared = _declared(architecture)
    if declared is None:
        raise ConfigError(
            f"architecture must be one of {', '.join(ARCHITECTURES)} or a module factory, "
            f"got {architecture!r}."
        )
    return declared.build(data, declared.settings(params))


def checked_module(module: Any, factory: Any, data: ModuleData) -> nn.Module:
    """A user's module factory's module, refused in one sentence where it is no
    ``torch.nn.Module`` or where two rows of zeros do not come out as one row of
    ``data.n_outputs`` numbers each (the loss then failed with an IndexError naming
    neither); the forward runs in eval mode (no dropout, no batch statistics), without
    gradients."""
    import torch

    name = getattr(factory, "__name__", repr(factory))
    if not isinstance(module, nn.Module):
        raise ConfigError(
            f"the module factory {name} returned {type(module).__name__}, not a torch.nn.Module."
        )
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            out = module(torch.zeros((2, data.n_features), dtype=torch.float32))
    finally:
        module.train(was_training)
    shape = tuple(getattr(out, "shape", ()))
    if len(shape) != 2 or shape != (2, data.n_outputs):
        raise ConfigError(
            f"the module of factory {name} gives an output of shape {shape} for 2 rows: it must "
            f"give (rows, n_classes) = (2, {data.n_outputs}) (n_classes is 1 for regression)."
        )
    return module


__all__ = [
    "ARCHITECTURES",
    "TABULAR",
    "TABULAR_OPTIONS",
    "Architecture",
    "ModuleData",
    "build_module",
    "cardinalities",
    "check_module_settings",
]
