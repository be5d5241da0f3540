"""Cells in worker processes: hard limits, crashes, --jobs, resume (library API, real processes)."""

import json
import os
import re
import sqlite3
import sys
import threading
import time

import pandas as pd
import pytest

import treesvsnets
from tests.helpers.estimators import (
    EnvironmentChanger,
    EnvironmentReader,
    ExitingEstimator,
    GreedyEstimator,
    HangingEstimator,
    HoardingEstimator,
    ProbaDummy,
    RaisingEstimator,
    SegfaultingEstimator,
    TraceLeaver,
    TraceReader,
)
from treesvsnets.errors import ConfigError
from treesvsnets.results.folder import RunFolder

COMPARED = ["dataset", "estimator", "seed", "fold", "status", "split_hash", "n_train", "n_test"]
SCORES = ["accuracy", "balanced_accuracy", "f1_macro", "log_loss"]


def _sorted(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values(["dataset", "estimator", "seed", "fold"]).reset_index(drop=True)


def test_each_misbehaving_cell_gets_its_status_and_every_good_row_is_kept(tmp_path, register_spec):
    register_spec("hangs", HangingEstimator)
    register_spec("exits", ExitingEstimator)
    register_spec("segfaults", SegfaultingEstimator)
    register_spec("greedy", GreedyEstimator)
    register_spec("raises", RaisingEstimator)
    register_spec("quick", ProbaDummy)
    estimators = ["quick", "hangs", "exits", "segfaults", "greedy", "raises", "logreg"]
    result = treesvsnets.run(
        baseline=False,
        datasets=["wine"],
        estimators=estimators,
        folds=2,
        out=tmp_path,
        progress=False,
        timeout=2,
        # a worker holds about 190 MB; the greedy cells must pass the limit well inside the 2 s
        # (two of them paging in side by side reached only 700 MB in 2 s on a slow VM)
        max_memory="450MB",
        jobs=2,
    )
    rows = result.rows.set_index(["estimator", "fold"])
    assert len(rows) == 14  # every cell has its row, whatever happened to it
    assert rows.groupby("estimator")["status"].apply(set).to_dict() == {
        "quick": {"ok"},
        "logreg": {"ok"},
        "hangs": {"timeout"},
        "exits": {"crashed"},
        "segfaults": {"crashed"},
        "greedy": {"oom"},
        "raises": {"error"},
    }
    stopped_after = re.match(r"stopped after ([\d.]+) s", rows.loc[("hangs", 0), "error"])
    assert float(stopped_after.group(1)) >= 2  # never before the limit (later under load)
    assert "time limit of 2 s" in rows.loc[("hangs", 0), "error"]
    assert "memory limit of 450 MB" in rows.loc[("greedy", 0), "error"]
    assert rows.loc[("greedy", 0), "peak_rss_mb"] > 450
    assert "exited with code 1" in rows.loc[("exits", 0), "error"]
    assert "SIGSEGV" in rows.loc[("segfaults", 0), "error"]
    assert "in string_at" in rows.loc[("segfaults", 0), "traceback"]  # faulthandler's stack
    assert (rows["time_limit_s"] == 2).all() and (rows["memory_limit_mb"] == 450).all()
    assert (rows["jobs"] == 2).all() and (rows["threads"] == 1).all()  # 2 cores / 2 jobs
    # every row says when its cell started, even one whose worker never reported back: a
    # stopped cell's row spans the cell (at least its limit), not the time since planning
    assert rows["started_at"].notna().all() and (rows["started_at"] <= rows["ended_at"]).all()
    hang = rows.loc[("hangs", 0)]
    spent = pd.Timestamp(hang["ended_at"]) - pd.Timestamp(hang["started_at"])
    assert 2 <= spent.total_seconds() < 60
    # the good cells score exactly as they do when run alone, in this process
    alone = treesvsnets.run(
        baseline=False,
        datasets=["wine"],
        estimators=["quick", "logreg"],
        folds=2,
        out=tmp_path,
        progress=False,
        isolate=False,
    ).rows.set_index(["estimator", "fold"])
    good = rows.loc[["quick", "logreg"], SCORES]
    pd.testing.assert_frame_equal(good, alone.loc[good.index, SCORES])
    assert result.manifest["cells_by_status"] == {
        "ok": 4,
        "timeout": 2,
        "crashed": 4,
        "oom": 2,
        "error": 2,
    }


def test_jobs_run_cells_side_by_side_with_the_same_results(tmp_path):
    common = dict(datasets=["wine"], estimators=["rf", "logreg"], folds=3, progress=False)
    one = treesvsnets.run(baseline=False, out=tmp_path / "one", jobs=1, threads=1, **common)
    two = treesvsnets.run(baseline=False, out=tmp_path / "two", jobs=2, **common)
    assert "2 worker processes" in two.manifest["executor"]
    assert two.manifest["threads_per_cell"] == 1  # the 2 cores shared by 2 cells at once
    a, b = _sorted(one.rows), _sorted(two.rows)
    pd.testing.assert_frame_equal(a[COMPARED + SCORES], b[COMPARED + SCORES])
    assert (b["jobs"] == 2).all() and (a["jobs"] == 1).all()


def test_limits_need_worker_processes():
    with pytest.raises(ConfigError, match="'timeout' need.* worker processes"):
        treesvsnets.run(baseline=False, isolate=False, timeout=10)


def test_an_oversubscribed_thread_budget_is_allowed_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="2 jobs x 4 threads = 8 threads on"):
        result = treesvsnets.run(
            baseline=False,
            datasets=["iris"],
            estimators=["rf", "logreg"],
            folds=2,
            jobs=2,
            threads=4,
            out=tmp_path,
            progress=False,
        )
    threads = result.rows.groupby("estimator")["threads"].unique()
    assert list(threads["rf"]) == [4]
    assert list(threads["logreg"]) == [1]  # single-threaded: more threads would only slow BLAS


