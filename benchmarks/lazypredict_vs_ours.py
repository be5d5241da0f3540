"""What users would pick instead: lazypredict against ``treesvsnets run --protocol holdout``.

Both sides fit the same eight estimators at the same parameters (lazypredict's:
each library's defaults, seed 0) on the same stratified 80/20 split of digits
(``StratifiedShuffleSplit(test_size=0.2, random_state=0)``, the split our holdout
protocol makes), each side a whole process timed from launch to exit, in rotating
order. Accuracies are shown side by side; the wall-time ratio is what
treesvsnets' extras cost on one split (a worker process, the SQLite store, CSV
and Parquet exports, the report with its figures).

    pip install -e ".[bench]"            # lazypredict
    python benchmarks/lazypredict_vs_ours.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    Section,
    Spread,
    finish,
    quiet_env,
    ratios,
    run_dirs,
    run_sides,
    table,
    timed_command,
    treesvsnets_command,
)

#: our estimator name -> (lazypredict's model name, our parameters equal to that library's defaults)
MATCHED = {
    "rf": ("RandomForestClassifier", {}),
    "bagging": ("BaggingClassifier", {"n_estimators": 10}),
    "adaboost": ("AdaBoostClassifier", {"n_estimators": 50}),
    "gb": ("GradientBoostingClassifier", {}),
    "hgb": ("HistGradientBoostingClassifier", {"early_stopping": "auto"}),
    "xgboost": ("XGBClassifier", {}),
    "lightgbm": ("LGBMClassifier", {}),
    "logreg": ("LogisticRegression", {"max_iter": 100}),
}


def lazypredict_main(scores_out: str) -> None:
    """The lazypredict side, as its README shows it, restricted to the matched classifiers."""
    import lightgbm
    import numpy as np
    import sklearn.ensemble
    import sklearn.linear_model
    import xgboost
    from lazypredict.Supervised import LazyClassifier
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedShuffleSplit

    X, y = load_digits(return_X_y=True)
    train, test = next(StratifiedShuffleSplit(1, test_size=0.2, random_state=0).split(X, y))
    train, test = np.sort(train), np.sort(test)  # rows in the order ours sees them (bootstraps)
    # lazypredict's own list leaves GradientBoostingClassifier out; its `classifiers` takes any
    modules = (sklearn.ensemble, sklearn.linear_model, xgboost, lightgbm)
    chosen = [
        next(getattr(m, lazy_name) for m in modules if hasattr(m, lazy_name))
        for lazy_name, _ in MATCHED.values()
    ]
    models, _ = LazyClassifier(classifiers=chosen, random_state=0).fit(
        X[train], X[test], y[train], y[test]
    )  # (scores, predictions): the second is empty unless predictions=True
    Path(scores_out).write_text(json.dumps(models["Accuracy"].to_dict()))


def ours_flags() -> list[str]:
    flags = []
    for name, (_, params) in MATCHED.items():
        flags += ["-e", name]
        for key, value in params.items():
            flags += ["--param", f"{key}={value}"]
    return flags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lazypredict", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scores-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lazypredict:
        lazypredict_main(args.scores_out)
        return

    import pandas as pd

    work = Path(tempfile.mkdtemp(prefix="tvn-lazy-"))
    env = quiet_env()
    scores: dict[str, dict] = {}
    lazy_command = [
        sys.executable,
        __file__,
        "--lazypredict",
        "--scores-out",
        str(work / "lazy.json"),
    ]
    ours_command = [
        *treesvsnets_command(),
        "run",
        "-d",
        "digits",
        "--protocol",
        "holdout",
        "--test-size",
        "0.2",
        *ours_flags(),
        "--out",
        str(work / "ours"),
        "-q",
        "--no-baseline",  # the same estimators on both sides
    ]

    def lazy_side():
        wall = timed_command(lazy_command, env=env)
        scores["lazypredict"] = json.loads((work / "lazy.json").read_text())
        return wall

    def ours_side():
        wall = timed_command(ours_command, env=env)
        run_dir = run_dirs(work / "ours")[-1]
        rows = pd.read_csv(run_dir / "results.csv")
        scores["ours"] = dict(zip(rows.estimator, rows.accuracy, strict=True))
        return wall

    walls = run_sides({"lazypredict": lazy_side, "ours": ours_side}, args.repeats)
    accuracy_rows = [
        (
            f"{name} / {lazy_name}",
            f"{scores['ours'][name]:.4f}",
            f"{scores['lazypredict'][lazy_name]:.4f}",
        )
        for name, (lazy_name, _) in MATCHED.items()
    ]
    differ = [
        name
        for name, (lazy_name, _) in MATCHED.items()
        if abs(scores["ours"][name] - scores["lazypredict"][lazy_name]) > 1e-9
    ]
    our_flags = " ".join(ours_flags())
    markdown = "\n".join(
        [
            "digits, one stratified 80/20 split (seed 0), the eight estimators both tools "
            "share at lazypredict's parameters (each library's defaults, seed 0; ours given "
            f"with `{our_flags}`), {args.repeats} repeats in rotating order, whole processes.",
            "",
            table(
                ["side", "wall s"],
                [
                    ("lazypredict `LazyClassifier`", Spread.of(walls["lazypredict"]).show(2)),
                    (
                        "`treesvsnets run --protocol holdout --test-size 0.2`",
                        Spread.of(walls["ours"]).show(2),
                    ),
                    ("**ours ÷ lazypredict**", ratios(walls["ours"], walls["lazypredict"]).show(2)),
                ],
            ),
            "",
            table(
                ["estimator (ours / lazypredict)", "accuracy ours", "accuracy lazypredict"],
                accuracy_rows,
            ),
            "",
            f"The {Spread.of(walls['ours']).median - Spread.of(walls['lazypredict']).median:.1f} s "
            "between the two are treesvsnets' fixed costs per run, which show on one split of "
            "a small dataset: the worker process that isolates the cells (about 1.7 s to start "
            "a fresh interpreter with scikit-learn; `--in-process` skips it), the SQLite store "
            "with CSV/Parquet exports, and the report with its figures (about 2.5 s of "
            "matplotlib). On the 5-fold default suite the same costs are 2% (section 1). Both "
            "sides fit the same rows in the same order with the same seeds; where accuracies "
            f"differ ({', '.join(differ) or 'nowhere'}), lazypredict's model was fitted on "
            "standard-scaled columns of a pandas frame, which changes the float thresholds "
            "a bootstrap or histogram ensemble can pick.",
        ]
    )
    data = {"walls": walls, "accuracy": scores}
    finish(
        Section(
            "lazypredict",
            markdown,
            data,
            f"python benchmarks/lazypredict_vs_ours.py --repeats {args.repeats}",
        )
    )


if __name__ == "__main__":
    main()
