"""The library API: treesvsnets.run(...) on real data, with a real store and real files."""

import json

import numpy as np
import pandas as pd
import pytest

import treesvsnets
from tests.helpers.estimators import RaisingEstimator
from treesvsnets.errors import ConfigError, DatasetError, UnknownNameError
from treesvsnets.results.store import ResultStore


def test_a_failing_estimator_is_recorded_and_every_other_result_kept(tmp_path, register_spec):
    register_spec("raises", RaisingEstimator)
    events = []
    result = treesvsnets.run(
        baseline=False,
        datasets=["iris"],
        estimators=["rf", "raises", "logreg"],
        folds=3,
        out=tmp_path,
        progress=events.append,
    )
    rows = result.rows
    assert len(rows) == 9
    assert rows.groupby("estimator")["status"].apply(set).to_dict() == {
        "rf": {"ok"},
        "logreg": {"ok"},
        "raises": {"error"},
    }
    assert (rows.loc[rows.estimator != "raises", "accuracy"] > 0.85).all()
    # one start event, then one per cell, in order
    assert [e.index for e in events] == list(range(10))
    assert events[0].row is None and events[-1].total == 9
    assert {(e.run_dir, e.executor) for e in events} == {(result.run_dir, "1 worker process")}
    assert events[-1].row["fold"] == 2 and events[0].resumed_from is None
    assert result.manifest["status"] == "complete"
    assert result.manifest["cells_by_status"] == {"ok": 6, "error": 3}


def test_every_estimator_sees_the_same_folds(tmp_path):
    result = treesvsnets.run(
        baseline=False,
        datasets=["iris", "wine"],
        estimators=["rf", "logreg", "xgboost"],
        folds=3,
        seeds=[0, 1],
        out=tmp_path,
        progress=False,
    )
    rows = result.rows
    assert len(rows) == 2 * 3 * 3 * 2
    hashes = rows.groupby(["dataset", "seed"])["split_hash"].nunique()
    assert (hashes == 1).all()
    assert rows.groupby(["dataset"])["split_hash"].nunique().tolist() == [2, 2]
    assert rows.groupby(["dataset", "seed", "fold"])["n_test"].nunique().max() == 1
    splits = {(s["dataset"], s["seed"]): s["hash"] for s in result.manifest["splits"]}
    for (dataset, seed), group in rows.groupby(["dataset", "seed"]):
        assert group["split_hash"].iloc[0] == splits[(dataset, seed)]


def test_the_run_folder_holds_every_artefact(tmp_path):
    result = treesvsnets.run(
        baseline=False,
        datasets=["wine"],
        estimators=["logreg", "rf"],
        folds=3,
        out=tmp_path,
        name="mine",
        progress=False,
    )
    run_dir = result.run_dir
    assert run_dir.parent == tmp_path and run_dir.name.endswith("-mine")
    names = {p.name for p in run_dir.iterdir()}
    assert names == {
        "results.sqlite",
        "results.csv",
        "results.parquet",
        "manifest.json",
        "report.md",
        "report.html",
        "summary.csv",
        "figures",
    }
    with ResultStore(run_dir / "results.sqlite") as store:
        stored = store.rows()
    pd.testing.assert_frame_equal(stored, result.rows)
    assert len(pd.read_csv(run_dir / "results.csv")) == 6
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["run_id"] == run_dir.name == result.run_id
    assert manifest["datasets"][0]["fingerprint"] == stored["dataset_fingerprint"].iloc[0]
    assert manifest["environment"]["packages"]["scikit-learn"]
    assert set(stored["versions_hash"]) == {manifest["environment"]["versions_hash"]}
    report = (run_dir / "report.md").read_text()
    assert "## wine" in report and "| logreg" in report and "| rf" in report


def test_two_runs_in_the_same_second_get_different_folders(tmp_path):
    kwargs = dict(datasets=["iris"], estimators=["logreg"], folds=2, out=tmp_path, progress=False)
    first, second = (
        treesvsnets.run(baseline=False, **kwargs),
        treesvsnets.run(baseline=False, **kwargs),
    )
    assert first.run_dir != second.run_dir
    assert len(list(tmp_path.iterdir())) == 2


def test_params_reach_the_estimator_and_the_rows(tmp_path):
    result = treesvsnets.run(
        baseline=False,
        datasets=["iris"],
        estimators=["rf"],
        folds=2,
        out=tmp_path,
        progress=False,
        params={"rf": {"n_estimators": 7, "max_depth": 2}},
    )
    params = [json.loads(p) for p in result.rows["params"]]
    assert all(p["n_estimators"] == 7 and p["max_depth"] == 2 for p in params)


