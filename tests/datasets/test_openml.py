"""OpenML names (``openml:ID``, ``openml-task:ID``) from a cache built from a local table, never
the network: loading, the task's folds as the split plan, a run through the real command, and
the refusals (offline without a cache, no openml package, a bad id)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import StratifiedKFold

from treesvsnets.bench.cells.splits import make_split_plan
from treesvsnets.bench.plan.copies import copy_path
from treesvsnets.datasets import info, load
from treesvsnets.datasets.cleaned import cleaned_read_from
from treesvsnets.datasets.openml_data import (
    dataset_record,
    read_task,
    task_record,
    write_dataset,
    write_task,
)
from treesvsnets.errors import DatasetError

from ..helpers.cli import cli
from ..helpers.network import refuse_sockets

DATASET, TASK, REGRESSION_DATASET = 9001, 9002, 9003
#: a sitecustomize that makes any socket connection fail, in the command and its workers
NO_NETWORK = """
import socket
def _refuse(*args, **kwargs):
    raise OSError("the network was used")
socket.socket.connect = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
"""


def breast_cancer_frame() -> pd.DataFrame:
    """sklearn's breast cancer table (569 rows) as OpenML gives a dataset: a nominal target,
    and a nominal feature with gaps (the radius band, 8 rows unknown)."""
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.drop(columns="target").iloc[:, :6].copy()
    band = np.where(frame["mean radius"] > 15, "wide", "narrow").astype(object)
    band[::70] = None
    frame["band"] = pd.Categorical(band, categories=["narrow", "wide"])
    labels = np.asarray(data.target_names)[data.target]
    frame["diagnosis"] = pd.Categorical(labels, categories=list(data.target_names))
    return frame


def fake_dataset(number: int, frame: pd.DataFrame, target: str | None) -> SimpleNamespace:
    """What ``openml.datasets.get_dataset`` returns, as far as the cache reads it."""
    nominal = [isinstance(frame[c].dtype, pd.CategoricalDtype) for c in frame.columns]
    return SimpleNamespace(
        dataset_id=number,
        name=f"table-{number}",
        version=1,
        default_target_attribute=target,
        licence="Public",
        get_data=lambda **_: (frame.copy(), None, nominal, list(frame.columns)),
    )


def fake_task(number: int, dataset: int, target: str, folds: list, type_id: int = 1):
    """What ``openml.tasks.get_task`` returns, as far as the cache reads it (one repeat)."""
    every = np.arange(sum(len(test) for test in folds))
    return SimpleNamespace(
        task_id=number,
        dataset_id=dataset,
        target_name=target,
        task_type_id=SimpleNamespace(value=type_id),
        task_type="Supervised Classification",
        estimation_procedure={"type": f"{len(folds)}-fold Crossvalidation"},
        get_split_dimensions=lambda: (1, len(folds), 1),
        get_train_test_split_indices=lambda fold, repeat=0, sample=0: (
            np.setdiff1d(every, folds[fold]),
            folds[fold],
        ),
    )


def task_folds(frame: pd.DataFrame, target: str, n_folds: int = 4) -> list[np.ndarray]:
    """Stratified folds as OpenML publishes them (seeded unlike any run's)."""
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=12345)
    return [test for _, test in splitter.split(frame, frame[target])]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A data folder whose OpenML cache holds a classification dataset with a task on it
    (4 folds), and a regression dataset, written as a download writes them."""
    root = tmp_path_factory.mktemp("data")
    frame = breast_cancer_frame()
    cache = root / "openml"
    write_dataset(
        cache / f"dataset-{DATASET}", *dataset_record(fake_dataset(DATASET, frame, "diagnosis"))
    )
    task = fake_task(TASK, DATASET, "diagnosis", task_folds(frame, "diagnosis"))
    write_task(cache / f"task-{TASK}", *task_record(task))
    diabetes = load_diabetes(as_frame=True).frame
    record = dataset_record(fake_dataset(REGRESSION_DATASET, diabetes, "target"))
    write_dataset(cache / f"dataset-{REGRESSION_DATASET}", *record)
    return root


@pytest.fixture
def no_network(monkeypatch):
    """Any socket connection fails, and the openml package cannot be imported: the cache alone."""
    refuse_sockets(monkeypatch)
    monkeypatch.setitem(sys.modules, "openml", None)


def offline_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a command that cannot reach the network (nor write to ~/.cache)."""
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(NO_NETWORK)
    config = tmp_path / "config" / "openml"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config").write_text("connection_n_retries = 1\n")  # fail at once, offline
    paths = [str(site), os.environ.get("PYTHONPATH", "")]
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in paths if p),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }


