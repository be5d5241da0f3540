"""The real CLI, in a subprocess, as a user runs it."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers.cli import cli, cli_in_background
from tests.helpers.devices import requires_cuda


def only_run_dir(out: Path) -> Path:
    (run_dir,) = out.iterdir()
    return run_dir


def test_run_writes_every_artefact_and_prints_a_leaderboard(tmp_path):
    done = cli("run", "-d", "iris", "-e", "rf", "-e", "logreg", "--folds", "3", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    run_dir = only_run_dir(tmp_path)
    assert {p.name for p in run_dir.iterdir()} >= {
        "results.sqlite",
        "results.csv",
        "manifest.json",
        "report.md",
        "report.html",
        "summary.csv",
        "figures",
    }
    assert "[1/9] iris         rf         seed 0 fold 1/3  acc " in done.stderr
    assert "[6/9] iris         logreg     seed 0 fold 3/3  acc " in done.stderr
    assert "[9/9] iris         dummy      seed 0 fold 3/3  acc " in done.stderr  # the baseline
    assert "rank    estimator" in done.stdout
    assert "rf" in done.stdout and "logreg" in done.stdout
    assert done.stdout.rstrip().endswith(f"results: {run_dir}")
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "complete"


def test_quiet_prints_no_progress(tmp_path):
    done = cli("run", "-d", "iris", "-e", "logreg", "--folds", "2", "--out", tmp_path, "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_params_from_flags_are_recorded_per_row(tmp_path):
    done = cli(
        "run",
        "-d",
        "iris",
        "-e",
        "rf",
        "--param",
        "n_estimators=5",
        "--param",
        "criterion=entropy",
        "-e",
        "logreg",
        "--param",
        "C=0.5",
        "--folds",
        "2",
        "--out",
        tmp_path,
        "-q",
    )
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(only_run_dir(tmp_path) / "results.csv")
    params = {e: json.loads(p) for e, p in zip(rows.estimator, rows.params, strict=True)}
    assert params["rf"]["n_estimators"] == 5 and params["rf"]["criterion"] == "entropy"
    assert params["logreg"]["C"] == 0.5


def test_config_file_with_flags_overriding_it(tmp_path):
    config = tmp_path / "bench.toml"
    config.write_text(
        'datasets = ["wine"]\nestimators = ["logreg", "rf"]\nfolds = 4\nname = "from-toml"\n'
        "[params.rf]\nn_estimators = 9\n"
    )
    done = cli("run", "--config", config, "--folds", "2", "--out", tmp_path / "runs", "-q")
    assert done.returncode == 0, done.stderr
    run_dir = only_run_dir(tmp_path / "runs")
    assert run_dir.name.endswith("-from-toml")
    rows = pd.read_csv(run_dir / "results.csv")
    assert set(rows.n_folds) == {2} and len(rows) == 6  # logreg, rf and the dummy baseline
    assert set(rows.dataset) == {"wine"}
    rf_params = json.loads(rows.loc[rows.estimator == "rf", "params"].iloc[0])
    assert rf_params["n_estimators"] == 9


def test_a_config_file_saved_as_windows_notepad_does_is_read_and_latin1_is_one_sentence(
    tmp_path,
):
    """Notepad's "Unicode" (UTF-16) was a UnicodeDecodeError traceback, and UTF-8 with a BOM
    'not valid TOML: Invalid statement (at line 1, column 1)'."""
    from treesvsnets.config_files import load_toml

    text = 'datasets = ["wine"]\nestimators = ["logreg"]\nfolds = 3\n'
    plain = tmp_path / "plain.toml"
    plain.write_text(text, encoding="utf-8")
    for name, encoding in (("utf16.toml", "utf-16"), ("bom.toml", "utf-8-sig")):
        (tmp_path / name).write_text(text, encoding=encoding)
        assert load_toml(tmp_path / name) == load_toml(plain)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    done = cli("run", "--config", latin, "--out", tmp_path / "runs")
    assert done.returncode == 2 and done.stderr == (
        f"treesvsnets: error: config file '{latin}' is not UTF-8 text; save it as UTF-8.\n"
    )


def test_report_rewrites_the_markdown_of_a_run(tmp_path):
    assert (
        cli("run", "-d", "iris", "-e", "logreg", "--folds", "2", "--out", tmp_path, "-q").returncode
        == 0
    )
    run_dir = only_run_dir(tmp_path)
    (run_dir / "report.md").unlink()
    done = cli("report", run_dir)
    assert done.returncode == 0, done.stderr
    assert "## iris" in (run_dir / "report.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "-e", "rff"],
            "unknown estimator 'rff'; choose from: adaboost, all, bagging, baseline, catboost, "
            "cnn, cnn1d, deep, dense, dummy, ensemble, ft_transformer, gb, hgb, lightgbm, linear, "
            "logreg, mlp_plr, realmlp, resnet, rf, ridge, stacking, tabm, xgboost. "
            "Did you mean 'rf'?",
        ),
        (
            ["run", "-d", "digit"],
            "unknown dataset 'digit'; choose from: ames, attrition, breast_cancer, concrete, "
            "credit_data, diabetes, diamonds, digits, fashion_mnist, friedman1, hpc_data, iris, "
            "leaf_id_flavia, mlc_churn, mnist, mnist1d, olive, penguins, wine or a table file "
            "(.csv, .tsv, .txt, compressed or not; .parquet, .feather, .arrow, .xlsx), "
            "openml:ID or openml-task:ID. Did you mean 'digits'?",
        ),
        (["run", "-d", "iris", "--folds", "1"], "'folds' must be an integer of at least 2, got 1."),
        (
            ["run", "-d", "iris", "-e", "dense", "--validation-fraction", "0"],
            "estimator 'dense' stops early on the validation slice, and 'validation_fraction' is "
            "0 (--validation-fraction); give it a slice (e.g. 0.1) or train it without: --param "
            "dense.early_stopping=false.",
        ),
        (
            ["run", "-d", "iris", "--folds", "60"],
            "dataset 'iris': class 'setosa' has only 50 samples, fewer than the 60 folds asked "
            "for; use --folds 50 or fewer.",
        ),
        (
            ["run", "-d", "iris", "-e", "rf", "--param", "trees=3"],
            "estimator 'rf' has no parameter 'trees'; its parameters are: ",
        ),
        (
            ["run", "-d", "iris", "-e", "rf", "--param", "n_estimators=-5"],
            "estimator 'rf': The 'n_estimators' parameter of RandomForestClassifier must be an "
            "int in the range [1, inf). Got -5 instead.",
        ),
        (
            ["run", "-d", "iris", "-e", "stacking", "--param", "gb__n_estimators=0"],
            "estimator 'stacking': The 'n_estimators' parameter of GradientBoostingClassifier "
            "must be an int in the range [1, inf). Got 0 instead.",
        ),
        (
            ["run", "-d", "digits", "-e", "dense", "--param", "dropout=1.5"],
            "estimator 'dense': dropout must be in [0, 1), got 1.5.",
        ),
        (
            ["run", "-d", "iris", "--protocol", "holdout", "--folds", "3"],
            "'folds' applies to the k-fold protocol, and this run is a holdout",
        ),
        (
            ["run", "-d", "iris", "--test-size", "0.3"],
            "'test_size' is a holdout's test fraction, and this run is k-fold",
        ),
        (
            ["run", "-d", "iris", "--subsample", "3"],
            "dataset 'iris': --subsample 3 keeps 1 row(s) of class 'setosa' (of 50), fewer than "
            "the 5 the run needs (one per fold, 2 at least); ask for at least 15 rows.",
        ),
        (
            ["run", "-d", "digits", "--subsample", "5"],
            "dataset 'digits': --subsample 5 of its 1797 rows cannot keep a share of each of its "
            "10 classes; ask for at least 52 rows.",
        ),
        (
            ["run", "-d", "diabetes", "--subsample", "3"],
            "dataset 'diabetes': --subsample 3 of its 442 rows cannot keep a share of each of its "
            "10 target deciles; ask for at least 10 rows.",
        ),
        (
            ["run", "-d", "iris", "--subsample", "6", "--protocol", "holdout"],
            "dataset 'iris': a holdout of test_size 0.2 on its 6 rows tests on 2 and trains on 4, "
            "too few for each of its 3 classes; it needs at least 15 rows",
        ),
        (["run", "--config", "missing.toml"], "config file 'missing.toml' does not exist."),
        (["report", "nowhere"], "'nowhere' is not a run folder: it has no manifest.json."),
        (
            ["run", "-d", "iris", "--timeout", "inf"],  # written as Infinity: no JSON parser's
            "'timeout' must be a positive, finite number of seconds (leave it out for no limit)",
        ),
        (["inspect", "."], "data file '.' is a folder, not a table file."),  # "does not exist"
        (
            ["run", "-d", "iris", "--target-bins", "3"],  # it was ignored, the split unchanged
            "target_bins 3 stratifies a regression target's folds, and this run's datasets are "
            "all classification",
        ),
        (
            ["check", "nothere.py"],  # "unknown estimator 'nothere.py'"
            "'nothere.py' is a file, not an estimator (and no such file exists): name a class",
        ),
    ],
)
def test_bad_input_gives_one_sentence_and_exit_2(tmp_path, args, message):
    extra = ["--out", tmp_path / "runs"] if args[0] == "run" else []
    done = cli(*args, *extra, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"treesvsnets: error: {message}")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists()


def test_a_config_files_folds_in_a_holdout_run_are_refused_as_the_flag_is(tmp_path):
    """--protocol holdout with folds = 3 in the config file: the folds would be ignored; a
    suite's own folds with --protocol holdout are not refused (the user did not give them)."""
    config = tmp_path / "bench.toml"
    config.write_text('protocol = "holdout"\nfolds = 3\n')
    done = cli("run", "-d", "iris", "--config", config, "--out", tmp_path / "runs")
    assert done.returncode == 2 and not (tmp_path / "runs").exists()
    assert "'folds' applies to the k-fold protocol" in done.stderr
    config.write_text("test_size = 0.3\n")
    done = cli("run", "-d", "iris", "--config", config, "--out", tmp_path / "runs")
    assert done.returncode == 2 and "'test_size' is a holdout's test fraction" in done.stderr


