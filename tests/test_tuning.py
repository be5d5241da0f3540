"""Tuning through the real CLI: default and tuned rows, the trials table, failing trials,
resume, bad input, no leakage, and the report."""

import json
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers.cli import cli, cli_in_background
from treesvsnets.results.row import TRIAL_COLUMN_NAMES

ROOT = Path(__file__).resolve().parents[1]
TUNABLE = ROOT / "tests" / "plugins" / "tunable.py"
SCORES = ["accuracy", "balanced_accuracy", "f1_macro", "log_loss"]
#: the tuned run of the module's fixture, less its tuning flags
WINE = "run -d wine -e rf --param n_estimators=30 -e logreg --folds 3 --jobs 2".split()


def _only(out: Path) -> Path:
    (run_dir,) = out.iterdir()
    return run_dir


def _trials(run_dir: Path) -> pd.DataFrame:
    import sqlite3

    with sqlite3.connect(run_dir / "results.sqlite") as connection:
        return pd.read_sql_query("SELECT * FROM trials", connection)


@pytest.fixture(scope="module")
def tuned_run(tmp_path_factory):
    """wine, rf and logreg, 3 folds, 4 trials each, on 2 workers."""
    out = tmp_path_factory.mktemp("tuned")
    done = cli(*WINE, "--tune", "4", "--out", out)
    assert done.returncode == 0, done.stderr
    return done, _only(out)


def test_each_fold_gives_a_default_and_a_tuned_row_and_four_trials(tuned_run):
    done, run_dir = tuned_run
    rows = pd.read_csv(run_dir / "results.csv")
    assert set(rows["status"]) == {"ok"}
    tuned = rows[rows["tuning"] == "tuned"]
    assert sorted(tuned["estimator"].unique()) == ["logreg", "rf"]  # dummy has no space
    assert len(tuned) == 6 and len(rows[rows["tuning"] == "default"]) == 9
    assert (tuned["n_trials"] == 4).all() and (tuned["tuning_seconds"] > 0).all()
    trials = _trials(run_dir)
    assert list(trials.columns) == list(TRIAL_COLUMN_NAMES)
    assert len(trials) == 2 * 3 * 4 and set(trials["status"]) == {"ok"}
    assert set(trials["metric"]) == {"accuracy"}
    assert set(trials["scored_on"]) == {"validation slice"}
    first = trials[trials["trial"] == 0]
    assert (first["params"] == "{}").all() and (first["sampler"] == "default").all()
    assert set(trials.loc[trials["trial"] > 0, "sampler"]) == {"random"}
    # rf's space is searched, except the parameter the user fixed with --param
    drawn = [
        json.loads(p) for p in trials.loc[(trials.estimator == "rf") & (trials.trial > 0), "params"]
    ]
    assert all("n_estimators" not in p and "max_depth" in p for p in drawn)
    assert (run_dir / "trials.csv").is_file()
    # the progress says each trial, and which cells are tuned refits
    assert "  trial   3 (4 of 4 trials) wine" in done.stderr
    assert "tuned (4 trials, " in done.stderr


def test_the_tuned_row_refits_the_trial_best_on_validation(tuned_run):
    _, run_dir = tuned_run
    rows = pd.read_csv(run_dir / "results.csv")
    trials = _trials(run_dir)
    for row in rows[rows["tuning"] == "tuned"].itertuples():
        search = trials[(trials.estimator == row.estimator) & (trials.fold == row.fold)]
        best = search.sort_values(["val_score", "trial"], ascending=[False, True]).iloc[0]
        assert row.best_trial == best["trial"]
        assert json.loads(row.best_params) == json.loads(best["params"])
        params = json.loads(row.params)
        for name, value in json.loads(row.best_params).items():
            assert params[name] == value
        # tuned >= default on validation, by construction (trial 0 is the default)
        assert best["val_score"] >= search.loc[search.trial == 0, "val_score"].iloc[0]
        # the refit is fitted as the default is: on the whole training fold (rf and logreg
        # do not early-stop), so the two rows differ only in the config
        default = rows[
            (rows.estimator == row.estimator) & (rows.fold == row.fold) & (rows.tuning == "default")
        ].iloc[0]
        assert (row.n_train, row.n_val, row.n_test, row.split_hash) == (
            default.n_train,
            default.n_val,
            default.n_test,
            default.split_hash,
        )


