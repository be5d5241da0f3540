"""--ensemble: what keeping every trial's predictions costs a tuned run, and the selection.

Whole processes, timed from launch to exit, in rotating order: ``treesvsnets run -d digits
-e rf -e logreg --tune 30 --no-baseline`` (5 folds, 2 estimators, 300 trials, each trial then
predicting the validation slice and the test fold) with and without ``--ensemble``. The tuned
rows (and every trial's scores) must be equal on both sides; the ``--ensemble`` side also
writes the trials' prediction files and the tuned+ensembled rows. Target (issue 32): the run
with ``--ensemble`` takes at most 1.10 times the run without. The selection itself (200 trials
on 10,000 validation rows) is a case of ``benchmarks/test_micro.py``
(``pytest benchmarks/test_micro.py -k greedy --benchmark-only``).

    python benchmarks/ensembles.py --repeats 3
    python benchmarks/ensembles.py --repeats 1 --trials 3 --folds 2    # a quick check
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    Section,
    Target,
    finish,
    quiet_env,
    ratios,
    run_dirs,
    same_scores_process_sides,
    table,
    treesvsnets_command,
)


def _tuned_scores(out: Path) -> dict[str, list[float]]:
    """The last run's tuned rows' accuracy per (estimator, fold): what both sides share."""
    import pandas as pd

    rows = pd.read_csv(run_dirs(out)[-1] / "results.csv")
    tuned = rows[rows["tuning"] == "tuned"].sort_values(["estimator", "fold"])
    return {
        f"{estimator}/tuned": list(group["accuracy"])
        for estimator, group in tuned.groupby("estimator")
    }


def measure(repeats: int, trials: int, folds: int) -> Section:
    run = [*treesvsnets_command(), "run", "-d", "digits", "-e", "rf", "-e", "logreg"]
    run += ["--tune", str(trials), "--folds", str(folds), "--no-baseline", "-q"]
    with tempfile.TemporaryDirectory() as tmp:
        outs = {name: Path(tmp) / name for name in ("plain", "ensemble")}
        commands = {
            "plain": ([*run, "--out", str(outs["plain"])], lambda: _tuned_scores(outs["plain"])),
            "ensemble": (
                [*run, "--ensemble", "--out", str(outs["ensemble"])],
                lambda: _tuned_scores(outs["ensemble"]),
            ),
        }
        walls, _ = same_scores_process_sides(commands, repeats, quiet_env())
    ratio = ratios(walls["ensemble"], walls["plain"])
    command = f"python benchmarks/ensembles.py --repeats {repeats}"
    rows = [
        ("without --ensemble", f"{min(walls['plain']):.1f} s"),
        ("with --ensemble", f"{min(walls['ensemble']):.1f} s"),
        ("ratio (median of repeats)", f"{ratio.median:.3f}"),
    ]
    markdown = (
        f"digits, rf and logreg, {folds} folds, {trials} trials per fold, whole processes "
        f"(fastest of {repeats}):\n\n" + table(("side", "wall"), rows)
    )
    return Section(
        name="ensembles",
        markdown=markdown,
        data={"walls": walls, "ratio": list(ratio.values)},
        command=command,
        targets=[
            Target(
                "storing the trials' predictions adds at most 10% to a tuned run",
                f"{ratio.median:.3f}x",
                ratio.median <= 1.10,
            )
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    finish(measure(args.repeats, args.trials, args.folds))


if __name__ == "__main__":
    main()
