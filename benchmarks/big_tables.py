"""Big tables: ``treesvsnets run`` against a hand-written script, from 10k to 1M rows (issue 31).

The mixed table of issue 31 (``make_mixed_table``: 30 numeric columns with 3% missing, 8
categorical of 3-10 levels, 2 categorical of 2,000 levels, a binary label) is written as a
CSV at each size. Sides, each a whole process timed from launch to exit, in rotating order,
repeated:

* ``ours``: ``treesvsnets run -d big.csv -e lightgbm -e logreg --folds 3 --no-baseline`` as a
  user types it (cells in a worker process, which loads the run's cleaned copy of the table);
* ``ours --jobs 2``: the same, two cells at once (the harness reads the CSV once, each worker
  loads the copy);
* ``hand``: a hand-written script: ``pandas.read_csv``, a ColumnTransformer (median
  imputation with missing indicators, one-hot for the few-valued columns, ``TargetEncoder``
  for the many-valued ones; standard scaling of the numbers for logreg), ``cross_validate``
  on the same stratified folds, LightGBM with every core.

The accuracies of ``ours`` and ``hand`` must be identical fold for fold (the script fails
otherwise; ``--jobs 2`` gives LightGBM one thread per cell, and its accuracies are shown).
Peak memory: the high-water mark (VmHWM) of the harness process, of the largest of its worker
processes, and of the hand-written script, read from ``/proc`` every 50 ms while they run.

    python benchmarks/big_tables.py                           # 10k, 100k, 1M rows, 3 repeats
    python benchmarks/big_tables.py --sizes 2000 --repeats 1 --no-save   # a check of the script
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    Section,
    Spread,
    Target,
    finish,
    quiet_env,
    ratios,
    run_sides,
    table,
    treesvsnets_command,
)

try:  # the generator shared with the reading benchmark (branch fast-tables)
    from big_table import make_mixed_table  # noqa: E402
except ImportError:  # not merged yet: the same table, generated here (remove once it is)

    def make_mixed_table(n_rows: int, seed: int = 0) -> pd.DataFrame:
        """``num_0..num_29`` (floats, 3% missing), ``cat_0..cat_7`` (3-10 levels),
        ``big_0``, ``big_1`` (2,000 levels each) and ``label`` (0/1), seeded by ``seed``."""
        rng = np.random.default_rng(seed)
        columns: dict[str, np.ndarray] = {}
        numbers = rng.normal(size=(n_rows, 30)).round(4)
        logit = numbers[:, :10] @ rng.normal(scale=0.4, size=10)
        numbers[rng.random(numbers.shape) < 0.03] = np.nan
        for j in range(30):
            columns[f"num_{j}"] = numbers[:, j]
        for j in range(8):
            levels = 3 + j % 8
            codes = rng.integers(levels, size=n_rows)
            logit += rng.normal(scale=0.5, size=levels)[codes]
            columns[f"cat_{j}"] = np.array([f"level_{chr(97 + k)}" for k in range(levels)])[codes]
        for j in range(2):
            codes = rng.integers(2000, size=n_rows)
            logit += rng.normal(scale=0.5, size=2000)[codes]
            columns[f"big_{j}"] = np.char.add("item", codes.astype(str))
        columns["label"] = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(int)
        return pd.DataFrame(columns)


ESTIMATORS = ("lightgbm", "logreg")
FOLDS = 3
SEED = 0
#: issue 31's target: a run at most this many times the hand-written script's wall time
RATIO_TARGET = 1.15

#: the hand-written script: what a practitioner writes for this table (same folds, seeds,
#: parameters and thread budget as the run), printing each estimator's fold accuracies
HAND = (
    textwrap.dedent(
        """
    import json, os, sys
    import pandas as pd
    from lightgbm import LGBMClassifier
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

    frame = pd.read_csv(sys.argv[1])
    y = frame.pop("label").to_numpy()
    numeric = list(frame.select_dtypes("number").columns)
    text = [c for c in frame.columns if c not in numeric]
    few = [c for c in text if frame[c].nunique() <= 20]
    many = [c for c in text if c not in few]

    def columns(scale):
        impute = SimpleImputer(strategy="median", add_indicator=True)
        return ColumnTransformer(
            [
                ("numeric", make_pipeline(impute, StandardScaler()) if scale else impute, numeric),
                ("few", OneHotEncoder(handle_unknown="ignore", sparse_output=False), few),
                ("many", TargetEncoder(cv=StratifiedKFold(5, shuffle=True, random_state=0)), many),
            ],
            sparse_threshold=0.0,
        )

    models = {
        "lightgbm": make_pipeline(columns(False), LGBMClassifier(
            n_estimators=100, learning_rate=0.1, verbose=-1, random_state=0,
            n_jobs=os.cpu_count())),
        "logreg": make_pipeline(columns(True), LogisticRegression(
            C=1.0, max_iter=1000, random_state=0)),
    }
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    scores = {
        name: cross_validate(model, frame, y, cv=folds, scoring="accuracy")["test_score"].tolist()
        for name, model in models.items()
    }
    print(json.dumps(scores))
    """
    )
    .replace("FOLDS", str(FOLDS))
    .replace("SEED", str(SEED))
)


def high_water_mb(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM), in MB; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def watched(command: list[str], env: dict[str, str]) -> dict[str, float | str]:
    """Run ``command``; its wall seconds, its own peak memory and its children's largest
    (read every 50 ms while it runs), and what it printed."""
    import psutil

    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    root = psutil.Process(process.pid)
    peaks = {"own": 0.0, "child": 0.0}
    while process.poll() is None:
        peaks["own"] = max(peaks["own"], high_water_mb(process.pid))
        try:
            children = root.children(recursive=True)
        except psutil.Error:
            children = []
        for child in children:
            peaks["child"] = max(peaks["child"], high_water_mb(child.pid))
        time.sleep(0.05)
    output = process.stdout.read() if process.stdout else ""
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, command, output)
    return {"wall": wall, "own_mb": peaks["own"], "child_mb": peaks["child"], "output": output}


def run_accuracies(out: Path) -> dict[str, list[float]]:
    """The run's accuracy per estimator, fold by fold, from its (only) run folder."""
    (run_dir,) = out.iterdir()
    rows = pd.read_csv(run_dir / "results.csv").sort_values("fold")
    assert set(rows["status"]) == {"ok"}, rows[["estimator", "status", "error"]]
    return {name: rows.loc[rows.estimator == name, "accuracy"].tolist() for name in ESTIMATORS}


