"""Suites as data (``--suite NAME`` / ``--suite FILE.toml``, ``list suites``), tables named by
their stem, and the progress a run shows: lines with the time elapsed and left where stderr is
not a terminal, live bars where it is."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers.cli import cli
from tests.helpers.tables import dirty_frame, write_table
from treesvsnets.bench.execute.progress import LiveProgress, ProgressEvent, reporter
from treesvsnets.config import RunConfig
from treesvsnets.errors import ConfigError
from treesvsnets.suites import builtin_names, find

CLOCK = re.compile(r"\[elapsed \d\d:\d\d  left ~\d\d:\d\d\]$")
TRIAL_CLOCK = re.compile(r"\[elapsed \d\d:\d\d  search left ~\d\d:\d\d\]$")


def _user_suite(tmp_path: Path) -> Path:
    """A user's suite: a built-in and a CSV with its table options, next to the suite file."""
    (tmp_path / "data").mkdir()
    frame = dirty_frame().rename(columns={"label": "outcome"})
    frame["note"] = "x"
    write_table(frame, tmp_path / "data" / "churn.csv")
    suite = tmp_path / "my_suite.toml"
    suite.write_text(
        'description = "iris and a churn table"\n'
        "datasets = [\n"
        '    "iris",\n'
        '    { path = "data/churn.csv", target = "outcome", drop = ["note"], name = "churn" },\n'
        "]\n"
        "[defaults]\nfolds = 3\n"
    )
    return suite


def test_a_users_suite_of_a_builtin_and_a_csv_runs_through_the_cli(tmp_path):
    suite = _user_suite(tmp_path)
    done = cli("run", "--suite", suite, "-e", "logreg", "--out", tmp_path / "runs", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run_dir = Path(done.stdout.strip().splitlines()[-1].removeprefix("results: "))
    assert run_dir.name.endswith("my_suite")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["suite"]["name"] == str(suite)
    assert manifest["suite"]["sha256"] == find(str(suite)).sha256
    assert manifest["config"]["folds"] == 3  # the suite's default
    table = next(d for d in manifest["datasets"] if d["name"] == "churn")
    assert table["path"] == str(tmp_path / "data" / "churn.csv")
    assert table["table_options"]["drop"] == ["note"]
    import pandas as pd

    rows = pd.read_csv(run_dir / "results.csv")
    assert set(rows["dataset"]) == {"iris", "churn"}  # the name, not the path
    assert "churn" in done.stdout and str(tmp_path / "data") not in done.stdout
    # not a terminal: each cell's line carries the time elapsed and left
    cell_lines = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert len(cell_lines) == len(rows) == 2 * 2 * 3
    assert all(CLOCK.search(line) for line in cell_lines), cell_lines[:2]
    # a flag overrides the suite's default; tuned, each trial's line has its clock too
    again = cli("run", "--suite", suite, "-e", "logreg", "--folds", "2", "--tune", "3",
                "--out", tmp_path)  # fmt: skip
    assert again.returncode == 0, again.stderr
    rerun = Path(again.stdout.strip().splitlines()[-1].removeprefix("results: "))
    assert json.loads((rerun / "manifest.json").read_text())["config"]["folds"] == 2
    trial_lines = [line for line in again.stderr.splitlines() if line.startswith("  trial")]
    assert len(trial_lines) == 2 * 2 * 3  # datasets x folds x trials (dummy has no space)
    assert all(TRIAL_CLOCK.search(line) for line in trial_lines), trial_lines[:2]


def test_list_suites_shows_each_builtin_with_its_datasets_tasks_and_time():
    done = cli("list", "suites")
    assert done.returncode == 0, done.stderr
    for name in builtin_names():
        assert f"{name}:" in done.stdout
    assert "breast_cancer (binary)" in done.stdout
    assert "wine (multiclass)" in done.stdout
    assert "diabetes (regression)" in done.stdout
    assert "expected time on 2 cores: about 4 min (3.2 min with one job" in done.stdout
    assert "openml-task: 363612" in done.stdout  # TabArena's first task


def test_every_builtin_suite_reads_and_names_known_datasets():
    for name in builtin_names():
        suite = find(name)
        assert suite.description and suite.datasets, name
    quick = RunConfig().with_overrides(suite="quick")
    assert quick.folds == 3 and quick.subsample == 1000 and "mnist1d" in quick.datasets
    assert RunConfig().with_overrides(suite="quick", folds=5).folds == 5
    images = RunConfig().with_overrides(suite="images")
    assert images.folds == 3 and images.subsample == 2000
    assert {"cnn", "cnn1d", "rf", "dense"} <= set(images.estimators)
    assert not {"gb", "stacking"} & set(images.estimators)  # hours on 784 pixels x 10 classes
    assert RunConfig().with_overrides(suite="images", estimators=("gb",)).estimators == ("gb",)


#: the online suites' sizes as their projects publish them (OpenML suites 99, 337, 334, 336,
#: 335; TabArena-v0.1's metadata), checked against the projects' repositories (see each file)
ONLINE_SIZES = {
    "openml-cc18": 72,
    "grinsztajn-numerical-classification": 16,
    "grinsztajn-categorical-classification": 7,
    "grinsztajn-numerical-regression": 19,
    "grinsztajn-categorical-regression": 17,
    "tabarena": 51,
}


def test_the_online_suites_list_each_projects_task_ids_once():
    for name, size in ONLINE_SIZES.items():
        ids = find(name).datasets
        assert len(ids) == len(set(ids)) == size, name
        assert all(re.fullmatch(r"openml-task:[1-9][0-9]*", entry) for entry in ids), name
    grinsztajn = [find(name).datasets for name in ONLINE_SIZES if name.startswith("grinsz")]
    assert len({i for ids in grinsztajn for i in ids}) == 16 + 7 + 19 + 17  # four apart
    # TabArena-v0.1: 30 binary, 8 multiclass, 13 regression, as each entry's comment says
    text = (find("tabarena").path).read_text()
    kinds = re.findall(r'"openml-task:\d+",\s+# \S+ \((\w+)\)', text)
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "binary": 30,
        "multiclass": 8,
        "regression": 13,
    }


