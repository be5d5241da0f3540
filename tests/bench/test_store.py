import pandas as pd
import pytest

from treesvsnets.results.store import ResultStore, export_rows


def _row(fold, status="ok", accuracy=0.9):
    return {
        "run_id": "r1",
        "dataset": "iris",
        "estimator": "rf",
        "seed": 0,
        "fold": fold,
        "status": status,
        "accuracy": accuracy if status == "ok" else None,
        "error": None if status == "ok" else "ValueError: boom",
    }


def test_rows_survive_reopening_the_file(tmp_path):
    path = tmp_path / "results.sqlite"
    with ResultStore(path) as store:
        for row in (_row(0), _row(1, "error")):
            store.add(row)
    with ResultStore(path) as store:
        rows = store.rows()
    assert rows["fold"].tolist() == [0, 1]
    assert rows["status"].tolist() == ["ok", "error"]
    assert rows.loc[1, "error"] == "ValueError: boom"
    assert pd.isna(rows.loc[1, "accuracy"])


def test_the_same_cell_replaces_its_row_instead_of_duplicating(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        store.add(_row(0, "error"))
        store.add(_row(0, accuracy=0.95))
        assert len(store) == 1
        assert store.rows().loc[0, "accuracy"] == 0.95


def test_bad_rows_are_refused(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        with pytest.raises(ValueError, match="does not know: \\['colour'\\]"):
            store.add({**_row(0), "colour": "red"})
        with pytest.raises(ValueError, match="status 'fine'"):
            store.add(_row(0, status="fine"))
        assert len(store) == 0


def test_export_writes_csv_and_parquet_with_the_same_rows(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        for row in (_row(0), _row(1, accuracy=0.8)):
            store.add(row)
        rows = store.rows()
    written = export_rows(rows, tmp_path)
    assert [p.name for p in written] == ["results.csv", "results.parquet"]
    from_csv = pd.read_csv(tmp_path / "results.csv")
    from_parquet = pd.read_parquet(tmp_path / "results.parquet")
    assert from_csv["accuracy"].tolist() == [0.9, 0.8]
    assert from_parquet["accuracy"].tolist() == [0.9, 0.8]
    assert list(from_csv.columns) == list(rows.columns)


def test_a_store_written_before_a_column_existed_gains_it_and_keeps_its_rows(tmp_path):
    import sqlite3

    path = tmp_path / "results.sqlite"
    with sqlite3.connect(path) as connection:  # the table as an older version wrote it
        connection.execute(
            "CREATE TABLE results (run_id TEXT NOT NULL, dataset TEXT NOT NULL, estimator TEXT "
            "NOT NULL, seed INTEGER NOT NULL, fold INTEGER NOT NULL, status TEXT NOT NULL, "
            "accuracy REAL, error TEXT, PRIMARY KEY (run_id, dataset, estimator, seed, fold))"
        )
        connection.execute("INSERT INTO results VALUES ('r1', 'iris', 'rf', 0, 0, 'ok', 0.9, NULL)")
    with ResultStore(path) as store:
        store.add({**_row(1), "folds_together": 3})
        rows = store.rows()
    assert rows["fold"].tolist() == [0, 1]
    assert pd.isna(rows.loc[0, "folds_together"]) and rows.loc[1, "folds_together"] == 3


def test_a_store_nothing_may_write_is_read_as_it_is(tmp_path, monkeypatch):
    """An archived run on read-only media, another user's folder: compare, report and
    aggregate opened its store read-write (and set its journal), and said it was 'not a
    readable results store; restore it from a copy'. Read-only, it is read as it is, with
    nothing written beside it; an older version's store reads its missing columns as NULL
    (tuning: the default's) and its missing trials table as none."""
    import sqlite3

    from treesvsnets.results.folder import RunFolder

    folder = tmp_path / "run"
    folder.mkdir()
    with ResultStore(folder / "results.sqlite") as store:
        for row in (_row(0), _row(1, "error")):
            store.add(row)
        written = store.rows()
    before = sorted(p.name for p in folder.iterdir())
    monkeypatch.setattr("os.access", lambda path, mode: False)  # as a read-only mount says
    read = RunFolder(folder).rows()
    pd.testing.assert_frame_equal(read, written)
    assert RunFolder(folder).trials().empty
    assert sorted(p.name for p in folder.iterdir()) == before
    old = tmp_path / "old.sqlite"
    with sqlite3.connect(old) as connection:
        connection.execute(
            "CREATE TABLE results (run_id TEXT, dataset TEXT, estimator TEXT, seed INTEGER, "
            "fold INTEGER, status TEXT, accuracy REAL)"
        )
        connection.execute("INSERT INTO results VALUES ('r1', 'iris', 'rf', 0, 0, 'ok', 0.9)")
    with ResultStore(old, read_only=True) as store:
        rows, trials = store.rows(), store.trials()
    assert rows.loc[0, "accuracy"] == 0.9 and rows.loc[0, "tuning"] == "default"
    assert pd.isna(rows.loc[0, "error"]) and trials.empty and "trial" in trials.columns
    empty = tmp_path / "empty.sqlite"  # no results table: no store, said as such
    sqlite3.connect(empty).close()
    from treesvsnets.errors import ConfigError

    with pytest.raises(ConfigError, match="is not a readable results store"):
        ResultStore(empty, read_only=True)


def test_a_store_another_program_holds_is_refused_before_writing_and_still_read(tmp_path):
    """A database browser holding a write on results.sqlite: a resume ran its first cell,
    waited 5 s, and ended in 'sqlite3.OperationalError: database is locked' (that cell's
    row lost). Now one sentence before any cell; reading the rows (report, compare) works."""
    import sqlite3

    from treesvsnets.errors import ConfigError
    from treesvsnets.results.folder import RunFolder

    folder = RunFolder(tmp_path)
    with folder.store() as store:
        store.add(_row(0))
    browser = sqlite3.connect(folder.store_path, isolation_level=None)
    try:
        browser.execute("BEGIN IMMEDIATE")  # its open write
        with pytest.raises(ConfigError, match=r"is locked by another program \(a database"):
            folder.store()
        assert folder.rows()["fold"].tolist() == [0]
    finally:
        browser.close()
    with folder.store() as store:  # closed: written again
        store.add(_row(1))
    assert folder.rows()["fold"].tolist() == [0, 1]


def test_a_full_disk_while_a_run_writes_is_one_sentence_and_the_manifest_still_ends(
    tmp_path, monkeypatch
):
    """A disk full mid-run: the next row's write ended the run in a traceback
    ('database or disk is full', or OSError 28 from the exports), and manifest.json was
    left 'running'. A store that may grow no further (SQLite's max_page_count: its own
    'disk is full') and an export that hits ENOSPC are each one sentence saying to make
    room and resume; the manifest is written whatever the exports did."""
    import errno

    from treesvsnets.errors import ResultsWriteError
    from treesvsnets.results.folder import Manifest, RunFolder

    folder = RunFolder(tmp_path)
    with folder.store() as store:
        store.add(_row(0))
        pages = store._connection.execute("PRAGMA page_count").fetchone()[0]
        store._connection.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(ResultsWriteError, match=r"cannot be written: its disk is full; the"):
            for fold in range(1, 200):
                store.add({**_row(fold), "error": "x" * 5000})
    assert folder.rows()["fold"].iloc[0] == 0  # what was stored is kept

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(RunFolder, "export", full)
    manifest = Manifest("r1", {})
    manifest.end("interrupted", folder.rows(), 4, 1.0)
    with pytest.raises(ResultsWriteError, match=r"make room, then resume it \(treesvsnets run"):
        folder.finish(manifest, folder.rows(), folder.trials())
    assert folder.read_manifest().status == "interrupted"


def test_a_run_folder_with_a_broken_manifest_is_one_sentence(tmp_path):
    from treesvsnets.errors import ConfigError
    from treesvsnets.results.folder import RunFolder

    folder = RunFolder.create(tmp_path, "broken")
    folder.manifest_path.write_text("{not json")
    with pytest.raises(ConfigError, match="is not a readable treesvsnets manifest"):
        RunFolder.open(folder.path).read_manifest()
    folder.manifest_path.write_text('{"status": "complete"}')  # no run_id, no config
    with pytest.raises(ConfigError, match="is not a readable treesvsnets manifest"):
        RunFolder.open(folder.path).read_manifest()


def test_a_manifest_keeps_the_keys_it_does_not_know(tmp_path):
    from treesvsnets.results.folder import Manifest, RunFolder

    folder = RunFolder.create(tmp_path, "kept")
    folder.write_manifest(Manifest.from_dict({"run_id": "x", "config": {}, "from_the_future": 1}))
    again = folder.read_manifest().to_dict()
    assert again["from_the_future"] == 1 and again["run_id"] == "x" and "pid" not in again