def test_a_setting_refused_once_the_datasets_are_known_names_the_file_that_gave_it(tmp_path):
    """An unknown estimator in a config file, or a suite's [defaults] metric of the other
    task, were refused in a sentence that did not say which file to fix; a flag's own value
    is refused as before."""
    config = tmp_path / "bench.toml"
    config.write_text('estimators = ["rf", "rff"]\n')
    suite = tmp_path / "mine.toml"
    suite.write_text('datasets = ["iris", "wine"]\n[defaults]\nmetric = "rmse"\n')
    runs = tmp_path / "runs"
    done = cli("run", "-d", "iris", "--config", config, "--out", runs)
    assert done.returncode == 2 and not runs.exists()
    assert done.stderr.startswith(f"treesvsnets: error: {config}: unknown estimator 'rff';")
    done = cli("run", "--suite", suite, "--out", runs)
    assert done.returncode == 2 and not runs.exists()
    assert done.stderr.startswith(
        f"treesvsnets: error: suite file {str(suite)!r} [defaults]: metric 'rmse' is a "
        "regression score"
    )
    done = cli("run", "-d", "iris", "--config", config, "-e", "lgbm", "--out", runs)
    assert done.returncode == 2 and not runs.exists()
    assert done.stderr.startswith("treesvsnets: error: unknown estimator 'lgbm';")


