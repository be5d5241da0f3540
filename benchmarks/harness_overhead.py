"""Harness overhead and use of the cores: ``treesvsnets run`` against ``cross_validate``.

Every side is a whole process, timed from launch to exit, on digits with 5
stratified folds (seed 0) and the nine classical estimators:

* ``reference``: a hand-written ``cross_validate`` script, one estimator after
  another, with the same estimators, parameters, seeds, folds and thread budget
  (2) as ours. ``treesvsnets run`` / ``reference`` is the harness's overhead.
* ``ours``: ``treesvsnets run`` as a user types it (each cell in a worker process).
* ``ours --in-process``: the same with cells in the harness's own process.
* ``ours --jobs 2``: two cells at once, one thread each.
* ``sequential``: the hand-written script as a practitioner first writes it:
  ``n_jobs=1`` everywhere and scikit-learn's own ``StackingClassifier``. The
  default run's wall time is compared with it.

The sides run in rotating order in each repeat; accuracies must be identical
fold for fold across all of them (the run fails otherwise).

    python benchmarks/harness_overhead.py --repeats 3
    python benchmarks/harness_overhead.py --repeats 3 -e rf -e hgb -e logreg   # a quick subset
    python benchmarks/harness_overhead.py --render-only   # rewrite the section from results/
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    RESULTS_DIR,
    Section,
    Spread,
    Target,
    finish,
    quiet_env,
    ratios,
    run_dirs,
    run_sides,
    table,
    timed_command,
    treesvsnets_command,
)

NINE = ("rf", "bagging", "adaboost", "gb", "hgb", "xgboost", "lightgbm", "stacking", "logreg")


def reference_estimators(seed: int, threads: int, stacking: str) -> dict:
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

    from treesvsnets.estimators.stacking import PooledStackingClassifier

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

    stacking_class = PooledStackingClassifier if stacking == "pooled" else StackingClassifier
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
        "stacking": stacking_class(
            [("rf", rf(1)), ("bagging", bagging(1)), ("adaboost", adaboost()), ("gb", gb())],
            final_estimator=LogisticRegression(C=1.0, max_iter=1000),
            cv=5,
            n_jobs=threads,
        ),
        "logreg": make_pipeline(
            StandardScaler(), LogisticRegression(C=1.0, max_iter=1000, random_state=seed)
        ),
    }


def reference_main(names: list[str], threads: int, stacking: str, scores_out: str) -> None:
    """The hand-written side: load digits, 5 stratified folds, cross_validate each estimator."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from threadpoolctl import threadpool_limits

    X, y = load_digits(return_X_y=True)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    scores = {}
    with threadpool_limits(limits=threads):
        estimators = reference_estimators(0, threads, stacking)
        for name in names:
            result = cross_validate(estimators[name], X, y, cv=cv, n_jobs=1)
            scores[name] = result["test_score"].tolist()
    Path(scores_out).write_text(json.dumps(scores))


def ours_scores(out: Path) -> dict[str, list[float]]:
    import pandas as pd

    run_dir = run_dirs(out)[-1]
    rows = pd.read_csv(run_dir / "results.csv").sort_values("fold")
    return {name: rows.loc[rows.estimator == name, "accuracy"].tolist() for name in rows.estimator}


def cell_seconds(work: Path) -> dict[str, list[float]]:
    """Per run of each of our sides: the summed setup + fit + predict seconds of its cells."""
    import pandas as pd

    sums: dict[str, list[float]] = {}
    for label in ("ours", "in_process", "jobs2"):
        for run_dir in run_dirs(work / label):
            rows = pd.read_csv(run_dir / "results.csv")
            total = rows[["setup_seconds", "fit_seconds", "predict_seconds"]].sum().sum()
            sums.setdefault(label, []).append(float(total))
    return sums


def measure(names: list[str], repeats: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="tvn-harness-"))
    env = quiet_env()
    estimator_flags = [flag for name in names for flag in ("-e", name)]
    scores: dict[str, dict] = {}

    def reference_side(label: str, threads: int, stacking: str):
        scores_file = work / f"{label}.json"
        command = [
            sys.executable,
            __file__,
            "--reference",
            "--threads",
            str(threads),
            "--stacking",
            stacking,
            "--scores-out",
            str(scores_file),
            *estimator_flags,
        ]

        def side():
            wall = timed_command(command, env=env)
            scores[label] = json.loads(scores_file.read_text())
            return wall

        return side

    def ours_side(label: str, *flags: str):
        out = work / label
        command = [
            *treesvsnets_command(),
            "run",
            "-d",
            "digits",
            "--folds",
            "5",
            *estimator_flags,
            "--out",
            str(out),
            "-q",
            "--no-baseline",  # the reference fits the same estimators, no dummy
            *flags,
        ]

        def side():
            wall = timed_command(command, env=env)
            scores[label] = ours_scores(out)
            return wall

        return side

    sides = {
        "reference": reference_side("reference", 2, "pooled"),
        "ours": ours_side("ours"),
        "ours --in-process": ours_side("in_process", "--in-process"),
        "ours --jobs 2": ours_side("jobs2", "--jobs", "2"),
        "sequential": reference_side("sequential", 1, "sklearn"),
    }
    walls = run_sides(sides, repeats)
    first = scores["reference"]
    for label, side_scores in scores.items():
        for name in names:
            np.testing.assert_allclose(
                side_scores[name], first[name], err_msg=f"{label}: {name} accuracies differ"
            )
    return {
        "walls": walls,
        "estimators": names,
        "accuracy": first,
        "cell_seconds": cell_seconds(work),
        "repeats": repeats,
    }


