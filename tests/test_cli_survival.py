"""Runs that survive, through the real CLI: signals, --resume, limits, and a Dask cluster."""

import json
import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers.cli import cli, cli_in_background
from treesvsnets.bench.cells.measure import cpu_count

ROOT = Path(__file__).resolve().parents[1]
MISBEHAVING = ROOT / "tests" / "plugins" / "misbehaving.py"
# 'slow' (a 0.4 s fit) and logreg are deterministic: an interrupted-then-resumed run must give
# exactly the rows of an uninterrupted one
SMALL_RUN = ["-d", "wine", "-e", "slow", "-e", "logreg", "--folds", "4", "--no-baseline"]
SMALL_RUN += ["--plugin", MISBEHAVING]
COMPARED = ["dataset", "estimator", "seed", "fold", "status", "split_hash", "n_train", "n_test"]
SCORES = ["accuracy", "balanced_accuracy", "f1_macro", "log_loss"]


def _rows(run_dir: Path) -> pd.DataFrame:
    rows = pd.read_csv(run_dir / "results.csv")
    return rows.sort_values(["estimator", "fold"]).reset_index(drop=True)[COMPARED + SCORES]


def _run_in_background(*args) -> subprocess.Popen:
    return cli_in_background("run", *args, cwd=ROOT)


def _stop_after(process: subprocess.Popen, cells: int, how: signal.Signals) -> str:
    """Send ``how`` once ``cells`` progress lines have appeared; return the rest of stderr."""
    seen = 0
    for line in process.stderr:
        seen += line.startswith("[")
        if seen == cells:
            break
    process.send_signal(how)
    _, rest = process.communicate(timeout=120)
    return rest


