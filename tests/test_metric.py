"""The metric each task is judged by: ROC-AUC and log loss from predicted probabilities in
every classification row (equal to scikit-learn's on the same fold's probabilities, a fold
without one of the classes included), ``--metric`` ranking, testing and tuning by the score it
names, and its refusals through the real CLI."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk

import treesvsnets
from tests.helpers.cli import cli
from tests.helpers.estimators import DummyEstimator
from treesvsnets.bench.cells.cell import run_cell
from treesvsnets.bench.cells.inputs import Cell
from treesvsnets.bench.cells.metrics import align_proba, score
from treesvsnets.bench.cells.splits import make_split_plan
from treesvsnets.datasets import load
from treesvsnets.estimators import get
from treesvsnets.reports.leaderboard import display_table, leaderboard
from treesvsnets.reports.stats import paired_fold_test


def _probabilities(n_rows: int, n_classes: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.ones(n_classes), n_rows)


def _present_classes_auc(y: np.ndarray, proba: np.ndarray) -> float:
    """scikit-learn's roc_auc_score on the probabilities restricted to the classes present:
    their indicator columns against their probability columns, macro-averaged."""
    present = np.unique(y)
    indicator = np.stack([(y == c).astype(int) for c in present], axis=1)
    return sk.roc_auc_score(indicator, proba[:, present], average="macro")


# -- metrics.score, unit by unit --------------------------------------------------------------


def test_binary_roc_auc_is_the_positive_class_probabilitys():
    y = np.random.default_rng(1).integers(0, 2, 60)
    proba = _probabilities(60, 2)
    scores = score(y, proba.argmax(axis=1), proba, 2)
    assert scores["roc_auc"] == sk.roc_auc_score(y, proba[:, 1])
    assert scores["log_loss"] == sk.log_loss(y, proba, labels=[0, 1])


def test_multiclass_roc_auc_is_one_vs_rest_macro():
    y = np.random.default_rng(2).integers(0, 4, 80)
    proba = _probabilities(80, 4)
    scores = score(y, proba.argmax(axis=1), proba, 4)
    assert scores["roc_auc"] == pytest.approx(
        sk.roc_auc_score(y, proba, multi_class="ovr", average="macro"), abs=1e-12
    )
    assert scores["log_loss"] == sk.log_loss(y, proba, labels=[0, 1, 2, 3])


def test_a_class_absent_from_the_fold_is_left_out_of_the_macro_average():
    y = np.random.default_rng(3).choice([0, 1, 3], 70)  # class 2 of 4 is not in the fold
    proba = _probabilities(70, 4)
    with pytest.warns(UserWarning, match="y_pred contains classes not in y_true"):  # as sklearn
        scores = score(y, proba.argmax(axis=1), proba, 4)
    expected = _present_classes_auc(y, proba)
    one_vs_rest = np.mean([sk.roc_auc_score(y == c, proba[:, c]) for c in (0, 1, 3)])
    assert scores["roc_auc"] == pytest.approx(expected, abs=1e-12)
    assert scores["roc_auc"] == pytest.approx(one_vs_rest, abs=1e-12)
    assert scores["log_loss"] == sk.log_loss(y, proba, labels=[0, 1, 2, 3])
    # two classes left of three: still each present class against the rest, by its column
    two, three = np.where(y == 3, 1, y), _probabilities(70, 3, seed=4)
    assert score(two, two, three, 3)["roc_auc"] == pytest.approx(
        _present_classes_auc(two, three), abs=1e-12
    )


def test_one_class_gives_no_roc_auc_and_no_probabilities_give_neither():
    y = np.zeros(10, dtype=int)
    proba = _probabilities(10, 3)
    assert score(y, y, proba, 3)["roc_auc"] is None
    assert score(y, y, proba, 3)["log_loss"] == sk.log_loss(y, proba, labels=[0, 1, 2])
    labels = np.array([0, 1, 2, 1, 0])
    without = score(labels, labels, None, 3)  # never computed from the hard labels
    assert without["roc_auc"] is None and without["log_loss"] is None


# -- a real run's rows ------------------------------------------------------------------------


def _rare_class_table(path: Path) -> Path:
    """Wine's two first classes by three weak columns, and 2 rows of its third class: a 10%
    holdout test fold has no row of the third."""
    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True).frame[["ash", "magnesium", "hue", "target"]]
    frame = pd.concat([wine[wine.target < 2], wine[wine.target == 2].iloc[:2]])
    frame.assign(target=frame.target.map({0: "a", 1: "b", 2: "c"})).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "case", ["wine (3 classes)", "breast_cancer (2 classes)", "a class absent from the test fold"]
)
def test_the_rows_roc_auc_and_log_loss_are_sklearns_on_the_folds_probabilities(tmp_path, case):
    name, split = {
        "wine (3 classes)": ("wine", {"folds": 3}),
        "breast_cancer (2 classes)": ("breast_cancer", {"folds": 3}),
        "a class absent from the test fold": (
            str(_rare_class_table(tmp_path / "rare.csv")),
            {"protocol": "holdout", "test_size": 0.1},
        ),
    }[case]
    result = treesvsnets.run(
        datasets=[name],
        estimators=["logreg", "rf"],
        params={"rf": {"n_estimators": 10}},
        isolate=False,
        progress=False,
        out=tmp_path / "runs",
        **split,
    )
    dataset = load(name)
    plan = make_split_plan(
        dataset,
        split.get("folds", 5),
        0,
        protocol=split.get("protocol", "kfold"),
        test_size=split.get("test_size", 0.2),
    )
    rows = result.rows[result.rows["estimator"] != "dummy"]
    assert set(rows["split_hash"]) == {plan.hash}  # the folds the run used
    assert (rows["roc_auc"] < 1).any()  # not all perfect: hard labels would give other values
    for row in rows.itertuples():
        test = plan.folds[row.fold].test
        spec = get(row.estimator, "classification")
        params = {"n_estimators": 10} if row.estimator == "rf" else {}
        cell = Cell(dataset.name, row.estimator, seed=0, fold=row.fold, threads=1, params=params)
        model = run_cell(cell, spec, dataset, plan, run_id="check").model
        proba = align_proba(
            model.predict_proba(dataset.rows(test)), model.classes_, dataset.n_classes
        )
        y = dataset.y[test]
        if case.startswith("a class absent"):
            assert len(np.unique(y)) == 2 < dataset.n_classes == 3
        auc = (
            sk.roc_auc_score(y, proba[:, 1])
            if dataset.n_classes == 2
            else _present_classes_auc(y, proba)
        )
        assert row.roc_auc == pytest.approx(auc, abs=1e-12)
        labels = list(range(dataset.n_classes))
        assert row.log_loss == pytest.approx(sk.log_loss(y, proba, labels=labels), abs=1e-12)


def test_an_estimator_without_probabilities_says_so_instead_of_a_blank(tmp_path, register_spec):
    register_spec("labels_only", DummyEstimator)
    result = treesvsnets.run(
        datasets=["wine"],
        estimators=["labels_only", "logreg"],
        folds=3,
        metric="roc_auc",
        isolate=False,
        progress=False,
        out=tmp_path / "runs",
    )
    rows = result.rows
    without = rows[rows["estimator"] == "labels_only"]
    assert without["roc_auc"].isna().all() and without["log_loss"].isna().all()
    assert without["accuracy"].notna().all()
    board = leaderboard(rows, "roc_auc")
    shown = display_table(board).set_index("estimator")
    assert shown.loc["labels_only", "ROC-AUC"] == "no probabilities"
    assert shown.loc["labels_only", "log loss"] == "no probabilities"
    assert shown.loc["labels_only", "rank"] == ""  # not ranked by a score it does not have
    assert shown.loc["logreg", "rank"] == "1"
    report = next((tmp_path / "runs").iterdir()) / "report.md"
    assert "no probabilities" in report.read_text()


# -- --metric ranks, tests and tunes ----------------------------------------------------------


@pytest.fixture(scope="module")
def ranked_by_auc(tmp_path_factory):
    """wine (gb, bagging: accuracy and ROC-AUC order them differently) and diabetes, 3 folds,
    judged by ROC-AUC, through the real CLI."""
    out = tmp_path_factory.mktemp("auc")
    args = "run -d wine -d diabetes -e gb -e bagging --folds 3 --metric roc_auc"
    done = cli(*args.split(), "--out", out)
    assert done.returncode == 0, done.stderr
    (run_dir,) = out.iterdir()
    return done, run_dir


def test_metric_roc_auc_ranks_by_it_where_accuracy_orders_otherwise(ranked_by_auc):
    done, run_dir = ranked_by_auc
    rows = pd.read_csv(run_dir / "results.csv")
    wine = rows[rows["dataset"] == "wine"].groupby("estimator")[["accuracy", "roc_auc"]].mean()
    # the two scores disagree on these rows: the test cannot pass whichever ranks
    assert wine.loc["bagging", "accuracy"] > wine.loc["gb", "accuracy"]
    assert wine.loc["gb", "roc_auc"] > wine.loc["bagging", "roc_auc"]
    summary = pd.read_csv(run_dir / "summary.csv").set_index(["dataset", "estimator"])
    assert summary.loc[("wine", "gb"), "rank"] < summary.loc[("wine", "bagging"), "rank"]
    assert set(summary.loc["wine", "metric"]) == {"roc_auc"}
    assert set(summary.loc["diabetes", "metric"]) == {"rmse"}  # regression keeps its default
    assert summary.loc[("wine", "gb"), "roc_auc_std"] > 0
    # the terminal's table: ROC-AUC is the ranking column, gb above bagging
    table = done.stdout[done.stdout.index("wine") :]
    assert table.index("gb ") < table.index("bagging ")
    assert table.splitlines()[1].split()[3] == "ROC-AUC"
    # the baseline test reads ROC-AUC too
    ok = rows[(rows["dataset"] == "wine") & (rows["status"] == "ok")]
    p = paired_fold_test(ok[ok.estimator == "gb"], ok[ok.estimator == "dummy"], "roc_auc")[2]
    assert summary.loc[("wine", "gb"), "baseline_p"] == pytest.approx(p)
    # the same rows judged by the default: accuracy puts bagging first
    default = leaderboard(rows).set_index(["dataset", "estimator"])
    assert default.loc[("wine", "bagging"), "rank"] < default.loc[("wine", "gb"), "rank"]
    report = (run_dir / "report.md").read_text()
    assert "judged by: ROC-AUC (classification, higher is better), RMSE (regression" in report
    assert "difference in ROC-AUC" in report
    # each cell's progress line shows the score its dataset is judged by
    lines = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert all("ROC-AUC" in line for line in lines if " wine " in line), lines[:2]
    assert all("rmse" in line and "r2" in line for line in lines if " diabetes " in line)


def test_a_report_of_a_run_without_the_setting_ranks_by_the_default(ranked_by_auc, tmp_path):
    import shutil

    _, run_dir = ranked_by_auc
    old = shutil.copytree(run_dir, tmp_path / "old")
    manifest = json.loads((old / "manifest.json").read_text())
    del manifest["config"]["metric"]  # as written before the setting existed
    (old / "manifest.json").write_text(json.dumps(manifest))
    done = cli("report", old)
    assert done.returncode == 0, done.stderr
    summary = pd.read_csv(old / "summary.csv").set_index(["dataset", "estimator"])
    assert set(summary.loc["wine", "metric"]) == {"accuracy"}
    assert summary.loc[("wine", "bagging"), "rank"] < summary.loc[("wine", "gb"), "rank"]


def test_a_classification_metric_on_a_regression_only_run_is_refused(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('datasets = ["diabetes"]\nestimators = ["ridge"]\nmetric = "roc_auc"\n')
    flags = ["-d", "diabetes", "-e", "ridge", "--metric", "roc_auc"]
    for args, where in ((["--config", config], f"{config}: "), (flags, "")):
        done = cli("run", *args, "--out", tmp_path / "runs")
        assert done.returncode == 2
        sentence = done.stderr.strip()
        start = f"treesvsnets: error: {where}metric 'roc_auc' is a classification"
        assert sentence.startswith(start)
        assert "regression" in sentence and "rmse (default, lower is better)" in sentence
        assert sentence.count("\n") == 0
    assert not (tmp_path / "runs").exists()


def test_an_unknown_metric_is_refused_with_the_choices(tmp_path):
    done = cli("run", "-d", "wine", "--metric", "auc", "--out", tmp_path / "runs")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "treesvsnets: error: 'metric' must be one of accuracy (default), balanced_accuracy, "
        "f1_macro, roc_auc, log_loss (lower is better) for classification; rmse (default, "
        "lower is better), r2, mae (lower is better) for regression; or one per task "
        "separated by a comma (roc_auc,mae), got 'auc'."
    )
    assert not (tmp_path / "runs").exists()


def test_one_score_per_task_judges_each_task_by_its_own(tmp_path):
    config = tmp_path / "bench.toml"
    config.write_text('metric = ["roc_auc", "mae"]\nfolds = 2\n')
    done = cli(
        "run", "-d", "breast_cancer", "-d", "diabetes", "-e", "linear", "-e", "rf",
        "--param", "rf.n_estimators=10", "--no-baseline",
        "--config", config, "--out", tmp_path / "runs",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    boards = done.stdout.split("\n\n")
    header = {name: next(b for b in boards if b.strip().startswith(name)) for name in
              ("breast_cancer", "diabetes")}  # fmt: skip
    assert "rank    estimator    family    ROC-AUC" in header["breast_cancer"]
    assert "rank    estimator    family    MAE" in header["diabetes"]
    run_dir = next((tmp_path / "runs").iterdir())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["config"]["metric"] == "roc_auc,mae"
    summary = pd.read_csv(run_dir / "summary.csv")
    judged = dict(zip(summary["dataset"], summary["metric"], strict=False))
    assert judged == {"breast_cancer": "roc_auc", "diabetes": "mae"}
    assert {"roc_auc_ci_low", "mae_ci_low"} <= set(summary.columns)
    report = (run_dir / "report.md").read_text()
    assert "judged by: ROC-AUC (classification, higher is better), MAE (regression" in report


@pytest.mark.parametrize(
    "given, words",
    [
        ("roc_auc,log_loss", "'metric' must be one score per task, but it names 2 classification"),
        ("roc_auc,mae", "metric 'mae' is a regression score, and this run's datasets are all "),
    ],
)
def test_two_scores_of_one_task_or_one_of_an_absent_task_are_refused(tmp_path, given, words):
    done = cli("run", "-d", "wine", "--metric", given, "--out", tmp_path / "runs")
    assert done.returncode == 2
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_tuning_by_log_loss_picks_the_trial_with_the_lowest_validation_log_loss(tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    result = treesvsnets.run(
        datasets=["wine"],
        estimators=["logreg"],
        folds=2,
        tune=5,
        metric="log_loss",
        baseline=False,
        isolate=False,
        progress=False,
        out=tmp_path / "runs",
    )
    trials = treesvsnets.results.folder.RunFolder(result.run_dir).trials()
    assert set(trials["metric"]) == {"log_loss"} and set(trials["status"]) == {"ok"}
    dataset = load("wine")
    plan = make_split_plan(dataset, 2, 0)
    tuned = result.rows[result.rows["tuning"] == "tuned"].set_index("fold")
    for fold, search in trials.groupby("fold"):
        lowest = search.loc[search["val_score"].idxmin()]
        assert search["val_score"].nunique() == len(search)  # the direction matters here
        assert tuned.loc[fold, "best_trial"] == lowest["trial"]
        # the validation score is the log loss of the slice's predicted probabilities
        params = json.loads(lowest["params"])
        rows = plan.folds[fold]
        model = make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=1000, **{"C": 1.0, **params})
        ).fit(dataset.X[rows.fit], dataset.y[rows.fit])
        proba = model.predict_proba(dataset.X[rows.val])
        assert lowest["val_score"] == pytest.approx(
            sk.log_loss(dataset.y[rows.val], proba, labels=[0, 1, 2]), rel=1e-6
        )