def _forget_cells(run_dir, where: str) -> int:
    """Delete rows from a finished run's store and mark it interrupted, as a kill would leave it."""
    with sqlite3.connect(run_dir / "results.sqlite") as connection:
        deleted = connection.execute(f"DELETE FROM results WHERE {where}").rowcount
    folder = RunFolder.open(run_dir)
    manifest = folder.read_manifest()
    manifest.status = "interrupted"
    folder.write_manifest(manifest)
    return deleted


def test_resume_runs_only_the_missing_cells_and_gives_the_same_rows(tmp_path):
    full = treesvsnets.run(
        baseline=False,
        datasets=["wine", "iris"],
        estimators=["rf", "logreg"],
        folds=3,
        out=tmp_path,
        progress=False,
    )
    assert _forget_cells(full.run_dir, "estimator = 'rf' AND fold > 0 OR dataset = 'iris'") == 8
    events = []
    resumed = treesvsnets.resume(full.run_dir, progress=events.append, jobs=2)
    assert events[0].resumed_from == 4 and events[0].total == 8
    assert resumed.run_id == full.run_id and resumed.manifest["status"] == "complete"
    assert resumed.manifest["cells_missing"] == 0 and len(resumed.manifest["resumed"]) == 1
    pd.testing.assert_frame_equal(
        _sorted(full.rows)[COMPARED + SCORES], _sorted(resumed.rows)[COMPARED + SCORES]
    )
    written = pd.read_csv(full.run_dir / "results.csv")
    assert len(written) == 12 and not written.duplicated(["dataset", "estimator", "fold"]).any()
    assert json.loads((full.run_dir / "manifest.json").read_text())["status"] == "complete"


class FailsWhileFileExists(ProbaDummy):
    """Fails while ``marker`` exists: a transient failure a retry can fix."""

    def __init__(self, marker: str = "", random_state=None) -> None:
        self.marker = marker
        self.random_state = random_state

    def fit(self, X, y):
        from pathlib import Path

        if Path(self.marker).exists():
            raise RuntimeError("the marker file is still there")
        return super().fit(X, y)


def test_retry_failed_runs_failed_cells_again_and_replaces_their_rows(tmp_path, register_spec):
    marker = tmp_path / "failing"
    marker.touch()
    register_spec("flaky", FailsWhileFileExists)
    first = treesvsnets.run(
        baseline=False,
        datasets=["iris"],
        estimators=["flaky", "logreg"],
        folds=2,
        params={"flaky": {"marker": str(marker)}},
        out=tmp_path / "runs",
        progress=False,
    )
    assert first.manifest["cells_by_status"] == {"error": 2, "ok": 2}
    marker.unlink()
    # without --retry-failed a finished run has nothing left to do
    again = treesvsnets.resume(first.run_dir, progress=False)
    assert again.manifest["cells_by_status"] == {"error": 2, "ok": 2}
    retried = treesvsnets.resume(first.run_dir, retry_failed=True, progress=False)
    assert retried.manifest["cells_by_status"] == {"ok": 4}
    assert len(retried.rows) == 4


def test_resume_refuses_to_change_what_the_run_computes(tmp_path):
    result = treesvsnets.run(
        baseline=False,
        datasets=["iris"],
        estimators=["logreg"],
        folds=2,
        out=tmp_path,
        progress=False,
    )
    with pytest.raises(ConfigError, match="only jobs, timeout, .* may change, not folds"):
        treesvsnets.resume(result.run_dir, folds=3)
    with pytest.raises(ConfigError, match="is not a run folder"):
        treesvsnets.resume(tmp_path / "nothing-here")


