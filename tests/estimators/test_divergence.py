"""A net whose training diverges says so: in ``diverged_``, a warning, its row, the run's last
lines, the report and the leaderboard (issue 27: ``dense`` on the Ames housing sales scored
R² -3.46 and nothing said why)."""

from __future__ import annotations

import json
import math
import sqlite3
import warnings

import numpy as np
import pytest

from tests.helpers.cli import cli
from treesvsnets.errors import DivergenceWarning, TreesVsNetsWarning
from treesvsnets.estimators.torch.divergence import divergence
from treesvsnets.estimators.torch.regressor import TorchRegressor

MEAN = "the mean of the standardised target"


def _history(train, val=None):
    return [
        {"epoch": i + 1, "train_loss": t, **({} if val is None else {"val_loss": val[i]})}
        for i, t in enumerate(train)
    ]


def test_a_healthy_history_has_not_diverged():
    assert divergence(_history([0.9, 0.5, 0.3], [0.8, 0.6, 0.5]), 1.0, MEAN) is None
    assert divergence([], 1.0, MEAN) is None


@pytest.mark.parametrize(
    ("history", "final", "expected"),
    [
        (_history([0.9, math.nan, 0.3]), None, "diverged: training loss nan at epoch 2"),
        (_history([0.9, 0.5], [0.7, math.inf]), None, "diverged: validation loss inf at epoch 2"),
        (
            _history([4e12, 5e8, 3607.0]),  # blown up from the first step: above the mean's
            None,
            f"diverged: training loss 3607.0 at epoch 3, above the 1.0 of predicting {MEAN} "
            "(still falling from 4e+12 at epoch 1)",
        ),
        (
            _history([0.4, 0.3, 0.9]),  # below the constant, but far above where it began
            None,
            "diverged: training loss 0.9 at epoch 3, above the 0.4 it began with at epoch 1",
        ),
        (
            _history([0.5, 0.4, 0.3], [0.5, 0.2, 3.0]),
            None,
            "diverged: validation loss 3.0 at epoch 3, more than 10x its best (0.2 at epoch 2)",
        ),
    ],
)
def test_each_kind_of_divergence_is_named_with_its_epoch(history, final, expected):
    assert divergence(history, 1.0, MEAN, final) == expected


def test_the_weights_early_stopping_restored_are_what_is_judged():
    # the loss blew up after epoch 2, whose weights the model ends with: no divergence
    history = _history([0.5, 0.3, 50.0, math.nan], [0.5, 0.2, 40.0, math.nan])
    assert divergence(history, 1.0, MEAN, final_epoch=2) is None
    assert divergence(history, 1.0, MEAN).startswith("diverged: training loss nan at epoch 4")


def test_noise_around_the_start_and_overfitting_are_no_divergence():
    # a net that learns nothing (random labels, strong regularisation) hovers near the start
    assert divergence(_history([1.0, 1.04, 1.05]), 1.0, MEAN) is None
    # seen in scikit-learn's checks: a small net on noisy labels, 11% above the constant's
    assert divergence(_history([0.70, 0.74, 0.757]), 0.683, "the class frequencies") is None
    # overconfident on a small validation slice: 15x its best, still far below the constant's
    assert divergence(_history([0.5, 0.4, 0.3], [0.05, 0.004, 0.06]), 1.0, MEAN) is None


def test_a_constant_target_is_no_divergence_and_a_loss_still_falling_says_so():
    # a constant target: its constant prediction scores 0, which no fit's loss stays under
    assert divergence(_history([0.5, 0.2, 0.07]), 0.0, MEAN) is None
    assert divergence(_history([0.5, 0.2, 0.9]), 0.0, MEAN).startswith("diverged: training")
    # unscaled inputs, 3 epochs: the loss falls every epoch, yet ends above the constant's
    said = divergence(_history([7.70, 6.61, 5.61]), 1.099, "every class alike")
    assert said == (
        "diverged: training loss 5.61 at epoch 3, above the 1.099 of predicting every class "
        "alike (still falling from 7.7 at epoch 1)"
    )
    rising = divergence(_history([0.9, 1.2, 2.0]), 1.0, MEAN)
    assert rising is not None and "falling" not in rising


