"""Jobs as the harness plans them, and the JobRunner that runs them wherever they land."""

from __future__ import annotations

import json
from dataclasses import replace

from treesvsnets.bench.plan import planning, work
from treesvsnets.bench.plan.jobs import JobRunner, WorkerSetup
from treesvsnets.config import RunConfig
from treesvsnets.results.row import COLUMN_NAMES


def _planned(tmp_path):
    config = RunConfig(datasets=("iris",), estimators=("logreg",), folds=2, baseline=False)
    plan = planning.prepare(config)
    jobs = work.jobs(plan, work.RunContext("run-1", tmp_path, threads=1))
    runner = JobRunner(plan.specs, {i.name: i for i in plan.infos})
    return jobs, runner


def test_each_dataset_gets_its_tasks_spec_and_a_regression_row_records_the_regressors(tmp_path):
    config = RunConfig(datasets=("iris", "diabetes"), estimators=("dummy", "linear"), folds=2)
    plan = planning.prepare(config)
    assert [(s.name, s.task) for s in plan.specs] == [
        ("dummy", "classification"),
        ("dummy", "regression"),
        ("logreg", "classification"),
        ("ridge", "regression"),
    ]
    iris, diabetes = plan.datasets
    assert [s.name for s in plan.specs_for(iris)] == ["dummy", "logreg"]
    assert [(s.name, s.task) for s in plan.specs_for(diabetes)] == [
        ("dummy", "regression"),
        ("ridge", "regression"),
    ]
    assert "predict_proba" not in plan.specs_for(diabetes)[0].capabilities
    jobs = work.jobs(plan, work.RunContext("run-1", tmp_path, threads=1))
    # what a worker process gets: the specs of every task, pickled
    runner = JobRunner.from_setup(WorkerSetup.create(plan.specs, plan.infos))
    rows = {
        (row["dataset"], row["estimator"]): row
        for job in jobs
        if job.cell.fold == 0
        for row in runner.run(job)
    }
    assert json.loads(rows["diabetes", "dummy"]["params"]) == {"strategy": "mean"}
    assert json.loads(rows["iris", "dummy"]["params"]) == {"strategy": "prior"}
    assert rows["diabetes", "ridge"]["status"] == "ok" and rows["diabetes", "ridge"]["rmse"] > 0


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