def test_an_estimator_that_cannot_reach_a_worker_is_named(tmp_path, register_spec):
    import threading

    lock = threading.Lock()  # cannot be pickled, so the factory cannot travel

    def factory(random_state=None):
        with lock:
            return ProbaDummy(random_state=random_state)

    register_spec("locked", factory)
    with pytest.raises(ConfigError, match="estimator 'locked' cannot be sent to a worker"):
        treesvsnets.run(
            baseline=False, datasets=["iris"], estimators=["locked"], out=tmp_path, progress=False
        )
    assert not any(tmp_path.iterdir())
    in_process = treesvsnets.run(
        baseline=False,
        datasets=["iris"],
        estimators=["locked"],
        out=tmp_path,
        progress=False,
        isolate=False,
    )
    assert set(in_process.rows["status"]) == {"ok"}


def test_with_several_jobs_the_costliest_cells_start_first(tmp_path):
    result = treesvsnets.run(
        baseline=False,
        datasets=["wine"],
        estimators=["logreg", "rf"],  # rf is the costlier (EstimatorSpec.relative_cost)
        folds=2,
        jobs=2,
        out=tmp_path,
        progress=False,
    )
    # both workers take an rf cell first; logreg cells can only start after one ends
    assert result.rows["estimator"].iloc[0] == "rf"
    assert sorted(result.rows["estimator"]) == ["logreg", "logreg", "rf", "rf"]


def test_a_worker_starts_its_next_cell_while_the_last_ones_row_is_stored(tmp_path):
    """A fixed list of cells: the worker is handed its next one before the harness stores
    (and shows) the row of the last, so a slow store or progress line costs it nothing."""
    import time

    shown = {}

    def slow_progress(event):
        if event.index == 1:  # the first row: stored, now shown, slowly
            time.sleep(0.5)
            shown["first"] = time.time()

    rows = treesvsnets.run(datasets=["iris"], estimators=["logreg"], folds=3, baseline=False,
                           threads=1, out=tmp_path, progress=slow_progress).rows  # fmt: skip
    starts = sorted(pd.to_datetime(rows["started_at"]).map(lambda t: t.timestamp()))
    assert starts[1] < shown["first"] - 0.3  # the second cell ran during the slow line


def test_a_worker_started_before_the_run_is_the_one_that_runs_its_cells(tmp_path):
    from treesvsnets.bench.execute import spawn
    from treesvsnets.bench.execute.executors import stop_parked_workers

    stop_parked_workers()  # no warm worker of an earlier test to reuse instead
    spawn.kill_spares()
    spawn.start_spares(1)
    spare = spawn._spares[0]
    result = treesvsnets.run(datasets=["iris"], estimators=["logreg"], folds=2, baseline=False,
                             threads=1, out=tmp_path, progress=False)  # fmt: skip
    assert set(result.rows["status"]) == {"ok"}
    assert spawn.take_spare(spawn.IDLE_SECONDS) is None  # taken by the run's executor
    assert spare.process.poll() is None  # and kept for the next run, as any worker is


def test_a_spare_no_run_took_is_killed_and_leaves_no_file():
    from pathlib import Path

    from treesvsnets.bench.execute import spawn

    spawn.kill_spares()
    spawn.start_spares(1)
    spare = spawn._spares[0]
    spawn.kill_spares()
    assert spare.process.poll() is not None
    assert not Path(spare.crash_file).exists()


_HARNESS_WITH_A_WORKER = """
import time
from treesvsnets.bench.execute import spawn
print(spawn.spawn(None).crash_file, flush=True)
time.sleep(120)
"""


