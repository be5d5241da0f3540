"""--resample over|under|smote: the fit rows of each training fold only, recorded per row."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import treesvsnets
from tests.helpers.cli import cli
from tests.helpers.estimators import ProbaDummy
from treesvsnets.bench.cells.splits import SplitRecipe
from treesvsnets.datasets import load
from treesvsnets.errors import ConfigError

from ..helpers.tables import write_table

#: what each fit of the recording estimator saw: (X, y, validation_data)
SEEN: list[tuple[np.ndarray, np.ndarray, tuple | None]] = []


class Recording(ProbaDummy):
    """A dummy that early-stops (takes the validation slice) and keeps what each fit saw."""

    def fit(self, X, y, validation_data=None):
        SEEN.append((np.array(X, copy=True), np.array(y, copy=True), validation_data))
        return super().fit(X, y)


@pytest.fixture
def recording():
    from treesvsnets.estimators import EstimatorSpec, add, unregister

    add(
        EstimatorSpec(
            name="recording",
            family="other",
            factory=Recording,
            source="tests",
            threads_param=None,
            capabilities=frozenset({"early_stopping"}),
        )
    )
    SEEN.clear()
    yield
    unregister("recording")


def _result(tmp_path, **options):
    return treesvsnets.run(isolate=False, progress=False, out=tmp_path / "runs", folds=2, **options)


def _run(tmp_path, **options):
    return _result(tmp_path, **options).rows


@pytest.mark.parametrize("how", ["none", "over", "under", "smote"])
def test_resampling_sees_the_fit_rows_only_never_the_validation_slice_or_the_test_fold(
    tmp_path, recording, how
):
    rows = _run(tmp_path, datasets=["breast_cancer"], estimators=["recording"], resample=how)
    dataset = load("breast_cancer")
    plan = SplitRecipe(n_folds=2).plan(dataset, 0)
    where = {dataset.X[i].tobytes(): i for i in range(dataset.n_samples)}
    fits = SEEN[:2]  # the two folds, in order (the baseline is a DummyClassifier)
    ours = rows[rows["estimator"] == "recording"].sort_values("fold")
    for fold, (X, y, validation), (_, row) in zip(plan.folds, fits, ours.iterrows(), strict=True):
        found = np.array([where.get(x.tobytes(), -1) for x in X])
        real = found[found >= 0]
        assert set(real) <= set(fold.fit)  # never a row of the validation slice or test fold
        assert len(X) == len(y) == row["n_train"]  # n_train: the rows actually fitted on
        np.testing.assert_array_equal(y[found >= 0], dataset.y[real])
        X_val, y_val = validation  # the slice as it is: every row once, in its order
        np.testing.assert_array_equal(X_val, dataset.X[fold.val])
        np.testing.assert_array_equal(y_val, dataset.y[fold.val])
        assert row["resample"] == how and row["n_val"] == len(fold.val)
        counts = np.bincount(y)
        if how == "none":
            np.testing.assert_array_equal(np.sort(real), fold.fit)
            assert pd.isna(row["n_before_resample"])
            continue
        assert row["n_before_resample"] == len(fold.fit)
        assert counts[0] == counts[1]  # balanced
        if how == "under":
            assert len(set(real)) == len(real) == 2 * np.bincount(dataset.y[fold.fit]).min()
        else:  # every real row kept; SMOTE's new rows lie between rows, found in no row
            assert set(real) == set(fold.fit)
            assert (found < 0).any() == (how == "smote")


def test_the_baseline_is_never_resampled_and_the_report_says_what_was(tmp_path, recording):
    result = _result(
        tmp_path, datasets=["breast_cancer"], estimators=["recording"], resample="over"
    )
    dummy = result.rows[result.rows["estimator"] == "dummy"]
    assert set(dummy["resample"]) == {"none"} and dummy["n_before_resample"].isna().all()
    report = (result.run_dir / "report.md").read_text(encoding="utf-8")
    assert "each training fold's fit rows resampled: over (never the validation slice" in report
    assert json.loads((result.run_dir / "manifest.json").read_text())["config"]["resample"] == (
        "over"
    )


def _imbalanced_csv(tmp_path, n_major=540, n_minor=60):
    """Two overlapping classes, 9 to 1."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "a": np.r_[rng.normal(0, 1, n_major), rng.normal(1.2, 1, n_minor)],
            "b": np.r_[rng.normal(0, 1, n_major), rng.normal(1.2, 1, n_minor)],
            "y": ["major"] * n_major + ["minor"] * n_minor,
        }
    )
    return write_table(frame, tmp_path / "imbalanced.csv")


def _minority_recall(rows: pd.DataFrame) -> float:
    """The minority class's (code 1) recall over the folds, from their confusion matrices."""
    matrix = sum(np.array(json.loads(c)) for c in rows["confusion"])
    return matrix[1, 1] / matrix[1].sum()


