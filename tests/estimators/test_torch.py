"""TorchClassifier and its training loop, on real data (digits, an MNIST subset)."""

import json
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone

from tests.helpers.devices import DEVICES, needs_cuda, requires_cuda
from treesvsnets.bench.cells.cell import run_cell
from treesvsnets.bench.cells.inputs import Cell
from treesvsnets.bench.cells.splits import make_split_plan
from treesvsnets.errors import ConfigError
from treesvsnets.estimators import get
from treesvsnets.estimators.torch import Callback, TorchClassifier


def accuracy(model, X, y):
    return float(np.mean(model.predict(X) == y))


@pytest.mark.parametrize("device", DEVICES)
def test_early_stopping_restores_the_best_epochs_weights(digits_split, device):
    X, y, X_val, y_val, _, _ = digits_split
    # a high learning rate makes the validation loss rise after a few epochs
    model = TorchClassifier(
        "dense", epochs=40, lr=0.02, early_stopping=True, patience=3, random_state=0, device=device
    ).fit(X, y, validation_data=(X_val, y_val))
    val_losses = [record["val_loss"] for record in model.history_]
    best = int(np.argmin(val_losses))
    assert model.n_epochs_ < 40, "early stopping never triggered"
    assert model.best_epoch_ == best + 1 < model.n_epochs_
    assert model.n_epochs_ == model.best_epoch_ + 3
    restored = torch.nn.functional.cross_entropy(
        torch.log(torch.from_numpy(model.predict_proba(X_val))), torch.from_numpy(y_val)
    ).item()
    assert restored == pytest.approx(val_losses[best], rel=1e-4)
    assert restored < val_losses[-1]
    assert "did not improve for 3 epochs" in model.stop_reason_


def test_early_stopping_can_watch_validation_accuracy(digits_split):
    X, y, X_val, y_val, _, _ = digits_split
    model = TorchClassifier(
        "dense",
        epochs=25,
        lr=0.02,
        early_stopping=True,
        monitor="val_accuracy",
        patience=3,
        random_state=0,
        device="cpu",
    ).fit(X, y, validation_data=(X_val, y_val))
    accuracies = [record["val_accuracy"] for record in model.history_]
    assert model.best_epoch_ == int(np.argmax(accuracies)) + 1
    assert accuracy(model, X_val, y_val) == pytest.approx(max(accuracies))


def test_verbose_prints_an_epoch_line(digits_split, capsys):
    X, y, X_val, y_val, _, _ = digits_split
    TorchClassifier("dense", epochs=2, verbose=2, device="cpu").fit(
        X, y, validation_data=(X_val, y_val)
    )
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and lines[1].strip().startswith("epoch 2/2  train_loss ")
    assert "val_acc" in lines[1]