def test_the_default_rows_are_those_of_a_run_without_tune(tuned_run, tmp_path):
    _, run_dir = tuned_run
    plain = cli(*WINE, "--out", tmp_path, "-q")
    assert plain.returncode == 0, plain.stderr
    key = ["estimator", "fold"]
    columns = [*key, "params", "split_hash", "n_train", *SCORES]
    tuned = pd.read_csv(run_dir / "results.csv")
    defaults = tuned[tuned["tuning"] == "default"][columns].sort_values(key)
    alone = pd.read_csv(_only(tmp_path) / "results.csv")
    assert (alone["tuning"] == "default").all()
    pd.testing.assert_frame_equal(
        defaults.reset_index(drop=True), alone[columns].sort_values(key).reset_index(drop=True)
    )


def test_the_report_compares_default_and_tuned_and_draws_the_anytime_curves(tuned_run):
    done, run_dir = tuned_run
    report = (run_dir / "report.md").read_text()
    assert "### Default against tuned" in report
    assert "| estimator   | family   | default accuracy   | tuned accuracy" in report
    assert "The leaderboard after tuning" in report
    assert "verdict (trees vs nets)" not in report  # no net in this run: no verdict to give
    figures = {p.name for p in (run_dir / "figures").iterdir()}
    assert {
        "wine-anytime-trials.png",
        "wine-anytime-seconds.png",
        "wine-tuning-pareto.png",
    } <= figures
    assert "wine (defaults)" in done.stdout and "wine (after tuning)" in done.stdout
    assert "rf: default " in done.stdout and " -> tuned " in done.stdout
    summary = pd.read_csv(run_dir / "summary.csv")
    assert set(summary["tuning"]) == {"default", "after tuning"}


