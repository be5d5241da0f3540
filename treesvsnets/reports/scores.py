"""The per-dataset tables of the cross-dataset section, from :mod:`.aggregate`'s error table
(one row per method, dataset, seed and fold, lower is better): each method's mean error per
dataset, TabArena's and Grinsztajn's normalized scores, improvability, and train and predict
seconds per 1,000 rows. The definitions are :mod:`.aggregate`'s docstring's."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from treesvsnets.tasks import REGRESSION


def dataset_errors(table: pd.DataFrame) -> pd.DataFrame:
    """Each method's mean error per dataset: datasets by methods (NaN where absent)."""
    return table.pivot_table(index="dataset", columns="method", values="error", aggfunc="mean")


def normalized_scores(errors: pd.DataFrame, tasks: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """TabArena's and Grinsztajn's normalized scores, datasets by methods (1 is the best)."""
    values = errors.to_numpy(dtype=float)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a dataset without any error
        best = np.nanmin(values, axis=1, keepdims=True)
        median = np.nanmedian(values, axis=1, keepdims=True)
        zero = np.array(
            [
                [np.nanquantile(row, 0.5 if tasks.get(d) == REGRESSION else 0.9)]
                for d, row in zip(errors.index, values, strict=True)
            ]
        ).reshape(-1, 1)
    tabarena = 1 - np.clip((values - best) / np.maximum(median - best, 1e-5), 0, 1)
    span = zero - best
    flat = span <= 1e-12  # every method at the best (or the quantile is the best)
    with np.errstate(all="ignore"):
        grinsztajn = np.clip((zero - values) / np.where(flat, 1.0, span), 0, 1)
    grinsztajn = np.where(flat, (values <= best).astype(float), grinsztajn)
    missing = np.isnan(values)
    return {
        name: pd.DataFrame(np.where(missing, np.nan, score), errors.index, errors.columns)
        for name, score in (("tabarena", tabarena), ("grinsztajn", grinsztajn))
    }


def improvability(errors: pd.DataFrame) -> pd.DataFrame:
    """1 − best_err / err per dataset (0 for the best; 0 where every error is 0)."""
    best = errors.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = 1 - errors.rdiv(best, axis=0)
    return gap.mask(errors.eq(0), 0.0).where(errors.notna())


def per_1k_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Train and predict seconds per 1,000 rows: each dataset's mean over its cells, then the
    median over datasets."""
    cells = table[~table["imputed"]].assign(
        train_per_1k=lambda t: 1000 * t["train_s"] / t["n_train"].astype(float),
        predict_per_1k=lambda t: 1000 * t["predict_s"].astype(float) / t["n_test"].astype(float),
    )
    per_dataset = cells.groupby(["method", "dataset"])[["train_per_1k", "predict_per_1k"]].mean()
    return per_dataset.groupby("method").median()
