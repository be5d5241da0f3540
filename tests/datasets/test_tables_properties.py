"""Property tests: random valid tables never crash the loader or the per-fold pipeline."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from treesvsnets.bench.cells.cell import run_cell  # noqa: E402
from treesvsnets.bench.cells.inputs import Cell  # noqa: E402
from treesvsnets.bench.cells.splits import make_split_plan  # noqa: E402
from treesvsnets.datasets.table_options import TableOptions  # noqa: E402
from treesvsnets.datasets.tables import load_table  # noqa: E402
from treesvsnets.errors import TreesVsNetsError  # noqa: E402
from treesvsnets.estimators import registry  # noqa: E402

from ..helpers.tables import write_table  # noqa: E402

FOLDS = 3
_FLOATS = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False), st.just(np.nan), st.just(np.inf), st.just(-np.inf)
)
_WORDS = st.sampled_from(["red", "green", "blue", " blue ", "Ünïcode", "a,b", "", "yes"])


def _column(kind: str, n: int):
    if kind == "float":
        return st.lists(_FLOATS, min_size=n, max_size=n)
    if kind == "int":
        return st.lists(st.one_of(st.integers(-50, 50), st.none()), min_size=n, max_size=n)
    if kind == "numeric text":  # "1,234.5" and friends, with gaps
        numbers = st.floats(-1e5, 1e5, allow_nan=False).map(lambda v: f"{v:,.2f}")
        return st.lists(st.one_of(numbers, st.none()), min_size=n, max_size=n)
    if kind == "boolean words":
        return st.lists(st.sampled_from(["yes", "no", "Yes", None]), min_size=n, max_size=n)
    if kind == "category":
        return st.lists(st.one_of(_WORDS, st.none()), min_size=n, max_size=n)
    # "mixed": numbers and words in one column -> categorical
    return st.lists(
        st.one_of(st.integers(0, 5).map(str), _WORDS, st.none()), min_size=n, max_size=n
    )


@st.composite
def tables(draw) -> pd.DataFrame:
    n_classes = draw(st.integers(2, 3))
    per_class = draw(st.integers(FOLDS + 3, 15))
    n = n_classes * per_class
    kinds = draw(
        st.lists(
            st.sampled_from(["float", "int", "numeric text", "boolean words", "category", "mixed"]),
            min_size=1,
            max_size=5,
        )
    )
    frame = pd.DataFrame({f"{kind} {i}": draw(_column(kind, n)) for i, kind in enumerate(kinds)})
    frame["target"] = [f"class {i % n_classes}" for i in range(n)]
    return frame


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(frame=tables(), clip=st.booleans(), max_onehot=st.integers(1, 5))
def test_random_tables_load_and_every_cell_runs_or_is_refused_in_one_sentence(
    frame, clip, max_onehot
):
    options = TableOptions(clip_outliers=clip, max_onehot=max_onehot)
    with tempfile.TemporaryDirectory() as folder:
        path = write_table(frame, Path(folder) / "random.csv")
        try:
            dataset = load_table(path, options)
            split_plan = make_split_plan(dataset, n_folds=FOLDS, seed=0)
        except TreesVsNetsError as refused:  # e.g. every feature empty, duplicates -> one class
            hypothesis.event("refused before training")
            assert str(path) in str(refused) and "\n" not in str(refused)
            return
    for estimator, params in (("logreg", {}), ("rf", {"n_estimators": 5})):
        outcome = run_cell(
            Cell(dataset.name, estimator, 0, 0, params=params),
            registry.get(estimator, dataset.task),
            dataset,
            split_plan,
            run_id="property",
        )
        assert outcome.row["status"] == "ok", (estimator, outcome.row["error"])
        assert 0 <= outcome.row["accuracy"] <= 1