@pytest.mark.parametrize("device", DEVICES)
def test_checkpoint_reloads_to_identical_predictions(digits_split, tmp_path, device):
    X, y, X_val, y_val, X_test, _ = digits_split
    path = tmp_path / "best.pt"
    model = TorchClassifier(
        "cnn",
        image_shape=(1, 8, 8),
        epochs=6,
        early_stopping=True,
        patience=2,
        checkpoint=str(path),
        random_state=0,
        device=device,
    ).fit(X, y, validation_data=(X_val, y_val))
    assert path.is_file()
    other = clone(model).set_params(epochs=1, checkpoint=None, early_stopping=False, random_state=1)
    other.fit(X, y)
    assert not np.allclose(other.predict_proba(X_test), model.predict_proba(X_test))
    other.load_checkpoint(path)
    np.testing.assert_array_equal(other.predict(X_test), model.predict(X_test))
    np.testing.assert_allclose(other.predict_proba(X_test), model.predict_proba(X_test), atol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
def test_a_fitted_net_pickles_and_predicts_the_same(digits_split, device):
    X, y, _, _, X_test, _ = digits_split
    model = TorchClassifier("dense", epochs=2, random_state=0, device=device).fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    assert again.device_ == model.device_
    np.testing.assert_allclose(again.predict_proba(X_test), model.predict_proba(X_test), atol=1e-6)
    assert isinstance(model.module_, torch.nn.Module)  # pickling left the original as it was


@requires_cuda
def test_a_net_pickled_on_cuda_loads_onto_the_cpu_where_cuda_is_missing(digits_split, monkeypatch):
    X, y, _, _, X_test, _ = digits_split
    model = TorchClassifier("cnn", image_shape=(1, 8, 8), epochs=2, random_state=0, device="cuda")
    model.fit(X, y)
    expected = model.predict_proba(X_test)
    saved = pickle.dumps(model)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on a laptop
    with pytest.warns(UserWarning, match="trained on cuda, which is not available here"):
        again = pickle.loads(saved)
    assert again.device_ == "cpu"
    assert next(again.module_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(again.predict_proba(X_test), expected, atol=1e-4)


def test_same_seed_same_predictions_with_early_stopping(digits_split):
    X, y, X_val, y_val, X_test, _ = digits_split
    kwargs = dict(epochs=8, early_stopping=True, patience=2, random_state=3, device="cpu")
    first = TorchClassifier("dense", dropout=0.2, **kwargs).fit(
        X, y, validation_data=(X_val, y_val)
    )
    again = TorchClassifier("dense", dropout=0.2, **kwargs).fit(
        X, y, validation_data=(X_val, y_val)
    )
    np.testing.assert_array_equal(first.predict_proba(X_test), again.predict_proba(X_test))
    other = TorchClassifier("dense", dropout=0.2, **{**kwargs, "random_state": 4})
    other.fit(X, y, validation_data=(X_val, y_val))
    assert not np.array_equal(other.predict_proba(X_test), first.predict_proba(X_test))


@pytest.mark.parametrize(
    "options",
    [
        {"optimizer": "sgd", "lr": 0.1},
        {"optimizer": "sgd", "lr": 0.05, "momentum": 0.9},
        {"optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"optimizer": "adagrad", "lr": 0.05},
        {"optimizer": "rmsprop", "lr": 1e-3},
        {"optimizer": "adam"},
        {"optimizer": "adamw", "weight_decay": 0.01},
        {"lr_schedule": "step", "step_size": 2, "gamma": 0.5},
        {"lr_schedule": "cosine"},
        {"lr_schedule": "plateau"},
        {"l1": 1e-4, "weight_decay": 1e-4},
        {"grad_clip": 1.0},
        {"batch_norm": True, "dropout": 0.3, "init": "he"},
        {"init": "xavier"},
        {"amp": True},
    ],
    ids=lambda options: "-".join(f"{k}={v}" for k, v in options.items()),
)
@pytest.mark.parametrize("device", DEVICES)
def test_every_training_option_trains(options, digits_split, device):
    X, y, X_val, y_val, X_test, y_test = digits_split
    model = TorchClassifier("dense", epochs=4, random_state=0, device=device, **options)
    if options.get("amp") and device == "cpu":  # slow bfloat16 on most CPUs: the user is told
        with pytest.warns(UserWarning, match="amp=True on the CPU runs bfloat16 autocast"):
            model.fit(X, y, validation_data=(X_val, y_val))
    else:
        model.fit(X, y, validation_data=(X_val, y_val))
    assert accuracy(model, X_test, y_test) > 0.6  # chance is 0.1
    assert len(model.history_) == 4
    if options.get("lr_schedule") in ("step", "cosine"):
        assert model.history_[-1]["lr"] < model.history_[0]["lr"]


@pytest.mark.parametrize("device", DEVICES)
def test_history_is_json_with_a_record_per_epoch(digits_split, device):
    X, y, X_val, y_val, _, _ = digits_split
    model = TorchClassifier("dense", epochs=3, random_state=0, device=device)
    model.fit(X, y, validation_data=(X_val, y_val))
    records = json.loads(json.dumps(model.history_))
    assert [r["epoch"] for r in records] == [1, 2, 3]
    assert set(records[0]) >= {"train_loss", "val_loss", "val_accuracy", "lr", "seconds"}
    assert records[-1]["train_loss"] < records[0]["train_loss"]
    assert model.warmup_seconds_ == records[0]["seconds"]


def test_a_callback_sees_every_epoch_and_can_stop_training(digits_split):
    X, y, *_ = digits_split

    class StopAfterTwo(Callback):
        def on_epoch_end(self, trainer, record):
            trainer.stop = record["epoch"] == 2

    model = TorchClassifier("dense", epochs=10, callbacks=[StopAfterTwo()], device="cpu")
    assert model.fit(X, y).n_epochs_ == 2


def test_threads_are_restored_after_fit(digits_split):
    X, y, *_ = digits_split
    before = torch.get_num_threads()
    TorchClassifier("dense", epochs=1, threads=1, device="cpu").fit(X, y)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"early_stopping": True}, "early_stopping=True needs a validation slice"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of sgd, adagrad, rmsprop, adam, adamw"),
        (
            {"nesterov": True, "optimizer": "sgd"},
            "nesterov=True needs optimizer='sgd' with momentum",
        ),
        ({"architecture": "rnn"}, "architecture must be one of dense, cnn"),
        ({"architecture": "cnn"}, "the cnn needs a dataset with an image shape"),
        ({"architecture": "cnn", "image_shape": (1, 4, 4)}, "image_shape (1, 4, 4) holds 16"),
        ({"dropout": 1.0}, "dropout must be in [0, 1)"),
        (
            {"monitor": "acc"},
            "monitor must be one of val_loss, val_accuracy for a TorchClassifier, got 'acc'",
        ),
        ({"epochs": 0}, "epochs must be a positive integer"),
        # one sentence for every lr below the smallest: -0.1 was 'a non-negative number'
        ({"lr": -0.1}, "lr must be a positive number, got -0.1"),
        ({"lr": 0}, "lr must be a positive number, got 0"),
        # a patience below 1 stopped training after the first epoch that did not improve
        ({"patience": -1}, "patience must be a positive integer, got -1"),
        ({"patience": 2.5}, "patience must be a positive integer, got 2.5"),
    ],
)
def test_bad_settings_are_named(params, message, digits_split):
    X, y, *_ = digits_split
    with pytest.raises(ConfigError) as caught:
        TorchClassifier(**{"device": "cpu", **params}).fit(X, y)
    assert message in str(caught.value)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["dense", pytest.param("cnn", marks=pytest.mark.slow)])
