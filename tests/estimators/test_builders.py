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
    params = TorchClassifier(hidden_units=(8,)).get_params(deep=False)  # channels: its default
    module = build_module(params, ModuleData(n_features=4, n_outputs=2))
    assert isinstance(module, torch.nn.Linear)
    assert seen == {"hidden_units": (8,), "dropout": None, "batch_norm": False}
    # another architecture's setting given: refused, not recorded as used (rows said it was)
    params = TorchClassifier(hidden_units=(8,), channels=(3,)).get_params(deep=False)
    with pytest.raises(ConfigError, match="channels is a setting of the cnn and cnn1d net, which "
                       "the dense net does not read; its module reads hidden_units"):  # fmt: skip
        build_module(params, ModuleData(n_features=4, n_outputs=2))


def test_an_unknown_architecture_names_every_declared_one():
    params = TorchClassifier("rnn").get_params(deep=False)
    with pytest.raises(ConfigError, match="architecture must be one of dense, cnn, cnn1d, resnet"):
        build_module(params, ModuleData(n_features=4, n_outputs=2))


def _wide(n_features, n_classes, image_shape=None):
    return torch.nn.Linear(n_features, n_classes + 2)  # two outputs too many


def _text(n_features, n_classes, image_shape=None):
    return "a module"


def _right(n_features, n_classes, image_shape=None):
    return torch.nn.Sequential(torch.nn.Linear(n_features, 8), torch.nn.Dropout(0.5),
                               torch.nn.BatchNorm1d(8), torch.nn.Linear(8, n_classes))  # fmt: skip


@pytest.mark.parametrize(
    ("factory", "said"),
    [
        # the loss failed: 'IndexError: index 3 is out of bounds for axis 0 with size 3'
        (_wide, "the module of factory _wide gives an output of shape (2, 5) for 2 rows: it "
                "must give (rows, n_classes) = (2, 3) (n_classes is 1 for regression)."),
        # "AttributeError: 'str' object has no attribute 'to'"
        (_text, "the module factory _text returned str, not a torch.nn.Module."),
    ],
)  # fmt: skip
def test_a_users_module_factory_that_builds_no_fitting_module_is_one_sentence(factory, said):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with pytest.raises(ConfigError) as caught:
        TorchClassifier(architecture=factory, epochs=1, random_state=0).fit(X, y)
    assert str(caught.value) == said
    # a right one (dropout and batch statistics aside while it is checked) trains as before
    net = TorchClassifier(architecture=_right, epochs=2, random_state=0).fit(X, y)
    assert net.predict(X).shape == (150,)
