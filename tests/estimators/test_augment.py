"""``augment``: random transforms of the nets' training batches, never of the validation slice
or the test fold; seeded, per sample, on the batch's device, recorded and searched."""

import json

import numpy as np
import pytest
import torch

import treesvsnets
from tests.helpers.devices import DEVICES, requires_cuda
from treesvsnets.errors import ConfigError
from treesvsnets.estimators import get
from treesvsnets.estimators.torch import Callback, TorchClassifier
from treesvsnets.estimators.torch.augment import Augmentation


class SeenBatches(Callback):
    """Records every batch the module is called on, and whether it was training: a forward
    pre-hook put on the module when training begins (it stays for the predictions after)."""

    def __init__(self):
        self.training, self.evaluation = [], []

    def on_train_begin(self, trainer):
        def record(module, inputs):
            seen = self.training if module.training else self.evaluation
            seen.append(inputs[0].detach().cpu().clone())

        trainer.module.register_forward_pre_hook(record)


def fit_and_watch(digits_split, architecture="cnn", device="cpu", **params):
    """Fit on the fit rows (validating on the slice) and predict the test rows, watching
    every batch; (the batches seen, the net)."""
    X, y, X_val, y_val, X_test, _ = digits_split
    seen = SeenBatches()
    shape = {"image_shape": (1, 8, 8)} if architecture == "cnn" else {"sequence_shape": (1, 64)}
    net = TorchClassifier(
        architecture, epochs=2, callbacks=[seen], device=device, threads=1, **shape, **params
    )
    net.fit(X, y, validation_data=(X_val, y_val))
    net.predict(X_test)
    return seen, net


def share_of_rows_in(batches, X):
    """The share of the rows of ``batches`` that are rows of ``X`` as given (float32)."""
    known = {row.tobytes() for row in X.astype(np.float32)}
    rows = torch.cat(batches).numpy()
    return np.mean([row.tobytes() in known for row in rows])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("architecture", ["cnn", "cnn1d"])
def test_training_batches_are_transformed_and_validation_and_test_batches_are_not(
    digits_split, architecture, device
):
    X, _, X_val, _, X_test, _ = digits_split
    seen, _ = fit_and_watch(digits_split, architecture, device, augment=True, random_state=0)
    # each epoch's validation pass, then the test fold's prediction: the rows as they are
    assert len(seen.evaluation) == 3
    for batch, expected in zip(seen.evaluation, (X_val, X_val, X_test), strict=True):
        assert torch.equal(batch, torch.from_numpy(expected.astype(np.float32)))
    assert share_of_rows_in(seen.training, X) < 0.01  # every training image moved
    assert sum(len(batch) for batch in seen.training) == 2 * len(X)  # each row, each epoch

    plain, _ = fit_and_watch(digits_split, architecture, device, augment=False, random_state=0)
    assert share_of_rows_in(plain.training, X) == 1.0


def test_the_same_seed_gives_the_same_transforms_and_the_same_net(digits_split):
    X_test = digits_split[4]
    first, net = fit_and_watch(digits_split, augment=True, random_state=3)
    again, same = fit_and_watch(digits_split, augment=True, random_state=3)
    other, _ = fit_and_watch(digits_split, augment=True, random_state=4)
    assert all(map(torch.equal, first.training, again.training))
    np.testing.assert_array_equal(net.predict_proba(X_test), same.predict_proba(X_test))
    assert not torch.equal(first.training[0], other.training[0])


def test_each_image_of_a_batch_gets_its_own_transform():
    """What torchvision's v2 transforms on a batch tensor do not: one draw per sample."""
    image = torch.zeros(1, 8, 8)
    image[0, 2:6, 1:4] = 1.0  # a bar left of the middle
    batch = image.reshape(1, -1).repeat(64, 1)
    moved = Augmentation((1, 8, 8), False, torch.Generator().manual_seed(0))(batch)
    assert moved.shape == batch.shape
    assert len({tuple(row.tolist()) for row in moved}) == 64


def test_the_draws_run_on_past_one_stock_of_maps_the_same_for_the_same_seed():
    X = torch.randn(1000, 64)
    first, again = (Augmentation((1, 8, 8), False, torch.Generator().manual_seed(5)) for _ in "ab")
    moved = torch.cat([first(X) for _ in range(10)])  # 10,000 samples: three stocks of maps
    assert torch.equal(moved, torch.cat([again(X) for _ in range(10)]))
    assert len({tuple(row) for row in moved[::1000].tolist()}) == 10  # each call, new draws


@requires_cuda
def test_on_cuda_the_transforms_stay_on_the_device_and_never_wait_for_it():
    """No CPU round-trip: the draws, the grid and the resampling are device work, and none
    synchronises with the host (CUDA's sync debug mode raises on one that does)."""
    X = torch.randn(5000, 64, device="cuda")  # more than one stock of maps
    augment = Augmentation((1, 8, 8), True, torch.Generator(device="cuda").manual_seed(0))
    torch.cuda.set_sync_debug_mode("error")
    try:
        batches = [augment(X[start : start + 128]) for start in range(0, len(X), 128)]
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert {batch.device.type for batch in batches} == {"cuda"}


@pytest.mark.parametrize(("augment", "mirrored"), [(True, (0, 0)), ("flip", (60, 140))])
def test_flip_mirrors_about_half_of_the_images_and_true_none(augment, mirrored):
    image = torch.zeros(1, 8, 8)
    image[0, :, :3] = 1.0  # the left three columns lit
    batch = image.reshape(1, -1).repeat(200, 1)
    moved = Augmentation((1, 8, 8), augment == "flip", torch.Generator().manual_seed(1))(batch)
    halves = moved.reshape(200, 8, 8)
    right_heavy = int((halves[:, :, 4:].sum((1, 2)) > halves[:, :, :4].sum((1, 2))).sum())
    assert mirrored[0] <= right_heavy <= mirrored[1]


@pytest.mark.parametrize(
    ("architecture", "augment", "message"),
    [
        ("cnn", "sideways", "augment must be false, true or 'flip', got 'sideways'"),
        ("cnn", 1, "augment must be false, true or 'flip', got 1"),
        ("dense", True, "not the rows of the dense"),
        ("cnn1d", "flip", "augment='flip' mirrors images; the cnn1d takes augment=true"),
    ],
)
def test_a_value_or_net_augmentation_does_not_fit_is_named(architecture, augment, message):
    net = TorchClassifier(architecture, augment=augment)
    with pytest.raises(ConfigError, match=message):
        net.validate_params()


def test_the_rows_record_it_and_the_convolutions_search_it(tmp_path, digits_split):
    for name in ("cnn", "cnn1d"):
        spec = get(name, "classification")
        assert spec.default_params["augment"] is False
        assert spec.search_space.distributions["augment"].choices == (False, True)
    result = treesvsnets.run(
        datasets=["digits"], estimators=["cnn"], folds=2, subsample=300, baseline=False,
        params={"cnn": {"augment": "flip", "epochs": 1}}, out=tmp_path, progress=False,
        isolate=False,
    )  # fmt: skip
    assert set(result.rows["status"]) == {"ok"}, result.rows["error"].tolist()
    assert all(json.loads(params)["augment"] == "flip" for params in result.rows["params"])


def test_the_harness_refuses_augment_on_a_net_without_images_before_any_cell(tmp_path):
    with pytest.raises(ConfigError, match="not the rows of the dense"):
        treesvsnets.run(
            datasets=["iris"], estimators=["dense"], params={"dense": {"augment": True}},
            out=tmp_path, progress=False, isolate=False,
        )  # fmt: skip
    assert not any(tmp_path.iterdir())