def test_a_run_removes_the_crash_files_a_killed_harness_left_and_keeps_a_live_ones(tmp_path):
    """A harness killed with SIGKILL cannot remove its workers' crash files; the next run
    does, and leaves those of a harness still running (its workers may yet crash)."""
    import signal
    import subprocess
    import time
    from pathlib import Path

    from treesvsnets.bench.execute import spawn

    temp = tmp_path / "temp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}

    def harness() -> tuple[subprocess.Popen, Path]:
        process = subprocess.Popen([sys.executable, "-c", _HARNESS_WITH_A_WORKER], env=env,
                                   stdout=subprocess.PIPE, text=True)  # fmt: skip
        return process, Path(process.stdout.readline().strip())

    live, kept = harness()
    try:
        killed, orphaned = harness()
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        assert orphaned.parent == temp and orphaned.exists() and kept.exists()
        recent = temp / f"treesvsnets-worker-{killed.pid}-recent.txt"  # less than a minute old
        recent.write_text("")
        old = time.time() - spawn.ORPHAN_SECONDS - 5  # killed more than a minute ago
        os.utime(orphaned, (old, old))
        not_ours = ["2147483648-x", "²-x", "١٢-x", "abc-x", "-", "0x1f-a", "k_8c1j58"]
        for name in not_ours:  # a process id too large, digits that are not ASCII...
            (temp / f"treesvsnets-worker-{name}.txt").write_text("")
            os.utime(temp / f"treesvsnets-worker-{name}.txt", (old, old))
        older_version = temp / "treesvsnets-worker-x0_9abcd.txt"  # no process id, a day old
        older_version.write_text("")
        day_ago = time.time() - spawn.UNNAMED_ORPHAN_SECONDS - 5
        os.utime(older_version, (day_ago, day_ago))
        done = subprocess.run([sys.executable, "-m", "treesvsnets", "run", "-d", "iris",
                               "-e", "logreg", "--folds", "2", "--no-baseline", "-q",
                               "--out", str(tmp_path / "runs")],
                              env=env, capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert not orphaned.exists() and not older_version.exists()
        assert kept.exists()
        left = {path.name for path in temp.glob("treesvsnets-worker-*")}  # none of the run's
        assert left == {kept.name, recent.name} | {f"treesvsnets-worker-{n}.txt" for n in not_ours}
    finally:
        live.kill()
        live.wait()


def test_a_spare_about_to_exit_for_waiting_is_not_taken():
    """A spare that has waited nearly its idle timeout may exit as its setup arrives: it is
    killed instead, and the executor starts a fresh worker."""
    import time

    from treesvsnets.bench.execute import spawn

    spawn.kill_spares()
    spawn.start_spares(1, idle_seconds=spawn.IDLE_MARGIN_SECONDS + 0.5)
    spare = spawn._spares[0]
    time.sleep(0.6)
    assert spawn.take_spare(spawn.IDLE_MARGIN_SECONDS + 0.5) is None
    assert spare.process.poll() is not None  # killed, not left behind


def _parked_pids():
    from treesvsnets.bench.execute import executors

    return [worker.process.pid for worker in executors._parked]


@pytest.mark.skipif(sys.platform != "linux", reason="a worker's memory is read from /proc")
def test_a_later_run_with_other_estimators_takes_a_lean_parked_worker_and_gets_the_same_rows(
    tmp_path,
):
    """A notebook's second run with other estimators and datasets is set up in the worker
    the first one left (no second of imports), and its rows are those a new worker gives."""
    from treesvsnets.bench.execute.executors import stop_parked_workers

    stop_parked_workers()
    first = {"datasets": ["iris"], "estimators": ["logreg"], "folds": 2, "threads": 1}
    second = {"datasets": ["wine"], "estimators": ["rf", "logreg"], "folds": 2, "threads": 1}
    treesvsnets.run(**first, out=tmp_path / "a", progress=False)
    (left,) = _parked_pids()
    reused = treesvsnets.run(**second, out=tmp_path / "b", progress=False).rows
    assert _parked_pids() == [left]  # the same process ran the second run's cells
    stop_parked_workers()
    fresh = treesvsnets.run(**second, out=tmp_path / "c", progress=False).rows
    assert left not in _parked_pids()
    assert set(reused["status"]) == {"ok"}
    columns = [*COMPARED, *SCORES, "params", "threads"]
    pd.testing.assert_frame_equal(_sorted(reused)[columns], _sorted(fresh)[columns])


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_a_parked_worker_that_imported_torch_is_not_given_a_run_without_nets(tmp_path):
    """torch's hundreds of MB would count in every later cell's memory (and against
    --max-memory): a worker holding that much more than fresh is left for runs like its own."""
    from treesvsnets.bench.execute import executors

    executors.stop_parked_workers()
    treesvsnets.run(
        datasets=["iris"],
        estimators=["dense"],
        params={"dense": {"epochs": 1}},
        folds=2,
        threads=1,
        baseline=False,
        out=tmp_path / "a",
        progress=False,
    )  # fmt: skip  (no dummy: it would get a new worker)
    (with_torch,) = executors._parked
    its_setup = with_torch.setup
    assert not with_torch.lean()
    rows = treesvsnets.run(datasets=["iris"], estimators=["logreg"], folds=2, threads=1,
                           out=tmp_path / "b", progress=False).rows  # fmt: skip
    assert set(rows["status"]) == {"ok"}
    assert with_torch.setup is its_setup  # never given the second run's setup: a new one ran
    assert rows["peak_rss_mb"].max() < 600  # not torch's worker (about 800 MB here)
    executors.stop_parked_workers()


def test_a_cell_that_changes_the_environment_leaves_it_to_its_own_cells(tmp_path, register_spec):
    """A plugin that sets OMP_NUM_THREADS (or anything) in fit changes its own worker's
    environment; the next cells in that worker start from the worker's own again."""
    register_spec("changer", EnvironmentChanger)
    register_spec("reader", EnvironmentReader)
    rows = treesvsnets.run(datasets=["iris"], estimators=["changer", "reader"], folds=2,
                           baseline=False, out=tmp_path, progress=False).rows  # fmt: skip
    assert rows.groupby("estimator")["error"].first().isna().all(), rows["error"].tolist()
    assert set(rows["status"]) == {"ok"}


@pytest.mark.parametrize(
    "trace",
    [
        "thread",
        "memory",
        "library settings",
        # the same mechanism as those above: the long cases, in .ci/run's slow pass
        *(
            pytest.param(trace, marks=pytest.mark.slow)
            for trace in ("folder", "recursion", "path and signals", "closed stderr")
        ),
    ],
)
def test_what_a_cell_leaves_in_its_worker_never_reaches_the_next(tmp_path, register_spec, trace):
    """A thread still running (it would share the next cell's cores) or memory kept (the next
    cell's reading and headroom) spoil the worker: the next cell gets a new one. The folder
    and the recursion limit are put back. Each leaver cell is followed by reader cells in
    one worker (jobs=1); before, they saw the trace and failed."""
    register_spec("leaver", TraceLeaver, default_params={"trace": trace})
    register_spec("reader", TraceReader)
    rows = treesvsnets.run(datasets=["iris"], estimators=["leaver", "reader"], folds=2,
                           baseline=False, out=tmp_path, progress=False, jobs=1).rows  # fmt: skip
    assert rows["error"].isna().all(), rows["error"].tolist()
    assert set(rows["status"]) == {"ok"}


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
@pytest.mark.skipif(sys.platform != "linux", reason="a worker's memory is read from /proc")
def test_a_cell_after_a_nets_reads_the_memory_of_a_worker_without_torch(tmp_path):
    """A net's cell leaves torch (hundreds of MB) in its worker: the next cell of another
    estimator (a tree, the baseline) gets a new worker, so its memory, and its headroom
    under --max-memory, are what they would be without the net before it."""
    rows = treesvsnets.run(
        datasets=["iris"],
        estimators=["dense", "rf"],  # rf after the net, then the baseline
        params={"rf": {"n_estimators": 20}, "dense": {"epochs": 2}},
        folds=2,
        threads=1,
        out=tmp_path,
        progress=False,
    ).rows
    assert set(rows["status"]) == {"ok"}
    assert list(rows["estimator"]) == ["dense"] * 2 + ["rf"] * 2 + ["dummy"] * 2
    peak = rows.groupby("estimator")["peak_rss_mb"].max()
    assert peak["rf"] < peak["dense"] - 200 and peak["dummy"] < peak["dense"] - 200, peak


def test_the_torch_worker_waits_aside_while_other_cells_run_in_a_lean_one(tmp_path, monkeypatch):
    """Two datasets, rf then dense then the dummy on each: the dummy's cells go to a second
    worker while the one that loaded torch waits, and the second dataset's dense cells go
    back to it: two workers started in all, torch loaded once (a new worker at each switch
    would be three, and torch loaded twice)."""
    from treesvsnets.bench.execute import executors, isolation

    executors.stop_parked_workers()
    started = []
    real_spawn = isolation.spawn
    monkeypatch.setattr(isolation, "spawn", lambda *a: started.append(1) or real_spawn(*a))
    rows = treesvsnets.run(datasets=["iris", "wine"], estimators=["rf", "dense"],
                           params={"rf": {"n_estimators": 10}, "dense": {"epochs": 1}},
                           folds=2, threads=1, out=tmp_path, progress=False).rows  # fmt: skip
    assert set(rows["status"]) == {"ok"} and len(rows) == 12
    assert len(started) == 2
    peak = rows.groupby(["dataset", "estimator"])["peak_rss_mb"].max()
    assert peak["wine", "rf"] < peak["iris", "dense"] - 200  # rf ran in the lean worker
    executors.stop_parked_workers()


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_a_later_runs_net_cells_take_the_parked_worker_that_holds_torch(tmp_path, monkeypatch):
    """A notebook's second run with a net: its net's cells go to the worker the first run
    left holding torch (given the new run's setup), its other cells to the lean one the first
    run left: no worker is started and torch is not imported again (it was: the lean worker
    imported it, and the cells after the net's got a new worker)."""
    from treesvsnets.bench.execute import executors, isolation

    executors.stop_parked_workers()
    small = {"params": {"dense": {"epochs": 1}}, "folds": 2, "threads": 1, "progress": False}
    treesvsnets.run(datasets=["iris"], estimators=["logreg", "dense"], out=tmp_path / "a", **small)
    holding = {w.process.pid for w in executors._parked if w.net_libraries}
    assert len(holding) == 1 and len(executors._parked) == 2
    started = []
    real_spawn = isolation.spawn
    monkeypatch.setattr(isolation, "spawn", lambda *a: started.append(1) or real_spawn(*a))
    rows = treesvsnets.run(datasets=["wine"], estimators=["dense", "logreg"],
                           out=tmp_path / "b", **small).rows  # fmt: skip
    assert set(rows["status"]) == {"ok"} and len(rows) == 6
    assert started == []
    assert {w.process.pid for w in executors._parked if w.net_libraries} == holding
    peak = rows.groupby("estimator")["peak_rss_mb"].max()
    assert peak["logreg"] < peak["dense"] - 200 and peak["dummy"] < peak["dense"] - 200
    executors.stop_parked_workers()


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_a_parked_torch_worker_that_kept_more_memory_is_not_given_a_later_runs_nets(
    tmp_path, register_spec
):
    """A net-family estimator that leaks 400 MB in the torch worker after dense ran there:
    a later run's dense does not inherit that memory in its readings (a new worker runs it)."""
    from treesvsnets.bench.execute import executors

    register_spec("hoarder", HoardingEstimator, family="deep")
    executors.stop_parked_workers()
    small = {"params": {"dense": {"epochs": 1}}, "folds": 2, "threads": 1, "progress": False}
    first = treesvsnets.run(datasets=["iris"], estimators=["dense", "hoarder"], baseline=False,
                            out=tmp_path / "a", **small).rows  # fmt: skip
    assert set(first["status"]) == {"ok"}
    # the hoarder's worker said it was spoilt (a plugin's 400 MB kept) and exited: no worker
    # that kept more memory than its lightest job is parked for the next run's nets
    assert not [w for w in executors._parked if w.net_libraries and not w.lean_for_nets()]
    rows = treesvsnets.run(datasets=["iris"], estimators=["dense"], baseline=False,
                           out=tmp_path / "b", **small).rows  # fmt: skip
    assert set(rows["status"]) == {"ok"}
    peak = first.groupby("estimator")["peak_rss_mb"].max()
    assert rows["peak_rss_mb"].max() < peak["hoarder"] - 300
    executors.stop_parked_workers()


def test_what_scikit_learn_sets_on_import_and_pytests_test_name_leave_a_worker_reusable(
    monkeypatch,
):
    """scikit-learn sets KMP_DUPLICATE_LIB_OK and KMP_INIT_AT_FORK as it is imported (its
    worker sets the same), and pytest names the current test: a worker started before either
    is still one this process's environment would start; another variable is not."""
    from treesvsnets.bench.execute.isolation import WorkerProcess

    worker = WorkerProcess(setup=None)
    skipped = ("KMP_DUPLICATE_LIB_OK", "KMP_INIT_AT_FORK", "PYTEST_CURRENT_TEST")
    worker.environment = {k: v for k, v in os.environ.items() if k not in skipped}
    monkeypatch.setenv("KMP_DUPLICATE_LIB_OK", "True")
    monkeypatch.setenv("KMP_INIT_AT_FORK", "FALSE")
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "a later test")
    assert worker.environment_unchanged()
    monkeypatch.setenv("KMP_INIT_AT_FORK", "TRUE")  # not what scikit-learn sets: set by hand
    assert not worker.environment_unchanged()
    monkeypatch.setenv("KMP_INIT_AT_FORK", "FALSE")
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert not worker.environment_unchanged()


