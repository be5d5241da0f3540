"""The file's row index is no feature, and a target sorted in file order is said.

R's ``write.csv`` and pandas' default ``to_csv`` write the row index as a first column; files
are often sorted, and the index then leaks the target (issue 27: alone, a depth-3 tree on
``rownames`` predicted the price of ggplot2's diamonds with R² 0.80).
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest

import treesvsnets
from tests.helpers.cli import cli
from tests.helpers.tables import messy_and_clean, neighbourhood_prices, write_table
from treesvsnets.datasets.column_types import row_index_reason
from treesvsnets.datasets.leakage import target_order
from treesvsnets.datasets.profile_text import format_profile
from treesvsnets.datasets.table_options import TableOptions
from treesvsnets.datasets.tables import load_table


def write_like_r(frame: pd.DataFrame, path):
    """What R's ``write.csv(frame, path)`` writes: a blank first header, quoted row names 1..n,
    quoted text, NA for missing."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        writer.writerow(["", *frame.columns])
        for position, row in enumerate(frame.itertuples(index=False), start=1):
            writer.writerow([str(position), *("NA" if pd.isna(v) else v for v in row)])
    return path


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """One table (with exact duplicate rows and gaps) written four ways: without an index,
    as R's write.csv writes it, as pandas' to_csv writes it, and as Rdatasets ships it."""
    folder = tmp_path_factory.mktemp("exports")
    frame = messy_and_clean(400)[1].drop(columns=["customer_id", "signup"])
    return {
        "plain": write_table(frame, folder / "plain.csv"),
        "r": write_like_r(frame, folder / "r.csv"),
        "pandas": frame.to_csv(folder / "pandas.csv") or folder / "pandas.csv",
        "rdatasets": write_table(
            frame.assign(rownames=np.arange(1, len(frame) + 1))[["rownames", *frame.columns]],
            folder / "rdatasets.csv",
        ),
    }


def test_r_and_pandas_exports_read_the_same_features_rows_and_fingerprint(exports):
    plain = load_table(exports["plain"])
    assert plain.cleaning["duplicate_rows_removed"] > 0  # duplicates are judged without index
    for how in ("r", "pandas", "rdatasets"):
        dataset = load_table(exports[how])
        assert list(dataset.X.columns) == list(plain.X.columns), how
        pd.testing.assert_frame_equal(dataset.X, plain.X)
        np.testing.assert_array_equal(dataset.y, plain.y)
        assert dataset.fingerprint == plain.fingerprint, how
        (index,) = dataset.cleaning["columns_dropped_as_row_index"]
        assert index == {"r": "Unnamed: 0", "pandas": "Unnamed: 0", "rdatasets": "rownames"}[how]
        reading = next(r for r in dataset.columns if r.name == index)
        assert reading.kind == "dropped" and reading.note.startswith("the file's row index")
        assert (
            dataset.cleaning["duplicate_rows_removed"] == plain.cleaning["duplicate_rows_removed"]
        )


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_the_exports_score_the_same_fold_for_fold(exports, tmp_path):
    result = treesvsnets.run(
        datasets=[str(exports[how]) for how in ("plain", "r", "pandas")],
        estimators=["rf", "logreg"],
        folds=3,
        threads=1,
        isolate=False,
        progress=False,
        out=tmp_path / "runs",
    )
    rows = result.rows.rename(columns={"dataset": "how"})  # a table goes by its file's stem
    columns = ["estimator", "fold", "split_hash", "accuracy", "log_loss", "n_train", "n_test"]
    by_export = {
        how: part.sort_values(["estimator", "fold"])[columns].reset_index(drop=True)
        for how, part in rows.groupby("how")
    }
    assert len(by_export["plain"]) == 9  # rf, logreg, dummy on 3 folds
    for how in ("r", "pandas"):
        pd.testing.assert_frame_equal(by_export[how], by_export["plain"])
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    readings = {d["name"]: {c["name"]: c for c in d["columns"]} for d in manifest["datasets"]}
    assert readings["r"]["Unnamed: 0"]["note"].startswith("the file's row index")
    assert "Unnamed: 0" not in readings["plain"]


@pytest.mark.parametrize(
    ("name", "values", "first", "dropped"),
    [
        ("step", np.arange(1, 61), False, True),  # the row positions, under any name
        ("t", np.arange(0, 60), False, True),
        ("Unnamed: 0", np.random.default_rng(0).permutation(60), False, True),  # shuffled since
        ("rownames", np.arange(1, 121, 2), True, True),  # filtered since: gaps
        ("X", np.random.default_rng(1).permutation(60) + 1, True, True),  # R's read.csv name
        ("X", np.random.default_rng(1).permutation(60) + 1, False, False),  # a feature "X"
        ("x", np.random.default_rng(1).permutation(60) + 1, True, False),  # a coordinate "x"
        ("index", np.random.default_rng(1).permutation(60) + 1, True, True),
        ("population", np.random.default_rng(2).permutation(60) * 7 + 100, True, False),
        ("floors", np.arange(1, 11), False, False),  # 10 rows: too few to tell
        ("rownames", np.array([1.0, 2.5, 3.0, 4.0]), True, False),  # not whole numbers
        ("Unnamed: 0", np.array([1, 1, 2, 3]), True, False),  # not distinct
    ],
)
def test_what_is_and_is_not_a_row_index(name, values, first, dropped):
    assert (row_index_reason(pd.Series(values, name=name), first=first) is not None) == dropped