def test_device_cuda_without_cuda_is_refused_before_training(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    done = cli("run", "-d", "digits", "-e", "dense", "--device", "cuda", "--out", tmp_path / "r")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "treesvsnets: error: device 'cuda' was asked for, but CUDA is not available here."
    )
    assert not (tmp_path / "r").exists()


@requires_cuda
def test_auto_device_trains_the_nets_on_cuda_with_no_other_change(tmp_path):
    import torch

    done = cli(
        "run", "-d", "digits", "-e", "dense", "-e", "cnn", "-e", "rf", "--folds", "2",
        "--param", "dense.epochs=3", "--param", "cnn.epochs=3", "--out", tmp_path, "--name", "gpu",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (run_dir,) = tmp_path.iterdir()
    rows = pd.read_csv(run_dir / "results.csv")
    assert set(rows["status"]) == {"ok"}, rows["error"].dropna().tolist()
    nets = rows[rows["estimator"] != "rf"]
    assert nets["device"].str.startswith("cuda").all()
    assert (nets["peak_gpu_mb"] > 0).all()
    assert set(rows.loc[rows["estimator"] == "rf", "device"]) == {"cpu"}
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["environment"]["gpus"][0] == torch.cuda.get_device_name(0)
    assert f"GPU: {torch.cuda.get_device_name(0)}" in (run_dir / "report.md").read_text()


def test_unknown_toml_key_is_named_with_a_suggestion(tmp_path):
    config = tmp_path / "bench.toml"
    config.write_text("fold = 3\n")
    done = cli("run", "--config", config)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"treesvsnets: error: {config}: unknown key 'fold'; valid keys are: datasets, suite, "
        "estimators, params, folds, seeds, threads, protocol, test_size, validation_fraction, "
        "subsample, target, task, shape, drop, categorical, numeric, datetime, keep, "
        "target_bins, tables, metric, class_weight, resample, "
        "baseline, device, "
        "data_dir, out, name, plugins, tune, tune_time, sampler, tune_cv, ensemble, ensemble_size, "
        "spaces, jobs, "
        "timeout, max_memory, scheduler, isolate, fold_parallel. "
        "Did you mean "
        "'folds'?"
    )