def test_a_parked_worker_started_before_the_environment_changed_is_not_reused(
    tmp_path, monkeypatch
):
    """A worker reads $TREESVSNETS_DATA_DIR, $OMP_NUM_THREADS... as they were when it
    started: once this process's environment changes, a later run gets a new worker."""
    from treesvsnets.bench.execute.executors import stop_parked_workers

    stop_parked_workers()
    run = {"datasets": ["iris"], "estimators": ["logreg"], "folds": 2, "threads": 1}
    treesvsnets.run(**run, out=tmp_path / "a", progress=False)
    (left,) = _parked_pids()
    monkeypatch.setenv("TREESVSNETS_DATA_DIR", str(tmp_path / "elsewhere"))
    rows = treesvsnets.run(**run, out=tmp_path / "b", progress=False).rows
    assert set(rows["status"]) == {"ok"}
    (new,) = _parked_pids()  # the old one stopped, not kept beside it
    assert new != left
    stop_parked_workers()  # started with the patched environment


@pytest.mark.skipif(sys.platform != "linux", reason="a worker's memory is read from /proc")
def test_a_later_run_with_the_same_plugin_file_is_set_up_in_the_parked_worker(tmp_path):
    """A notebook loads a plugin file (which defines its own class) once and runs twice: the
    file is imported once per worker (a second setup that imported it again would register
    its estimator twice and fail)."""
    from treesvsnets.bench.execute.executors import stop_parked_workers
    from treesvsnets.estimators import unregister
    from treesvsnets.estimators.plugins import load_plugin

    plugin = tmp_path / "mine.py"
    plugin.write_text(
        "from sklearn.linear_model import LogisticRegression\n"
        "from treesvsnets.estimators import register\n\n\n"
        '@register("my_logreg", family="linear")\n'
        "class MyLogisticRegression(LogisticRegression):\n"
        "    pass\n"
    )
    stop_parked_workers()
    added = load_plugin(str(plugin))
    try:
        first = treesvsnets.run(datasets=["iris"], estimators=["my_logreg"], folds=2,
                                threads=1, out=tmp_path / "a", progress=False)  # fmt: skip
        (left,) = _parked_pids()
        second = treesvsnets.run(datasets=["wine"], estimators=["my_logreg", "rf"], folds=2,
                                 threads=1, out=tmp_path / "b", progress=False)  # fmt: skip
        assert set(first.rows["status"]) == set(second.rows["status"]) == {"ok"}, second.rows
        assert _parked_pids() == [left]  # set up anew, not replaced
    finally:
        stop_parked_workers()
        for name in added:
            unregister(name)