def measure_size(n_rows: int, repeats: int, folder: Path, env: dict[str, str]) -> dict:
    """Every side at ``n_rows`` rows, ``repeats`` times: walls, peaks, accuracies."""
    csv = folder / f"big{n_rows}.csv"
    make_mixed_table(n_rows, SEED).to_csv(csv, index=False)
    hand_script = folder / "hand.py"
    hand_script.write_text(HAND)
    run = [*treesvsnets_command(), "run", "-d", str(csv), "--folds", str(FOLDS), "-q"]
    run += [arg for name in ESTIMATORS for arg in ("-e", name)] + ["--no-baseline"]
    accuracies: dict[str, list[dict[str, list[float]]]] = {}

    def ours(jobs: int) -> dict:
        out = Path(tempfile.mkdtemp(dir=folder))
        measured = watched([*run, "--jobs", str(jobs), "--out", str(out)], env)
        accuracies.setdefault(f"ours --jobs {jobs}", []).append(run_accuracies(out))
        return measured

    def hand() -> dict:
        measured = watched([sys.executable, str(hand_script), str(csv)], env)
        accuracies.setdefault("hand", []).append(json.loads(str(measured["output"])))
        return measured

    sides = {"ours": lambda: ours(1), "ours --jobs 2": lambda: ours(2), "hand": hand}
    results = run_sides(sides, repeats)
    hand_scores, our_scores = accuracies["hand"][0], accuracies["ours --jobs 1"][0]
    for name in ESTIMATORS:  # identical fold for fold, or the comparison means nothing
        np.testing.assert_array_equal(our_scores[name], hand_scores[name], err_msg=name)
    return {
        "rows": n_rows,
        "csv_mb": csv.stat().st_size / 2**20,
        "walls": {side: [r["wall"] for r in measured] for side, measured in results.items()},
        "harness_mb": {s: [r["own_mb"] for r in results[s]] for s in ("ours", "ours --jobs 2")},
        "worker_mb": {s: [r["child_mb"] for r in results[s]] for s in ("ours", "ours --jobs 2")},
        "hand_mb": [r["own_mb"] for r in results["hand"]],
        "accuracy": {name: float(np.mean(our_scores[name])) for name in ESTIMATORS},
        "accuracy_jobs2": {
            name: float(np.mean(accuracies["ours --jobs 2"][0][name])) for name in ESTIMATORS
        },
    }