def test_param_without_an_estimator_is_a_usage_error():
    done = cli("run", "--param", "n_estimators=3")
    assert done.returncode == 2
    assert "--param n_estimators=3 must follow the -e it applies to" in done.stderr


def test_list_and_help():
    estimators = cli("list", "estimators")
    assert estimators.returncode == 0
    lines = estimators.stdout.splitlines()
    assert [line for line in lines if not line.startswith(" ")] == [
        "Tree ensembles:",
        "Linear models:",
        "Nets for tables:",
        "Nets for images:",
        "Nets for sequences:",
        "Baseline:",
    ]
    names = [line.split()[0] for line in lines if line.startswith("  ") and line[2] != " "]
    assert names == [
        "rf", "bagging", "adaboost", "gb", "hgb", "xgboost", "lightgbm", "catboost", "stacking",
        "logreg", "ridge",
        "dense", "resnet", "ft_transformer", "mlp_plr", "tabm", "realmlp",
        "cnn",
        "cnn1d",
        "dummy",
    ]  # fmt: skip
    assert "needs the catboost package (" in estimators.stdout
    assert "tasks: classification, regression" in estimators.stdout
    assert "regression defaults differ: no final_C" in estimators.stdout  # stacking
    assert "regression defaults differ: loss='mse'" in estimators.stdout  # the nets
    datasets = cli("list", "datasets")
    assert "digits" in datasets.stdout and "8x8 image" in datasets.stdout
    assert "1x40 sequence" in datasets.stdout
    assert "diabetes" in datasets.stdout and "regression" in datasets.stdout
    assert cli("--help").returncode == 0
    assert cli("run", "--help").stdout.count("--estimator") == 1


def test_ctrl_c_after_the_last_cell_says_the_run_is_complete(tmp_path, monkeypatch, capsys):
    """Stopped while its leaderboard is printed (the report is being written): every cell
    has run, so the command says so instead of offering a resume."""
    from treesvsnets import cli as command

    def stopped(rows, metric):
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "_print_leaderboard", stopped)
    code = command.main(
        ["run", "-d", "iris", "-e", "logreg", "--folds", "2", "-q", "--out", str(tmp_path)]
    )
    run_dir = only_run_dir(tmp_path)
    assert code == 130
    stderr = capsys.readouterr().err
    assert f"interrupted; every cell had run: the results and the report are in {run_dir}" in stderr
    assert "--resume" not in stderr
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "complete"
    assert (run_dir / "report.html").is_file()  # written before the command returned


@pytest.fixture
def sigterm_not_fatal():
    """SIGTERM raises here where nothing of the run handles it, instead of ending the tests."""

    def reached(signum, frame):
        raise RuntimeError("SIGTERM reached the handler the run found")

    previous = signal.signal(signal.SIGTERM, reached)
    yield
    signal.signal(signal.SIGTERM, previous)


def _run_stopped_at_the_end(tmp_path):
    from treesvsnets import cli as command

    code = command.main(
        ["run", "-d", "iris", "-e", "logreg", "--folds", "2", "-q", "--out", str(tmp_path)]
    )
    return code, only_run_dir(tmp_path)


