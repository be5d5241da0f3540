"""--ensemble through the real CLI: a tuned+ensembled row per tuned estimator and fold, made
from the trials' kept predictions by greedy selection on validation alone, its times, the
report's three variants; the tuned rows are those of a run without it; bad input; no leak."""

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers.cli import cli
from treesvsnets.bench.cells.splits import make_split_plan
from treesvsnets.bench.tune.ensemble import TrialPredictions, predictions_path, run_ensemble
from treesvsnets.bench.tune.selection import blend, greedy_selection
from treesvsnets.datasets import load
from treesvsnets.tasks import CLASSIFICATION, primary

#: the run of the module's fixture, less --ensemble
WINE = "run -d wine -e rf --param n_estimators=20 -e logreg --folds 2 --tune 6 --jobs 2".split()


def _only(out: Path) -> Path:
    (run_dir,) = out.iterdir()
    return run_dir


def _table(run_dir: Path, name: str) -> pd.DataFrame:
    import sqlite3

    with sqlite3.connect(run_dir / "results.sqlite") as connection:
        return pd.read_sql_query(f"SELECT * FROM {name}", connection)


@pytest.fixture(scope="module")
def ensembled_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ensembled")
    blend = ["-e", "blend", "--param", "blend.members=[rf,logreg]"]
    done = cli(*WINE, *blend, "--ensemble", "--out", out)
    assert done.returncode == 0, done.stderr
    return done, _only(out)


def test_each_tuned_estimator_and_fold_has_three_rows(ensembled_run):
    done, run_dir = ensembled_run
    rows = _table(run_dir, "results")
    assert set(rows["status"]) == {"ok"}
    counts = rows.groupby(["estimator", "fold"])["tuning"].apply(sorted)
    for estimator in ("rf", "logreg"):
        for fold in (0, 1):
            assert counts[(estimator, fold)] == ["default", "tuned", "tuned+ensembled"]
    assert counts[("dummy", 0)] == ["default"]  # no search space: no search, no ensemble
    assert counts[("blend", 0)] == counts[("blend", 1)] == ["tuned+ensembled"]
    assert "tuned+ensembled (" in done.stderr and "(after tuning and ensembling)" in done.stdout
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["cells_planned"] == len(rows) and manifest["cells_missing"] == 0


def test_an_ensemble_row_says_the_rows_its_members_were_fitted_and_selected_on(ensembled_run):
    """Its members are the trials' models, fitted on the fold's fit rows and selected on the
    validation slice: the rows said the default cell's 'n_train' (the whole training fold)
    and 'n_val' 0. The tuned row is a refit on the training fold, as the default is."""
    _, run_dir = ensembled_run
    rows = _table(run_dir, "results")
    split_plan = make_split_plan(load("wine"), 2, 0)
    for row in rows.itertuples():
        fold = split_plan.folds[row.fold]
        if row.tuning == "tuned+ensembled":  # rf, logreg and the blend
            assert (row.n_train, row.n_val) == (len(fold.fit), len(fold.val)), row.estimator
            assert len(fold.val) > 0
        else:
            assert (row.n_train, row.n_val) == (len(fold.train), 0), row.estimator


def test_the_ensemble_is_the_selection_over_the_trials_validation_predictions(ensembled_run):
    """The row's members and weights are what greedy selection finds from the kept
    predictions; its score is the weighted test prediction's; its train time counts every
    trial and its predict time its members'."""
    _, run_dir = ensembled_run
    rows, trials = _table(run_dir, "results"), _table(run_dir, "trials")
    ensembled = rows[(rows["tuning"] == "tuned+ensembled") & (rows["estimator"] != "blend")]
    dataset = load("wine")
    for row in ensembled.itertuples():
        search = trials[(trials["estimator"] == row.estimator) & (trials["fold"] == row.fold)]
        numbers = np.sort(search["trial"].to_numpy())  # the trials table is in finishing order
        files = [
            np.load(predictions_path(run_dir, "wine", row.estimator, 0, row.fold, n))
            for n in numbers
        ]
        val = np.stack([f["val"] for f in files])
        y_val = dataset.y[files[0]["val_rows"]]
        chosen = greedy_selection(val, y_val, primary(CLASSIFICATION))
        kept = json.loads(row.ensemble)
        assert kept["members"] == numbers[chosen.members].tolist()
        assert kept["weights"] == pytest.approx(chosen.weights[chosen.members].tolist())
        assert sum(kept["weights"]) == pytest.approx(1.0)
        assert kept["val_score"] == pytest.approx(chosen.val_score)
        assert kept["steps"] == 40 and kept["candidates"] == len(search)
        assert [point[0] for point in kept["curve"]] == [1, 2, 3, 5, 6]
        assert kept["curve"][-1][2] == pytest.approx(row.accuracy)  # all 6 trials: the row
        test = blend(np.stack([f["test"] for f in files]), chosen.counts)
        assert row.n_test == len(test)
        predicted_seconds = sum(float(files[i]["predict_seconds"]) for i in chosen.members)
        assert row.predict_seconds == pytest.approx(predicted_seconds)
        assert row.tuning_seconds == pytest.approx(search["seconds"].sum())
        assert row.n_trials == len(search)