@pytest.mark.parametrize(
    "args, words",
    [
        (["--suite", "quik"], "unknown suite 'quik'; choose from: "),
        (["--suite", "quick", "-d", "iris"], "cannot be combined"),
        (["--suite", "missing.toml"], "suite file 'missing.toml' does not exist."),
    ],
)
def test_an_unknown_suite_or_one_given_with_datasets_is_one_sentence(tmp_path, args, words):
    done = cli("run", *args, "--out", tmp_path / "runs", cwd=tmp_path)
    assert done.returncode == 2
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    "text, words",
    [
        ('datasets = ["iris"]\ncolour = "red"\n', "unknown key 'colour'"),
        ('datasets = ["irsi"]\n', "entry 'irsi': unknown dataset 'irsi'"),
        ('datasets = [{ path = "nowhere.csv" }]\n', "entry 'nowhere.csv': the file"),
        ('datasets = ["openml:abc"]\n', "entry 'openml:abc': dataset name 'openml:abc' is not"),
        ('datasets = [{ path = "t.csv", colour = 1 }]\n', "unknown option 'colour'"),
        ('datasets = ["iris"]\n[defaults]\nfolds = 1\n', "[defaults]: 'folds' must be"),
        ('datasets = ["iris"]\n[defaults]\ndatasets = ["wine"]\n', "cannot hold 'datasets'"),
    ],
)
def test_a_bad_suite_file_is_one_sentence_naming_the_file(tmp_path, text, words):
    write_table(dirty_frame(), tmp_path / "t.csv")
    suite = tmp_path / "bad.toml"
    suite.write_text(text)
    with pytest.raises(ConfigError) as caught:
        RunConfig().with_overrides(suite=str(suite))
    assert str(caught.value).startswith(f"suite file {str(suite)!r}: ")
    assert words in str(caught.value)
    done = cli("run", "--suite", suite, "--out", tmp_path / "runs")
    assert done.returncode == 2 and words in done.stderr
    assert not (tmp_path / "runs").exists()