def test_oversampling_raises_the_minority_recall_of_logreg_on_the_same_folds(tmp_path):
    path = _imbalanced_csv(tmp_path)
    plain = _run(tmp_path, datasets=[str(path)], estimators=["logreg"], baseline=False)
    over = _run(
        tmp_path, datasets=[str(path)], estimators=["logreg"], baseline=False, resample="over"
    )
    assert list(plain["split_hash"]) == list(over["split_hash"])
    before, after = _minority_recall(plain), _minority_recall(over)
    assert after > before + 0.2, (before, after)  # here: 0.33 against 0.82


def test_smote_on_a_class_smaller_than_its_neighbours_is_one_sentence(tmp_path):
    path = _imbalanced_csv(tmp_path, n_major=60, n_minor=8)
    config = tmp_path / "run.toml"
    config.write_text(f'datasets = ["{path}"]\nestimators = ["logreg"]\nresample = "smote"\n')
    done = cli("run", "--config", config, "--folds", "2", "--out", tmp_path / "runs")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [  # resample = "smote": the file says it
        f"treesvsnets: error: {config}: dataset 'imbalanced', seed 0, fold 1/2: class 'minor' "
        "has 4 training rows, and SMOTE needs 6 (each row and its 5 neighbours); use --resample "
        "over, or fewer folds."
    ]
    assert not (tmp_path / "runs").exists()
    done = cli("run", "--config", config, "--folds", "2", "--resample", "over", "--out", tmp_path)
    assert done.returncode == 0, done.stderr


def test_resampling_a_regression_dataset_is_refused(tmp_path):
    done = cli("run", "-d", "diabetes", "-e", "ridge", "--resample", "under", "--out", tmp_path)
    assert done.returncode == 2
    assert "resample 'under' balances classes, but dataset 'diabetes' is a regression" in (
        done.stderr
    )


def test_without_imbalanced_learn_the_sentence_says_how_to_install_it(tmp_path, monkeypatch):
    from treesvsnets.datasets import resampling

    monkeypatch.setattr(resampling, "installed", lambda: False)
    with pytest.raises(ConfigError, match=r"pip install \"treesvsnets\[imbalance\]\""):
        _run(tmp_path, datasets=["iris"], estimators=["logreg"], resample="over")
    assert not (tmp_path / "runs").exists()


def test_smote_gives_a_new_row_a_category_code_of_its_neighbours_never_one_between():
    from treesvsnets.bench.cells.inputs import n_categorical
    from treesvsnets.datasets.preprocessing import make_preprocessor
    from treesvsnets.datasets.resampling import Resampling, resampled_size

    penguins = load("penguins")
    codes = n_categorical(penguins)
    X = make_preprocessor("standard", penguins.schema, native_categorical=True).fit_transform(
        penguins.X, penguins.y
    )
    X = np.asarray(X, dtype=np.float64)
    X_new, y_new = Resampling("smote", seed=0, n_categorical=codes).apply(X, penguins.y)
    assert codes > 0 and len(y_new) == resampled_size(penguins.y, "smote") > len(X)
    for column in range(X.shape[1] - codes, X.shape[1]):
        assert set(X_new[:, column]) <= set(X[:, column])  # the codes it had, nothing between
    assert len(set(X_new[:, 0])) > len(set(X[:, 0]))  # the numbers are interpolated


@pytest.mark.parametrize("tune_cv", [0, 3])
def test_an_ensembles_sizes_are_its_members_fits_after_resampling(tune_cv):
    """A tuned+ensembled row of a resampled run: its members were fitted on the oversampled
    fit rows (or, with inner CV, on each inner part oversampled), which its n_train says,
    with the real rows before it in n_before_resample; the rest of the training fold is
    n_val, so the corrected t-test still reads the whole training fold."""
    from treesvsnets.bench.cells.inputs import Cell
    from treesvsnets.bench.tune.trial import fit_sizes, scoring_splits
    from treesvsnets.estimators import get

    dataset = load("breast_cancer")
    split_plan = SplitRecipe(n_folds=3, validation_fraction=0.2).plan(dataset, seed=0)
    spec, cell = get("logreg", dataset.task), Cell(dataset.name, "logreg", 0, 1, resample="over")
    sizes = fit_sizes(spec, cell, dataset, split_plan, tune_cv)
    fits = [rows for rows, _, _ in scoring_splits(spec, dataset, split_plan, 1, tune_cv)]
    oversampled = [2 * np.bincount(dataset.y[rows]).max() for rows in fits]
    train = len(split_plan.folds[1].train)
    assert sizes["n_train"] == round(np.mean(oversampled)) > sizes["n_before_resample"]
    assert sizes["n_before_resample"] == round(np.mean([len(rows) for rows in fits]))
    assert sizes["n_before_resample"] + sizes["n_val"] == train
    if tune_cv == 0:
        assert sizes["n_val"] == len(split_plan.folds[1].val) > 0
