"""Harness overhead: ``treesvsnets.run`` against a hand-written ``cross_validate``.

Both sides fit the same estimators, with the same parameters, seeds, folds and
thread budget, in this one process; the order alternates across repeats. The
ratio (ours / reference) of wall time is what we claim; absolute seconds on a
shared machine are noise. Accuracies must be identical, fold for fold.

    python benchmarks/harness_overhead.py --repeats 3
    python benchmarks/harness_overhead.py -e rf -e xgboost -e logreg --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np


def reference_estimators(seed: int, threads: int) -> dict:
    """The nine classical estimators, written out by hand as a practitioner would."""
    from lightgbm import LGBMClassifier
    from sklearn.ensemble import (
        AdaBoostClassifier,
        BaggingClassifier,
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
        StackingClassifier,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier
    from xgboost import XGBClassifier

    def rf(n_jobs):
        return RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=n_jobs)

    def bagging(n_jobs):
        return BaggingClassifier(
            DecisionTreeClassifier(), n_estimators=50, random_state=seed, n_jobs=n_jobs
        )

    def adaboost():
        return AdaBoostClassifier(
            DecisionTreeClassifier(max_depth=1),
            n_estimators=100,
            learning_rate=1.0,
            random_state=seed,
        )

    def gb():
        return GradientBoostingClassifier(
            n_estimators=100, learning_rate=0.1, max_depth=3, random_state=seed
        )

    return {
        "rf": rf(threads),
        "bagging": bagging(threads),
        "adaboost": adaboost(),
        "gb": gb(),
        "hgb": HistGradientBoostingClassifier(
            max_iter=100, learning_rate=0.1, early_stopping=False, random_state=seed
        ),
        "xgboost": XGBClassifier(
            n_estimators=100,
            learning_rate=0.3,
            tree_method="hist",
            random_state=seed,
            n_jobs=threads,
        ),
        "lightgbm": LGBMClassifier(
            n_estimators=100, learning_rate=0.1, verbose=-1, random_state=seed, n_jobs=threads
        ),
        "stacking": StackingClassifier(
            [("rf", rf(1)), ("bagging", bagging(1)), ("adaboost", adaboost()), ("gb", gb())],
            final_estimator=LogisticRegression(C=1.0, max_iter=1000),
            cv=5,
            n_jobs=threads,
        ),
        "logreg": make_pipeline(
            StandardScaler(), LogisticRegression(C=1.0, max_iter=1000, random_state=seed)
        ),
    }


def run_reference(names, dataset, folds, seed, threads) -> tuple[float, dict]:
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = {}
    with threadpool_limits(limits=threads):
        estimators = reference_estimators(seed, threads)
        for name in names:
            result = cross_validate(estimators[name], dataset.X, dataset.y, cv=cv, n_jobs=1)
            scores[name] = result["test_score"]
    return time.perf_counter() - start, scores


def run_ours(names, dataset, folds, seed, threads, out) -> tuple[float, dict]:
    import treesvsnets

    start = time.perf_counter()
    result = treesvsnets.run(
        datasets=[dataset.name],
        estimators=names,
        folds=folds,
        seeds=[seed],
        threads=threads,
        out=out,
        progress=False,
    )
    seconds = time.perf_counter() - start
    rows = result.rows.sort_values("fold")
    return seconds, {n: rows.loc[rows.estimator == n, "accuracy"].to_numpy() for n in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--dataset", default="digits")
    parser.add_argument("-e", "--estimator", action="append", dest="estimators")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from treesvsnets.config import DEFAULT_ESTIMATORS
    from treesvsnets.datasets import load
    from treesvsnets.estimators import select

    # the default suite (every classical built-in); reference_estimators() writes each by hand
    names = args.estimators or [spec.name for spec in select(DEFAULT_ESTIMATORS)]
    dataset = load(args.dataset)
    ours, reference = [], []
    with tempfile.TemporaryDirectory() as out:
        # warm both sides once: imports, and (ours) the worker process later runs reuse
        run_ours(names, dataset, 2, 0, args.threads, out)
        run_reference(names, dataset, 2, 0, args.threads)
        for repeat in range(args.repeats):
            sides = [("ours", run_ours), ("reference", run_reference)]
            for side, function in sides if repeat % 2 == 0 else sides[::-1]:
                extra = (out,) if side == "ours" else ()
                seconds, scores = function(names, dataset, args.folds, 0, args.threads, *extra)
                (ours if side == "ours" else reference).append((seconds, scores))
    for (_, a), (_, b) in zip(ours, reference, strict=True):
        for name in names:
            np.testing.assert_allclose(a[name], b[name], err_msg=f"{name}: accuracies differ")
    ratios = [o / r for (o, _), (r, _) in zip(ours, reference, strict=True)]
    print(f"{args.dataset}, {args.folds} folds, threads={args.threads}, {len(names)} estimators,")
    print(f"{args.repeats} repeats; accuracies identical fold for fold")
    print(f"reference cross_validate: median {statistics.median(r for r, _ in reference):.2f} s")
    print(f"treesvsnets.run:          median {statistics.median(o for o, _ in ours):.2f} s")
    print(
        f"ratio ours/reference:     median {statistics.median(ratios):.3f} "
        f"(min {min(ratios):.3f}, max {max(ratios):.3f})"
    )


if __name__ == "__main__":
    main()