def test_nets_learn_mnist_from_2000_images(name, mnist_2k, device):
    split_plan = make_split_plan(mnist_2k, protocol="holdout", seed=0)
    cell = Cell("mnist", name, seed=0, fold=0, threads=2, params={"epochs": 8}, device=device)
    row = run_cell(cell, get(name, "classification"), mnist_2k, split_plan, run_id="t").row
    assert row["status"] == "ok", row.get("error")
    assert row["n_test"] == len(split_plan.folds[0].test) == 286  # the official 10k, subsampled
    assert row["accuracy"] > 0.85
    assert row["device"].startswith(device) and len(json.loads(row["history"])) <= 8
    if device == "cuda":
        assert row["peak_gpu_mb"] > 0
    else:
        assert row["peak_gpu_mb"] is None


@pytest.mark.parametrize("amp", [pytest.param(amp, marks=needs_cuda) for amp in (False, True)])
def test_nets_train_on_cuda(amp, digits, digits_plan):
    cell = Cell("digits", "cnn", seed=0, fold=0, threads=2, params={"amp": amp}, device="cuda")
    row = run_cell(cell, get("cnn", "classification"), digits, digits_plan, run_id="t").row
    assert row["status"] == "ok", row.get("error")
    assert row["device"].startswith("cuda")
    assert row["peak_gpu_mb"] > 0
    assert row["accuracy"] > 0.95
    assert json.loads(row["params"])["amp"] is amp


def test_asking_for_cuda_without_it_is_a_clear_error(digits_split):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    X, y, *_ = digits_split
    with pytest.raises(ConfigError, match="CUDA is not available here"):
        TorchClassifier(device="cuda").fit(X, y)


def test_validation_rows_of_classes_the_net_does_not_train_on_are_named():
    """They were left out of the validation scores silently (every row unseen: early
    stopping judged nothing, and said nothing)."""
    from treesvsnets.errors import TreesVsNetsWarning

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)).astype("float32")
    y = (X[:, 0] > 0).astype(int)
    X_val = rng.normal(size=(20, 4)).astype("float32")
    for y_val, words in (
        (np.array([0, 1, 2, 2] * 5), r"10 of 20 validation rows are of classes the net does"),
        (np.full(20, 7), r"\(7\); they are left out .*then none: early stopping cannot judge"),
    ):
        with pytest.warns(TreesVsNetsWarning, match=words):
            TorchClassifier("dense", epochs=2, verbose=0).fit(X, y, validation_data=(X_val, y_val))