@pytest.mark.skipif(sys.platform != "linux", reason="the tests' fork server runs on Linux only")
def test_the_tests_workers_from_their_fork_server_give_the_rows_of_new_interpreters(
    tmp_path, monkeypatch
):
    """The runs of these tests take their workers from a fork server that has already done a
    new worker's imports (tests/helpers/forkserver.py): its worker gives the rows a worker
    started as a new interpreter gives, and its exit code reaches the harness."""
    from tests.bench.test_pinned_rows import COLUMNS
    from tests.helpers import forkserver
    from treesvsnets.bench.execute import isolation, spawn
    from treesvsnets.bench.execute.executors import stop_parked_workers

    def rows(out):
        stop_parked_workers()  # a new worker for each run
        result = treesvsnets.run(datasets=["iris"], estimators=["logreg", "rf"], folds=2,
                                 params={"rf": {"n_estimators": 10}}, threads=1, out=out,
                                 progress=False)  # fmt: skip
        return result.rows[COLUMNS]

    served = spawn.spawn(None)
    assert isinstance(served.process, forkserver.ServedProcess)
    assert served.process.poll() is None
    spawn.kill_group(served.process)
    served.connection.close()
    assert served.process.returncode == -9  # killed, as the server saw it
    from_server = rows(tmp_path / "served")
    another = isolation.spawn(None)  # the harness's own name for it is the served one too
    assert isinstance(another.process, forkserver.ServedProcess)
    spawn.kill_group(another.process)
    another.connection.close()
    monkeypatch.setattr(spawn, "spawn", forkserver._real_spawn)
    monkeypatch.setattr(isolation, "spawn", forkserver._real_spawn)
    pd.testing.assert_frame_equal(from_server, rows(tmp_path / "new"))
    stop_parked_workers()


