"""A column that is the target under another name is dropped from a run's features.

A table exported with both a class's label and its code, or a 0/1 outcome beside its yes/no
spelling (seaborn's titanic: ``survived`` and ``alive``), gives every model the answer: each
would score perfectly, and the comparison would say nothing. ``inspect`` named such a column
as a leak, but ``run`` trained on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.helpers.cli import cli
from tests.helpers.tables import write_table
from treesvsnets.datasets.leakage import COPY_MIN_ROWS
from treesvsnets.datasets.table_options import TableOptions
from treesvsnets.datasets.tables import load_table
from treesvsnets.errors import DatasetError


def classes_with_copies(n_rows: int = 240, seed: int = 0) -> pd.DataFrame:
    """Three classes decided by ``signal`` and noise, their codes (``code``), a yes/no flag of
    one class (``is_b``, a grouping, no copy) and a coarser grouping (``pair``)."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n_rows)
    code = np.digitize(signal + rng.normal(0, 0.8, n_rows), [-0.5, 0.5])
    return pd.DataFrame(
        {
            "signal": signal,
            "noise": rng.normal(size=n_rows),
            "code": code,
            "is_b": np.where(code == 1, "yes", "no"),
            "pair": np.where(code == 2, "high", "low"),
            "label": np.array(["a", "b", "c"])[code],
        }
    )


def test_a_recoding_of_the_classes_is_dropped_and_said(tmp_path):
    path = write_table(classes_with_copies(), tmp_path / "classes.csv")
    dataset = load_table(path)
    assert list(dataset.X.columns) == ["signal", "noise", "is_b", "pair"]
    assert dataset.cleaning["columns_dropped_as_target_copies"] == ["code"]
    (code,) = [reading for reading in dataset.columns if reading.name == "code"]
    assert code.kind == "dropped" and code.note.startswith("a copy of the target")

    kept = load_table(path, TableOptions(keep=("code",)))  # the user's word wins
    assert "code" in kept.X.columns and "columns_dropped_as_target_copies" not in kept.cleaning


def test_a_yes_no_copy_of_a_binary_target_is_dropped(tmp_path):
    frame = classes_with_copies().assign(label=lambda f: np.where(f["code"] == 1, 1, 0))
    dataset = load_table(write_table(frame, tmp_path / "binary.csv"))
    # is_b spells the 0/1 target as no/yes: a copy now; code (3 values) is no longer one
    assert dataset.cleaning["columns_dropped_as_target_copies"] == ["is_b"]
    assert "code" in dataset.X.columns


def test_a_copy_of_a_regression_target_or_of_its_order_is_dropped_a_noisy_one_stays(tmp_path):
    """A price in thousands beside the price, or its logarithm, were kept, and inspect named
    neither: ridge scored R² 1.0000 (Boston's medv x 1000; nlme's bdf, a centred copy)."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    price = np.exp(3 * x + rng.normal(0, 0.5, 200))
    frame = pd.DataFrame({
        "x": x, "price_again": price, "price_k": price / 1000, "log_price": np.log(price),
        "minus": -price, "noisy": price * rng.uniform(0.99, 1.01, 200),
        "rounded": np.round(price, -1), "price": price,
    })  # fmt: skip
    dataset = load_table(write_table(frame, tmp_path / "prices.csv"))
    assert dataset.cleaning["columns_dropped_as_target_copies"] == [
        "price_again", "price_k", "log_price", "minus",
    ]  # fmt: skip
    assert list(dataset.X.columns) == ["x", "noisy", "rounded"]  # not proven copies
    (logged,) = [reading for reading in dataset.columns if reading.name == "log_price"]
    assert logged.kind == "dropped" and "or of its order (rescaled" in logged.note
    few = pd.DataFrame({"x": x, "level": np.digitize(x, [-1, 0, 1]) * 2.0})
    few["y"] = few["level"] / 2  # 4 values: a column may share their order by chance
    as_numbers = TableOptions(task="regression")
    assert "level" in load_table(write_table(few, tmp_path / "few.csv"), as_numbers).X.columns


@pytest.mark.parametrize(
    "change",
    ["too few rows", "a value missing", "one value wrong"],
)
def test_what_is_not_proven_a_copy_stays(tmp_path, change):
    frame = classes_with_copies()
    if change == "too few rows":
        frame = frame.iloc[: COPY_MIN_ROWS - 1]
    elif change == "a value missing":
        frame["code"] = frame["code"].astype(float).where(frame.index != 5)
    else:
        frame.loc[5, "code"] = (frame.loc[5, "code"] + 1) % 3
    dataset = load_table(write_table(frame, tmp_path / "t.csv"))
    assert "code" in dataset.X.columns
    assert "columns_dropped_as_target_copies" not in dataset.cleaning


def test_a_table_of_copies_only_is_refused_in_one_sentence(tmp_path):
    frame = classes_with_copies()[["code", "label"]]
    path = write_table(frame, tmp_path / "only.csv")
    with pytest.raises(
        DatasetError, match=r"target 'label': every feature column \('code'\) is a copy"
    ):
        load_table(path)


def test_run_says_it_dropped_the_copy_and_learns_from_the_rest(tmp_path):
    frame = classes_with_copies().drop(columns=["is_b", "pair"])  # together, they tell the class
    path = write_table(frame, tmp_path / "classes.csv")
    done = cli(
        "run", "-d", path, "-e", "logreg", "--folds", "3", "--no-baseline",
        "--out", tmp_path / "runs",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "dropped: code (a copy of the target)" in done.stderr
    (summary,) = (tmp_path / "runs").glob("*/summary.csv")
    accuracy = pd.read_csv(summary)["accuracy"].iloc[0]
    assert 0.5 < accuracy < 0.99  # signal, not the answer read from a copy


def test_inspect_suspects_a_column_ordering_the_rows_almost_as_a_regression_target(tmp_path):
    """Boston's medv in dollars with 1% noise: not a copy (the run keeps it), but ridge's R²
    on it is 0.997 and inspect found no leak."""
    from treesvsnets.datasets.leakage import suspected_leaks

    rng = np.random.default_rng(2)
    x = rng.normal(size=300)
    price = np.exp(x + rng.normal(0, 0.5, 300))
    frame = pd.DataFrame({"x": x, "usd": price * 1000 * rng.uniform(0.99, 1.01, 300),
                          "price": price})  # fmt: skip
    dataset = load_table(write_table(frame, tmp_path / "prices.csv"))
    assert list(dataset.X.columns) == ["x", "usd"]
    (said,) = suspected_leaks(dataset.X, dataset.y, dataset.schema)
    assert said.startswith("usd: orders the rows almost as the target does (rank correlation 0.99")
