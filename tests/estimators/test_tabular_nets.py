"""The nets that compete on tables (resnet, ft_transformer, mlp_plr, tabm) and cnn1d: built
from the published modules, trained by the project's loop, with categories embedded."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from tests.helpers.devices import requires_cuda
from treesvsnets.errors import ConfigError
from treesvsnets.estimators import registry
from treesvsnets.estimators.torch.builders import TABULAR
from treesvsnets.estimators.torch.classifier import TorchClassifier
from treesvsnets.estimators.torch.objectives import HeadsLoss
from treesvsnets.estimators.torch.regressor import TorchRegressor


def mixed_table(n: int = 400, seed: int = 0):
    """Four numbers, then two code columns (4 and 6 categories); the class depends on both."""
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=(n, 4))
    codes = np.column_stack([rng.integers(0, 4, n), rng.integers(0, 6, n)])
    y = ((numbers[:, 0] + (codes[:, 0] >= 2) * 1.5 - (codes[:, 1] == 5)) > 0.5).astype(int)
    return np.hstack([numbers, codes]).astype(np.float64), y


@pytest.mark.parametrize("architecture", TABULAR)
def test_each_tabular_net_learns_a_mixed_table_and_embeds_its_categories(architecture):
    X, y = mixed_table()
    net = TorchClassifier(
        architecture, n_categorical=2, epochs=30, random_state=0, threads=1, device="cpu"
    ).fit(X[:300], y[:300])
    assert net.cardinalities_ == (4, 6)
    embeddings = [m for m in net.module_.modules() if isinstance(m, torch.nn.Embedding)]
    if architecture == "tabm":  # TabM encodes categories one-hot, inside its module
        assert not embeddings
    else:  # one table per column, one row per category and one for the unseen
        assert sorted(e.num_embeddings for e in embeddings) == [5, 7]
    test = X[300:].copy()
    test[:10, -1] = -1  # a category the training fold never had
    proba = net.predict_proba(test)
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert (net.predict(test) == y[300:]).mean() > 0.75
    again = pickle.loads(pickle.dumps(net))
    assert np.allclose(again.predict_proba(test), proba, atol=1e-6)


@pytest.mark.parametrize("architecture", TABULAR)
def test_each_tabular_net_regresses_through_the_same_loop(architecture):
    X, _ = mixed_table(300, seed=1)
    target = 3 * X[:, 0] + 2 * (X[:, -1] == 2) + 100.0
    net = TorchRegressor(
        architecture, n_categorical=2, epochs=40, random_state=0, threads=1, device="cpu"
    ).fit(X[:240], target[:240], validation_data=(X[240:270], target[240:270]))
    assert net.history_ and "val_rmse" in net.history_[0]
    assert net.score(X[270:], target[270:]) > 0.5


@pytest.mark.parametrize("architecture", TABULAR)
def test_the_python_class_and_the_command_line_build_the_same_module(architecture):
    """One declaration per net (architectures.TABLE_NETS): ``TorchClassifier(name)`` with its
    settings left None and ``-e name`` (the registry's defaults) build the same module, the
    same layers of the same shapes with the same dropouts (ft_transformer's tokens were 96
    through the class and 128 through the command line)."""
    X, y = mixed_table(120)
    quick = {"epochs": 1, "early_stopping": False, "device": "cpu", "random_state": 0}
    spec = registry.get(architecture, "classification")
    from_cli = spec.factory(**{**spec.default_params, **quick, "n_categorical": 2}).fit(X, y)
    from_class = TorchClassifier(architecture, n_categorical=2, **quick).fit(X, y)
    assert repr(from_class.module_) == repr(from_cli.module_)  # layers, widths, dropout rates
    shapes = {k: tuple(v.shape) for k, v in from_class.module_.state_dict().items()}
    assert shapes == {k: tuple(v.shape) for k, v in from_cli.module_.state_dict().items()}
    if architecture == "ft_transformer":
        assert shapes["transformer.cls_embedding.weight"] == (128,)


@pytest.mark.parametrize("architecture", ["dense", "cnn", "cnn1d", *TABULAR])
def test_a_nets_spec_and_its_class_declare_the_same_capabilities(architecture):
    from treesvsnets.estimators.capabilities import capabilities_of

    spec = registry.get(architecture, "classification")
    assert capabilities_of(TorchClassifier(architecture)) == spec.capabilities
    assert "predict_proba" not in capabilities_of(TorchRegressor(architecture))
    regression = registry.get(architecture, "regression").capabilities
    assert capabilities_of(TorchRegressor(architecture)) == regression


def test_numbers_only_and_categories_only_tables_both_fit():
    X, y = mixed_table(200)
    for n_categorical, columns in ((0, slice(0, 4)), (2, slice(4, 6))):
        for architecture in TABULAR:
            net = TorchClassifier(
                architecture, n_categorical=n_categorical, epochs=2, random_state=0, device="cpu"
            ).fit(X[:, columns], y)
            assert net.predict(X[:5, columns]).shape == (5,)


def test_tabm_trains_on_every_heads_loss_and_predicts_their_mean_probability():
    X, y = mixed_table(200)
    # no dropout: the heads in training mode are then exactly what evaluation averages
    net = TorchClassifier(
        "tabm", ensemble_size=4, dropout=0.0, epochs=3, random_state=0, device="cpu"
    )
    net.fit(X[:, :4], y)
    module = net.module_
    module.train()
    heads = module(torch.as_tensor(X[:8, :4], dtype=torch.float32))
    assert heads.shape == (8, 4, 2)
    targets = torch.as_tensor(y[:8])
    loss = HeadsLoss(torch.nn.CrossEntropyLoss())(heads, targets)
    per_head = [torch.nn.functional.cross_entropy(heads[:, h], targets) for h in range(4)]
    assert torch.isclose(loss, torch.stack(per_head).mean(), atol=1e-6)
    mean_probability = torch.softmax(heads, dim=-1).mean(dim=1)
    module.eval()
    logits = module(torch.as_tensor(X[:8, :4], dtype=torch.float32))
    assert torch.allclose(torch.softmax(logits, dim=-1), mean_probability, atol=1e-5)


def test_bad_tabular_settings_are_refused_in_one_sentence():
    X, y = mixed_table(50)
    cases = [
        (dict(n_categorical=7), "n_categorical is 7 but the data has only 6 columns"),
        (dict(n_categorical=-1), "n_categorical must be a whole number at least 0"),
        (dict(attention_dropout=1.5), "attention_dropout must be in [0, 1)"),
        (dict(n_blocks=0), "n_blocks must be a whole number above 0"),
    ]
    for params, message in cases:
        with pytest.raises(ConfigError) as caught:
            TorchClassifier("ft_transformer", epochs=1, device="cpu", **params).fit(X, y)
        assert message in str(caught.value)
    fractional = X.copy()
    fractional[0, -1] = 0.5
    with pytest.raises(ConfigError, match="must hold category codes"):
        TorchClassifier("resnet", n_categorical=2, epochs=1, device="cpu").fit(fractional, y)
    with pytest.raises(ConfigError, match="n_categorical is for the architectures"):
        TorchClassifier("dense", n_categorical=2, epochs=1, device="cpu").fit(X, y)


def test_cnn1d_convolves_along_the_declared_sequence_and_refuses_without_one():
    rng = np.random.default_rng(0)
    n, length = 300, 24
    y = rng.integers(0, 2, n)
    X = rng.normal(scale=0.3, size=(n, length))
    where = rng.integers(2, length - 6, n)  # a bump at a random place: class 1 bumps up
    for row, start in enumerate(where):
        X[row, start : start + 4] += 2.0 if y[row] else -2.0
    settings = dict(channels=(8, 16), kernel_size=5, epochs=25, random_state=0, device="cpu")
    net = TorchClassifier("cnn1d", sequence_shape=(1, length), **settings).fit(X[:240], y[:240])
    assert any(isinstance(m, torch.nn.Conv1d) for m in net.module_.modules())
    assert net.score(X[240:], y[240:]) > 0.9
    assert "needs_sequences" in registry.get("cnn1d", "classification").capabilities
    with pytest.raises(ConfigError, match="needs a dataset with a sequence shape"):
        TorchClassifier("cnn1d", epochs=1, device="cpu").fit(X, y)
    with pytest.raises(ConfigError, match=r"sequence_shape \(2, 10\) holds 20 values"):
        TorchClassifier("cnn1d", sequence_shape=(2, 10), epochs=1, device="cpu").fit(X, y)


def test_the_new_nets_are_registered_with_what_they_suit():
    builtins = [spec for spec in registry.all_specs() if spec.source == "builtin"]
    groups = {spec.name: registry.group_of(spec) for spec in builtins}
    assert groups["cnn"] == "deep:images" and groups["cnn1d"] == "deep:sequences"
    for name in ("dense", *TABULAR):
        assert groups[name] == "deep:tables"
    for name in TABULAR:
        assert registry.tasks_of(name) == ("classification", "regression")
        for spec in registry.versions(name).values():
            assert "native_categorical" in spec.capabilities and spec.search_space


@requires_cuda
@pytest.mark.parametrize("architecture", [*TABULAR, "cnn1d"])
def test_each_new_net_trains_on_cuda_and_loads_anywhere(architecture):
    X, y = mixed_table(300)
    settings = {"sequence_shape": (1, 6)} if architecture == "cnn1d" else {"n_categorical": 2}
    net = TorchClassifier(architecture, epochs=3, random_state=0, device="cuda", **settings)
    net.fit(X, y, validation_data=(X[:30], y[:30]))
    assert net.device_.startswith("cuda") and net.peak_gpu_memory_mb_ > 0
    assert next(net.module_.parameters()).is_cuda
    again = pickle.loads(pickle.dumps(net))
    assert np.array_equal(again.predict(X[:20]), net.predict(X[:20]))
