"""Leakage a table may hold, looked for before a run (``treesvsnets inspect``): a feature that
equals the target, alone predicts it perfectly or is a grouping of its classes
(:func:`suspected_leaks`), and a target
sorted or grouped in the file's row order, which any column derived from the row order
would leak (:func:`target_order`: a depth-3 tree on the row position alone, scored in shuffled
3-fold cross-validation)."""

from __future__ import annotations

from typing import Any

import numpy as np

#: at most this many rows are used for the leakage check (one small tree per column)
LEAKAGE_SAMPLE = 20_000
#: a class needs this many rows before a column's single value in it says anything
GROUP_MIN_ROWS = 5


#: a numeric column a small tree on it alone predicts with this balanced accuracy (3-fold
#: mean) all but decides the target: suspected, as a perfect one is
NEARLY_DECIDES = 0.99
#: the cross-validation is run only for a column whose tree, fitted on every row, scores at
#: least this on those rows (balanced accuracy, or R²): a tree that does worse on its own
#: training rows does not reach :data:`NEARLY_DECIDES` on held-out ones. One fit per column
#: instead of three and a scorer's: inspect of 2,000 columns took a minute in this check
SCREEN = 0.97


def _fits_itself(tree: Any, values: Any, y: np.ndarray, regression: bool) -> bool:
    """Whether ``tree`` fitted on every row scores at least :data:`SCREEN` on them."""
    predicted = tree.fit(values, y).predict(values)
    if regression:
        spread = float(((y - y.mean()) ** 2).sum())
        return spread > 0 and 1 - float(((y - predicted) ** 2).sum()) / spread >= SCREEN
    recalls = [np.mean(predicted[y == c] == c) for c in np.unique(y)]
    return float(np.mean(recalls)) >= SCREEN


