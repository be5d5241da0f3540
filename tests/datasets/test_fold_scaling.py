"""Every column handed to an estimator that asks for scaling is scaled inside the fold.

The bug this guards (issue 27): on a regression table, a many-valued category's target
encoding left the fold pipeline in the target's units (up to 330,000 dollars on the Ames
housing sales) beside standardised numbers, and ``dense`` diverged. A class label's encoding
is a probability and hid the bug.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.helpers.tables import dirty_frame, house_prices, messy_and_clean, neighbourhood_prices
from treesvsnets.bench.cells.splits import make_split_plan
from treesvsnets.datasets.columns import table_preprocessor
from treesvsnets.datasets.table_options import TableOptions

#: each table fixture with a class target and a numeric target
from treesvsnets.datasets.tables import clean_table

#: each table fixture with a class target and a numeric target
TABLES = {
    "dirty": (lambda: dirty_frame(), "label", "age"),
    "messy": (lambda: messy_and_clean(600)[0], "rating", "income"),
    "clean": (lambda: messy_and_clean(600)[1], "rating", "income"),
    "house_prices": (lambda: house_prices(), "city", "price"),
    "neighbourhood_prices": (lambda: neighbourhood_prices(600), "style", "sale_price"),
}
#: the scalings an estimator may ask for (``none`` is the trees': nothing to check)
SCALINGS = ("standard", "minmax", "robust", "log1p")


def _dataset(table: str, task: str, high_cardinality: str):
    make, label, number = TABLES[table]
    options = TableOptions(
        target=label if task == "classification" else number,
        task=task,
        high_cardinality=high_cardinality,
    )
    return clean_table(make(), f"{table}.csv", options)


def _branches(pipeline) -> dict[str, slice]:
    """The output columns of each branch of the fitted ColumnTransformer."""
    return dict(pipeline.output_indices_)


def _onehot_width(pipeline) -> int:
    """How many of the categorical branch's output columns are one-hot (they come first)."""
    onehot = pipeline.named_transformers_["categorical"][-1].onehot_
    return 0 if onehot is None else sum(len(c) for c in onehot.categories_)


def _check_column(values: np.ndarray, scaling: str, where: str) -> None:
    if np.ptp(values) == 0:  # a missing-indicator constant in this fold: nothing to scale
        return
    if scaling == "standard":
        assert abs(values.mean()) < 1e-6, f"{where}: training mean {values.mean()}"
        assert abs(values.std() - 1) < 1e-6, f"{where}: training std {values.std()}"
    elif scaling == "minmax":
        assert values.min() == pytest.approx(0, abs=1e-9), where
        assert values.max() == pytest.approx(1, abs=1e-9), where
    elif scaling == "robust":
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        assert abs(median) < 1e-6, f"{where}: training median {median}"
        assert q3 - q1 in (pytest.approx(1), pytest.approx(0, abs=1e-12)), where
    else:  # log1p: no column keeps the units of a price or a count
        assert np.abs(values).max() < 20, f"{where}: as large as {np.abs(values).max()}"


@pytest.mark.parametrize("high_cardinality", ["target", "ordinal"])
@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_column_a_scaled_estimator_gets_is_scaled_on_its_training_rows(
    table, task, high_cardinality
):
    dataset = _dataset(table, task, high_cardinality)
    assert dataset.task == task
    fold = make_split_plan(dataset, n_folds=3, seed=0).folds[0]
    X, y = dataset.rows(fold.train), dataset.y[fold.train]
    many_valued = 0
    for scaling in SCALINGS:
        pipeline = table_preprocessor(dataset.schema, scaling)
        Xt = pipeline.fit_transform(X, y)
        assert np.isfinite(Xt).all()
        for branch, columns in _branches(pipeline).items():
            for j in range(columns.start, columns.stop):
                values = Xt[:, j]
                where = f"{table} {task} {high_cardinality} {scaling}: {branch} column {j}"
                if branch == "categorical":
                    if j - columns.start < _onehot_width(pipeline):
                        assert np.isin(values, (0.0, 1.0)).all(), where
                        continue  # one-hot: 0/1
                    if task == "classification" and high_cardinality == "target":
                        # a class label's encoding: a probability
                        assert 0 <= values.min() and values.max() <= 1, where
                        continue
                    many_valued += 1
                _check_column(values, scaling, where)
    if dataset.schema.categorical and not (
        task == "classification" and high_cardinality == "target"
    ):
        assert many_valued, "the fixture should have a many-valued category to check"


def test_the_encodings_are_scaled_with_the_training_rows_statistics_only():
    """The scaler of an encoding learns on the training rows; test rows are only transformed
    (an unseen category gets the training mean's encoding, scaled like the others)."""
    dataset = _dataset("neighbourhood_prices", "regression", "target")
    fold = make_split_plan(dataset, n_folds=3, seed=0).folds[0]
    pipeline = table_preprocessor(dataset.schema, "standard")
    pipeline.fit(dataset.rows(fold.train), dataset.y[fold.train])
    unseen = dataset.rows(fold.test[:1]).copy()
    unseen["neighbourhood"] = "a neighbourhood no fold has"
    encoded = pipeline.transform(pd.concat([dataset.rows(fold.test), unseen]))
    last = encoded[:, -1]  # the neighbourhood's scaled target encoding
    assert np.abs(last).max() < 10  # in standard units, not dollars
    encoder = pipeline.named_transformers_["categorical"][-1]
    mean = encoder.many_.target_mean_
    expected = (mean - encoder.many_scaler_.mean_[0]) / encoder.many_scaler_.scale_[0]
    assert last[-1] == pytest.approx(expected)


def test_clipping_leaves_a_column_whose_quartiles_are_equal_as_it_is(tmp_path):
    """clip_outliers on a flag set in 10% of the rows (and a count mostly 0): its quartiles
    are both 0, the fences [0, 0], and every 1 was clipped to 0, the feature erased; inspect
    counted each 1 an IQR outlier. A column with a spread is still clipped."""
    import treesvsnets

    rng = np.random.default_rng(0)
    flag = (rng.random(200) < 0.1).astype(int)
    defaults = np.where(rng.random(200) < 0.8, 0, rng.integers(1, 5, 200))
    wide = rng.normal(size=200)
    wide[:3] = [40.0, -40.0, 55.0]
    frame = pd.DataFrame({"flag": flag, "defaults": defaults, "wide": wide,
                          "y": rng.choice(["churn", "stay"], 200)})  # fmt: skip
    dataset = clean_table(frame, "t.csv", TableOptions(target="y", clip_outliers=True))
    ready = table_preprocessor(dataset.schema, "none").fit_transform(dataset.X, dataset.y)
    names = list(dataset.schema.numeric)
    np.testing.assert_array_equal(ready[:, names.index("flag")], flag)
    np.testing.assert_array_equal(ready[:, names.index("defaults")], defaults)
    assert ready[:, names.index("wide")].max() < 10  # the far values clipped
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    profile = treesvsnets.inspect_table(path, target="y")
    outliers = {column.name: column.outliers for column in profile.columns}
    assert outliers["flag"] == 0 and outliers["defaults"] == 0 and outliers["wide"] >= 3