def render(data: dict) -> Section:
    walls, names, first = data["walls"], data["estimators"], data["accuracy"]
    repeats = len(walls["ours"])
    spread = {label: Spread.of(values) for label, values in walls.items()}

    def versus_reference(label: str) -> Spread:
        return ratios(walls[label], walls["reference"])

    described = {
        "ours": "`treesvsnets run` (cells in a worker process, the default)",
        "ours --in-process": "`treesvsnets run --in-process`",
        "ours --jobs 2": "`treesvsnets run --jobs 2` (1 thread per cell)",
        "sequential": "hand-written, `n_jobs=1` and scikit-learn's `StackingClassifier` "
        "(sequential)",
    }
    rows = [
        ("hand-written `cross_validate`, 2 threads (reference)", spread["reference"].show(1), "1"),
        *(
            (text, spread[side].show(1), versus_reference(side).show(3))
            for side, text in described.items()
        ),
    ]
    default_vs_sequential = ratios(walls["sequential"], walls["ours"])
    jobs_speedup = ratios(walls["ours"], walls["ours --jobs 2"])
    speedups = table(
        ["comparison", "speed-up (median, min–max)"],
        [
            (
                "sequential ÷ `treesvsnets run` (the default run against the sequential reference)",
                default_vs_sequential.show(2) + "x",
            ),
            ("`--jobs 1` ÷ `--jobs 2`", jobs_speedup.show(2) + "x"),
            (
                "sequential ÷ `--jobs 2`",
                ratios(walls["sequential"], walls["ours --jobs 2"]).show(2) + "x",
            ),
        ],
    )
    mean_accuracy = ", ".join(f"{name} {np.mean(first[name]):.4f}" for name in names)
    lines = [
        f"digits, 5 stratified folds, seed 0, {len(names)} estimators ({', '.join(names)}), "
        f"{repeats} repeats in rotating order; each side is a whole process timed from launch "
        "to exit. The reference stacks with `PooledStackingClassifier` as ours does, so the "
        "ratio is the harness alone; the sequential script uses scikit-learn's "
        "`StackingClassifier`, as a practitioner would. Accuracies are identical fold for fold "
        f"on every side: {mean_accuracy}.",
        "",
        table(["side", "wall s", "÷ reference"], rows),
        "",
        speedups,
    ]
    cells = data.get("cell_seconds")
    if cells:
        two_threads = Spread.of(cells["ours"]).median
        one_thread = Spread.of(cells["jobs2"]).median
        ceiling = 2 * two_threads / one_thread
        lines += [
            "",
            "Where the time goes (the cells' own setup + fit + predict seconds, summed over the "
            f"run, median over repeats): {two_threads:.0f} s with 2 threads per cell one at a "
            f"time (`--jobs 1`), {one_thread:.0f} s with 1 thread per cell two at a time "
            f"(`--jobs 2`). Even packed perfectly onto both cores, `--jobs 2` cannot take less "
            f"than {one_thread / 2:.0f} s (it took {spread['ours --jobs 2'].median:.0f} s: the "
            "longest-first order packs the cells), so its speed-up over `--jobs 1` is bounded by "
            f"{ceiling:.2f}x: `--jobs 1` already keeps both cores busy for most of its work "
            "(stacking's member fits share one pool; rf, bagging, xgboost, lightgbm and hgb "
            "thread), and two cells side by side also slow each other (shared caches and memory "
            "bandwidth). The 1.7x of issue 9 assumed a `--jobs 1` that used one core.",
        ]
    in_process = versus_reference("ours --in-process")
    isolated = versus_reference("ours")
    targets = [
        Target(
            "harness ÷ `cross_validate`, cells in-process ≤ 1.03",
            in_process.show(3),
            in_process.median <= 1.03,
        ),
        Target(
            "harness ÷ `cross_validate`, cells isolated ≤ 1.10",
            isolated.show(3),
            isolated.median <= 1.10,
        ),
        Target(
            "default run well under the sequential reference (speed-up > 1.2x)",
            default_vs_sequential.show(2) + "x",
            default_vs_sequential.median > 1.2,
        ),
        Target(
            "`--jobs 2` ÷ `--jobs 1` speed-up ≥ 1.7x",
            jobs_speedup.show(2) + "x",
            jobs_speedup.median >= 1.7,
        ),
    ]
    command = f"python benchmarks/harness_overhead.py --repeats {repeats}"
    return Section("harness", "\n".join(lines), data, command, targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-e", "--estimator", action="append", dest="estimators")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite the section from results/harness.json, measuring nothing",
    )
    parser.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--stacking", default="pooled", help=argparse.SUPPRESS)
    parser.add_argument("--scores-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = args.estimators or list(NINE)
    if args.reference:
        reference_main(names, args.threads, args.stacking, args.scores_out)
    elif args.render_only:
        saved = RESULTS_DIR / "harness.json"
        if not saved.exists():
            parser.error(f"--render-only needs {saved}: measure the section first.")
        previous = json.loads(saved.read_text())
        section = render(previous["data"])
        section.provenance = {key: previous[key] for key in ("measured_at", "machine", "commit")}
        finish(section)
    else:
        finish(render(measure(names, args.repeats)))


if __name__ == "__main__":
    main()
