"""Nets whose training diverged, read from the rows' ``diverged`` column.

A diverged net still scores, usually far below the baseline, and the baseline test then
says "not better" without saying why. These sentences (:func:`divergence_sentences`, one
per estimator whose rows record ``diverged``) say why, naming the estimator, the dataset,
the folds and how the first diverged, for the run's last lines and the report; the
leaderboard counts the diverged folds of each estimator (:func:`diverged_counts`).
"""

from __future__ import annotations

import pandas as pd

#: the advice that follows a divergence
ADVICE = "check that its inputs are scaled, or try a lower lr or a grad_clip"


def diverged_cells(rows: pd.DataFrame) -> pd.Series:
    """Which rows record a divergence (older stores have no such column: none)."""
    if "diverged" not in rows:
        return pd.Series(False, index=rows.index)
    diverged = rows["diverged"]  # text, or a float column of NaN where no cell diverged
    return diverged.notna() & (diverged.astype(str).str.len() > 0)


def _folds(cells: pd.DataFrame) -> str:
    """'seed 0 fold 2' or 'seed 0 folds 1, 3; seed 1 fold 2' (folds counted from 1)."""
    parts = []
    for seed, part in cells.groupby("seed", sort=True):
        folds = sorted(int(f) + 1 for f in part["fold"])
        word = "fold" if len(folds) == 1 else "folds"
        parts.append(f"seed {seed} {word} {', '.join(map(str, folds))}")
    return "; ".join(parts)


def divergence_sentences(rows: pd.DataFrame, dataset: str | None = None) -> list[str]:
    """One sentence per (dataset, estimator, tuning) with a diverged fold: which folds, and
    how the first of them diverged."""
    if rows.empty:
        return []
    flagged = diverged_cells(rows)
    if dataset is not None:
        flagged &= rows["dataset"] == dataset
    sentences = []
    keys = ["dataset", "estimator", *(["tuning"] if "tuning" in rows else [])]
    for key, cells in rows[flagged].groupby(keys, sort=False):
        name, estimator = str(key[0]), str(key[1])
        tuned = " (tuned)" if len(key) > 2 and key[2] == "tuned" else ""
        same = (rows["dataset"] == name) & (rows["estimator"] == estimator)
        if len(key) > 2:  # the folds of the same kind of row: default, or tuned
            same &= rows["tuning"] == key[2]
        cells = cells.sort_values(["seed", "fold"])
        first = cells.iloc[0]
        total = int(same.sum())
        how = str(first["diverged"]).removeprefix("diverged: ")
        sentences.append(
            f"{estimator}{tuned} diverged on {name} in {len(cells)} of {total} "
            f"{'fold' if total == 1 else 'folds'} ({_folds(cells)}; in seed {first['seed']} "
            f"fold {int(first['fold']) + 1}, {how}), so its scores there measure a failed "
            f"training, not the architecture ({ADVICE})."
        )
    return sentences


def diverged_counts(group: pd.DataFrame) -> int:
    """How many of one leaderboard entry's rows record a divergence."""
    return int(diverged_cells(group).sum())