def test_a_constant_regression_target_fits_without_a_divergence_warning():
    X = np.random.default_rng(0).normal(size=(80, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        net = TorchRegressor(epochs=5, device="cpu", random_state=0).fit(X, np.full(80, 7.0))
    assert net.diverged_ is None
    assert np.allclose(net.predict(X), 7.0, atol=0.5)


def test_a_net_with_a_huge_learning_rate_says_it_diverged(diabetes):
    X = (diabetes.X - diabetes.X.mean(axis=0)) / diabetes.X.std(axis=0)
    net = TorchRegressor("dense", lr=5, early_stopping=False, epochs=10, random_state=0)
    with pytest.warns(DivergenceWarning, match="TorchRegressor diverged: training loss"):
        net.fit(X, diabetes.y)
    assert net.diverged_.startswith("diverged: training loss")
    healthy = TorchRegressor("dense", early_stopping=False, epochs=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        healthy.fit(X, diabetes.y)
    assert healthy.diverged_ is None


def test_healthy_nets_on_imbalanced_classes_or_with_an_l1_penalty_have_not_diverged():
    """The yardstick is where an untrained net starts (every class alike: log 2), not the
    class frequencies' loss (0.13 on 97:3 labels, which a first epoch averages far above);
    an L1 penalty inside the training loss is judged on its own course only."""
    from treesvsnets.estimators.torch.classifier import TorchClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 5))
    y = (rng.random(1000) < 0.04).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        one_epoch = TorchClassifier("dense", epochs=1, random_state=0).fit(X[:400], y[:400])
        restored = TorchClassifier(
            "dense", epochs=20, early_stopping=True, monitor="val_accuracy", random_state=0
        ).fit(X[:800], y[:800], validation_data=(X[800:], y[800:]))
        penalised = TorchRegressor("dense", l1=1e-3, epochs=3, random_state=0).fit(
            X[:300], 3 * X[:300, 0]
        )
    assert one_epoch.diverged_ is None and restored.diverged_ is None
    assert penalised.diverged_ is None
    assert restored.best_epoch_ == 1  # judged at epoch 1's weights, and still not diverged


def test_the_sentence_counts_the_folds_of_its_own_kind_of_row():
    import pandas as pd

    from treesvsnets.reports.divergence import divergence_sentences

    rows = pd.DataFrame(
        {
            "dataset": "d",
            "estimator": "dense",
            "seed": 0,
            "fold": [0, 1, 2, 0, 1, 2],
            "tuning": ["default"] * 3 + ["tuned"] * 3,
            "diverged": ["diverged: training loss nan at epoch 2", None, None, None, None, None],
        }
    )
    (sentence,) = divergence_sentences(rows)
    assert sentence.startswith("dense diverged on d in 1 of 3 folds (seed 0 fold 1;")


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_a_diverged_net_is_named_in_its_rows_the_last_lines_the_report_and_the_board(tmp_path):
    """The issue's check: dense on diabetes with lr=5 and no early stopping (R² about -1e8)."""
    done = cli(
        "run",
        "-d",
        "diabetes",
        "-e",
        "dense",
        "-e",
        "ridge",
        "--folds",
        "2",
        "--param",
        "dense.lr=5",
        "--param",
        "dense.early_stopping=false",
        "--param",
        "dense.epochs=10",
        "--out",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    run_dir = next(tmp_path.iterdir())
    with sqlite3.connect(run_dir / "results.sqlite") as connection:
        rows = connection.execute(
            "SELECT estimator, fold, diverged, warnings, r2 FROM results ORDER BY estimator, fold"
        ).fetchall()
    by_estimator = {}
    for estimator, fold, diverged, warned, r2 in rows:
        by_estimator.setdefault(estimator, []).append((fold, diverged, warned, r2))
    for fold, diverged, warned, r2 in by_estimator["dense"]:
        assert diverged.startswith("diverged: training loss"), (fold, diverged)
        assert warned.startswith(diverged)  # first among the row's warnings
        assert r2 < -100
    assert all(diverged is None for _, diverged, _, _ in by_estimator["ridge"])
    sentence = "dense diverged on diabetes in 2 of 2 folds (seed 0 folds 1, 2; in seed 0 fold 1,"
    assert f"treesvsnets: warning: {sentence}" in done.stdout
    assert "DIVERGED" in done.stderr  # on the progress lines of its cells
    report = (run_dir / "report.md").read_text()
    assert sentence in report
    header = next(line for line in report.splitlines() if line.startswith("| rank"))
    assert "diverged" in header
    dense_line = next(line for line in report.splitlines() if "| dense " in line)
    assert "2/2" in dense_line.split("|")[-2]
    summary = (run_dir / "summary.csv").read_text().splitlines()
    assert "diverged" in summary[0].split(",")


def test_folds_fitted_together_each_judge_their_own_training(diabetes):
    """One stack, two folds: the fold whose inputs are left unscaled diverges, the other not;
    each net says its own (the harness records ``diverged_`` per row, not the warnings the
    folds share)."""
    X = (diabetes.X - diabetes.X.mean(axis=0)) / diabetes.X.std(axis=0)
    nets = [TorchRegressor("dense", early_stopping=False, epochs=10, random_state=0) for _ in "ab"]
    first, second = np.array_split(np.arange(len(X)), 2)
    data = [(X[first], diabetes.y[first], None), (X[second] * 1e4, diabetes.y[second], None)]
    with pytest.warns(DivergenceWarning):
        assert TorchRegressor.fit_together(nets, data) is None  # trained as one stack
    assert nets[0].diverged_ is None
    assert nets[1].diverged_.startswith("diverged: training loss")
    assert json.loads(json.dumps(nets[1].history_))[-1]["train_loss"] > 1


def test_a_net_that_diverges_to_nan_fails_its_cell_saying_so_and_keeps_the_divergence(tmp_path):
    import treesvsnets

    params = {"lr": 1000.0, "optimizer": "sgd", "early_stopping": False, "epochs": 5}
    with warnings.catch_warnings():
        warnings.simplefilter("error", TreesVsNetsWarning)  # the report is written
        result = treesvsnets.run(
            datasets=["wine"],
            estimators=["dense"],
            params={"dense": params},
            folds=2,
            baseline=False,
            isolate=False,
            progress=False,
            out=tmp_path,
        )
    for _, row in result.rows.iterrows():
        assert row["status"] == "error"
        assert row["diverged"].startswith("diverged: ")
        assert "are not finite (the net diverged: " in row["error"]
    # a net whose every cell diverged has no learning curve to draw (the report once failed)
    assert (result.run_dir / "report.html").is_file()
    assert not (result.run_dir / "figures" / "wine-learning.png").exists()
