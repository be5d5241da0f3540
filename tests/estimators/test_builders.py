"""Each architecture's declaration names parameters the estimator has, and its builder
sees those alone."""

from __future__ import annotations

import pytest
import torch

from treesvsnets.errors import ConfigError
from treesvsnets.estimators.architectures import TABLE_NETS
from treesvsnets.estimators.torch.builders import (
    ARCHITECTURES,
    TABULAR,
    ModuleData,
    build_module,
)
from treesvsnets.estimators.torch.classifier import TorchClassifier


def test_every_architecture_reads_parameters_the_estimator_has():
    params = TorchClassifier().get_params(deep=False)
    for name, declared in ARCHITECTURES.items():
        assert set(declared.reads) <= set(params), name
    for name in TABULAR:
        assert ARCHITECTURES[name].reads == tuple(TABLE_NETS[name])


def test_a_builder_is_handed_only_the_settings_its_architecture_declares(monkeypatch):
    seen = {}

    def build(data, settings):
        seen.update(settings)
        return torch.nn.Linear(data.n_features, data.n_outputs)

    dense = ARCHITECTURES["dense"]
    monkeypatch.setitem(ARCHITECTURES, "dense", type(dense)(dense.reads, build))
    params = TorchClassifier(hidden_units=(8,), channels=(3,)).get_params(deep=False)
    module = build_module(params, ModuleData(n_features=4, n_outputs=2))
    assert isinstance(module, torch.nn.Linear)
    assert seen == {"hidden_units": (8,), "dropout": None, "batch_norm": False}


def test_an_unknown_architecture_names_every_declared_one():
    params = TorchClassifier("rnn").get_params(deep=False)
    with pytest.raises(ConfigError, match="architecture must be one of dense, cnn, cnn1d, resnet"):
        build_module(params, ModuleData(n_features=4, n_outputs=2))