@pytest.mark.parametrize(
    ("overrides", "error", "text"),
    [
        ({"estimators": ["rff"]}, UnknownNameError, "unknown estimator 'rff'"),
        ({"datasets": ["irsi"]}, UnknownNameError, "Did you mean 'iris'"),
        ({"folds": 51}, DatasetError, "class 'setosa' has only 50 samples"),
        ({"params": {"rf": {"trees": 3}}}, ConfigError, "'rf' has no parameter 'trees'"),
        ({"params": {"gb": {"n_estimators": 3}}}, UnknownNameError, "estimator not in this run"),
        ({"seeds": [0, 0]}, ConfigError, "'seeds' must be a list without repeats"),
        ({"datasets": ["iris", "iris"]}, ConfigError, "'datasets' must be a list without repeats"),
        ({"threads": 0}, ConfigError, "'threads' must be a positive integer, got 0"),
        ({"fold_parallel": "yes"}, ConfigError, "'fold_parallel' must be true or false"),
    ],
)
def test_bad_input_fails_before_any_folder_is_made(tmp_path, overrides, error, text):
    kwargs = {"datasets": ["iris"], "estimators": ["rf"], "out": tmp_path / "runs", **overrides}
    with pytest.raises(error, match=text):
        treesvsnets.run(baseline=False, progress=False, **kwargs)
    assert not (tmp_path / "runs").exists()


def test_a_cnn_on_a_table_is_refused_before_any_folder_is_made(tmp_path):
    with pytest.raises(ConfigError, match="estimator 'cnn' needs images, but dataset 'wine'"):
        treesvsnets.run(
            baseline=False,
            datasets=["digits", "wine"],
            estimators=["cnn"],
            out=tmp_path / "runs",
            progress=False,
        )
    assert not (tmp_path / "runs").exists()


def test_nets_and_trees_share_the_folds_and_the_nets_record_their_slice(tmp_path):
    result = treesvsnets.run(
        baseline=False,
        datasets=["digits"],
        estimators=["rf", "dense"],
        folds=3,
        subsample=600,
        out=tmp_path,
        progress=False,
        params={"dense": {"epochs": 3}},
    )
    rows = result.rows
    assert rows["split_hash"].nunique() == 1 and set(rows["status"]) == {"ok"}
    assert rows["n_test"].sum() == 2 * 600
    nets, trees = rows[rows.estimator == "dense"], rows[rows.estimator == "rf"]
    assert (nets["n_val"] > 0).all() and (trees["n_val"] == 0).all()
    np.testing.assert_array_equal(
        nets["n_train"].to_numpy() + nets["n_val"].to_numpy(), trees["n_train"].to_numpy()
    )
    assert all(len(json.loads(h)) >= 1 for h in nets["history"])
    assert trees["history"].isna().all()
    assert set(nets["device"]) == {"cpu"} if not __import__("torch").cuda.is_available() else True


def test_holdout_protocol_runs_one_split(tmp_path):
    result = treesvsnets.run(
        baseline=False,
        datasets=["wine"],
        estimators=["logreg"],
        protocol="holdout",
        test_size=0.25,
        out=tmp_path,
        progress=False,
    )
    (row,) = result.rows.to_dict("records")
    assert row["status"] == "ok", row["error"]
    assert row["n_folds"] == 1 and row["n_test"] == 45  # ceil(0.25 * 178)
    assert result.manifest["splits"][0]["protocol"] == "holdout"


def test_checkpoint_true_writes_one_file_per_cell_into_the_run_folder(tmp_path):
    result = treesvsnets.run(
        baseline=False,
        datasets=["digits"],
        estimators=["cnn"],
        folds=2,
        subsample=400,
        out=tmp_path,
        progress=False,
        params={"cnn": {"epochs": 2, "checkpoint": True}},
    )
    saved = sorted(p.name for p in (result.run_dir / "checkpoints").iterdir())
    assert saved == ["digits-cnn-seed0-fold0.pt", "digits-cnn-seed0-fold1.pt"]
    params = json.loads(result.rows["params"].iloc[0])
    assert params["checkpoint"].endswith("checkpoints/digits-cnn-seed0-fold0.pt")


def test_a_progress_event_is_built_by_keyword_only(tmp_path):
    """Its fields share types (two ints, two optional ints): positions could swap them."""
    from treesvsnets.bench.execute.progress import ProgressEvent, TrialEvent

    with pytest.raises(TypeError):
        ProgressEvent(0, 1, None, tmp_path, 2)
    with pytest.raises(TypeError):
        TrialEvent({}, 1, "3 trials", 0.5)
    event = ProgressEvent(index=1, total=2, row=None, run_dir=tmp_path, threads=2)
    assert (event.executor, event.resumed_from, event.notes) == ("", None, ())
