"""The fixed cost of a run: ``treesvsnets run`` against the same cross-validation by hand.

Every side is a whole process, timed from launch to exit, in rotating order:

* ``hand``: a script that loads the datasets with scikit-learn, draws 5 (or 3) stratified
  folds (seed 0) and calls ``cross_validate`` for each estimator, written as a practitioner
  would, with the same parameters, seeds and thread budget (2) as ours;
* ``ours``: ``treesvsnets run`` as a user types it (workers, store, exports, manifest and the
  HTML/Markdown reports), with ``--no-baseline`` since the hand script fits no dummy;
* ``ours, default``: the same run as it comes, with the baseline (dummy) every run adds.

Two cases: iris with logreg, 3 folds, where the estimator's own work is milliseconds and the
difference is the run's fixed cost (target: at most 1.5 s more than by hand); and the
four-estimator suite (rf, xgboost, lightgbm, logreg on digits and breast_cancer, 5 folds),
where it must stay within 1.10x. Accuracies must be identical fold for fold on both sides.

    python benchmarks/fixed_cost.py --repeats 5
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
    Section,
    Spread,
    Target,
    finish,
    quiet_env,
    ratios,
    run_dirs,
    same_scores_process_sides,
    table,
    treesvsnets_command,
)

CASES = {
    "iris": {"datasets": ["iris"], "estimators": ["logreg"], "folds": 3},
    "suite": {
        "datasets": ["digits", "breast_cancer"],
        "estimators": ["rf", "xgboost", "lightgbm", "logreg"],
        "folds": 5,
    },
}


def hand_main(case: str, scores_out: str) -> None:
    """The hand-written side of ``case``."""
    from harness_overhead import reference_estimators
    from sklearn import datasets
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from threadpoolctl import threadpool_limits

    spec = CASES[case]
    loaders = {
        "iris": datasets.load_iris,
        "digits": datasets.load_digits,
        "breast_cancer": datasets.load_breast_cancer,
    }
    scores = {}
    with threadpool_limits(limits=2):
        estimators = reference_estimators(0, 2, "pooled")
        for dataset in spec["datasets"]:
            X, y = loaders[dataset](return_X_y=True)
            cv = StratifiedKFold(n_splits=spec["folds"], shuffle=True, random_state=0)
            for name in spec["estimators"]:
                result = cross_validate(estimators[name], X, y, cv=cv, n_jobs=1)
                scores[f"{dataset}/{name}"] = result["test_score"].tolist()
    Path(scores_out).write_text(json.dumps(scores))


def _ours_scores(out: Path) -> dict[str, list[float]]:
    import pandas as pd

    rows = pd.read_csv(run_dirs(out)[-1] / "results.csv").sort_values("fold")
    return {
        f"{dataset}/{name}": group["accuracy"].tolist()
        for (dataset, name), group in rows.groupby(["dataset", "estimator"])
    }


def measure(repeats: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="tvn-fixed-cost-"))
    data: dict = {}
    for case, spec in CASES.items():
        scores_file, out = work / f"{case}-hand.json", work / case
        hand = [sys.executable, __file__, "--hand", case, "--scores-out", str(scores_file)]
        default_out = work / f"{case}-default"
        ours = [
            *treesvsnets_command(),
            "run",
            *(flag for name in spec["datasets"] for flag in ("-d", name)),
            *(flag for name in spec["estimators"] for flag in ("-e", name)),
            "--folds",
            str(spec["folds"]),
            "--out",
            str(out),
            "-q",
            "--no-baseline",
        ]
        default = [*ours[:-1], "--out", str(default_out)]  # the baseline too, elsewhere
        walls, accuracy = same_scores_process_sides(
            {
                "hand": (hand, lambda f=scores_file: json.loads(f.read_text())),
                "ours": (ours, lambda o=out: _ours_scores(o)),
                "default": (default, lambda o=default_out: _ours_scores(o)),
            },
            repeats,
            quiet_env(),
        )
        data[case] = {
            "walls": walls,
            "accuracy": {k: float(np.mean(v)) for k, v in accuracy.items()},
        }
        print(f"{case} done", file=sys.stderr, flush=True)
    return data


#: why the suite's target is not met, from timelines of runs (said beside the numbers)
WHERE_IT_GOES = (
    "Not met. Machines of this kind swing (this table: by hand {hand} s; on a fast, steady "
    "spell at commit 502d2d0, 5.7-6.2 s), so each change below was measured in one run, "
    "alternating the commits. The report's libraries load, the finished datasets' figures are "
    "drawn and the report is written in a forked process beside the run (with a thread of "
    "the run instead, the 40 cells took 7.5 s against 7.1 s with nothing beside them: the "
    "thread held the interpreter's lock). The command prints the leaderboard while that "
    "process writes the report (`run(..., meanwhile=...)`): the suite went from 12.20 to "
    "11.86 s (medians of 10 alternating runs, a noisy spell). The report builds the last "
    "dataset's section first and hands its figures to a drawing child at once, while it "
    "computes the other sections (whose figures were drawn ahead): the report after the last "
    "cell, 0.08 s shorter (paired median of 12; the same files). A thread of rf's joblib pool "
    "still winding down as its cell ended made one run in three start a second worker for "
    "the next cell (a second of imports); a thread now has half a second to end. Tried and "
    "dropped: the report's process at a lower priority while the cells run (nice 10) made the "
    "run slower, 10.22 against 9.93 s (medians of 8): what it would have drawn ahead was left "
    "to the end; no figure across datasets on 2 datasets, 1.16 against 1.18 (3 alternating "
    "runs); SVG instead of PNG, as slow (the cost is matplotlib's artists and text layout, "
    "not the rasteriser). Where the rest goes, from timelines of quiet runs (by hand 6.5-6.6 "
    "s): without the report's work beside the cells, the harness alone is within 1.05 of the "
    "script (first cell at 1.3 s against its 1.2 s of imports; 50 cells in 5.4 s against its "
    "5.3 s of fits). The report is the rest: 0.3-0.4 s while the cells run (its imports and "
    "the first dataset's figures, on the cores the fits use) and 0.8 s after the last cell "
    "(0.05 s to store and export, 0.3 s of statistics beside the last dataset's six figures, "
    "0.4 s for the four figures across datasets and what is left of those six, 0.05 s to "
    "exit), each figure about 0.1 s of CPU in matplotlib. So 1.10 needs the report's whole "
    "cost cut to about 0.45 s, a third of it: not with matplotlib figures drawn inside the "
    "run; the choice left is to write the figures after the command returns, or a run without "
    "them by default."
)


def _span(values: list[float]) -> str:
    return f"{min(values):.1f}-{max(values):.1f}"


def render(data: dict, repeats: int) -> Section:
    names = {
        "iris": "iris, logreg, 3 folds",
        "suite": "digits + breast_cancer, rf/xgboost/lightgbm/logreg, 5 folds",
    }
    rows, spreads = [], {}
    for case, title in names.items():
        walls = data[case]["walls"]
        digits = 2 if case == "iris" else 1
        for side, words in (("ours", "--no-baseline"), ("default", "default (+ dummy)")):
            extra = Spread.of(o - h for o, h in zip(walls[side], walls["hand"], strict=True))
            ratio = ratios(walls[side], walls["hand"])
            spreads[case, side] = (extra, ratio)
            rows.append(
                (
                    f"{title}: {words}",
                    Spread.of(walls["hand"]).show(digits),
                    Spread.of(walls[side]).show(digits),
                    extra.show(2) + " s more",
                    ratio.show(3),
                )
            )
    markdown = "\n".join(
        [
            f"Whole processes timed from launch to exit, {repeats} repeats in rotating order "
            "(median, min–max over the repeats; the difference and the ratio are taken per "
            "repeat). *By hand* is a script calling `cross_validate` with the same estimators, "
            "parameters, folds and 2 threads; *ours* is `treesvsnets run ...` with everything "
            "a run writes (worker process, store, exports, manifest, HTML and Markdown reports), "
            "with `--no-baseline` (the same fits as by hand) and as it comes (the baseline, "
            "dummy, fitted too). Accuracies are identical fold for fold.",
            "",
            table(
                ["case", "by hand s", "treesvsnets run s", "ours − by hand", "ours ÷ by hand"], rows
            ),
        ]
        + (
            ["", WHERE_IT_GOES.format(hand=_span(data["suite"]["walls"]["hand"]))]
            if max(spreads["suite", side][1].median for side in ("ours", "default")) > 1.10
            else []
        )
    )
    targets = [
        Target(
            f"iris logreg, 3 folds, {words}: `treesvsnets run` at most 1.5 s more than by hand",
            spreads["iris", side][0].show(2) + " s",
            spreads["iris", side][0].median <= 1.5,
        )
        for side, words in (("ours", "--no-baseline"), ("default", "default"))
    ] + [
        Target(
            f"4-estimator digits + breast_cancer suite, {words}: ours ÷ by hand ≤ 1.10",
            spreads["suite", side][1].show(3),
            spreads["suite", side][1].median <= 1.10,
        )
        for side, words in (("ours", "--no-baseline"), ("default", "default"))
    ]
    return Section(
        "fixed_cost",
        markdown,
        data,
        f"python benchmarks/fixed_cost.py --repeats {repeats}",
        targets,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hand", choices=list(CASES), help=argparse.SUPPRESS)
    parser.add_argument("--scores-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hand:
        hand_main(args.hand, args.scores_out)
    else:
        finish(render(measure(args.repeats), args.repeats))


if __name__ == "__main__":
    main()
