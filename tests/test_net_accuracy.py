"""The nets reach the accuracies the literature puts them at, with the default settings.

Slow: ``pytest -m slow``. The two CNNs on 60,000 images train for at most
:data:`CNN_EPOCHS` epochs here instead of their default 30 with early stopping: on 2 CPU
cores the default run took 12 minutes on MNIST (early stopping after 13 epochs, the best the
8th: 0.9929), and the two were the slow suite's longest cases. With 8 epochs (2026-12-06,
about 5 minutes each on an idle machine): MNIST 0.9929, Fashion-MNIST 0.9199.
"""

import pytest

import treesvsnets

pytestmark = pytest.mark.slow

#: the CNNs' epochs on the 60,000 training images (the default's best MNIST epoch was the 8th)
CNN_EPOCHS = 8


def _accuracy(tmp_path, dataset, estimator, **options):
    result = treesvsnets.run(
        datasets=[dataset], estimators=[estimator], out=tmp_path, progress=False, **options
    )
    assert set(result.rows["status"]) == {"ok"}, result.rows["error"].tolist()
    rows = result.rows[result.rows["estimator"] == estimator]  # not the dummy baseline's
    assert len(rows) == len(result.rows) // 2
    return rows["accuracy"].mean()


@pytest.mark.parametrize(("estimator", "target"), [("dense", 0.97), ("cnn", 0.98)])
def test_digits_five_fold(tmp_path, estimator, target):
    assert _accuracy(tmp_path, "digits", estimator, folds=5) >= target


def test_augmentation_keeps_the_cnn_on_digits_or_lifts_it(tmp_path):
    """Issue 33: shifts and small rotations of each training batch (no flips: a mirrored digit
    is no digit) leave the CNN within 0.01 of its accuracy on the same folds, or above it."""
    plain = _accuracy(tmp_path / "plain", "digits", "cnn", folds=5)
    augmented = _accuracy(
        tmp_path / "augmented", "digits", "cnn", folds=5, params={"cnn": {"augment": True}}
    )
    assert augmented >= plain - 0.01, (augmented, plain)


@pytest.mark.parametrize(
    ("dataset", "estimator", "target"),
    [
        # an MLP's ~0.98 on MNIST; 0.978 since one x86 CPU gave 0.9794 on 2026-12-02 with the
        # code that had given 0.98 (float32 rounding moves an early-stopping epoch)
        ("mnist", "dense", 0.978),
        ("mnist", "cnn", 0.99),
        ("fashion_mnist", "dense", 0.88),
        ("fashion_mnist", "cnn", 0.91),
    ],
)
def test_official_split(tmp_path, shared_data_dir, dataset, estimator, target):
    params = {"cnn": {"epochs": CNN_EPOCHS}} if estimator == "cnn" else {}
    accuracy = _accuracy(
        tmp_path, dataset, estimator, protocol="holdout", data_dir=shared_data_dir, params=params
    )
    assert accuracy >= target


def _means(tmp_path, datasets, estimators, **options):
    """Each (dataset, estimator)'s mean accuracy over its folds, from one run."""
    result = treesvsnets.run(
        datasets=datasets, estimators=estimators, out=tmp_path, progress=False, baseline=False,
        **options,
    )  # fmt: skip
    assert set(result.rows["status"]) == {"ok"}, result.rows["error"].tolist()
    return result.rows.groupby(["dataset", "estimator"])["accuracy"].mean()


def test_cnn1d_on_mnist1d_and_the_flat_nets_far_above_the_linear_model(tmp_path):
    """Greydanus 2020: a small CNN about 0.94 on mnist1d, a logistic regression 0.33."""
    means = _means(tmp_path, ["mnist1d"], ["cnn1d", "dense", "mlp_plr", "logreg"],
                   protocol="holdout", data_dir=tmp_path / "data")["mnist1d"]  # fmt: skip
    assert means["cnn1d"] >= 0.90
    assert min(means["dense"], means["mlp_plr"]) >= means["logreg"] + 0.2


def test_the_tabular_nets_match_the_mlp_on_small_tables(tmp_path):
    means = _means(tmp_path, ["wine", "breast_cancer"],
                   ["dense", "resnet", "ft_transformer", "mlp_plr"], folds=5)  # fmt: skip
    for dataset in ("wine", "breast_cancer"):
        for net in ("resnet", "ft_transformer", "mlp_plr"):
            assert means[dataset][net] >= means[dataset]["dense"] - 0.01, (dataset, net)


def test_catboost_keeps_up_with_lightgbm_on_a_table_with_categories(tmp_path):
    pytest.importorskip("catboost")
    palmerpenguins = pytest.importorskip("palmerpenguins")
    from pathlib import Path

    csv = str(Path(palmerpenguins.__file__).parent / "data" / "penguins.csv")
    means = _means(tmp_path, [csv], ["catboost", "lightgbm", "ft_transformer"], folds=5,
                   target="species")["penguins"]  # fmt: skip
    # a table is named by its file's stem
    assert means["catboost"] >= means["lightgbm"] - 0.01
    assert means["ft_transformer"] >= 0.95  # with its categorical tokens