def test_a_blend_pools_its_members_trials_on_each_fold(ensembled_run):
    """The blend's row: greedy selection over rf's and logreg's kept trials of the fold
    together; its time is its members' searches, its predict time its members' trials'."""
    _, run_dir = ensembled_run
    rows, trials = _table(run_dir, "results"), _table(run_dir, "trials")
    blends = rows[rows["estimator"] == "blend"]
    # its members' families: a blend of rf and logreg was said 'ensemble+deep'
    assert set(blends["family"]) == {"ensemble+linear"} and set(blends["status"]) == {"ok"}
    dataset = load("wine")
    for row in blends.itertuples():
        assert json.loads(row.best_params) == {"members": ["rf", "logreg"]}
        pool = trials[trials["fold"] == row.fold].sort_values(["estimator", "trial"])
        labels = [f"{e}/{n}" for e, n in zip(pool["estimator"], pool["trial"], strict=True)]
        files = {
            label: np.load(predictions_path(run_dir, "wine", e, 0, row.fold, n))
            for label, e, n in zip(labels, pool["estimator"], pool["trial"], strict=True)
        }
        ordered = sorted(files)  # as the job loads them
        val = np.stack([files[label]["val"] for label in ordered])
        chosen = greedy_selection(
            val, dataset.y[files[ordered[0]]["val_rows"]], primary(CLASSIFICATION)
        )
        kept = json.loads(row.ensemble)
        assert kept["members"] == [ordered[i] for i in chosen.members]
        assert kept["candidates"] == len(pool) == row.n_trials
        assert row.tuning_seconds == pytest.approx(pool["seconds"].sum())
        seconds = sum(float(files[ordered[i]]["predict_seconds"]) for i in chosen.members)
        assert row.predict_seconds == pytest.approx(seconds)
    # the members it pooled with the weight each got (a member never chosen weighs 0, and
    # "trees and nets together" was said of a blend of rf and logreg)
    said = re.search(
        r"blend of logreg \+ rf \(weights, mean over folds: logreg ([\d.]+), rf ([\d.]+)\)",
        (run_dir / "report.md").read_text(),
    )
    assert said is not None and float(said[1]) + float(said[2]) == pytest.approx(1, abs=0.011)
    shares = {"logreg": [], "rf": []}
    for row in blends.itertuples():
        kept = json.loads(row.ensemble)
        for name in shares:
            pairs = zip(kept["members"], kept["weights"], strict=True)
            shares[name].append(sum(w for m, w in pairs if m.startswith(f"{name}/")))
    assert float(said[1]) == pytest.approx(np.mean(shares["logreg"]), abs=0.005)
    assert "trees and nets" not in (run_dir / "report.md").read_text()