def test_a_dataset_loads_from_the_cache_with_its_target_categories_and_task(data_dir, no_network):
    dataset = load(f"openml:{DATASET}", data_dir)
    assert dataset.name == f"openml:{DATASET}" and dataset.task == "classification"
    assert dataset.class_names == ("benign", "malignant") and dataset.n_samples == 569
    assert dataset.schema.target == "diagnosis" and dataset.schema.categorical == ("band",)
    assert dataset.cleaning["missing_values_imputed_per_fold"] == {"band": 9}
    assert dataset.predefined_folds is None
    assert f"OpenML dataset {DATASET} 'table-{DATASET}' version 1" in dataset.source
    regression = load(f"openml:{REGRESSION_DATASET}", data_dir)
    assert regression.task == "regression" and regression.n_samples == 442


def test_a_task_keeps_its_published_folds_as_the_split_plan(data_dir, no_network):
    dataset = load(f"openml-task:{TASK}", data_dir)
    _, cached = read_task(data_dir / "openml" / f"task-{TASK}")
    assert [list(test) for test in dataset.predefined_folds] == [list(test) for test in cached]
    plan = make_split_plan(dataset, n_folds=5, seed=0)  # the task's 4 folds win over 5
    assert plan.n_folds == 4 and plan.predefined and plan.describe()["predefined_folds"]
    for fold, test in zip(plan.folds, cached, strict=True):
        assert np.array_equal(fold.test, test)
        assert np.array_equal(np.sort(np.concatenate([fold.fit, fold.val])), fold.train)
        assert len(fold.val) and not np.isin(fold.val, test).any()  # the slice is in the fold
    again = make_split_plan(load(f"openml-task:{TASK}", data_dir), n_folds=4, seed=0)
    assert again.hash == plan.hash
    plain = load(f"openml:{DATASET}", data_dir)  # the same data with folds of its own
    assert make_split_plan(plain, n_folds=4, seed=0).hash != plan.hash


def test_published_folds_follow_the_rows_that_cleaning_and_subsampling_keep():
    from treesvsnets.datasets.tables import clean_table

    frame = breast_cancer_frame().iloc[:40].reset_index(drop=True)
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)  # row 40 repeats row 0
    folds = (np.arange(0, 41, 2), np.arange(1, 41, 2))
    dataset = clean_table(frame, "t.parquet", None, "t", folds=folds)
    assert dataset.n_samples == 40 and dataset.cleaning["duplicate_rows_removed"] == 1
    assert [list(test) for test in dataset.predefined_folds] == [
        list(range(0, 40, 2)),
        list(range(1, 40, 2)),
    ]
    smaller = dataset.subsample(20, seed=0)
    tests = smaller.predefined_folds
    assert sorted(np.concatenate(tests)) == list(range(20))
    kept = np.isin(dataset.row_hashes, smaller.row_hashes)  # which old rows were kept
    assert sum(len(test) for test in tests) == kept.sum()


def test_inspect_profiles_the_cached_table_with_its_declared_reading(
    data_dir, no_network, monkeypatch
):
    from treesvsnets.datasets.profile import inspect_table

    monkeypatch.setenv("TREESVSNETS_DATA_DIR", str(data_dir))
    profile = inspect_table(f"openml-task:{TASK}")
    assert (
        profile.target == "diagnosis" and profile.rows == 569 and profile.task == "classification"
    )
    assert {c.name: c.kind for c in profile.columns}["band"] == "categorical"
    other = inspect_table(f"openml:{DATASET}", target="band", numeric=["mean radius"])
    assert other.target == "band" and other.class_counts == {"narrow": 391, "wide": 169}
    done = cli("inspect", f"openml-task:{TASK}", "--data-dir", data_dir, "--json")
    assert done.returncode == 0, done.stderr  # the cache a run's --data-dir names
    assert json.loads(done.stdout)["target"] == "diagnosis"


def test_a_dataset_without_a_single_target_is_one_sentence(tmp_path, no_network):
    frame = breast_cancer_frame()
    record = dataset_record(fake_dataset(77, frame, "diagnosis,band"))
    write_dataset(tmp_path / "openml" / "dataset-77", *record)
    with pytest.raises(DatasetError, match="declares no single target.*openml-task:ID"):
        load("openml:77", tmp_path)


def test_a_sparse_table_is_cached_dense_and_a_numeric_target_is_regression(tmp_path):
    frame = load_diabetes(as_frame=True).frame
    frame["s1"] = pd.arrays.SparseArray(frame["s1"].where(frame["s1"] > 0, 0.0))
    meta, cached = dataset_record(fake_dataset(5, frame, "target"))
    assert meta["task"] == "regression" and meta["categorical"] == []
    write_dataset(tmp_path / "openml" / "dataset-5", meta, cached)
    assert load("openml:5", tmp_path).n_features == 10