@pytest.mark.skipif(sys.platform != "linux", reason="a worker finds its children in /proc")
def test_a_process_a_cell_started_in_a_session_of_its_own_does_not_outlive_it(
    tmp_path, register_spec
):
    """subprocess.Popen(..., start_new_session=True) in fit: the harness's group kill missed
    it, and it ran on after the run, reparented to init."""
    import subprocess

    from tests.helpers.estimators import ESCAPING_CHILD, SessionChildStarter

    register_spec("starter", SessionChildStarter)
    rows = treesvsnets.run(datasets=["iris"], estimators=["starter"], folds=2, baseline=False,
                           out=tmp_path, progress=False).rows  # fmt: skip
    assert set(rows["status"]) == {"ok"}
    left = subprocess.run(["pgrep", "-f", " ".join(ESCAPING_CHILD)], capture_output=True)
    assert left.stdout.strip() == b"", left.stdout


def test_the_processes_a_crashed_cell_started_do_not_outlive_its_worker(tmp_path, register_spec):
    """fit started a process, then the worker died (os._exit, a segfault): the group kill ran
    only while the worker was alive, so the process ran on, reparented to init (a
    '| cat' after the run waited for it, 17 minutes for a long one)."""
    import subprocess

    from tests.helpers.estimators import ORPHANED_CHILD, CrashingParent

    register_spec("crasher", CrashingParent)
    rows = treesvsnets.run(datasets=["iris"], estimators=["crasher", "logreg"], folds=2,
                           baseline=False, out=tmp_path, progress=False).rows  # fmt: skip
    statuses = rows.groupby("estimator")["status"].agg(set).to_dict()
    assert statuses == {"crasher": {"crashed"}, "logreg": {"ok"}}
    left = subprocess.run(["pgrep", "-f", " ".join(ORPHANED_CHILD)], capture_output=True)
    subprocess.run(["pkill", "-f", " ".join(ORPHANED_CHILD)])  # never left to the next test
    assert left.stdout.strip() == b"", left.stdout


def test_a_thread_that_ends_just_after_its_job_leaves_the_worker_fit_for_the_next():
    """A library's thread pool winds down just after the call that used it (scikit-learn's
    forest left a joblib thread waiting for its pool's last message in one run of three):
    it does not spoil the worker, which would cost the next cell a new one's imports. A
    thread still running after the grace does, named."""
    from treesvsnets.bench.execute.worker import JobTraces

    traces = JobTraces()
    threading.Thread(target=time.sleep, args=(0.05,), name="winding down").start()
    assert traces.spoilt(by_plugin=False) is None

    release = threading.Event()
    traces = JobTraces()
    threading.Thread(target=release.wait, name="left running").start()
    try:
        assert traces.spoilt(by_plugin=False) == "the job left 1 thread(s) running (left running)"
    finally:
        release.set()