def test_the_tuned_rows_and_trials_are_those_of_a_run_without_ensemble(ensembled_run, tmp_path):
    _, run_dir = ensembled_run
    done = cli(*WINE, "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    plain = _only(tmp_path)
    assert not (plain / "trials").exists()  # nothing kept without --ensemble
    key = ["estimator", "fold", "tuning"]
    ours = _table(run_dir, "results")
    ours = ours[ours["tuning"] != "tuned+ensembled"].sort_values(key).reset_index(drop=True)
    theirs = _table(plain, "results").sort_values(key).reset_index(drop=True)
    for column in ("accuracy", "log_loss", "best_params", "best_trial", "n_trials"):
        assert ours[column].astype(str).tolist() == theirs[column].astype(str).tolist(), column
    trial_key = ["estimator", "fold", "trial"]
    a = _table(run_dir, "trials").sort_values(trial_key).reset_index(drop=True)
    b = _table(plain, "trials").sort_values(trial_key).reset_index(drop=True)
    assert a["val_score"].tolist() == b["val_score"].tolist()
    assert a["test_score"].tolist() == b["test_score"].tolist()


def test_a_resumed_run_remakes_missing_ensembles_from_the_kept_trials(ensembled_run, tmp_path):
    """The tuned+ensembled rows (the blend's too) lost, --resume makes them again from the
    kept predictions, equal, without running a trial again."""
    import shutil
    import sqlite3

    _, run_dir = ensembled_run
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    before = _table(copy, "results").sort_values(["estimator", "fold", "tuning"])
    with sqlite3.connect(copy / "results.sqlite") as connection:
        connection.execute("DELETE FROM results WHERE tuning = 'tuned+ensembled'")
    done = cli("run", "--resume", copy)
    assert done.returncode == 0, done.stderr
    after = _table(copy, "results").sort_values(["estimator", "fold", "tuning"])
    manifest = json.loads((copy / "manifest.json").read_text())
    assert manifest["cells_planned"] == len(after) and manifest["cells_missing"] == 0
    for column in ("estimator", "tuning", "accuracy", "ensemble", "tuning_seconds"):
        assert after[column].astype(str).tolist() == before[column].astype(str).tolist()
    trials = _table(copy, "trials")
    assert trials["started_at"].tolist() == _table(run_dir, "trials")["started_at"].tolist()


def test_the_report_shows_the_three_variants(ensembled_run):
    _, run_dir = ensembled_run
    report = (run_dir / "report.md").read_text()
    assert "Each tuned estimator's three variants" in report
    assert "tuned+ensembled accuracy" in report
    assert "The leaderboard after tuning and ensembling" in report


def _kept_trials(tmp_path: Path, dataset, split_plan, scores: list[np.ndarray]) -> dict:
    """Trial files whose validation probabilities of the positive class are ``scores``."""
    fold = split_plan.folds[0]
    rng = np.random.default_rng(0)
    files = {}
    for number, positive in enumerate(scores):
        kept = TrialPredictions()
        test = rng.uniform(size=len(fold.test))
        kept.add(
            fold.val,
            np.stack([1 - positive, positive], axis=1).astype(np.float32),
            np.stack([1 - test, test], axis=1).astype(np.float32),
            0.01,
        )
        files[number] = predictions_path(tmp_path, dataset.name, "m", 0, 0, number)
        kept.save(files[number])
    return files


def test_the_selection_never_reads_the_test_rows(tmp_path):
    """The test fold's labels permuted: the same members, weights and validation score."""
    dataset = load("breast_cancer")
    split_plan = make_split_plan(dataset, 3, 0)
    rng = np.random.default_rng(1)
    y_val = dataset.y[split_plan.folds[0].val]
    scores = [np.clip(y_val + rng.normal(0, s, len(y_val)), 0, 1) for s in (0.4, 0.6, 0.8, 1.0)]
    files = _kept_trials(tmp_path, dataset, split_plan, scores)
    metric = primary(CLASSIFICATION, "log_loss")
    first = json.loads(run_ensemble(dataset, split_plan, 0, files, metric).ensemble)
    test = split_plan.folds[0].test
    y = dataset.y.copy()
    y[test] = rng.permutation(y[test])
    permuted = json.loads(
        run_ensemble(replace(dataset, y=y), split_plan, 0, files, metric).ensemble
    )
    for key in ("members", "weights", "val_score"):
        assert first[key] == permuted[key]
    assert [p[:2] for p in first["curve"]] == [p[:2] for p in permuted["curve"]]


def test_without_kept_predictions_the_row_says_so(tmp_path):
    dataset = load("breast_cancer")
    split_plan = make_split_plan(dataset, 3, 0)
    missing = {0: predictions_path(tmp_path, "breast_cancer", "m", 0, 0, 0)}
    measured = run_ensemble(dataset, split_plan, 0, missing, primary(CLASSIFICATION))
    assert measured.status == "error"
    assert "no successful trial kept its predictions" in measured.error


def test_a_failed_trial_is_never_a_member(tmp_path):
    """Trials that raise, hang or crash their worker keep nothing and are not candidates."""
    plugin = Path(__file__).resolve().parent / "plugins" / "tunable.py"
    args = "run -d iris -e moody --protocol holdout --tune 5 --sampler grid --timeout 2 -q"
    done = cli(*args.split(), "--ensemble", "--plugin", plugin, "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    run_dir = _only(tmp_path)
    trials = _table(run_dir, "trials")
    ok = set(trials.loc[trials["status"] == "ok", "trial"])
    assert len(ok) == 2 and len(trials) == 5
    kept = {int(p.stem.rsplit("trial", 1)[1]) for p in (run_dir / "trials").rglob("*.npz")}
    assert kept == ok
    rows = _table(run_dir, "results")
    (ensembled,) = rows.loc[rows["tuning"] == "tuned+ensembled", "ensemble"]
    chosen = json.loads(ensembled)
    assert chosen["candidates"] == 2 and set(chosen["members"]) <= ok


def test_inner_cv_regression_selects_on_the_whole_training_folds_predictions(tmp_path):
    """With --tune-cv 2 the kept validation predictions are out-of-fold over the whole
    training fold; regression is selected by the run's metric (MAE here), never worse on
    validation than the best trial (regression values are kept in float64: not a digit
    worse)."""
    args = "-d diabetes -e rf --param n_estimators=10 --folds 2 --tune 3 --tune-cv 2"
    done = cli(
        "run", *args.split(), "--metric", "mae", "--ensemble", "--no-baseline", "--out", tmp_path
    )
    assert done.returncode == 0, done.stderr
    run_dir = _only(tmp_path)
    rows, trials = _table(run_dir, "results"), _table(run_dir, "trials")
    split_plan = make_split_plan(load("diabetes"), 2, 0)
    for row in rows[rows["tuning"] == "tuned+ensembled"].itertuples():
        assert row.status == "ok" and row.rmse > 0
        kept = json.loads(row.ensemble)
        assert kept["metric"] == "mae"
        search = trials[trials["fold"] == row.fold]
        assert kept["val_score"] <= search["val_score"].min()
        saved = np.load(predictions_path(run_dir, "diabetes", "rf", 0, row.fold, 0))
        assert saved["val"].dtype == saved["test"].dtype == np.float64
        training = split_plan.folds[row.fold].train
        assert sorted(saved["val_rows"]) == sorted(training)  # out of fold, every row once
        assert saved["test"].shape == (row.n_test,)
        # each member is the mean of 2 models, each fitted on half the training fold
        assert row.n_train + row.n_val == len(training)
        assert abs(row.n_train - len(training) / 2) <= 1


def test_a_tables_name_keeps_its_trials_inside_the_run_folder(tmp_path):
    """A table named '../../esc' in its entry (a name may hold folders: two files named x.csv
    go by 'a/x' and 'b/x'): its trials' predictions were written two folders above the run's."""
    from sklearn.datasets import load_wine

    table = tmp_path / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(table, index=False)
    config = tmp_path / "run.toml"
    config.write_text(
        f'datasets = ["{table}"]\nestimators = ["logreg"]\nfolds = 2\n'
        f'[tables."{table}"]\nname = "../../esc"\n'
    )
    out = tmp_path / "deep" / "er" / "runs"
    done = cli("run", "--config", config, "--tune", "2", "--ensemble", "-q", "--out", out)
    assert done.returncode == 0, done.stderr
    run_dir = _only(out)
    kept = sorted(tmp_path.rglob("*.npz"))
    assert len(kept) == 4 and all(run_dir in path.parents for path in kept)  # 2 trials x 2 folds
    assert {path.parent.parent.name for path in kept} == {"..%2F..%2Fesc"}
    rows = _table(run_dir, "results")
    assert set(rows["status"]) == {"ok"} and "tuned+ensembled" in set(rows["tuning"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ensemble"], "'ensemble' applies only when tuning; add --tune N"),
        (["--ensemble-size", "5"], "'ensemble_size' applies only when tuning"),
        (["--tune", "3", "--ensemble", "--ensemble-size", "0"], "'ensemble_size' must be"),
        (["-e", "blend", "--tune", "3"], "'blend' weighs the kept trials of a tree ensemble"),
        (["-e", "blend", "--tune", "3", "--ensemble"], "this run tunes no ensemble and no deep"),
        (
            ["-e", "blend", "--param", "blend.members=[logreg]", "--tune", "3", "--ensemble"],
            "'blend.members' names 1 estimator; a blend needs two or more.",
        ),
        (["--param", "blend.members=[logreg]"], "this run has no blend; add -e blend."),
    ],
)
def test_bad_ensemble_flags_are_one_sentence_and_exit_2(tmp_path, args, message):
    done = cli("run", "-d", "iris", "-e", "logreg", *args, "--out", tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


@pytest.mark.slow  # the command, with a net: .ci/run's slow pass
def test_trees_and_a_net_tuned_and_ensembled_on_wine_and_blended(tmp_path):
    done = cli(
        "run", "-d", "wine", "-e", "rf", "-e", "dense", "--param", "epochs=20", "-e", "blend",
        "--folds", "2", "--tune", "10", "--ensemble", "--out", tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run_dir = _only(tmp_path)
    rows = _table(run_dir, "results")
    tuned = rows[rows["estimator"].isin(["rf", "dense"])]
    assert (tuned.groupby(["estimator", "fold"]).size() == 3).all()
    assert set(tuned["status"]) == {"ok"}
    blends = rows[rows["estimator"] == "blend"]  # each fold's best tree ensemble and best net
    assert len(blends) == 2 and set(blends["status"]) == {"ok"}
    assert all(json.loads(p) == {"members": ["rf", "dense"]} for p in blends["best_params"])
    report = (run_dir / "report.md").read_text()
    assert "tuned+ensembled accuracy" in report and "after tuning and ensembling" in report
    assert "blend of dense + rf" in report