def suspected_leaks(X: Any, y: np.ndarray, schema: Any, seed: int = 0) -> list[str]:
    """Features that equal the target, or that predict it perfectly on their own.

    A categorical column predicts perfectly when each of its values goes with
    one class, and it is no identifier (fewer distinct values than half the
    rows). A categorical column is a grouping of the target (a region beside its
    target area) when each class comes with a single value of it, though it has
    several (over the classes of at least :data:`GROUP_MIN_ROWS` rows, so that a
    tiny class cannot seem so by chance). A numeric column predicts perfectly
    when a small tree on it alone scores 100% in 3-fold cross-validation, and nearly so
    at :data:`NEARLY_DECIDES` balanced accuracy (MASS's birthwt: ``low`` is ``bwt < 2500``,
    whose test rows at the threshold's edge a tree's split misses now and then).
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.tree import DecisionTreeClassifier

    if len(X) > LEAKAGE_SAMPLE:
        keep = np.random.default_rng(seed).choice(len(X), LEAKAGE_SAMPLE, replace=False)
        X, y = X.iloc[keep], y[keep]
    if np.issubdtype(y.dtype, np.floating):
        return _regression_leaks(X, y, schema, seed)
    n_classes = len(np.unique(y))
    counts = np.bincount(y)
    sizable = np.isin(y, np.flatnonzero(counts >= GROUP_MIN_ROWS))
    found = []
    for column in schema.categorical:
        values = X[column].fillna("(missing)").to_numpy()
        said = _one_class_per_value(values, y, n_classes)
        if said is not None:
            found.append(f"{column}: {said}")
        elif _groups_target(values[sizable], y[sizable]):
            found.append(f"{column}: a grouping of the target (each class has a single value)")
    folds = min(3, int(np.bincount(y).min()))
    for column in schema.numeric:
        if _groups_target(X[column].fillna(np.inf).to_numpy()[sizable], y[sizable]):
            found.append(f"{column}: a grouping of the target (each class has a single value)")
            continue
        values = X[[column]].fillna(X[column].median() if X[column].notna().any() else 0.0)
        if values[column].nunique() <= 1 or folds < 2:
            continue
        tree = DecisionTreeClassifier(max_leaf_nodes=2 * n_classes, random_state=seed)
        if not _fits_itself(tree, values, y, regression=False):
            continue
        shuffled = StratifiedKFold(folds, shuffle=True, random_state=seed)  # a sorted file too
        scores = cross_val_score(tree, values, y, cv=shuffled, scoring="balanced_accuracy")
        if scores.min() >= 0.999:
            found.append(f"{column}: a small tree on this column alone is 100% accurate")
        elif scores.mean() >= NEARLY_DECIDES:  # a target defined by a threshold on it
            found.append(
                f"{column}: a small tree on this column alone is {scores.mean():.1%} accurate "
                "(balanced): a threshold on it all but decides the target"
            )
    return found


def _one_class_per_value(values: np.ndarray, y: np.ndarray, n_classes: int) -> str | None:
    """What a categorical column is when each of its values goes with one class (and it is no
    identifier: fewer values than half the rows), else None."""
    import pandas as pd

    classes_per_value = pd.Series(y).groupby(values).nunique()
    if not ((classes_per_value == 1).all() and len(classes_per_value) < len(values) / 2):
        return None
    if len(classes_per_value) == n_classes:
        return "holds the target itself (one value per class)"
    return "each of its values goes with a single class"


def finer_than_target(X: Any, y: np.ndarray, columns: Any, seed: int = 0) -> list[str]:
    """The categorical ``columns`` of ``X`` each of whose values goes with a single class of
    ``y`` (class codes): a finer coding of the target (a loan's sub-grade beside its grade),
    which a run keeps but says, as cheap to find as a count per value. On at most
    :data:`LEAKAGE_SAMPLE` rows."""
    if len(X) > LEAKAGE_SAMPLE:
        keep = np.random.default_rng(seed).choice(len(X), LEAKAGE_SAMPLE, replace=False)
        X, y = X.iloc[keep], y[keep]
    n_classes = len(np.unique(y))
    return [
        column
        for column in columns
        if _one_class_per_value(X[column].fillna("(missing)").to_numpy(), y, n_classes)
    ]


def _groups_target(values: np.ndarray, y: np.ndarray) -> bool:
    """Whether each class of ``y`` comes with a single value of ``values``, of which there
    are several: the column is a coarser copy of the target."""
    import pandas as pd

    if len(np.unique(y)) < 3:  # two classes: a grouping of them would be the target itself
        return False
    values_per_class = pd.Series(values).groupby(y).nunique()
    return bool((values_per_class == 1).all()) and len(np.unique(values)) > 1


#: the row position alone explains at least this share of the target (R², or of the gap
#: between the most frequent class's rate and perfect accuracy): the file is sorted by it
ORDER_SHARE = 0.1


def target_order(y: np.ndarray, seed: int = 0) -> str | None:
    """How the target is sorted or grouped in file order ("follows the file's row order: ..."),
    or None when it is not.

    A depth-3 tree on the row position alone (the rows a run uses, in file order) is scored
    in shuffled 3-fold cross-validation, as a run's folds are. On a file in random order it
    learns nothing; on a sorted or grouped file it predicts the target, and then any column
    derived from the row order (a row index, an entry number, a timestamp of entry) leaks it.
    """
    from scipy.stats import spearmanr
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    y = np.asarray(y)
    n = len(y)
    if len(y) > LEAKAGE_SAMPLE:  # every k-th row keeps the order
        y = y[:: int(np.ceil(n / LEAKAGE_SAMPLE))]
    position = np.arange(len(y), dtype=float)[:, None]
    regression = np.issubdtype(y.dtype, np.floating)
    if len(y) < 30 or len(np.unique(y)) < 2:
        return None
    if regression:
        tree = DecisionTreeRegressor(max_depth=3, random_state=seed)
        cv = KFold(3, shuffle=True, random_state=seed)
        r2 = float(cross_val_score(tree, position, y, cv=cv, scoring="r2").mean())
        if r2 < ORDER_SHARE:
            return None
        rho = float(spearmanr(position[:, 0], y).statistic)
        return (
            f"follows the file's row order: a depth-3 tree on the row position "
            f"alone reaches R² {r2:.2f} (rank correlation with the position {rho:+.2f})"
        )
    counts = np.bincount(y)
    common = np.isin(y, np.flatnonzero(counts >= 3))  # a class of 1 or 2 rows cannot be cut 3 ways
    if len(np.unique(y[common])) < 2:
        return None
    y, position = y[common], position[common]
    counts = np.bincount(y)
    tree = DecisionTreeClassifier(max_depth=3, random_state=seed)
    cv = StratifiedKFold(3, shuffle=True, random_state=seed)
    accuracy = float(cross_val_score(tree, position, y, cv=cv).mean())
    majority = counts.max() / len(y)
    if (accuracy - majority) < ORDER_SHARE * (1 - majority):
        return None
    return (
        f"is grouped in the file's row order: a depth-3 tree on the row position "
        f"alone is {accuracy:.3f} accurate, against {majority:.3f} for the most frequent class"
    )


def following_row_order(X: Any) -> list[str]:
    """The numeric or date columns of ``X`` (rows in file order) that rise or fall with it,
    each value all but its own (an entry number, a timestamp of entry, a row index under a
    name no rule knows): where the target follows the file's order, they leak it."""
    return [
        str(column)
        for column in X.columns
        if X[column].dtype.kind in "iufM"
        and X[column].nunique() > len(X) / 2
        and (X[column].is_monotonic_increasing or X[column].is_monotonic_decreasing)
    ]


#: a numeric column whose rank correlation with a regression target is at least this (in
#: absolute value) orders the rows almost as the target: a noisy or rounded copy of it
#: (Boston's medv in dollars with 1% noise: 0.9986; diamonds' carat: 0.96)
NEARLY_SAME_ORDER = 0.995


def _rank_correlation(values: Any, y: np.ndarray) -> float:
    """Spearman's correlation of ``values`` with ``y`` over the rows ``values`` holds (0.0
    where fewer than :data:`COPY_MIN_ROWS` or a constant side leave nothing to tell)."""
    import pandas as pd

    held = values.notna().to_numpy()
    if held.sum() < COPY_MIN_ROWS:
        return 0.0
    pair = pd.DataFrame({"x": values.to_numpy()[held], "y": y[held]})
    rho = pair["x"].corr(pair["y"], method="spearman")
    return 0.0 if pd.isna(rho) else float(rho)


def _regression_leaks(X: Any, y: np.ndarray, schema: Any, seed: int) -> list[str]:
    """Numeric features from which a small tree alone predicts a regression target almost
    perfectly (R² of at least 0.999 in 3-fold cross-validation)."""
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.tree import DecisionTreeRegressor

    found = []
    cv = KFold(3, shuffle=True, random_state=seed)
    for column in schema.numeric:
        values = X[[column]].fillna(X[column].median() if X[column].notna().any() else 0.0)
        if values[column].nunique() <= 1 or len(y) < 6:
            continue
        rho = _rank_correlation(X[column], y)
        if abs(rho) >= NEARLY_SAME_ORDER:
            found.append(
                f"{column}: orders the rows almost as the target does (rank correlation "
                f"{rho:.5f}): the target rescaled, with noise?"
            )
            continue
        tree = DecisionTreeRegressor(max_leaf_nodes=64, random_state=seed)
        if not _fits_itself(tree, values, y, regression=True):
            continue
        if cross_val_score(tree, values, y, cv=cv).min() >= 0.999:
            found.append(f"{column}: a small tree on this column alone predicts the target")
    return found


#: a table needs this many rows before a column matching its target is taken for a copy of it
#: (two balanced binary columns agree on 20 rows by chance about twice in a million)
COPY_MIN_ROWS = 20
#: the rows a column is first compared on (most columns differ there, so the whole column is
#: compared only for the few that do not)
COPY_HEAD_ROWS = 1_000


def target_copies(X: Any, y: Any, regression: bool, spared: Any = ()) -> list[str]:
    """The columns of ``X`` that are the target under another name, not in ``spared``: the
    same numbers as a regression target, or one value per class and one class per value (a
    class's code, its label in other words, a yes/no copy of a 0/1 target), with no value
    missing. Every estimator would read the answer from such a column, so a run drops it
    (:func:`~treesvsnets.datasets.tables.clean_table`). Fewer than :data:`COPY_MIN_ROWS` rows
    prove nothing: none is returned."""
    import pandas as pd

    y = pd.Series(np.asarray(y))
    if len(y) < COPY_MIN_ROWS:
        return []
    head = min(len(y), COPY_HEAD_ROWS)
    return [
        column
        for column in X.columns
        if column not in spared
        and _same_as(X[column].iloc[:head], y.iloc[:head], regression)
        and _same_as(X[column], y, regression)
    ]


_COPY_NOTE = {
    False: "a copy of the target: it gives the answer away",
    True: "a copy of the target, or of its order (rescaled, in other units, its log): it "
    "gives the answer away",
}


def without_target_copies(
    X: Any, y: Any, regression: bool, keep: Any, readings: list, where: str
) -> tuple[Any, list[str]]:
    """``X`` less its :func:`target_copies` (but those in ``keep``), each one's reading (of
    ``readings``) marked dropped, and their names; a table of copies only is refused
    (``where``: the file and its target, as the sentence names them)."""
    from treesvsnets.errors import DatasetError

    copies = target_copies(X, y, regression, spared=keep)
    if not copies:
        return X, []
    for reading in readings:
        if reading.name in copies:
            reading.kind, reading.note = "dropped", _COPY_NOTE[regression]
    if len(copies) == X.shape[1]:
        raise DatasetError(
            f"{where}: every feature column ({', '.join(map(repr, copies))}) is a copy of it; "
            "no feature is left to learn from."
        )
    return X.drop(columns=copies), copies


#: a regression target needs this many distinct values before a column that orders the rows
#: as it does is taken for a copy of it (few values can share their order by chance)
ORDER_MIN_VALUES = 10


def _same_order(values: Any, y: Any) -> bool:
    """Whether ``values`` order the rows exactly as ``y`` does, or exactly the other way,
    ties and all, over at least :data:`ORDER_MIN_VALUES` distinct values: the target in
    other units or rescaled (a price in dollars beside one in thousands, its logarithm,
    a centred copy), from which every model reads the answer (ridge's R² 1.0000)."""
    if y.nunique() < ORDER_MIN_VALUES or values.nunique() != y.nunique():
        return False
    ranks = values.rank(method="dense").to_numpy()
    target = y.rank(method="dense").to_numpy()
    return np.array_equal(ranks, target) or np.array_equal(ranks, target.max() + 1 - target)


def _same_as(values: Any, y: Any, regression: bool) -> bool:
    """Whether ``values`` are ``y`` or order the rows as it does (regression:
    :func:`_same_order`), or are a one-to-one recoding of its classes."""
    import pandas as pd

    values = values.reset_index(drop=True)
    if values.isna().any():
        return False
    if regression:
        return values.dtype.kind in "biuf" and (
            np.array_equal(values.to_numpy(dtype=float), y.to_numpy(dtype=float))
            or _same_order(values, y)
        )
    n_classes = y.nunique()
    if values.nunique() != n_classes or 2 * n_classes > len(y):
        return False  # a target of a value per row (a date, a note) is no label to copy
    return len(pd.DataFrame({"value": values, "label": y}).drop_duplicates()) == n_classes
