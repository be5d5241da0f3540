"""Jobs as the harness plans them, and the JobRunner that runs them wherever they land."""

from __future__ import annotations

from dataclasses import replace

from treesvsnets.bench.plan import planning, work
from treesvsnets.bench.plan.jobs import JobRunner
from treesvsnets.config import RunConfig
from treesvsnets.results.row import COLUMN_NAMES


def _planned(tmp_path):
    config = RunConfig(datasets=("iris",), estimators=("logreg",), folds=2, baseline=False)
    plan = planning.prepare(config)
    jobs = work.jobs(plan, work.RunContext("run-1", tmp_path, threads=1))
    runner = JobRunner({s.name: s for s in plan.specs}, {i.name: i for i in plan.infos})
    return jobs, runner


def test_a_job_carries_its_rows_identity_and_the_row_keeps_it(tmp_path):
    jobs, runner = _planned(tmp_path)
    assert [job.identity.fold for job in jobs] == [0, 1]
    (row,) = runner.run(jobs[0])
    assert set(row) == set(COLUMN_NAMES)  # every column, whatever the estimator
    identity = jobs[0].identity
    assert (row["run_id"], row["dataset"], row["estimator"], row["fold"]) == (
        "run-1",
        "iris",
        "logreg",
        0,
    )
    assert (row["n_train"], row["n_test"], row["split_hash"]) == (
        identity.n_train,
        identity.n_test,
        identity.split_hash,
    )
    assert row["status"] == "ok" and row["versions_hash"]


def test_data_that_differs_on_the_worker_fails_the_row_not_the_run(tmp_path):
    jobs, runner = _planned(tmp_path)
    stale = replace(jobs[0], dataset=replace(jobs[0].dataset, fingerprint="0" * 16))
    started = []
    (row,) = runner.run(stale, started=lambda: started.append(True))
    assert started == [True]  # the harness is told, so its limits apply from here
    assert row["status"] == "error"
    assert row["error"].startswith(
        "could not prepare the cell: dataset 'iris' loaded on this worker has fingerprint "
    )
    assert row["started_at"] is not None and row["started_at"] <= row["ended_at"]
    assert (row["dataset"], row["fold"], row["accuracy"]) == ("iris", 0, None)