def test_a_kept_or_declared_index_stays_a_feature(exports):
    kept = load_table(exports["rdatasets"], TableOptions(keep=("rownames",)))
    declared = load_table(exports["rdatasets"], TableOptions(numeric=("rownames",)))
    for dataset in (kept, declared):
        assert "rownames" in dataset.X.columns
        assert "columns_dropped_as_row_index" not in dataset.cleaning


def test_a_target_sorted_or_grouped_in_file_order_is_said_and_a_shuffled_one_is_not():
    rng = np.random.default_rng(0)
    prices = np.sort(rng.lognormal(12, 0.4, 600))
    assert "R² 0.9" in target_order(prices)  # sorted: the position predicts it
    assert target_order(rng.permutation(prices)) is None
    classes = np.repeat([0, 1, 2], [300, 200, 100])  # grouped by class, as many R tables are
    found = target_order(classes)
    assert found.startswith("is grouped in the file's row order")
    assert target_order(rng.permutation(classes)) is None


def test_inspect_names_the_index_and_the_sorted_target(tmp_path):
    frame = neighbourhood_prices(600).sort_values("sale_price").reset_index(drop=True)
    path = tmp_path / "sorted.csv"
    frame.to_csv(path)  # pandas' default: the index as a first, unnamed column
    done = cli("inspect", path, "--target", "sale_price")
    assert done.returncode == 0, done.stderr
    assert "the file's row index: its values are the row positions 0..599" in done.stdout
    assert "the target follows the file's row order" in done.stdout
    run = cli(
        "run",
        "-d",
        path,
        "--target",
        "sale_price",
        "-e",
        "ridge",
        "--folds",
        "2",
        "--out",
        tmp_path / "runs",
    )
    assert run.returncode == 0, run.stderr
    assert "dropped: Unnamed: 0 (the file's row index)" in run.stdout + run.stderr
    report = next((tmp_path / "runs").glob("*/report.md")).read_text()
    assert "the file's row index" in report


def test_a_table_whose_only_feature_is_its_row_index_says_so(tmp_path):
    from treesvsnets.errors import DatasetError

    path = write_table(pd.DataFrame({"n": range(30), "y": ["a", "b"] * 15}), tmp_path / "t.csv")
    with pytest.raises(DatasetError, match=r"'n': the file's row index, dropped; keep it"):
        load_table(path)
    assert list(load_table(path, TableOptions(keep=("n",))).X.columns) == ["n"]


@pytest.mark.parametrize("odd", [["10a"], ["", ""]], ids=["a junk value", "two blanks"])
def test_a_saved_index_with_a_few_odd_values_is_still_the_index(tmp_path, odd):
    """dslabs::olive's rownames with one cell '10a' (or two blank): read as a numeric feature,
    it leaked the file's grouped order (rf 0.979 against 0.944 without it)."""
    frame = neighbourhood_prices(300)
    names = [str(i) for i in range(1, 301)]
    names[10 : 10 + len(odd)] = odd
    path = tmp_path / "t.csv"
    frame.insert(0, "rownames", names)
    frame.to_csv(path, index=False)
    dataset = load_table(path, TableOptions(target=frame.columns[-1]))
    assert "rownames" not in dataset.X.columns
    assert dataset.cleaning["columns_dropped_as_row_index"] == ["rownames"]

    names[20:26] = ["x"] * 6  # 8 odd values of 300: more than a slip, no longer taken for one
    frame["rownames"] = names
    frame.to_csv(path, index=False)
    assert "rownames" in load_table(path, TableOptions(target=frame.columns[-1])).X.columns


def test_inspect_names_a_feature_that_follows_the_row_order_of_a_grouped_target(tmp_path):
    """dslabs::olive with its row number renamed sample_no and 10% of rows gone: no rule
    knows the name, so it stays a feature (rf 0.975 against 0.944 without it); the warning
    that the target is grouped in file order now names it."""
    rng = np.random.default_rng(0)
    classes = np.repeat(["north", "south", "east"], [120, 100, 80])
    kept = np.sort(rng.choice(330, 300, replace=False))  # rows dropped since it was numbered
    frame = pd.DataFrame({"sample_no": kept + 1, "oleic": rng.normal(size=300), "area": classes})
    profile = treesvsnets.inspect_table(write_table(frame, tmp_path / "t.csv"), target="area")
    assert profile.target_order.startswith("is grouped in the file's row order")
    assert profile.order_columns == ["sample_no"]
    text = " ".join(format_profile(profile).split())
    assert "check that none is among the features (sample_no rises or falls with the row" in text
    shuffled = frame.sample(frac=1, random_state=0)
    profile = treesvsnets.inspect_table(write_table(shuffled, tmp_path / "s.csv"), target="area")
    assert profile.target_order is None and profile.order_columns == []