def render(sizes: list[dict]) -> tuple[str, list[Target]]:
    """The section's markdown and its targets."""
    rows, targets = [], []
    for size in sizes:
        walls = size["walls"]
        ratio = ratios(walls["ours"], walls["hand"])
        ratio_jobs = ratios(walls["ours --jobs 2"], walls["hand"])
        rows.append(
            (
                f"{size['rows']:,}",
                f"{size['csv_mb']:.0f}",
                Spread.of(walls["hand"]).show(1),
                Spread.of(walls["ours"]).show(1),
                ratio.show(2),
                Spread.of(walls["ours --jobs 2"]).show(1),
                ratio_jobs.show(2),
                Spread.of(size["harness_mb"]["ours"]).show(0),
                Spread.of(size["worker_mb"]["ours"]).show(0),
                Spread.of(size["worker_mb"]["ours --jobs 2"]).show(0),
                Spread.of(size["hand_mb"]).show(0),
                " / ".join(f"{size['accuracy'][name]:.4f}" for name in ESTIMATORS),
            )
        )
        if size["rows"] >= 100_000:
            targets.append(
                Target(
                    f"run ÷ hand-written ≤ {RATIO_TARGET} at {size['rows']:,} rows",
                    ratio.show(2),
                    ratio.median <= RATIO_TARGET,
                )
            )
    header = ["rows", "CSV MB", "hand s", "ours s", "ours ÷ hand", "--jobs 2 s"]
    header += ["--jobs 2 ÷ hand", "harness MB", "worker MB", "worker MB (--jobs 2)", "hand MB"]
    header += [f"accuracy ({' / '.join(ESTIMATORS)})"]
    text = table(header, rows) + (
        "\n\nWall seconds of whole processes (median, min–max). `ours`: `treesvsnets run -d "
        "big.csv -e lightgbm -e logreg --folds 3 --no-baseline`; `hand`: pandas `read_csv`, a "
        "ColumnTransformer and `cross_validate` on the same folds, with accuracies equal fold "
        "for fold (checked). Memory: peak resident (VmHWM) of the harness, of its largest "
        "worker process, and of the hand-written script. The harness reads and types the CSV "
        "once and writes the cleaned table to the run folder; each worker loads that copy."
    )
    return text, targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-save", action="store_true", help="print, save nothing")
    args = parser.parse_args()
    env = quiet_env()
    measured = []
    with tempfile.TemporaryDirectory() as scratch:
        for n_rows in args.sizes:
            print(f"== {n_rows:,} rows", file=sys.stderr, flush=True)
            measured.append(measure_size(n_rows, args.repeats, Path(scratch), env))
    text, targets = render(measured)
    command = "python benchmarks/big_tables.py " + " ".join(
        ["--sizes", *map(str, args.sizes), "--repeats", str(args.repeats)]
    )
    section = Section("big_tables", text, {"sizes": measured}, command, targets)
    if args.no_save:
        print(text)
        for target in targets:
            print(f"{target.target}: {target.measured} ({'met' if target.met else 'not met'})")
    else:
        finish(section)


if __name__ == "__main__":
    main()
