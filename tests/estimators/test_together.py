"""Fold-parallel training: k nets fitted as one stack end as k separate fits would."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.helpers.devices import DEVICES  # noqa: E402
from treesvsnets.estimators.torch import TorchClassifier  # noqa: E402
from treesvsnets.estimators.torch.stacked import StackedTrainer  # noqa: E402
from treesvsnets.estimators.torch.together import steps_per_epoch  # noqa: E402


@pytest.fixture(scope="module")
def folds(digits_plan, digits):
    """(X_fit, y_fit, (X_val, y_val), X_test) per fold of the shared digits plan, scaled."""
    from sklearn.preprocessing import StandardScaler

    out = []
    for fold in digits_plan.folds:
        scaler = StandardScaler().fit(digits.X[fold.fit])
        out.append(
            (
                scaler.transform(digits.X[fold.fit]),
                digits.y[fold.fit],
                (scaler.transform(digits.X[fold.val]), digits.y[fold.val]),
                scaler.transform(digits.X[fold.test]),
            )
        )
    return out


def separate_and_together(folds, validation=False, device="cpu", **params):
    data = [(X, y, val if validation else None) for X, y, val, _ in folds]

    def model(seed):
        return TorchClassifier("dense", random_state=seed, threads=1, device=device, **params)

    alone = [model(i).fit(X, y, validation_data=v) for i, (X, y, v) in enumerate(data)]
    together = [model(i) for i in range(len(data))]
    reason = TorchClassifier.fit_together(together, data)
    return alone, together, reason


#: How close stacked and lone fits end, per device. On the CPU they follow the same
#: arithmetic up to float rounding; on CUDA cuBLAS's batched and plain matrix products
#: may sum in different orders, and the difference grows a little with every step.
TOLERANCE = {"cpu": {"atol": 1e-5, "rtol": 1e-4}, "cuda": {"atol": 1e-3, "rtol": 1e-3}}


def assert_same_fits(alone, together, folds, atol=1e-5, rtol=1e-4):
    for one, stacked, (*_, X_test) in zip(alone, together, folds, strict=True):
        np.testing.assert_allclose(
            stacked.predict_proba(X_test), one.predict_proba(X_test), atol=atol
        )
        assert stacked.n_epochs_ == one.n_epochs_
        assert stacked.best_epoch_ == one.best_epoch_
        assert stacked.stop_reason_ == one.stop_reason_
        assert [r["epoch"] for r in stacked.history_] == [r["epoch"] for r in one.history_]
        np.testing.assert_allclose(
            [r["train_loss"] for r in stacked.history_],
            [r["train_loss"] for r in one.history_],
            rtol=rtol,
        )


@pytest.mark.parametrize("device", DEVICES)
def test_stacked_fits_equal_separate_fits_without_dropout(folds, device):
    alone, together, reason = separate_and_together(folds, device=device, epochs=3, dropout=0.0)
    assert reason is None
    assert {model.device_ for model in together} == {model.device_ for model in alone}
    assert_same_fits(alone, together, folds, **TOLERANCE[device])


@pytest.mark.parametrize("device", DEVICES)
def test_each_fold_keeps_its_own_class_weights_l1_and_momentum(folds, device):
    alone, together, reason = separate_and_together(
        folds,
        device=device,
        epochs=3,
        dropout=0.0,
        class_weight="balanced",
        l1=1e-4,
        optimizer="sgd",
        momentum=0.9,
        nesterov=True,
        lr=0.01,
        batch_size=100,
        lr_schedule="step",
        step_size=2,
    )
    assert reason is None
    assert_same_fits(alone, together, folds, **TOLERANCE[device])
    assert together[0].history_[-1]["lr"] == pytest.approx(0.001)


def test_each_fold_early_stops_on_its_own_slice_and_gets_its_best_weights_back(folds):
    alone, together, reason = separate_and_together(
        folds, validation=True, epochs=40, dropout=0.0, early_stopping=True, patience=2
    )
    assert reason is None
    assert_same_fits(alone, together, folds)
    assert all(model.best_epoch_ is not None for model in together)
    assert [m.n_val_ for m in together] == [m.n_val_ for m in alone] and together[0].n_val_ > 0
    assert all("val_loss" in record for record in together[0].history_)
    # the folds stopped at different epochs here, so the stack trained on after the first stop
    assert len({model.n_epochs_ for model in together}) > 1


def uneven(folds):
    """The folds with the first one 2 rows shorter, so batch sizes can split them unevenly."""
    X, y, val, X_test = folds[0]
    return [(X[2:], y[2:], val, X_test), *folds[1:]]


def test_a_fold_with_no_batch_left_sits_the_step_out(folds):
    """Batch sizes where one fold has a last batch and another has none: SGD stays exact."""
    folds = uneven(folds)
    sizes = [len(y) for _, y, _, _ in folds]
    batch = min(sizes) - 1  # the smallest fold: one full batch and a 1-row rest (skipped)
    assert len({steps_per_epoch(n, batch) for n in sizes}) > 1, sizes
    alone, together, reason = separate_and_together(
        folds, epochs=3, dropout=0.0, batch_size=batch, optimizer="sgd", momentum=0.9, lr=0.05
    )
    assert reason is None
    assert_same_fits(alone, together, folds)


def test_what_cannot_be_stacked_is_fitted_one_by_one_and_says_why(folds):
    alone, together, reason = separate_and_together(folds, epochs=2, dropout=0.0, batch_norm=True)
    assert reason == "batch_norm=True is not stacked (each fold's batch statistics)"
    assert_same_fits(alone, together, folds, atol=0)

    folds = uneven(folds)
    sizes = [len(y) for _, y, _, _ in folds]
    _, _, reason = separate_and_together(folds, epochs=1, batch_size=min(sizes) - 1)
    assert reason.startswith("the folds take different numbers of steps per epoch")


def test_folds_whose_rows_hold_different_classes_are_fitted_one_by_one(folds):
    data = [(X, y, None) for X, y, _, _ in folds]
    X, y, _ = data[0]
    data[0] = (X[y != 9], y[y != 9], None)  # one fold never sees class 9
    models = [
        TorchClassifier("dense", random_state=i, epochs=1, device="cpu") for i in range(len(data))
    ]
    reason = TorchClassifier.fit_together(models, data)
    assert "different classes" in reason
    assert list(models[0].classes_) == list(range(9))
    assert list(models[1].classes_) == list(range(10))


@pytest.mark.parametrize("device", DEVICES)
def test_dropout_fits_are_trained_and_report_a_share_of_the_time(folds, device):
    data = [(X, y, val) for X, y, val, _ in folds]
    models = [
        TorchClassifier("dense", random_state=i, epochs=5, dropout=0.3, threads=1, device=device)
        for i in range(len(data))
    ]
    assert TorchClassifier.fit_together(models, data) is None
    for model, (*_, X_test), fold_y in zip(models, folds, [f[1] for f in folds], strict=True):
        assert model.n_epochs_ == 5
        assert all(record["seconds"] > 0 for record in model.history_)
        assert set(model.predict(X_test)) <= set(fold_y)
    # mean accuracy is that of a real net, not of a broken stack (sanity, not a tuned bound)
    assert np.mean([m.history_[-1]["val_accuracy"] for m in models]) > 0.85


def test_the_stack_holds_the_training_data_once(folds):
    """Each fit's own tensors are let go once the stack holds its copy (on a GPU, memory)."""
    models = [TorchClassifier("dense", random_state=i, device="cpu") for i in range(len(folds))]
    runs = [
        model.prepare_fit(X, y, val) for model, (X, y, val, _) in zip(models, folds, strict=True)
    ]
    stacked = sum(run.X.untyped_storage().nbytes() for run in runs)
    trainer = StackedTrainer(runs)
    assert trainer.X.untyped_storage().nbytes() >= stacked
    for run in runs:
        for tensor in (run.X, run.y, run.X_val, run.y_val):
            assert tensor.untyped_storage().nbytes() == 0
