"""Loading the built-in real tables: seconds per table, from the installed packages.

Each table is loaded as a run loads it (``treesvsnets.datasets.load(name)``: the package's
frame, the declared drops, the reading a user's file gets, the cap), in one process whose
imports are already done, repeated in rotating order (median, min–max). Target (issue 29):
under 2 s for every table on 2 cores. For context, a whole process that imports the library
and loads the table, against one that only imports it.

    python benchmarks/real_tables.py --repeats 5
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    Section,
    Spread,
    Target,
    finish,
    quiet_env,
    run_sides,
    table,
    timed_command,
)

TARGET_S = 2.0
IMPORTS = "import treesvsnets.datasets.real_tables, treesvsnets.datasets.tables"


def in_process(name: str) -> float:
    from treesvsnets.datasets import load

    start = time.perf_counter()
    load(name)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--process-repeats", type=int, default=3)
    args = parser.parse_args()
    from treesvsnets.datasets.real_tables import REAL_TABLES

    names = [t.name for t in REAL_TABLES]
    load_before = os.getloadavg()[0]
    in_process(names[0])  # the imports (pandas, scikit-learn, the package), once
    loads = run_sides({n: (lambda n=n: in_process(n)) for n in names}, args.repeats, False)
    env = quiet_env()
    commands = {"(imports only)": [sys.executable, "-c", IMPORTS]} | {
        n: [sys.executable, "-c", f"{IMPORTS}; treesvsnets.datasets.load({n!r})"] for n in names
    }
    walls = run_sides(
        {label: (lambda c=c: timed_command(c, env=env)) for label, c in commands.items()},
        args.process_repeats,
        False,
    )
    load_after = os.getloadavg()[0]
    rows = []
    for t in REAL_TABLES:
        rows.append(
            (
                f"`{t.name}`",
                f"{t.package} {t.item}",
                f"{t.n_samples:,}" + (f" of {t.rows:,}" if t.cap and t.rows > t.cap else ""),
                t.features,
                Spread.of(loads[t.name]).show(3),
                Spread.of(walls[t.name]).show(2),
            )
        )
    rows.append(("(imports only)", "", "", "", "", Spread.of(walls["(imports only)"]).show(2)))
    slowest = max(names, key=lambda n: Spread.of(loads[n]).median)
    spread = Spread.of(loads[slowest])
    markdown = "\n".join(
        [
            f"`treesvsnets.datasets.load(name)` per built-in real table, in one process whose "
            f"imports are done, {args.repeats} repeats in rotating order (median, min–max); "
            f"then a whole process that imports the library and loads it "
            f"({args.process_repeats} repeats), beside one that only imports it. "
            f"Target: every table under {TARGET_S:.0f} s. Loading reads the package's frame, "
            "drops the declared columns, reads every column as a user's file is read, and "
            "draws the cap's subsample (diamonds). A whole process adds the imports a run "
            "makes anyway (pandas, scikit-learn through the fold pipeline, the package). "
            f"The machine's load average was {load_before:.1f} before and {load_after:.1f} "
            f"after (on {os.cpu_count()} cores: other work shared them).",
            "",
            table(
                ["table", "source", "rows", "features", "load s", "whole process s"],
                rows,
                "lllrrr",
            ),
        ]
    )
    finish(
        Section(
            "real_tables",
            markdown,
            {"loads": loads, "walls": walls},
            f"python benchmarks/real_tables.py --repeats {args.repeats} "
            f"--process-repeats {args.process_repeats}",
            [
                Target(
                    f"every built-in real table loads in < {TARGET_S:.0f} s",
                    f"slowest: {slowest} {spread.show(3, ' s')}",
                    spread.median < TARGET_S,
                )
            ],
        )
    )


if __name__ == "__main__":
    main()