def test_two_tables_with_one_stem_get_distinct_names(tmp_path):
    from treesvsnets.datasets.names import run_names
    from treesvsnets.datasets.table_options import TableOptions

    given = ["iris", "a/data.csv", "b/data.csv", "c/iris.csv", "d/data.parquet"]
    options = {name: TableOptions() if "/" in name else None for name in given}
    assert run_names(given, options) == {
        "iris": "iris",
        "a/data.csv": "a/data",
        "b/data.csv": "b/data",
        "c/iris.csv": "iris.csv",
        "d/data.parquet": "data.parquet",
    }
    assert run_names(["x/one.csv"], {"x/one.csv": TableOptions()}) == {"x/one.csv": "one"}
    named = {"x/one.csv": TableOptions(name="first"), "y/one.csv": TableOptions(name="first")}
    with pytest.raises(ConfigError, match="would both be named 'first'"):
        run_names(list(named), named)


def _events(run_dir: Path) -> list[ProgressEvent]:
    first = ProgressEvent(
        index=0,
        total=3,
        row=None,
        run_dir=run_dir,
        threads=1,
        by_dataset=(("iris", 2), ("churn", 1)),
    )
    rows = [
        {"dataset": "iris", "status": "ok", "accuracy": 0.9},
        {"dataset": "churn", "status": "error", "error": "boom"},
        {"dataset": "iris", "status": "ok", "accuracy": 0.8},
    ]
    common = {"estimator": "rf", "seed": 0, "fold": 0, "n_folds": 2, "task": "classification"}
    common.update(fit_seconds=0.1, predict_seconds=0.01)
    return [first] + [
        ProgressEvent(
            index=i,
            total=3,
            row={**common, **row},
            run_dir=run_dir,
            threads=1,
            elapsed=float(i),
        )
        for i, row in enumerate(rows, start=1)
    ]


def test_a_trials_line_says_the_time_elapsed_and_its_searchs_time_left():
    from treesvsnets.bench.execute.progress import TrialEvent, print_progress

    row = {"trial": 1, "dataset": "wine", "estimator": "rf", "seed": 0, "fold": 0}
    row.update(status="ok", val_score=0.9, seconds=10.0, task="classification")
    event = TrialEvent(row=row, finished=2, budget="5 trials", best=0.9, n_folds=3)
    plain = io.StringIO()
    print_progress(event, plain)
    assert plain.getvalue().rstrip().endswith("10.00s")  # no clock: none was given
    plain = io.StringIO()
    print_progress(TrialEvent(**{**event.__dict__, "elapsed": 62.0, "left": 30.0}), plain)
    assert plain.getvalue().rstrip().endswith("10.00s  [elapsed 01:02  search left ~00:30]")


def test_the_dataset_column_is_as_wide_as_the_runs_longest_name(tmp_path):
    from treesvsnets.bench.execute.progress import print_progress

    plain = io.StringIO()
    for event in _events(tmp_path)[1:]:
        long = {**event.row, "dataset": "openml-task:363626"} if event.index == 2 else event.row
        print_progress(replace(event, row=long, name_width=18), plain)
    lines = plain.getvalue().splitlines()
    assert len({line.index(" rf ") for line in lines}) == 1, lines  # one column for all


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bars_count_cells_and_failures_and_close_clean(tmp_path):
    stream = _Terminal()
    show = reporter(stream)
    assert isinstance(show, LiveProgress)
    for event in _events(tmp_path):
        show(event)
        time.sleep(0.01)
    assert not show.bars  # closed after the last cell
    out = stream.getvalue()
    assert "all datasets" in out and "3/3 cells, 1 failed" in out
    assert re.search(r"churn\s+100%.*1/1 cells, 1 failed", out)
    assert re.search(r"iris\s+100%.*2/2 cells, 0 failed", out)
    assert "ERROR: boom" in out
    show.close()  # a second close (an interrupted run's) is harmless
    plain = io.StringIO()
    for event in _events(tmp_path):
        reporter(plain)(event)
    lines = plain.getvalue().splitlines()
    assert lines[-1].endswith("[elapsed 00:03  left ~00:00]")
    assert lines[-3].endswith("[elapsed 00:01  left ~00:02]")