def test_a_task_type_a_run_cannot_do_is_refused():
    clustering = fake_task(5, DATASET, "diagnosis", [np.arange(3)], type_id=5)
    clustering.task_type = "Clustering"
    with pytest.raises(DatasetError, match="'Clustering' task; only supervised"):
        task_record(clustering)


@pytest.mark.parametrize("name", ["openml:abc", "openml:-3", "openml:", "openml-task:031"])
def test_a_bad_id_is_one_sentence(name):
    with pytest.raises(DatasetError, match="positive whole number"):
        info(name)


def test_without_the_openml_package_and_no_cache_the_sentence_says_how_to_install(
    tmp_path, no_network
):
    with pytest.raises(DatasetError) as caught:
        load("openml:31", tmp_path / "data")
    assert str(caught.value) == (
        f"dataset 'openml:31' is not in the cache {tmp_path / 'data' / 'openml' / 'dataset-31'} "
        "and the openml package that downloads it is not installed: pip install "
        '"treesvsnets[openml]".'
    )
    assert not (tmp_path / "data").exists()


def test_a_run_through_the_command_reads_the_cache_offline(tmp_path, data_dir):
    config = tmp_path / "suite.toml"
    config.write_text(
        f"datasets = ['openml:{DATASET}', 'openml-task:{TASK}']\n"
        "estimators = ['logreg']\nfolds = 3\n"
    )
    env = offline_env(tmp_path)
    done = cli(
        "run", "--config", config, "--data-dir", data_dir, "--out", tmp_path / "runs", env=env
    )
    assert done.returncode == 0, done.stderr
    assert f"'openml-task:{TASK}': its 4 published folds are its split plan" in done.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    rows = pd.read_csv(run_dir / "results.csv")
    assert set(rows["status"]) == {"ok"}
    by_name = {name: group for name, group in rows.groupby("dataset")}
    assert set(by_name) == {f"openml:{DATASET}", f"openml-task:{TASK}"}
    assert len(by_name[f"openml:{DATASET}"]) == 6 and len(by_name[f"openml-task:{TASK}"]) == 8
    task_rows = by_name[f"openml-task:{TASK}"]
    _, cached = read_task(data_dir / "openml" / f"task-{TASK}")
    assert sorted(task_rows["n_test"].unique()) == sorted({len(test) for test in cached})
    expected = make_split_plan(load(f"openml-task:{TASK}", data_dir), n_folds=3, seed=0).hash
    assert set(task_rows["split_hash"]) == {expected}
    manifest = json.loads((run_dir / "manifest.json").read_text())
    described = {d["name"]: d for d in manifest["datasets"]}
    assert described[f"openml-task:{TASK}"]["predefined_folds"] == [len(t) for t in cached]
    assert described[f"openml:{DATASET}"]["categorical_columns"] == ["band"]
    # each table's cleaned copy (what the workers loaded) names the cached files it was read
    # from, whose bytes a resumed run checks before reusing it
    read = cleaned_read_from(copy_path(run_dir, f"openml-task:{TASK}"))
    assert read["fingerprint"] is not None
    assert {Path(f).relative_to(data_dir / "openml").as_posix() for f in read["files"]} == {
        f"task-{TASK}/meta.json",
        f"task-{TASK}/folds.npz",
        f"dataset-{DATASET}/meta.json",
        f"dataset-{DATASET}/frame.parquet",
    }


def test_offline_without_a_cache_is_one_sentence_exit_2_and_no_run_folder(tmp_path):
    done = cli(
        "run", "-d", "openml:31", "-e", "logreg", "--data-dir", tmp_path / "data",
        "--out", tmp_path / "runs", env=offline_env(tmp_path),
    )  # fmt: skip
    assert done.returncode == 2
    folder = tmp_path / "data" / "openml" / "dataset-31"
    (line,) = done.stderr.strip().splitlines()
    assert f"dataset 'openml:31' is not in the cache {folder}" in line
    assert "could not be downloaded" in line or "pip install" in line
    assert not (tmp_path / "runs").exists() and not (tmp_path / "data").exists()
    bad = cli("run", "-d", "openml:abc", "--out", tmp_path / "runs")
    assert bad.returncode == 2 and "'openml:abc' is not an OpenML name" in bad.stderr
    assert not (tmp_path / "runs").exists()