def test_resume_refuses_a_run_whose_estimators_changed_since(tmp_path, register_spec):
    """A plugin edited since the run (another default), or a family grown by one: resume ran
    the missing cells with the new model under the old name (the manifest still said the
    old); it is refused, naming the change, and the run resumes once it is put back."""
    from sklearn.neighbors import KNeighborsClassifier

    from treesvsnets.estimators import registry
    from treesvsnets.estimators.base import EstimatorSpec

    def knn(neighbours: int, name: str = "knn") -> EstimatorSpec:
        return EstimatorSpec(name=name, family="other", factory=KNeighborsClassifier,
                             default_params={"n_neighbors": neighbours}, threads_param=None,
                             seed_param=None, source="tests")  # fmt: skip

    register_spec("knn", KNeighborsClassifier, default_params={"n_neighbors": 5},
                  seed_param=None)  # fmt: skip
    result = treesvsnets.run(datasets=["iris"], estimators=["other"], folds=2, baseline=False,
                             out=tmp_path, progress=False)  # fmt: skip
    registry.unregister("knn")
    registry.add(knn(1))
    with pytest.raises(ConfigError, match=r"estimator 'knn' \(classification\) ran with "
                       r"n_neighbors=5 and would run with n_neighbors=1 now"):  # fmt: skip
        treesvsnets.resume(result.run_dir)
    registry.unregister("knn")
    registry.add(knn(5))
    registry.add(knn(3, "knn3"))
    with pytest.raises(ConfigError, match=r"'knn3' \(classification\) would run now and did not"):
        treesvsnets.resume(result.run_dir)
    registry.unregister("knn3")
    assert treesvsnets.resume(result.run_dir, progress=False).rows["status"].eq("ok").all()


@pytest.mark.skipif(sys.platform == "win32", reason="no flock: the process number alone tells")
def test_a_second_resume_while_one_prepares_is_refused(tmp_path):
    """Two resumes a second apart both ran every missing cell (the first had not yet written
    'running' in the manifest while it planned), each row the last writer's, timed beside the
    other's cells. The folder is held while a resume runs; the second is refused."""
    result = treesvsnets.run(datasets=["iris"], estimators=["logreg"], folds=2, baseline=False,
                             out=tmp_path, progress=False)  # fmt: skip
    with RunFolder(result.run_dir).held():  # as a first resume, still planning, holds it
        with pytest.raises(ConfigError, match="is being resumed by another process"):
            treesvsnets.resume(result.run_dir, progress=False)
    assert treesvsnets.resume(result.run_dir, progress=False).rows["status"].eq("ok").all()


def test_a_run_with_a_time_limit_resumes_in_this_process_without_it(tmp_path):
    """--in-process may change on resume, as docs/scaling.md says, but a run started with
    --timeout could not be: the recorded limit needs workers, and no flag could drop it."""
    result = treesvsnets.run(datasets=["iris"], estimators=["logreg"], folds=2, baseline=False,
                             timeout=60, out=tmp_path, progress=False)  # fmt: skip
    with sqlite3.connect(result.run_dir / "results.sqlite") as store:
        store.execute("DELETE FROM results WHERE fold = 1")
    rows = treesvsnets.resume(result.run_dir, isolate=False, progress=False).rows
    assert rows["status"].eq("ok").all() and len(rows) == 2
    limits = rows.sort_values("fold")["time_limit_s"].tolist()
    assert limits[0] == 60 and pd.isna(limits[1])  # the resumed cell ran without one


def test_a_resume_of_a_run_stopped_before_its_first_cell_says_it_resumes(tmp_path):
    """Its first line read as a new run's ('6 cells on ...'): a resume with no cell kept was
    told from a new run by the cells kept, none."""
    result = treesvsnets.run(datasets=["iris"], estimators=["logreg"], folds=2, baseline=False,
                             out=tmp_path, progress=False)  # fmt: skip
    with sqlite3.connect(result.run_dir / "results.sqlite") as store:
        store.execute("DELETE FROM results")
    events = []
    treesvsnets.resume(result.run_dir, progress=events.append)
    assert events[0].row is None and events[0].resumed_from == 0


def test_a_manifest_written_before_its_estimators_said_their_task_resumes_unchecked():
    """Entries without a task or parameters (an older run's) are not read as estimators
    'that would run now and did not': there is nothing to compare them by."""
    from treesvsnets.bench.plan.resumable import estimators_changed

    now = [{"name": "rf", "task": "classification", "params": {"n_estimators": 100}}]
    assert estimators_changed([{"name": "rf", "family": "ensemble"}], now) is None
    was = [{**now[0], "params": {"n_estimators": 50}}]
    assert "ran with n_estimators=50 and would run with n_estimators=100" in estimators_changed(
        was, now
    )
