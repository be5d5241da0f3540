"""Read once per run: the harness writes each table's cleaned copy into the run folder, and
workers (local, several, on Dask) load it instead of the user's file, with the same rows.
(The harness's own run, without the reports: they have nothing to do with where data comes
from.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers.tables import dirty_frame, house_prices, messy_and_clean, write_table
from treesvsnets.bench.plan import planning
from treesvsnets.bench.plan.copies import TABLES_FOLDER, copy_path
from treesvsnets.bench.run import resume, run
from treesvsnets.config import RunConfig
from treesvsnets.datasets.cleaned import cleaned_read_from, load_cleaned, save_cleaned
from treesvsnets.datasets.tables import clean_table, load_table
from treesvsnets.errors import ConfigError

#: the columns that must not depend on where a cell's data came from (timings excluded)
SAME = ["dataset", "dataset_fingerprint", "estimator", "seed", "fold", "split_hash", "status"]
SAME += ["n_train", "n_test", "accuracy", "log_loss", "confusion", "preprocessing"]


def _tables(tmp_path: Path) -> list:
    """Tables of every kind the reader meets: text numbers, placeholders, yes/no, dates,
    merged spellings, a regression target, a subsample, published folds."""
    messy, _ = messy_and_clean(400)
    messy.loc[::50, "signup"] = ""  # dates with gaps (NaT)
    found = [
        load_table(write_table(messy, tmp_path / "messy.csv")),
        load_table(write_table(dirty_frame(), tmp_path / "dirty.csv")),
        load_table(write_table(house_prices(), tmp_path / "house.csv")),
        load_table(write_table(dirty_frame(), tmp_path / "dirty.parquet")).subsample(200, seed=3),
    ]
    frame = dirty_frame(120)
    folds = tuple(np.arange(start, len(frame), 3) for start in range(3))
    found.append(clean_table(frame, "folds.csv", folds=folds))
    return found


def test_a_cleaned_table_loads_back_as_it_was_read(tmp_path):
    for dataset in _tables(tmp_path):
        path = save_cleaned(dataset, tmp_path / "copy.arrow", {"from": dataset.name})
        back = load_cleaned(path)
        pd.testing.assert_frame_equal(back.X, dataset.X, check_exact=True)
        for column in dataset.X:  # a category's gap is NaN, as read, not None
            assert list(map(type, back.X[column])) == list(map(type, dataset.X[column]))
        assert back.y.dtype == dataset.y.dtype and np.array_equal(back.y, dataset.y)
        assert back.fingerprint == dataset.fingerprint
        fresh = pd.util.hash_pandas_object(back.X, index=False).to_numpy()  # not the copy's
        assert np.array_equal(back.row_hashes, fresh)
        assert back.schema == dataset.schema and back.columns == dataset.columns
        assert back.describe() == dataset.describe()  # cleaning record, readings, classes
        for ours, theirs in zip(
            back.predefined_folds or (), dataset.predefined_folds or (), strict=True
        ):
            assert np.array_equal(ours, theirs)
        assert cleaned_read_from(path) == {"from": dataset.name}


def _rows(result) -> pd.DataFrame:
    rows = result.rows[SAME].sort_values(["dataset", "estimator", "seed", "fold"])
    return rows.reset_index(drop=True)


def test_two_workers_load_the_copy_and_never_read_the_file_again(tmp_path):
    """The CSV is moved away once the harness has read it (at the run's first progress
    event, before any worker is handed a cell): every cell still runs, from the copy, with
    the rows of an in-process run, which uses the table exactly as the harness read it."""
    messy, _ = messy_and_clean(3000)
    table = write_table(messy, tmp_path / "crm.csv")
    settings = {"datasets": [str(table)], "estimators": ["logreg", "rf"], "folds": 3}
    settings |= {"params": {"rf": {"n_estimators": 10}}, "threads": 1}

    def move_the_file_away(event) -> None:
        if event.index == 0:
            shutil.move(table, tmp_path / "elsewhere.csv")

    workers = run(jobs=2, out=tmp_path / "workers", progress=move_the_file_away, **settings)
    assert not table.exists()
    assert set(workers.rows["status"]) == {"ok"}
    copy = copy_path(workers.run_dir, "crm")
    assert copy.is_file() and copy.parent.name == TABLES_FOLDER
    assert cleaned_read_from(copy)["files"] == [str(table)]
    shutil.move(tmp_path / "elsewhere.csv", table)
    alone = run(isolate=False, out=tmp_path / "alone", progress=False, **settings)
    pd.testing.assert_frame_equal(_rows(workers), _rows(alone))


def test_a_resumed_run_reuses_the_copy_until_the_file_changes(tmp_path):
    table = write_table(dirty_frame(), tmp_path / "dirty.csv")
    result = run(
        datasets=[str(table), "iris"],
        estimators=["logreg"],
        folds=2,
        out=tmp_path,
        progress=False,
    )
    folder = result.run_dir
    config = RunConfig.from_dict(result.manifest["config"])
    recorded = planning.recorded_names(result.manifest["datasets"])

    def reused() -> dict[str, bool]:
        plan = planning.prepare(config, recorded=recorded, reuse_from=folder)
        assert [d.fingerprint for d in plan.datasets] == [
            d["fingerprint"] for d in result.manifest["datasets"]
        ]
        return {item.dataset.name: item.reused for item in plan.loaded}

    assert reused() == {"dirty": True, "iris": False}  # iris is no table: loaded as always
    table.touch()  # the same bytes, a newer time: still the same source
    assert reused() == {"dirty": True, "iris": False}
    copy = copy_path(folder, "dirty")
    copy.unlink()  # no copy: the file is read again, and the copy written again
    assert reused() == {"dirty": False, "iris": False}
    resume(folder, progress=False)
    assert copy.is_file()

    frame = pd.read_csv(table)
    frame.loc[0, "age"] = 41.5
    frame.to_csv(table, index=False)  # an edited file: read again, and refused as before
    with pytest.raises(ConfigError, match="its data has changed"):
        resume(folder, progress=False)
    assert json.loads((folder / "manifest.json").read_text())["status"] == "complete"


def test_dask_workers_get_the_table_shipped_and_give_the_local_rows(tmp_path, dask_cluster):
    """The Dask workers never see the user's file (moved away once the harness read it):
    each gets the cleaned copy's bytes and writes them to its own folder."""
    from distributed import Client

    messy, _ = messy_and_clean(600)
    table = write_table(messy, tmp_path / "crm.csv")
    settings = {"datasets": [str(table)], "estimators": ["logreg", "rf"], "folds": 3}
    settings |= {"params": {"rf": {"n_estimators": 10}}, "threads": 1}
    local = run(out=tmp_path / "local", progress=False, **settings)

    def move_the_file_away(event) -> None:
        if event.index == 0:
            shutil.move(table, tmp_path / "elsewhere.csv")

    remote = run(
        scheduler=dask_cluster, out=tmp_path / "dask", progress=move_the_file_away, **settings
    )
    assert set(remote.rows["status"]) == {"ok"}
    pd.testing.assert_frame_equal(_rows(remote), _rows(local))
    with Client(dask_cluster) as client:  # each Dask worker's own copies, by name
        copies = client.run(
            lambda dask_worker: {
                path.name: path.read_bytes()
                for path in (Path(dask_worker.local_directory) / "treesvsnets-tables").glob("*")
            }
        )
    fingerprint = remote.rows["dataset_fingerprint"].iloc[0]
    shipped = [data for found in copies.values() for n, data in found.items() if fingerprint in n]
    assert shipped, copies.keys()  # the run's table reached the workers as bytes...
    ours = copy_path(remote.run_dir, "crm").read_bytes()
    assert all(data == ours for data in shipped)  # ...the harness's copy, byte for byte
