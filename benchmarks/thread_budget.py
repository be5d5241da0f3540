"""Which per-cell thread budget should be the default? Measure it.

Runs the same estimators on the same folds through ``treesvsnets.run`` once per
thread budget (in one process, alternating budgets across repeats so drift hits
both), and prints, per estimator, the median fit and predict time of each
budget and the ratio against ``--threads`` 1. Accuracy is printed too: a
budget must not change results.

    python benchmarks/thread_budget.py                       # all classical, digits
    python benchmarks/thread_budget.py -e rf -e hgb --repeats 3
"""

from __future__ import annotations

import argparse
import tempfile

import pandas as pd

import treesvsnets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--dataset", default="digits")
    parser.add_argument("-e", "--estimator", action="append", dest="estimators")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    estimators = args.estimators or ["ensemble", "linear"]

    frames = []
    with tempfile.TemporaryDirectory() as out:
        for repeat in range(args.repeats):
            order = args.threads if repeat % 2 == 0 else args.threads[::-1]
            for threads in order:
                result = treesvsnets.run(
                    datasets=[args.dataset],
                    estimators=estimators,
                    baseline=False,
                    folds=args.folds,
                    threads=threads,
                    out=out,
                    progress=False,
                )
                frames.append(result.rows.assign(repeat=repeat))
    rows = pd.concat(frames)
    per_run = rows.groupby(["estimator", "threads", "repeat"], sort=False).agg(
        fit=("fit_seconds", "sum"), predict=("predict_seconds", "sum"), acc=("accuracy", "mean")
    )
    median = per_run.groupby(["estimator", "threads"], sort=False).median().unstack("threads")
    base = args.threads[0]
    for threads in args.threads[1:]:
        median[("fit ratio", threads)] = median[("fit", threads)] / median[("fit", base)]
    print(
        f"{args.dataset}, {args.folds} folds, {args.repeats} repeat(s); seconds summed over folds"
    )
    print(median.round(3).to_string())
    totals = per_run.groupby(["threads", "repeat"]).sum()["fit"].groupby("threads").median()
    print("\ntotal fit seconds by thread budget (median over repeats):")
    print(totals.round(2).to_string())


if __name__ == "__main__":
    main()
