"""Generated dirty tables: what users' CSV files look like, with a known signal to learn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def dirty_frame(n_rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """A table with a learnable target and every kind of dirt the loader must handle.

    - ``income``: numeric, written as strings with thousands separators, some missing;
    - ``age``: numeric with a few absurd outliers, some missing;
    - ``member``: "yes"/"no" booleans;
    - ``city``: low-cardinality category (one-hot), with gaps;
    - ``user``: high-cardinality category (ordinal codes);
    - ``constant``: a single value;
    - ``empty``: nothing at all;
    - ``label``: three classes, one of them rare, decided mostly by income and member;
    - a block of exact duplicate rows.
    """
    rng = np.random.default_rng(seed)
    income = rng.normal(50_000, 15_000, n_rows).round(0)
    member = rng.random(n_rows) < 0.5
    age = rng.integers(18, 80, n_rows).astype(float)
    age[rng.choice(n_rows, 3, replace=False)] = [999.0, -5.0, 1e6]
    city = rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], n_rows)
    score = (income - 50_000) / 15_000 + 1.5 * member + rng.normal(0, 0.3, n_rows)
    label = np.where(score > 1.2, "high", np.where(score > -0.2, "mid", "low"))
    label[np.argsort(score)[:12]] = "rare"  # a rare class, still enough for 5 folds
    frame = pd.DataFrame(
        {
            "income": [f"{v:,.0f}" for v in income],
            "age": age,
            "member": np.where(member, "yes", "no"),
            "city": city,
            "user": [f"user{i:04d}" for i in rng.integers(0, n_rows, n_rows)],
            "constant": "same",
            "empty": np.nan,
            "label": label,
        }
    )
    frame.loc[rng.choice(n_rows, 20, replace=False), "income"] = np.nan
    frame.loc[rng.choice(n_rows, 15, replace=False), "city"] = np.nan
    frame.loc[rng.choice(n_rows, 10, replace=False), "age"] = np.nan
    return pd.concat([frame, frame.iloc[:10]], ignore_index=True)  # 10 exact duplicates


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` written in the format ``path``'s suffix names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, sep="\t" if path.suffix == ".tsv" else ",")
    return path