def test_what_the_openml_package_returns_becomes_the_same_cache(tmp_path):
    """The real OpenMLDataset (read from a local ARFF file) and OpenMLClassificationTask
    (with a local OpenMLSplit): what a download hands over, turned into the cache."""
    openml = pytest.importorskip("openml")
    arff = pytest.importorskip("arff")
    from openml.tasks.split import OpenMLSplit

    frame = breast_cancer_frame().iloc[:120].reset_index(drop=True)
    attributes = [
        (c, list(frame[c].cat.categories) if c in ("band", "diagnosis") else "REAL")
        for c in frame.columns
    ]
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    path = tmp_path / "table.arff"
    path.write_text(arff.dumps({"relation": "bc", "attributes": attributes, "data": rows}))
    found = openml.datasets.OpenMLDataset(
        name="bc", description="", dataset_id=41, data_file=str(path),
        default_target_attribute="diagnosis", version=2,
    )  # fmt: skip
    meta, cached = dataset_record(found)
    assert meta["target"] == "diagnosis" and meta["task"] == "classification"
    assert meta["categorical"] == ["band", "diagnosis"] and meta["version"] == 2
    pd.testing.assert_frame_equal(cached, frame, check_dtype=False, check_categorical=False)

    folds = task_folds(frame, "diagnosis", 3)
    every = np.arange(len(frame))
    task = openml.tasks.OpenMLClassificationTask(
        task_type_id=openml.tasks.TaskType.SUPERVISED_CLASSIFICATION,
        task_type="Supervised Classification", data_set_id=41, target_name="diagnosis",
        estimation_procedure_type="crossvalidation", task_id=42,
    )  # fmt: skip
    task.split = OpenMLSplit(
        "cv", "", {0: {f: {0: (np.setdiff1d(every, t), t)} for f, t in enumerate(folds)}}
    )
    write_dataset(tmp_path / "openml" / "dataset-41", meta, cached)
    write_task(tmp_path / "openml" / "task-42", *task_record(task))
    dataset = load("openml-task:42", tmp_path)
    assert [list(t) for t in dataset.predefined_folds] == [sorted(t) for t in folds]
    assert dataset.source.startswith("OpenML task 42 (crossvalidation, repeat 0 of 1)")


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_a_users_suite_of_a_builtin_a_csv_and_an_openml_id_runs_offline(tmp_path, data_dir):
    """A suite file mixes the three kinds of entry; the OpenML one comes from the cache."""
    from tests.helpers.tables import dirty_frame, write_table

    write_table(dirty_frame(), tmp_path / "clinic.csv")
    suite = tmp_path / "mine.toml"
    suite.write_text(
        'description = "a built-in, a file and an OpenML dataset"\n'
        f'datasets = ["iris", {{ path = "clinic.csv", target = "label" }}, "openml:{DATASET}"]\n'
        "[defaults]\nfolds = 2\n"
    )
    done = cli(
        "run", "--suite", suite, "-e", "logreg", "--data-dir", data_dir, "-q",
        "--out", tmp_path / "runs", env=offline_env(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    rows = pd.read_csv(run_dir / "results.csv")
    assert set(rows["dataset"]) == {"iris", "clinic", f"openml:{DATASET}"}
    assert set(rows["status"]) == {"ok"} and set(rows["fold"]) == {0, 1}


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda task, data: (data / "frame.parquet").unlink(), "frame.parquet is missing"),
        (lambda task, data: (data / "frame.parquet").write_bytes(b"PAR1 cut"), "Parquet"),
        (lambda task, data: (data / "meta.json").write_text("{"), "Expecting"),
        (lambda task, data: (task / "meta.json").write_text("{}"), "meta.json lacks dataset_id"),
        (lambda task, data: (task / "folds.npz").unlink(), "folds.npz is missing"),
        (lambda task, data: (task / "folds.npz").write_bytes(b"PK\x03\x04 cut"), "not a zip file"),
        (  # a row in two folds (tested twice), and a negative row (wrapped to another)
            lambda task, data: np.savez(task / "folds.npz", *[np.arange(-1, 140)] * 4),
            "a negative row, or a row in two folds",
        ),
    ],
)
def test_a_damaged_cache_is_one_sentence_naming_its_folder(data_dir, tmp_path, damage, says):
    """A truncated or partial cache (a missing frame.parquet or folds.npz, a meta.json without
    its keys) was a traceback; folds that overlap, or name row -3, ran without a word."""
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    task, data = copy / "openml" / f"task-{TASK}", copy / "openml" / f"dataset-{DATASET}"
    damage(task, data)
    with pytest.raises(DatasetError) as refused:
        load(f"openml-task:{TASK}", copy)
    message = str(refused.value)
    assert message.startswith(f"openml-task:{TASK}: the OpenML cache in {copy / 'openml'}")
    assert says in message and "delete that folder to download it again" in message
