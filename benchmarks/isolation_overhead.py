"""What running cells in worker processes costs, and what ``--jobs 2`` buys on this machine.

Part 1, isolation overhead: the same cheap cells (logreg on iris, many folds and
seeds, so the harness's own cost dominates) run in this process
(``isolate=False``) and in one worker process (the default), each measured as
``treesvsnets.run`` wall time for 1 cell and for N cells, alternating order
across repeats. The worker's start-up is the 1-cell difference; the per-cell
overhead is the slope difference: ((iso_N - iso_1) - (in_N - in_1)) / (N - 1).

Part 2, ``--jobs``: real estimators on digits with 1 job (every core per cell)
against 2 jobs (cores / 2 per cell); the speed-up is the wall-time ratio, and
the accuracies must be identical.

    python benchmarks/isolation_overhead.py
    python benchmarks/isolation_overhead.py --repeats 5 -e rf -e hgb -e lightgbm
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import pandas as pd

import treesvsnets
from treesvsnets.bench.cells.measure import cpu_count


def timed_run(**kwargs) -> tuple[float, pd.DataFrame]:
    start = time.perf_counter()
    result = treesvsnets.run(progress=False, baseline=False, **kwargs)
    return time.perf_counter() - start, result.rows


def isolation_overhead(repeats: int, seeds: int, out: str) -> None:
    cheap = dict(datasets=["iris"], estimators=["logreg"], folds=10, threads=1, out=out)
    sizes = {"1 cell": dict(folds=2, seeds=[0]), "many": dict(seeds=list(range(seeds)))}
    walls: dict[tuple[bool, str], list[float]] = {}
    cells = {}
    for repeat in range(repeats):
        order = [True, False] if repeat % 2 == 0 else [False, True]
        for isolate in order:
            for size, extra in sizes.items():
                wall, rows = timed_run(**{**cheap, **extra}, isolate=isolate)
                if size == "1 cell":  # 2 folds: subtract one cell's share to get 1 cell
                    wall -= (rows["setup_seconds"] + rows["fit_seconds"]).iloc[1]
                walls.setdefault((isolate, size), []).append(wall)
                cells[size] = 1 if size == "1 cell" else len(rows)
    median = {key: statistics.median(values) for key, values in walls.items()}
    n = cells["many"]
    startup = median[(True, "1 cell")] - median[(False, "1 cell")]
    slope_iso = (median[(True, "many")] - median[(True, "1 cell")]) / (n - 1)
    slope_in = (median[(False, "many")] - median[(False, "1 cell")]) / (n - 1)
    print(f"Part 1: isolation overhead, logreg on iris, {repeats} repeat(s), medians")
    print(
        f"  in-process run:     1 cell {median[(False, '1 cell')]:.3f} s, "
        f"{n} cells {median[(False, 'many')]:.3f} s -> {1000 * slope_in:.1f} ms/cell"
    )
    print(
        f"  worker process run: 1 cell {median[(True, '1 cell')]:.3f} s, "
        f"{n} cells {median[(True, 'many')]:.3f} s -> {1000 * slope_iso:.1f} ms/cell"
    )
    print(f"  worker start-up (once per worker): {startup:.3f} s")
    print(f"  isolation overhead per cell: {1000 * (slope_iso - slope_in):.1f} ms")


def jobs_speedup(estimators: list[str], dataset: str, repeats: int, out: str) -> None:
    common = dict(datasets=[dataset], estimators=estimators, folds=5, out=out)
    walls: dict[int, list[float]] = {1: [], 2: []}
    scores = {}
    for repeat in range(repeats):
        for jobs in [1, 2] if repeat % 2 == 0 else [2, 1]:
            wall, rows = timed_run(**common, jobs=jobs)
            walls[jobs].append(wall)
            scores[jobs] = rows.sort_values(["estimator", "fold"])["accuracy"].to_numpy()
    assert (scores[1] == scores[2]).all(), "--jobs changed the accuracies"
    one, two = statistics.median(walls[1]), statistics.median(walls[2])
    print(f"\nPart 2: --jobs on {cpu_count()} cores, {dataset} 5-fold, {', '.join(estimators)}")
    print(f"  --jobs 1 ({cpu_count()} threads/cell): median {one:.2f} s  {walls[1]}")
    print(f"  --jobs 2 ({max(1, cpu_count() // 2)} thread(s)/cell): median {two:.2f} s  {walls[2]}")
    print(f"  speed-up jobs 1 / jobs 2: {one / two:.2f}x (accuracies identical)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5, help="part 1: seeds x 10 folds cells")
    parser.add_argument("-d", "--dataset", default="digits")
    parser.add_argument("-e", "--estimator", action="append", dest="estimators")
    parser.add_argument("--skip-jobs", action="store_true", help="only part 1")
    args = parser.parse_args()
    estimators = args.estimators or ["rf", "bagging", "hgb", "xgboost", "lightgbm", "logreg"]
    with tempfile.TemporaryDirectory() as out:
        isolation_overhead(args.repeats, args.seeds, out)
        if not args.skip_jobs:
            jobs_speedup(estimators, args.dataset, args.repeats, out)


if __name__ == "__main__":
    main()
