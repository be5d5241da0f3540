"""Whether a dataset's classes can be split into k folds, said in one sentence where not.

Stratified k-fold puts each class in every fold, so a class needs at least k rows, and a
class of one row can never be both trained on and tested, whatever k. :func:`check_folds`
refuses such a dataset naming the class and the column, with what to do: fewer folds, the
rows dropped or merged, a typo's likely spelling, or --task regression where every class
is a number (rooms, days: quantities read as labels). The harness checks it before a run;
``inspect`` says what a run with the default folds would refuse.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.target import NAME_THE_TARGET
from treesvsnets.errors import ConfigError, DatasetError


def _typo_of(small: list[str], names: tuple, counts: np.ndarray, n_folds: int) -> str:
    """`` Is 'Gento' a typo of 'Gentoo'?`` for the first of the ``small`` classes spelled
    almost as one with enough rows (penguins with 'Gento' and 'Adelie.' among the species),
    else ""."""
    import difflib

    large = [str(names[i]) for i in np.flatnonzero(counts >= n_folds)]
    for name in small:
        close = difflib.get_close_matches(str(name), large, n=1, cutoff=0.8)
        if close:
            return f" Is {name!r} a typo of {close[0]!r}?"
    return ""


def check_folds(dataset: Dataset, n_folds: int) -> None:
    """Refuse a fold count that stratified k-fold cannot honour, naming the class (or, for
    regression, a dataset with fewer rows than folds)."""
    if isinstance(n_folds, bool) or not isinstance(n_folds, int) or n_folds < 2:
        raise ConfigError(f"folds must be an integer of at least 2, got {n_folds!r}.")
    if dataset.is_regression:
        if dataset.n_samples < 2 * n_folds:
            raise DatasetError(
                f"dataset {dataset.name!r} has {dataset.n_samples} rows, too few for "
                f"{n_folds} folds; use --folds {max(dataset.n_samples // 2, 2)} or fewer."
            )
        return
    counts = np.bincount(dataset.y, minlength=dataset.n_classes)
    smallest = int(np.argmin(counts))
    if counts[smallest] < n_folds:
        schema = dataset.schema
        column = f" of target column {schema.target!r}" if schema and schema.target else ""
        if counts[smallest] < 2:  # no fold count helps: a class must be in a training fold
            single = [dataset.class_names[i] for i in np.flatnonzero(counts < 2)]
            if 2 * len(single) > len(counts):  # a value per row: a date, a note, an ID
                raise DatasetError(
                    f"dataset {dataset.name!r}: the target{column.replace(' of target', '')} "
                    "holds a value of its own "
                    f"in most rows ({len(single)} of its {len(counts)} values are in a single "
                    "row, e.g. "
                    f"{str(single[0])[:40]!r}): it is no label to learn; {NAME_THE_TARGET}"
                )
            shown = ", ".join(repr(name) for name in single[:5])
            raise DatasetError(
                f"dataset {dataset.name!r}: class{'es' if len(single) > 1 else ''} {shown}"
                f"{column} ha{'ve' if len(single) > 1 else 's'} a single row, which cannot be "
                "both trained on and tested; drop those rows, or merge the class into another."
                + _numbers_or_typo(dataset, single, counts, n_folds)
            )
        raise DatasetError(
            f"dataset {dataset.name!r}: class {dataset.class_names[smallest]!r}{column} has only "
            f"{counts[smallest]} samples, fewer than the {n_folds} folds asked for; "
            f"use --folds {max(int(counts[smallest]), 2)} or fewer."
            + _numbers_or_typo(dataset, [dataset.class_names[smallest]], counts, n_folds)
        )


def _numbers_or_typo(dataset: Dataset, small: list[Any], counts: np.ndarray, n_folds: int) -> str:
    """Where every class is a number (sizes in mm, days, rooms: read as labels), that they
    may be quantities to predict as numbers; else a small class's likely typo
    (:func:`_typo_of`). "Is '37.2' a typo of '7.2'?" was asked of house prices."""
    if all(_is_number(name) for name in dataset.class_names):
        return (
            " Its values are numbers: if they are quantities, --task regression predicts "
            "them as such (task = 'regression' in a config file)."
        )
    return _typo_of(small, dataset.class_names, counts, n_folds)


def _is_number(name: Any) -> bool:
    try:
        return math.isfinite(float(str(name)))
    except ValueError:
        return False