@pytest.mark.slow
def test_the_quick_suite_runs_end_to_end(tmp_path):
    """The wall time of this test is the quick suite's on the machine that runs it."""
    import subprocess
    import sys

    started = time.perf_counter()
    done = subprocess.run(  # not tests.helpers.cli: its 600 s limit is the suite's own aim
        [sys.executable, "-m", "treesvsnets", "run", "--suite", "quick", "--out", "runs"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=3600,
    )
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    run_dir = tmp_path / done.stdout.strip().splitlines()[-1].removeprefix("results: ")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["suite"]["name"] == "quick"
    assert {d["name"] for d in manifest["datasets"]} == set(find("quick").datasets)
    assert manifest["cells_by_status"].get("ok", 0) == manifest["cells_planned"]
    print(f"quick suite: {seconds:.0f} s wall, {manifest['wall_seconds']:.0f} s in cells' run")


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_a_run_written_before_short_names_resumes_and_compares_by_its_paths(tmp_path):
    """Rows of old runs store a table's path as its name: resume keeps that name (no cell
    runs twice) and compare matches those rows with a new run's short names."""

    import treesvsnets

    table = str(write_table(dirty_frame(), tmp_path / "dirty.csv"))
    settings = {"estimators": ["logreg"], "folds": 2, "isolate": False, "progress": False}
    old = treesvsnets.run(datasets=["iris", table], out=tmp_path / "old", **settings)
    new = treesvsnets.run(datasets=["iris", table], out=tmp_path / "new", **settings)
    # make the first run look as it was written before tables had short names
    manifest_file = old.run_dir / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    for entry in manifest["datasets"]:
        if entry.pop("path", None):
            entry["name"] = table
    for split in manifest["splits"]:
        split["dataset"] = table if split["dataset"] == "dirty" else split["dataset"]
    manifest["status"] = "interrupted"
    manifest_file.write_text(json.dumps(manifest))
    with sqlite3.connect(old.run_dir / "results.sqlite") as store:
        store.execute("UPDATE results SET dataset = ? WHERE dataset = 'dirty'", (table,))
        store.execute("DELETE FROM results WHERE dataset = ? AND fold = 1", (table,))
    resumed = treesvsnets.resume(old.run_dir, progress=False)
    assert sorted(set(resumed.rows["dataset"])) == sorted({"iris", table})
    assert len(resumed.rows) == len(new.rows) == 2 * 2 * 2
    comparison = treesvsnets.compare_runs(old.run_dir, new.run_dir)
    assert set(comparison.table["dataset"]) == {"iris", "dirty"}


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_a_suites_estimators_are_passed_over_where_they_cannot_run(tmp_path):
    """A suite's own list is a default: its cnn (images only) is left out of a table and
    said, as the default suite's is; the same cnn named with -e is refused."""
    suite = tmp_path / "mixed.toml"
    suite.write_text(
        'description = "a table and an image set"\ndatasets = ["iris", "digits"]\n'
        '[defaults]\nfolds = 2\nsubsample = 200\nestimators = ["logreg", "cnn"]\n'
    )
    done = cli("run", "--suite", suite, "--param", "cnn.epochs=1", "--out", tmp_path / "runs")
    assert done.returncode == 0, done.stderr
    assert "not run on 'iris': cnn (needs images)" in done.stderr
    run_dir = Path(done.stdout.strip().splitlines()[-1].removeprefix("results: "))
    rows = pd.read_csv(run_dir / "results.csv")
    assert set(rows.loc[rows["dataset"] == "digits", "estimator"]) == {"logreg", "cnn", "dummy"}
    assert set(rows.loc[rows["dataset"] == "iris", "estimator"]) == {"logreg", "dummy"}
    named = cli("run", "--suite", suite, "-e", "cnn", "--out", tmp_path / "no")
    assert named.returncode == 2 and "estimator 'cnn' needs images" in named.stderr
    assert not (tmp_path / "no").exists()
    # resumed after its suite file is gone: the run passes over what it passed over (a
    # logreg cell is missing, so the resumed run plans the suite's cells again; no cnn on iris)
    with sqlite3.connect(run_dir / "results.sqlite") as store:
        store.execute(
            "DELETE FROM results WHERE estimator = 'logreg' AND dataset = 'iris' AND fold = 1"
        )
    suite.unlink()
    resumed = cli("run", "--resume", run_dir)
    assert resumed.returncode == 0, resumed.stderr
    rows = pd.read_csv(run_dir / "results.csv")
    assert sorted(rows.loc[rows["estimator"] == "logreg", "fold"]) == [0, 0, 1, 1]
    assert sorted(rows.loc[rows["estimator"] == "cnn", "fold"]) == [0, 1]
    assert set(rows.loc[rows["dataset"] == "iris", "estimator"]) == {"logreg", "dummy"}


def test_a_suites_estimator_without_a_version_for_a_datasets_task_is_said_left_out(tmp_path):
    """docs/suites.md says so; the code passed logreg over on a regression dataset without a
    word, and the manifest listed nothing skipped."""
    import treesvsnets

    suite = tmp_path / "mixed.toml"
    suite.write_text('datasets = ["iris", "diabetes"]\n[defaults]\nestimators = ["logreg", "gb"]\n')
    result = treesvsnets.run(suite=str(suite), folds=2, isolate=False, progress=False,
                             baseline=False, out=tmp_path / "runs")  # fmt: skip
    ran = result.rows.groupby("dataset")["estimator"].unique().map(set).to_dict()
    assert ran == {"iris": {"logreg", "gb"}, "diabetes": {"gb"}}
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["skipped"] == [
        {"dataset": "diabetes", "estimator": "logreg", "reason": "no regression version"}
    ]  # the report said 'logreg was not run here: it no regression version'
    assert "logreg was not run here (no regression version)" in (
        result.run_dir / "report.md"
    ).read_text(encoding="utf-8")


def test_a_target_flag_that_contradicts_a_suite_tables_own_is_refused(tmp_path):
    """--target lost to the suite's per-table target without a word."""
    write_table(dirty_frame(), tmp_path / "t.csv")
    suite = tmp_path / "mine.toml"
    suite.write_text('datasets = [{path = "t.csv", target = "label"}]\n')
    args = ("run", "--suite", suite, "-e", "logreg", "--folds", "2", "-q", "--out", tmp_path / "r")
    done = cli(*args, "--target", "city")
    assert done.returncode == 2 and done.stderr.strip() == (
        f"treesvsnets: error: --target 'city' and the target 'label' given for "
        f"'{tmp_path / 't.csv'}' (by the suite or config file) disagree; drop --target, or "
        "change the table's."
    )
    assert cli(*args, "--target", "label").returncode == 0  # the same: no conflict


def test_a_suites_repeated_dataset_or_bad_default_estimator_is_refused_naming_the_file(tmp_path):
    """A dataset listed twice was refused without naming the suite file; an unknown
    estimator in [defaults] was never looked at when -e replaced the list (the run went
    ahead, though docs/suites.md says every bad default is refused); and 'randomforest' was
    'Did you mean adaboost?'."""
    write_table(dirty_frame(), tmp_path / "t.csv")
    twice = tmp_path / "twice.toml"
    twice.write_text('datasets = ["t.csv", "iris", {path = "t.csv", target = "label"}]\n')
    done = cli("run", "--suite", twice, "--out", tmp_path / "r")
    assert done.returncode == 2 and done.stderr.strip() == (
        f"treesvsnets: error: suite file {str(twice)!r}: dataset {str(tmp_path / 't.csv')!r} "
        "is listed twice; list each once."
    )
    bad = tmp_path / "bad.toml"
    bad.write_text('datasets = ["iris"]\n[defaults]\nestimators = ["rf", "randomforest"]\n')
    done = cli("run", "--suite", bad, "-e", "logreg", "--out", tmp_path / "r")
    assert done.returncode == 2 and not (tmp_path / "r").exists()
    assert done.stderr.startswith(
        f"treesvsnets: error: suite file {str(bad)!r} [defaults]: unknown estimator "
        "'randomforest'; choose from: "
    )
    assert done.stderr.strip().endswith("Did you mean 'rf'?")
