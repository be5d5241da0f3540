"""Micro-benchmarks (pytest-benchmark) run and summarised into RESULTS.md.

Runs ``pytest benchmarks/test_micro.py --benchmark-only --benchmark-autosave`` (the
save lets a later run show a regression with ``--benchmark-compare``) and writes the
median, min and max of each case. These are absolute times of small pieces of the
harness's own work, useful against their own earlier saves on the same machine.

    python benchmarks/micro.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCHMARKS, Section, Target, finish, table  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        report = Path(work) / "micro.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                str(BENCHMARKS / "test_micro.py"),
                "-q",
                "--benchmark-only",
                "--benchmark-autosave",
                f"--benchmark-json={report}",
            ],
            check=True,
            cwd=BENCHMARKS.parent,
        )
        benchmarks = json.loads(report.read_text())["benchmarks"]
    rows = []
    for case in benchmarks:
        stats = case["stats"]
        rows.append(
            (
                f"`{case['name']}`",
                f"{1000 * stats['median']:.2f}",
                f"{1000 * stats['min']:.2f}–{1000 * stats['max']:.2f}",
                stats["rounds"],
            )
        )
    markdown = "\n".join(
        [
            "Each case checks what it computed, so a broken function fails instead of being "
            "timed. Saved under `.benchmarks/` (`--benchmark-autosave`); compare a later run "
            "with `pytest benchmarks/test_micro.py --benchmark-only --benchmark-compare`.",
            "",
            table(["case", "median ms", "min–max ms", "rounds"], rows),
        ]
    )
    data = {case["name"]: case["stats"] for case in benchmarks}
    targets = []
    section = data.get("test_cross_dataset_section_over_10k_rows")
    if section is not None:  # issue 30: the cross-dataset section, bootstraps included
        targets.append(
            Target(
                "the cross-dataset section (Elo, bootstraps, each task's Elo, verdict) from "
                "10,000 rows well under a second (< 0.5 s)",
                f"{section['median']:.3f} s ({section['min']:.3f}–{section['max']:.3f})",
                section["median"] < 0.5,
            )
        )
    selections = {
        name: stats for name, stats in data.items() if name.startswith("test_greedy_ensemble")
    }
    for threads in (1, 2):  # issue 32: the slowest score's selection, per thread budget
        mine = {n: s for n, s in selections.items() if n.endswith(f"-{threads}]")}
        if mine:
            name, worst = max(mine.items(), key=lambda item: item[1]["median"])
            case = name[name.index("[") + 1 : -1]
            targets.append(
                Target(
                    f"greedy selection, 200 trials on 10,000 rows, every score, on {threads} "
                    f"thread(s): the slowest well under a second (< 0.5 s)",
                    f"{worst['median']:.3f} s ({case})",
                    worst["median"] < 0.5,
                )
            )
    finish(Section("micro", markdown, data, "python benchmarks/micro.py", targets))


if __name__ == "__main__":
    main()