def test_trials_that_raise_hang_or_crash_are_recorded_and_the_search_goes_on(tmp_path):
    # one outer fold (holdout), the grid: the defaults, then each of the 4 moods once
    args = "run -d iris -e moody --protocol holdout --tune 5 --sampler grid --timeout 2 -q"
    done = cli(*args.split(), "--plugin", TUNABLE, "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    run_dir = _only(tmp_path)
    trials = _trials(run_dir)
    assert len(trials) == 5
    moods = trials["params"].map(lambda p: json.loads(p).get("mood", "(default)"))
    assert dict(zip(moods, trials["status"], strict=True)) == {
        "(default)": "ok",
        "fine": "ok",
        "raises": "error",
        "hangs": "timeout",
        "exits": "crashed",
    }
    failed = trials[trials.status != "ok"]
    assert failed["error"].str.len().gt(0).all() and failed["val_score"].isna().all()
    rows = pd.read_csv(run_dir / "results.csv")
    tuned = rows[rows.tuning == "tuned"]
    assert len(tuned) == 1 and set(tuned["status"]) == {"ok"}  # the best is a fine one
    assert "trials failed (their searches went on)" in (run_dir / "report.md").read_text()


@pytest.mark.parametrize(
    "timeout, stopped_by", [("--timeout 1", "(--timeout)"), ("", "(--tune-time, the search's")]
)
def test_a_time_budget_counts_the_trials_the_harness_stopped_and_ends(
    tmp_path, timeout, stopped_by
):
    """A trial stopped at --timeout (or dead) never reports its own seconds: the harness's
    count of them is what the budget spends, so a search whose trials hang ends (it once drew
    trial after trial, each 'using' no time). Without --timeout, no trial outlasts the search's
    whole budget (a hanging one held the run forever)."""
    args = f"run -d iris -e moody --protocol holdout --tune-time 1 {timeout} -q --no-baseline"
    done = cli(*args.split(), "--plugin", TUNABLE, "--out", tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    trials = _trials(_only(tmp_path))
    stopped = trials[trials["status"] == "timeout"]
    assert len(stopped) and (stopped["seconds"] >= 1).all()  # each counts its limit at least
    assert stopped["error"].str.contains(stopped_by, regex=False).all(), stopped["error"]
    assert trials["seconds"].notna().all()
    assert trials["seconds"].iloc[:-1].sum() < 1 <= trials["seconds"].sum()  # then it stopped


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_a_search_stopped_by_ctrl_c_resumes_to_the_trials_of_an_uninterrupted_run(tmp_path):
    args = [
        "run",
        "-d",
        "wine",
        "-e",
        "slow_logreg",
        "--plugin",
        TUNABLE,
        "--folds",
        "2",
        "--tune",
        "6",
        "--no-baseline",
    ]
    whole = cli(*args, "--out", tmp_path / "whole", cwd=ROOT)
    assert whole.returncode == 0, whole.stderr
    process = cli_in_background(*args, "--out", tmp_path / "stopped", cwd=ROOT)
    seen = 0
    for line in process.stderr:
        seen += line.startswith("  trial")
        if seen == 8:  # the first fold's search is over, the second's under way
            break
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=120)
    assert process.returncode == 130
    stopped = _only(tmp_path / "stopped")
    kept = _trials(stopped)
    assert 8 <= len(kept) < 12
    resumed = cli("run", "--resume", stopped, cwd=ROOT)
    assert resumed.returncode == 0, resumed.stderr
    compared = ["fold", "trial", "sampler", "params", "status", "val_score", "test_score"]

    def trials(run_dir):
        return _trials(run_dir)[compared].sort_values(["fold", "trial"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(trials(stopped), trials(_only(tmp_path / "whole")))
    # finished trials were not run again
    again = _trials(stopped).set_index(["fold", "trial"])
    for row in kept.itertuples():
        assert again.loc[(row.fold, row.trial), "started_at"] == row.started_at
    rows = pd.read_csv(stopped / "results.csv").sort_values(["fold", "tuning"])
    whole_rows = pd.read_csv(_only(tmp_path / "whole") / "results.csv")
    whole_rows = whole_rows.sort_values(["fold", "tuning"])
    assert rows["accuracy"].tolist() == whole_rows["accuracy"].tolist()
    assert rows["best_trial"].fillna(-1).tolist() == whole_rows["best_trial"].fillna(-1).tolist()


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_tuning_on_random_labels_stays_at_chance(tmp_path):
    """No leakage: with labels that nothing predicts, picking the best of 10 trials on the
    validation slice, or weighing them into an ensemble there (--ensemble), must not lift
    the test score above chance."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(400, 6)), columns=[f"x{i}" for i in range(6)])
    frame["label"] = rng.permutation(np.repeat(["yes_a", "no_b"], 200))
    path = tmp_path / "noise.csv"
    frame.to_csv(path, index=False)
    args = "-e rf --param n_estimators=25 -e logreg --folds 4 --tune 10 --ensemble -q --out"
    args = args.split()
    done = cli("run", "-d", path, *args, tmp_path / "runs")
    assert done.returncode == 0, done.stderr
    run_dir = _only(tmp_path / "runs")
    rows = pd.read_csv(run_dir / "results.csv")
    tuned = rows[rows.tuning == "tuned"].groupby("estimator")["accuracy"].mean()
    assert tuned.between(0.38, 0.62).all(), tuned
    ensembled = rows[rows.tuning == "tuned+ensembled"].groupby("estimator")["accuracy"].mean()
    assert len(ensembled) == 2 and ensembled.between(0.38, 0.62).all(), ensembled
    assert len(_trials(run_dir)) == 2 * 4 * 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tune", "0"], "'tune' must be a positive integer, got 0."),
        (["--tune", "3", "--fold-parallel"], "'tune' and 'fold_parallel' cannot be combined"),
        (["--sampler", "tpe"], "'sampler' applies only when tuning; add --tune N"),
        (
            ["--tune-time", "-5"],
            "'tune_time' must be a positive, finite number of seconds (leave it out for no "
            "limit), got -5.0.",
        ),
        (["--tune", "2", "--tune-cv", "1"], "'tune_cv' must be 0 (the validation slice) or a "),
        (  # every trial failed, and the tuned rows said 'ok' with the defaults
            ["--tune", "2", "--tune-cv", "200", "--folds", "3"],
            "'tune_cv' 200 splits a training fold of dataset 'iris' (100 rows) into more "
            "parts than it has rows; use --tune-cv 5.",
        ),
        (["--tune", "2", "--validation-fraction", "0"], "validation_fraction' is 0; give it"),
    ],
)
def test_bad_tuning_flags_are_one_sentence_and_exit_2(tmp_path, args, message):
    done = cli("run", "-d", "iris", "-e", "logreg", *args, "--out", tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("space", "message"),
    [
        (
            "[rf]\nmax_dept = {int = [2, 8]}\n",
            "the search space of estimator 'rf' does not fit it: estimator 'rf' has no parameter "
            "'max_dept'",
        ),
        (
            "[rf]\nmax_depth = {int = [0, 8]}\n",
            "The 'max_depth' parameter of RandomForestClassifier must be",
        ),
        (
            "[rf]\nmax_depth = {uniform = [2, 8]}\n",
            "space.toml': [rf] parameter 'max_depth': unknown key(s) uniform",  # names the file
        ),
        (
            "[xgboost]\nmax_depth = {int = [2, 8]}\n",
            "unknown estimator 'xgboost' in spaces (a search space given for an estimator not in "
            "this run)",
        ),
        ("[rf]\nmax_depth = 3\n", "fix a single value with --param instead"),
        ("rf = 3\n", "'rf' must be a table of an estimator's parameters"),
    ],
)
def test_a_bad_space_file_is_one_sentence_and_exit_2(tmp_path, space, message):
    path = tmp_path / "space.toml"
    path.write_text(space)
    done = cli(
        "run", "-d", "iris", "-e", "rf", "--tune", "3", "--space", path, "--out", tmp_path / "runs"
    )
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "runs").exists()


def test_a_space_from_a_file_or_the_config_replaces_the_estimators_own(tmp_path):
    space = tmp_path / "space.toml"
    space.write_text("[logreg]\nC = {choice = [0.01, 100.0]}\n")
    config = tmp_path / "bench.toml"
    config.write_text(
        'datasets = ["iris"]\nestimators = ["logreg", "rf"]\nfolds = 2\ntune = 4\n'
        'sampler = "grid"\nbaseline = false\n[params.rf]\nn_estimators = 10\n'
        "[spaces.rf]\nmax_depth = {int = [2, 3]}\n"
    )
    done = cli("run", "--config", config, "--space", space, "--out", tmp_path / "runs", "-q")
    assert done.returncode == 0, done.stderr
    trials = _trials(_only(tmp_path / "runs"))
    drawn = trials[trials.trial > 0]
    logreg = drawn.loc[drawn.estimator == "logreg", "params"].map(json.loads)
    assert {p["C"] for p in logreg} == {0.01, 100.0} and len(logreg) == 4  # grid: 2 per fold
    rf = drawn.loc[drawn.estimator == "rf", "params"].map(json.loads)
    assert {p["max_depth"] for p in rf} == {2, 3} and all(len(p) == 1 for p in rf)
    manifest = json.loads((_only(tmp_path / "runs") / "manifest.json").read_text())
    assert manifest["config"]["tune"] == 4 and manifest["config"]["sampler"] == "grid"
    assert manifest["config"]["spaces"]["logreg"] == {"C": {"choice": [0.01, 100.0]}}


def test_list_spaces_shows_every_builtin_space():
    done = cli("list", "spaces")
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines()]
    assert ["adaboost"] in lines and ["estimator__max_depth", "int", "[1,", "8]"] in lines
    assert ["dense"] in lines and ["lr", "float", "[0.0001,", "0.01]", "log"] in lines
    assert ["rf", "(classification)"] in lines and ["criterion", "{gini,", "entropy}"] in lines
    assert "dummy                  (no search space: not tuned)" in done.stdout
    assert done.stdout.count("\ndummy ") == 1  # once, though it does both tasks


@pytest.mark.slow
def test_tuned_adaboost_reaches_the_accuracy_of_deeper_trees_on_digits(tmp_path):
    """The issue's check: on digits AdaBoost's stumps reach 0.82; with 20 trials over its
    space (the base tree's depth among them) it reaches at least 0.93."""
    done = cli(*"run -d digits -e adaboost --tune 20 --no-baseline --out".split(), tmp_path, "-q")
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(_only(tmp_path) / "results.csv")
    means = rows.groupby("tuning")["accuracy"].mean()
    assert means["default"] < 0.86 and means["tuned"] >= 0.93, means


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_regression_nets_inner_cv_and_a_time_budget(tmp_path):
    """Tuning both tasks: on diabetes the trials are scored by RMSE (lower is better); a net's
    trials draw its width and depth and its tuned refit early-stops on the slice as its
    default does; --tune-cv scores by inner CV; --tune-time stops a search by its trials'
    seconds."""
    regression = "run -d diabetes -e ridge -e dense --param epochs=5 --folds 2 --tune 3"
    done = cli(
        *regression.split(),
        *"--tune-cv 2 --out".split(),
        tmp_path / "a",
        "-q",
    )
    assert done.returncode == 0, done.stderr
    run_dir = _only(tmp_path / "a")
    trials = _trials(run_dir)
    assert set(trials["metric"]) == {"rmse"} and set(trials["scored_on"]) == {"inner 2-fold CV"}
    assert len(trials) == 2 * 2 * 3 and set(trials["status"]) == {"ok"}
    rows = pd.read_csv(run_dir / "results.csv")
    for row in rows[rows.tuning == "tuned"].itertuples():
        search = trials[(trials.estimator == row.estimator) & (trials.fold == row.fold)]
        assert row.best_trial == search.sort_values(["val_score", "trial"]).iloc[0]["trial"]
    nets = rows[rows.estimator == "dense"]
    assert (nets["n_val"] > 0).all()  # default and tuned alike fit on the fit rows
    assert len(set(nets.groupby("fold")["n_train"].apply(tuple))) == 1
    drawn = trials[(trials.estimator == "dense") & (trials.trial > 0)]["params"].map(json.loads)
    assert all({"width", "depth", "lr"} <= set(p) for p in drawn)
    for row in nets[(nets.tuning == "tuned") & (nets.best_trial > 0)].itertuples():
        best = json.loads(row.best_params)
        assert json.loads(row.params)["hidden_units"] == [best["width"]] * best["depth"]

    timed = cli(
        *"run -d iris -e slow_logreg --plugin".split(),
        TUNABLE,
        "--folds",
        "2",
        "--tune-time",
        "1",
        "--no-baseline",
        "--out",
        tmp_path / "b",
        "-q",
    )
    assert timed.returncode == 0, timed.stderr
    trials = _trials(_only(tmp_path / "b"))
    for _, search in trials.groupby("fold"):
        seconds = search.sort_values("trial")["seconds"]
        assert seconds.sum() >= 1 and seconds.iloc[:-1].sum() < 1  # the last one spent it
    tuned = pd.read_csv(_only(tmp_path / "b") / "results.csv").query("tuning == 'tuned'")
    assert (tuned["n_trials"] == trials.groupby("fold").size().to_numpy()).all()


def test_a_plugin_declares_its_space_in_its_registration(tmp_path):
    plugin = tmp_path / "knn_plugin.py"
    plugin.write_text(
        "from treesvsnets.estimators import register\n\n"
        "@register('knn', family='other', space={'n_neighbors': {'int': [LOW, 15]}})\n"
        "def knn(n_neighbors=5):\n"
        "    from sklearn.neighbors import KNeighborsClassifier\n"
        "    return KNeighborsClassifier(n_neighbors=n_neighbors)\n"
    )
    source = plugin.read_text()
    plugin.write_text(source.replace("LOW", "1"))
    done = cli(
        *"run -d iris -e knn --folds 2 --tune 3 -q --plugin".split(),
        plugin,
        "--out",
        tmp_path / "runs",
    )
    assert done.returncode == 0, done.stderr
    drawn = _trials(_only(tmp_path / "runs"))
    drawn = drawn[(drawn.estimator == "knn") & (drawn.trial > 0)]["params"].map(json.loads)
    assert all(1 <= p["n_neighbors"] <= 15 for p in drawn) and len(drawn) == 4
    plugin.write_text(source.replace("LOW", "20"))
    done = cli(*"run -d iris -e knn --tune 3 --plugin".split(), plugin, "--out", tmp_path / "x")
    assert done.returncode == 2
    assert (
        "the search space of estimator 'knn', parameter 'n_neighbors': low must be below high"
        in done.stderr
    )


def test_a_grid_smaller_than_the_budget_is_said_in_the_runs_first_lines():
    """--tune 8 --sampler grid: logreg's grid of 5 points stopped at 6 trials where rf made
    8, an unequal budget said nowhere."""
    from treesvsnets.bench.plan import planning
    from treesvsnets.config import RunConfig

    config = RunConfig(datasets=("iris",), estimators=("logreg", "rf"), tune=8, sampler="grid")
    notes = planning.prepare(config).notes
    assert any(note.startswith("grids smaller than --tune 8") and "logreg 5 point(s)" in note
               and "rf" not in note for note in notes), notes  # fmt: skip
    random = planning.prepare(RunConfig(datasets=("iris",), estimators=("logreg",), tune=8))
    assert not any("grids smaller" in note for note in random.notes)