def test_sigterm_while_the_report_is_written_stops_the_command_as_ctrl_c_does(
    tmp_path, monkeypatch, capsys, sigterm_not_fatal
):
    from treesvsnets import cli as command

    monkeypatch.setattr(
        command, "_print_leaderboard", lambda rows, metric: signal.raise_signal(signal.SIGTERM)
    )
    code, run_dir = _run_stopped_at_the_end(tmp_path)
    assert code == 143
    stderr = capsys.readouterr().err
    assert f"terminated; every cell had run: the results and the report are in {run_dir}" in stderr
    assert (run_dir / "report.html").is_file()  # the report was written before it stopped
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "complete"


def test_a_signal_while_the_rows_are_exported_waits_until_the_folder_is_written(
    tmp_path, monkeypatch, capsys, sigterm_not_fatal
):
    """SIGTERM after the last cell, as the rows are exported, then Ctrl-C: the exports and
    the manifest are finished first (nothing half written), then the command stops."""
    from treesvsnets.results.folder import RunFolder

    export = RunFolder.export

    def stopped_halfway(self, rows, trials):
        signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGINT)
        return export(self, rows, trials)

    monkeypatch.setattr(RunFolder, "export", stopped_halfway)
    code, run_dir = _run_stopped_at_the_end(tmp_path)
    assert code == 143
    stderr = capsys.readouterr().err
    assert (
        f"terminated; every cell had run: the results are in {run_dir} (its report was " in stderr
    )
    assert f"treesvsnets report {run_dir} writes it)" in stderr
    assert not (run_dir / "report.html").exists()
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "complete"
    rows = pd.read_parquet(run_dir / "results.parquet")
    assert len(rows) == 4 and set(rows["status"]) == {"ok"}  # logreg and the dummy, 2 folds


def test_ctrl_c_before_a_resumed_run_has_begun_names_its_folder(tmp_path, monkeypatch, capsys):
    """Stopped before the resumed run's first progress line: the message still says where
    the run is and how to finish it."""
    from treesvsnets import api
    from treesvsnets import cli as command

    run_dir = tmp_path / "stopped"
    run_dir.mkdir()
    (run_dir / "manifest.json").write_text(json.dumps({"status": "interrupted"}))

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "resume", stopped)
    assert command.main(["run", "--resume", str(run_dir), "-q"]) == 130
    stderr = capsys.readouterr().err
    assert f"interrupted; finished cells are kept in {run_dir}; finish it with: " in stderr
    assert f"run --resume {run_dir}" in stderr


@pytest.mark.parametrize(
    ("number", "code", "said"),
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
)
def test_check_stopped_while_an_estimator_hangs_leaves_no_child(number, code, said):
    """``check`` runs each check in a forked child: stopped, the command says so in one line
    (no traceback) and the child that was fitting goes with it (it went on as an orphan)."""
    import time

    import psutil

    process = cli_in_background("check", "tests/helpers/estimators.py:HangingEstimator")
    assert process.stdout.readline().startswith("checking ")
    command = psutil.Process(process.pid)
    for _ in range(200):  # the first check's child, fitting for ever
        children = command.children(recursive=True)
        if children:
            break
        time.sleep(0.05)
    assert children
    process.send_signal(number)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code
    assert stderr.strip() == f"treesvsnets: {said}"
    time.sleep(0.5)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]


def test_report_stopped_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    from treesvsnets import cli as command
    from treesvsnets.errors import Terminated
    from treesvsnets.reports import report

    code, run_dir = _run_stopped_at_the_end(tmp_path)  # a run, complete: its report rewritten
    assert code == 0
    capsys.readouterr()

    def stopped(*args, **kwargs):
        raise Terminated("received signal SIGTERM")

    monkeypatch.setattr(report, "write_report", stopped)
    assert command.main(["report", str(run_dir)]) == 143
    err = capsys.readouterr().err
    assert (
        err.strip()
        == "treesvsnets: terminated; the report may be incomplete: run the command again"
    )


