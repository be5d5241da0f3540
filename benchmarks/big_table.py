"""The mixed table of issue 31, generated: a benchmark's stand-in for the tables people have.

:func:`make_mixed_table` gives ``n_rows`` rows of 41 columns: 30 numeric columns with 3%
missing, 8 categorical columns of 3-10 levels, 2 categorical columns of 2,000 levels and a
binary label that depends on some of each (so trees and linear models both learn something).
At 200,000 rows its CSV is about 76 MB. The reading benchmark (:func:`main`, below) and the
run-scaling benchmark share this one generator, so both measure the same table.

    python benchmarks/big_table.py --rows 200000           # inspect vs read_csv + a fit

Both sides are whole processes as a user starts them (``treesvsnets inspect big.csv``, and a
script that imports pandas and scikit-learn, reads the CSV and fits the ColumnTransformer),
alternated, repeated; the ratio of their wall times is what is reported. Then ``load_table``
(what a run pays per read: reading, cleaning, typing) against ``pandas.read_csv`` alone.
    python benchmarks/big_table.py --rows 2000 --repeats 1 # a quick check of the script
    python benchmarks/big_table.py --write big.csv --rows 200000   # only write the table
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Section, Spread, Target, finish, ratios, table  # noqa: E402

N_NUMERIC, N_FEW, N_MANY = 30, 8, 2
MISSING_SHARE = 0.03
MANY_LEVELS = 2000


def make_mixed_table(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """``n_rows`` rows: ``num_0..num_29`` (floats, 3% missing), ``cat_0..cat_7`` (3-10 levels),
    ``big_0``, ``big_1`` (2,000 levels each) and ``label`` (0/1), seeded by ``seed``."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    numbers = rng.normal(size=(n_rows, N_NUMERIC)).round(4)
    logit = numbers[:, :10] @ rng.normal(scale=0.4, size=10)
    numbers[rng.random(numbers.shape) < MISSING_SHARE] = np.nan
    for j in range(N_NUMERIC):
        columns[f"num_{j}"] = numbers[:, j]
    for j in range(N_FEW):
        levels = 3 + j % 8
        codes = rng.integers(levels, size=n_rows)
        logit += rng.normal(scale=0.5, size=levels)[codes]
        columns[f"cat_{j}"] = np.array([f"level_{chr(97 + k)}" for k in range(levels)])[codes]
    for j in range(N_MANY):
        codes = rng.integers(MANY_LEVELS, size=n_rows)
        logit += rng.normal(scale=0.5, size=MANY_LEVELS)[codes]
        columns[f"big_{j}"] = np.char.add("item", codes.astype(str))
    chance = 1 / (1 + np.exp(-logit))
    columns["label"] = (rng.random(n_rows) < chance).astype(int)
    return pd.DataFrame(columns)


def _reference_seconds(path: Path) -> float:
    """pandas.read_csv of ``path``, then a ColumnTransformer (median imputation with indicators,
    one-hot for the few-valued, TargetEncoder for the many-valued columns) fitted on it."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import KFold
    from sklearn.preprocessing import OneHotEncoder, TargetEncoder

    start = time.perf_counter()
    frame = pd.read_csv(path)
    y = frame.pop("label").to_numpy()
    numeric = [c for c in frame.columns if c.startswith("num_")]
    few = [c for c in frame.columns if c.startswith("cat_")]
    many = [c for c in frame.columns if c.startswith("big_")]
    ColumnTransformer(
        [
            ("numeric", SimpleImputer(strategy="median", add_indicator=True), numeric),
            ("few", OneHotEncoder(handle_unknown="ignore"), few),
            ("many", TargetEncoder(cv=KFold(5, shuffle=True, random_state=0)), many),
        ]
    ).fit_transform(frame, y)
    return time.perf_counter() - start


def _process_seconds(*command: str) -> float:
    """The wall seconds of ``python command...``, a whole process (its start included)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, *command], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", type=Path, help="only write the table to this CSV")
    parser.add_argument("--reference", type=Path, help="only read and fit this CSV (one side)")
    parser.add_argument("--no-save", action="store_true", help="print, save nothing")
    args = parser.parse_args(argv)
    if args.write:
        make_mixed_table(args.rows).to_csv(args.write, index=False)
        return
    if args.reference:
        _reference_seconds(args.reference)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        make_mixed_table(args.rows).to_csv(path, index=False)
        megabytes = path.stat().st_size / 1e6
        print(f"{args.rows} rows, {megabytes:.0f} MB")
        sides: dict[str, list[float]] = {"inspect": [], "reference": []}
        for _ in range(args.repeats):  # alternated, so a busy spell hits both sides
            sides["reference"].append(_process_seconds(__file__, "--reference", str(path)))
            sides["inspect"].append(_process_seconds("-m", "treesvsnets", "inspect", str(path)))
            print(f"inspect {sides['inspect'][-1]:.2f} s, read_csv + fit "
                  f"{sides['reference'][-1]:.2f} s")  # fmt: skip
        _load_ratio(path)  # imports what load_table imports on its first call
        loads = [_load_ratio(path) for _ in range(args.repeats)]
    inspect = ratios(sides["inspect"], sides["reference"])
    load = Spread.of(loads)
    print(f"inspect / (read_csv + ColumnTransformer fit): {inspect.show(3)}")
    print(f"load_table / read_csv (in one warm process): {load.show(2)}")
    if not args.no_save:
        finish(_section(args, megabytes, sides, inspect, load))


def _section(args, megabytes: float, sides: dict, inspect: Spread, load: Spread) -> Section:
    text = "\n".join([
        f"The mixed table of issue 31 ({args.rows:,} rows x 41 columns, a {megabytes:.0f} MB "
        f"CSV), {args.repeats} repeats, the two sides alternated; whole processes. *Reference* "
        "is a script that imports pandas and scikit-learn, reads the CSV with `pandas.read_csv` "
        "and fits a ColumnTransformer on it (median imputation with indicators, one-hot for the "
        "8 few-valued columns, TargetEncoder for the 2 many-valued ones); *inspect* is "
        "`treesvsnets inspect big.csv` (reading, typing each column as an analyst would, and "
        "the profile with its leakage check). `load_table` ÷ `read_csv` is the reading and "
        "typing alone, in one warm process.",
        "",
        table(["", "reference s", "inspect s", "inspect ÷ reference"], [(
            f"{args.rows:,} rows", Spread.of(sides["reference"]).show(2),
            Spread.of(sides["inspect"]).show(2), inspect.show(3),
        )]),
        "",
        f"`load_table` ÷ `read_csv`: {load.show(2)}.",
    ])  # fmt: skip
    target = Target(
        f"`inspect` of the {args.rows:,}-row table ≤ 2x read_csv + a ColumnTransformer fit",
        inspect.show(3),
        inspect.median <= 2.0,
    )
    command = f"python benchmarks/big_table.py --rows {args.rows} --repeats {args.repeats}"
    data = {"rows": args.rows, "sides": sides, "load_ratios": list(load.values)}
    return Section("reading", text, data, command, [target])


def _load_ratio(path: Path) -> float:
    """``load_table`` (reading, cleaning and typing) over ``pandas.read_csv`` of ``path``, both
    timed in this process with their libraries already imported."""
    from treesvsnets.datasets.tables import load_table

    start = time.perf_counter()
    pd.read_csv(path)
    reading = time.perf_counter() - start
    start = time.perf_counter()
    load_table(path)
    return (time.perf_counter() - start) / reading


if __name__ == "__main__":
    main()