@pytest.mark.parametrize(
    ("how", "code", "word"),
    [
        (signal.SIGINT, 130, "interrupted"),
        pytest.param(signal.SIGTERM, 143, "terminated", marks=pytest.mark.slow),
    ],
)
def test_a_stopped_run_resumes_to_the_rows_of_an_uninterrupted_one(tmp_path, how, code, word):
    uninterrupted = cli("run", *SMALL_RUN, "--out", tmp_path / "whole", cwd=ROOT)
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    (whole,) = (tmp_path / "whole").iterdir()

    process = _run_in_background(*SMALL_RUN, "--out", tmp_path / "stopped")
    stderr = _stop_after(process, cells=2, how=how)
    (stopped,) = (tmp_path / "stopped").iterdir()
    assert process.returncode == code
    assert f"{word}; finished cells are kept in {stopped}; finish it with: " in stderr
    manifest = json.loads((stopped / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    kept = pd.read_csv(stopped / "results.csv")
    assert 2 <= len(kept) < 8 and set(kept["status"]) == {"ok"}

    resumed = cli("run", "--resume", stopped, cwd=ROOT)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {len(kept)} cell(s) already done, {8 - len(kept)} cells" in resumed.stderr
    manifest = json.loads((stopped / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["cells_missing"] == 0
    pd.testing.assert_frame_equal(_rows(stopped), _rows(whole))


def test_limits_from_the_command_line_are_recorded_per_row(tmp_path):
    done = cli(
        "run",
        *["-d", "iris", "-e", "hangs", "-e", "greedy", "-e", "quick", "--folds", "2"],
        "--no-baseline",
        *["--plugin", MISBEHAVING, "--timeout", "4", "--max-memory", "600MB"],
        *["--jobs", "2", "--out", tmp_path],
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr  # failed cells are results, not a failed run
    assert "TIMEOUT: stopped after " in done.stderr and "OOM: stopped at " in done.stderr
    assert "2 cell(s) failed" not in done.stderr and "4 cell(s) failed" in done.stderr
    (run_dir,) = tmp_path.iterdir()
    rows = pd.read_csv(run_dir / "results.csv")
    assert rows.groupby("estimator")["status"].agg(set).to_dict() == {
        "hangs": {"timeout"},
        "greedy": {"oom"},
        "quick": {"ok"},
    }
    assert set(rows["time_limit_s"]) == {4} and set(rows["memory_limit_mb"]) == {600}
    report = (run_dir / "report.md").read_text()
    assert "exceeded the time limit of 4 s" in report


def test_a_file_named_as_a_module_in_the_working_folder_reaches_no_worker(tmp_path):
    """The command as a user starts it, in a folder that holds an html.py (a plugin's helper,
    a script): workers start with 'python -m', which put that folder first on their path, so
    every cell, the baseline's too, crashed importing it."""
    import sys

    for name in ("html", "csv", "numbers"):
        (tmp_path / f"{name}.py").write_text(f"raise ImportError('the folder's {name}.py')\n")
    command = Path(sys.executable).with_name("treesvsnets")
    done = subprocess.run(
        [command, "run", "-d", "iris", "-e", "logreg", "--folds", "2", "-q", "--out", "runs"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert set(pd.read_csv(run_dir / "results.csv")["status"]) == {"ok"}


def test_a_run_whose_every_asked_for_cell_failed_exits_1_and_keeps_its_rows(tmp_path):
    """Only the baseline measured anything (the one estimator asked for raised on every fold):
    the rows and the report are kept, and the exit code is 1, not the 0 of a run that
    answered something; with one estimator that succeeds beside it, the run exits 0."""
    args = ["-d", "iris", "-e", "raises", "--folds", "2", "--plugin", MISBEHAVING, "-q"]
    failed = cli("run", *args, "--out", tmp_path / "failed", cwd=ROOT)
    assert failed.returncode == 1, failed.stderr
    assert "every cell of raises failed (2 cells): the run measured nothing" in failed.stderr
    (run_dir,) = (tmp_path / "failed").iterdir()
    rows = pd.read_csv(run_dir / "results.csv")
    assert rows.groupby("estimator")["status"].agg(set).to_dict() == {
        "raises": {"error"},
        "dummy": {"ok"},
    }
    assert (run_dir / "report.md").is_file()
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "complete"

    mixed = cli("run", *args, "-e", "logreg", "--out", tmp_path / "mixed", cwd=ROOT)
    assert mixed.returncode == 0, mixed.stderr
    assert "2 cell(s) failed" in mixed.stderr and "measured nothing" not in mixed.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--retry-failed"], "--retry-failed works with --resume RUN_DIR"),
        (["--in-process", "--timeout", "5"], "'timeout' needs cells in worker processes"),
        (["--max-memory", "lots"], "'max_memory' must be a size with a unit like 8GB"),
        (["--jobs", "0"], "'jobs' must be a positive integer, got 0."),
        (["--scheduler", "localhost:8786"], "'scheduler' must be a Dask scheduler address"),
        (["--resume", "nowhere"], "'nowhere' is not a run folder"),
    ],
)
def test_bad_execution_flags_are_one_sentence_and_exit_2(tmp_path, args, message):
    out = [] if "--resume" in args else ["--out", tmp_path / "runs"]  # --resume takes no --out
    done = cli("run", *args, *out)
    assert done.returncode == 2
    assert done.stderr.startswith("treesvsnets: error: ") and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_resume_refuses_flags_that_change_the_run(tmp_path):
    first = cli("run", "-d", "iris", "-e", "logreg", "--folds", "2", "--out", tmp_path)
    assert first.returncode == 0, first.stderr
    (run_dir,) = tmp_path.iterdir()
    done = cli("run", "--resume", run_dir, "-e", "rf", "--folds", "3")
    assert done.returncode == 2
    assert "leave out --estimator, --folds (only --jobs, --timeout, --max-memory, " in done.stderr
    assert "--in-process, --fold-parallel and --retry-failed may change)." in done.stderr


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="start times from /proc")
def test_a_killed_runs_process_number_taken_by_another_does_not_block_its_resume(tmp_path):
    """After kill -9 and a restart (a container's job as process 1 again, a reboot), another
    process holds the number the manifest names: resume said 'still running (process 1)'
    for ever. The process's start time tells them apart; a live run is still refused."""
    first = cli("run", "-d", "iris", "-e", "logreg", "--folds", "2", "--out", tmp_path)
    assert first.returncode == 0, first.stderr
    (run_dir,) = tmp_path.iterdir()
    manifest_path = run_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert "pid" not in manifest and "pid_started" not in manifest  # ended: none kept
    with subprocess.Popen(["sleep", "60"]) as alive:
        try:
            started = int(Path(f"/proc/{alive.pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
            for pid_started, refused in ((started, True), (started + 1, False)):
                manifest.update(status="running", pid=alive.pid, pid_started=pid_started)
                manifest_path.write_text(json.dumps(manifest))
                done = cli("run", "--resume", run_dir)
                assert (done.returncode == 2) == refused, done.stderr
                assert ("is still running (process" in done.stderr) == refused
        finally:
            alive.kill()


@pytest.mark.slow  # a long scenario: .ci/run's slow pass
def test_a_dask_cluster_gives_the_local_results_and_applies_the_limits(tmp_path, dask_cluster):
    args = ["-d", "wine", "-e", "rf", "-e", "logreg", "-e", "hangs", "--folds", "3"]
    args += ["--plugin", MISBEHAVING, "--timeout", "2"]
    local = cli("run", *args, "--out", tmp_path / "local", cwd=ROOT)
    assert local.returncode == 0, local.stderr
    remote = cli("run", *args, "--scheduler", dask_cluster, "--out", tmp_path / "dask", cwd=ROOT)
    assert remote.returncode == 0, remote.stderr
    assert f"on Dask cluster {dask_cluster} (2 workers, 2 threads)" in remote.stderr
    (local_dir,) = (tmp_path / "local").iterdir()
    (dask_dir,) = (tmp_path / "dask").iterdir()
    local_rows, dask_rows = _rows(local_dir), _rows(dask_dir)
    pd.testing.assert_frame_equal(local_rows, dask_rows)
    assert set(dask_rows.loc[dask_rows.estimator == "hangs", "status"]) == {"timeout"}
    raw = pd.read_csv(dask_dir / "results.csv")
    # two workers of one thread share this machine: each cell gets half its cores, except a
    # single-threaded estimator's, which gets one
    assert raw["jobs"].isna().all()
    assert (raw.loc[raw.estimator == "rf", "threads"] == max(1, cpu_count() // 2)).all()
    assert (raw.loc[raw.estimator == "logreg", "threads"] == 1).all()


@pytest.mark.slow  # a long scenario: .ci/run's slow pass
def test_a_tuned_run_on_a_dask_cluster_gives_the_local_trials_and_rows(tmp_path, dask_cluster):
    """Trials are jobs like cells: on Dask they spread over the cluster and come back the
    same (the random sampler's trial n is the same config wherever and whenever it runs)."""
    import sqlite3

    args = ["-d", "wine", "-e", "rf", "--param", "n_estimators=20", "-e", "logreg"]
    args += ["--folds", "2", "--tune", "3", "--threads", "1", "-q"]
    local = cli("run", *args, "--out", tmp_path / "local", cwd=ROOT)
    assert local.returncode == 0, local.stderr
    remote = cli("run", *args, "--scheduler", dask_cluster, "--out", tmp_path / "dask", cwd=ROOT)
    assert remote.returncode == 0, remote.stderr
    compared = ["estimator", "fold", "trial", "params", "status", "val_score", "test_score"]
    found = []
    for side in ("local", "dask"):
        (run_dir,) = (tmp_path / side).iterdir()
        with sqlite3.connect(run_dir / "results.sqlite") as connection:
            trials = pd.read_sql_query("SELECT * FROM trials", connection)
        rows = pd.read_csv(run_dir / "results.csv")
        found.append(
            (
                trials[compared].sort_values(compared[:3]).reset_index(drop=True),
                rows[["estimator", "fold", "tuning", "accuracy", "best_params"]]
                .sort_values(["estimator", "fold", "tuning"])
                .reset_index(drop=True),
            )
        )
    (local_trials, local_rows), (dask_trials, dask_rows) = found
    assert len(local_trials) == 2 * 2 * 3
    pd.testing.assert_frame_equal(local_trials, dask_trials)
    pd.testing.assert_frame_equal(local_rows, dask_rows)


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_a_run_resumes_from_another_folder_than_the_one_it_started_in(tmp_path):
    """The run's config keeps its table path as typed (``t.csv``): a resume from elsewhere
    read it from there, and stopped with "data file 't.csv' does not exist"."""
    import sqlite3

    from tests.helpers.tables import dirty_frame, write_table

    started, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    started.mkdir()
    elsewhere.mkdir()
    write_table(dirty_frame(), started / "t.csv")
    args = ("-e", "logreg", "-e", "rf", "--folds", "2", "-q", "--no-baseline")
    done = cli("run", "-d", "t.csv", "-d", "iris", *args, "--out", "runs", cwd=started)
    assert done.returncode == 0, done.stderr
    (run_dir,) = (started / "runs").iterdir()
    whole = _rows(run_dir)
    with sqlite3.connect(run_dir / "results.sqlite") as store:
        store.execute("DELETE FROM results WHERE dataset = 't' AND estimator = 'rf'")
    for _ in range(2):  # and again, once its config was rewritten by the first resume
        done = cli("run", "--resume", run_dir, "-q", cwd=elsewhere)
        assert done.returncode == 0, done.stderr
    resumed = _rows(run_dir)
    assert len(resumed) == len(whole) == 2 * 2 * 2
    key = ["dataset", "estimator", "fold"]
    pd.testing.assert_frame_equal(
        resumed.sort_values(key, ignore_index=True), whole.sort_values(key, ignore_index=True)
    )
    assert not (elsewhere / "runs").exists()