def test_a_signal_as_the_command_leaves_is_ignored():
    """Ctrl-C that comes once the work is done, while the exit handlers run (the workers are
    stopped): no traceback, and the command's own exit code."""
    script = (
        "import atexit, signal, sys\n"
        "from treesvsnets import cli\n"
        "atexit.register(lambda: signal.raise_signal(signal.SIGINT))\n"
        "atexit.register(lambda: signal.raise_signal(signal.SIGTERM))\n"
        "sys.argv = ['treesvsnets', 'list', 'suites']\n"
        "cli.entry()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stderr == ""
    assert done.stdout  # the listing


def test_ctrl_c_keeps_finished_cells_and_marks_the_run_interrupted(tmp_path):
    process = cli_in_background(
        "run", "-d", "digits", "-e", "logreg", "-e", "gb", "--out", tmp_path
    )
    # logreg's five folds take well under a second; gb's take seconds each
    for line in process.stderr:
        if "logreg     seed 0 fold 5/5" in line:
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    run_dir = only_run_dir(tmp_path)
    assert process.returncode == 130
    assert f"interrupted; finished cells are kept in {run_dir}; finish it with: " in stderr
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    rows = pd.read_csv(run_dir / "results.csv")
    assert (rows.loc[rows.estimator == "logreg", "status"] == "ok").sum() == 5
    assert manifest["cells_by_status"]["ok"] == len(rows) < manifest["cells_planned"]


@pytest.mark.skipif(sys.platform != "linux", reason="the tests' fork server runs on Linux only")
def test_the_tests_fork_server_runs_a_command_as_a_new_interpreter_does(tmp_path):
    """Most of these tests' commands run in a process forked from a server that has already
    imported what the command imports (tests/helpers/forkserver.py), with workers forked
    from it: the command's output, exit code and rows are those of ``python -m treesvsnets``
    started anew."""
    from tests.bench.test_pinned_rows import COLUMNS
    from tests.helpers.forkserver import run_command

    def both(*args):
        forked = run_command([str(arg) for arg in args], tmp_path, None, 600)
        assert forked is not None, "the fork server was not used"
        new = subprocess.run(
            [sys.executable, "-m", "treesvsnets", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        return forked, new

    refused = both("run", "-d", "iris", "-e", "rf", "--folds", "1")
    assert refused[0].returncode == refused[1].returncode == 2
    assert refused[0].stderr == refused[1].stderr and refused[0].stdout == refused[1].stdout
    run = ("run", "-d", "iris", "-e", "logreg", "-e", "rf", "--folds", "2", "-q")
    forked, new = both(*run, "--param", "rf.n_estimators=10", "--out", "runs")
    assert forked.returncode == new.returncode == 0, forked.stderr + new.stderr
    assert forked.stderr == new.stderr == ""
    first, second = sorted((tmp_path / "runs").iterdir())
    rows = [pd.read_csv(run_dir / "results.csv")[COLUMNS] for run_dir in (first, second)]
    pd.testing.assert_frame_equal(*rows)
    assert (rows[0]["status"] == "ok").all() and len(rows[0]) == 6
    assert forked.stdout.splitlines()[0] == new.stdout.splitlines()[0]  # the board's header


def test_a_damaged_store_or_a_metric_the_runs_lack_is_one_sentence_and_nothing_is_written(
    tmp_path,
):
    done = cli("run", "-d", "iris", "-e", "logreg", "--folds", "2", "--out", tmp_path, "-q")
    assert done.returncode == 0, done.stderr
    run_dir = only_run_dir(tmp_path)
    summary = (run_dir / "summary.csv").read_text()
    for metric, words in (("auc", "metric must be one of accuracy"), ("rmse", "a regression")):
        done = cli("report", run_dir, "--metric", metric)  # it was ignored: judged by accuracy
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert words in done.stderr

    store = run_dir / "results.sqlite"
    for name in ("results.sqlite-wal", "results.sqlite-shm"):
        (run_dir / name).unlink(missing_ok=True)
    store.write_bytes(b"")  # emptied: its report said "cells: 4 ok" and showed none
    done = cli("report", run_dir)
    assert done.returncode == 2 and "holds no result rows, though the run recorded 4" in (
        done.stderr
    )
    assert (run_dir / "summary.csv").read_text() == summary  # not overwritten

    store.write_bytes(b"not a database at all")
    for args in (["report", run_dir], ["compare", run_dir, run_dir], ["run", "--resume", run_dir]):
        done = cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.strip().splitlines() == [
            f"treesvsnets: error: {str(store)!r} is not a readable results store (file is "
            "not a database); restore it from a copy, or run again into another folder."
        ]
    assert store.read_bytes() == b"not a database at all"
