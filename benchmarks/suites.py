"""A built-in suite end to end: its wall time, the sum of its cells' times, and how busy it
keeps the cores.

``treesvsnets run --suite NAME --jobs J`` as a user types it (default estimators, the suite's
own defaults), one whole process timed from launch to exit. From its rows: the cells' summed
time (each cell's own start to end: build, fit, predict, score) and that sum ÷ the wall time,
the cores the run kept busy. Targets: ``quick`` in about 10 minutes on 2 cores (issue 29),
and with ``--jobs 2`` the cells' summed time ÷ wall ≥ 1.7 (issue 30). The ``images`` suite
reads MNIST and Fashion-MNIST from ``--data-dir`` ($TREESVSNETS_DATA_DIR, else
../shared/datasets).

    python benchmarks/suites.py --suite quick --jobs 2
    python benchmarks/suites.py --suite images --jobs 2
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    Section,
    Target,
    default_data_dir,
    finish,
    quiet_env,
    run_dirs,
    table,
    timed_command,
    treesvsnets_command,
)

#: the suite's expected wall time on 2 cores (its file says "about"), and the busy target
EXPECTED_MINUTES = {"quick": 10.0, "tabular": 30.0}  # issue 29's budgets
#: the suites that read files from the data folder (MNIST, Fashion-MNIST)
READS_DATA_DIR = {"images"}
BUSY_TARGET = 1.7


def cell_seconds(run_dir: Path) -> tuple[int, float, dict[str, int]]:
    """(cells, their summed seconds from start to end, cells by status) of a run folder."""
    import pandas as pd

    rows = pd.read_parquet(run_dir / "results.parquet")
    spans = pd.to_datetime(rows["ended_at"]) - pd.to_datetime(rows["started_at"])
    return len(rows), float(spans.dt.total_seconds().sum()), rows["status"].value_counts().to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="quick")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--data-dir", default=None, help="default (images): ../shared/datasets")
    args = parser.parse_args()
    data_dir = args.data_dir or (default_data_dir() if args.suite in READS_DATA_DIR else None)
    out = Path(tempfile.mkdtemp(prefix="tvn-suite-"))
    command = [
        *treesvsnets_command(), "run", "--suite", args.suite, "--jobs", str(args.jobs),
        "-q", "--out", str(out), *(["--data-dir", data_dir] if data_dir else []),
    ]  # fmt: skip
    load_before = os.getloadavg()[0]
    started = time.time()
    wall = timed_command(command, env=quiet_env())
    load_after = os.getloadavg()[0]
    cells, summed, statuses = cell_seconds(run_dirs(out)[-1])
    busy = summed / wall
    expected = EXPECTED_MINUTES.get(args.suite)
    markdown = "\n".join(
        [
            f"`treesvsnets run --suite {args.suite} --jobs {args.jobs}` with the suite's "
            f"estimators, one whole process timed from launch to exit (started "
            f"{time.strftime('%H:%M UTC', time.gmtime(started))}); the cells' summed time is "
            "each cell's own start to end (build, fit, predict, score), so summed ÷ wall is "
            f"how many cores the run kept busy. The machine's load average was "
            f"{load_before:.1f} before and {load_after:.1f} after (on {os.cpu_count()} cores).",
            "",
            table(
                [
                    "suite",
                    "jobs",
                    "cells",
                    "statuses",
                    "wall min",
                    "cells' summed min",
                    "summed ÷ wall",
                ],
                [
                    (
                        args.suite,
                        args.jobs,
                        cells,
                        ", ".join(f"{n} {s}" for s, n in statuses.items()),
                        f"{wall / 60:.1f}",
                        f"{summed / 60:.1f}",
                        f"{busy:.2f}",
                    )
                ],
                "lrrlrrr",
            ),  # fmt: skip
        ]
    )
    targets = [
        Target(
            f"`--suite {args.suite} --jobs {args.jobs}`: cells' summed time ÷ wall ≥ {BUSY_TARGET}",
            f"{busy:.2f}",
            busy >= BUSY_TARGET,
        )
    ]
    if expected is not None:
        targets.append(
            Target(
                f"`--suite {args.suite}` in about {expected:.0f} min on 2 cores (≤ 1.2×)",
                f"{wall / 60:.1f} min",
                wall / 60 <= 1.2 * expected,
            )
        )
    finish(
        Section(
            f"suite_{args.suite}",
            markdown,
            {"wall": wall, "cells": cells, "summed": summed, "statuses": statuses},
            f"python benchmarks/suites.py --suite {args.suite} --jobs {args.jobs}",
            targets,
        )
    )


if __name__ == "__main__":
    main()
