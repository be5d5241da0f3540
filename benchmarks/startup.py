"""Start-up of the command line: ``treesvsnets --help`` and ``list``, against a bare interpreter.

Each command is a whole process, timed from launch to exit, repeated in rotating
order. Target (issue 9): under 1 s, with torch, xgboost and lightgbm imported only
when a cell needs them; the script also lists which heavy libraries each command
imported.

    python benchmarks/startup.py --repeats 7
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
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
    treesvsnets_command,
)

HEAVY = ("torch", "xgboost", "lightgbm", "sklearn", "pandas", "matplotlib")

COMMANDS = {
    "python -c pass (bare interpreter)": [sys.executable, "-c", "pass"],
    "treesvsnets --help": [*treesvsnets_command(), "--help"],
    "treesvsnets list estimators": [*treesvsnets_command(), "list", "estimators"],
    "treesvsnets list datasets": [*treesvsnets_command(), "list", "datasets"],
}

_PROBE = """
import contextlib, io, json, sys
from treesvsnets.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main({args!r})
    except SystemExit:
        pass
print(json.dumps([name for name in {heavy!r} if name in sys.modules]))
"""


def imported_by(args: list[str]) -> list[str]:
    """The heavy libraries that running the CLI with ``args`` imports."""
    probe = _PROBE.format(args=args, heavy=HEAVY)
    output = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    env = quiet_env()
    sides = {
        label: (lambda c=command: timed_command(c, env=env)) for label, command in COMMANDS.items()
    }
    walls = run_sides(sides, args.repeats, progress=False)
    rows, targets = [], []
    for label, command in COMMANDS.items():
        cli_args = (
            command[len(treesvsnets_command()) :] if label.startswith("treesvsnets") else None
        )
        heavy = "—" if cli_args is None else (", ".join(imported_by(cli_args)) or "none")
        rows.append((f"`{label}`", Spread.of(walls[label]).show(3), heavy))
        if cli_args is not None:
            spread = Spread.of(walls[label])
            targets.append(Target(f"`{label}` < 1 s", spread.show(3, " s"), spread.median < 1))
            lazy = not {"torch", "xgboost", "lightgbm"} & set(heavy.split(", "))
            targets.append(Target(f"`{label}` imports no torch/xgboost/lightgbm", heavy, lazy))
    markdown = "\n".join(
        [
            f"Whole processes, {args.repeats} repeats in rotating order (median, min–max). "
            "Target: under 1 s, with no torch, xgboost or lightgbm import.",
            "",
            table(["command", "wall s", "heavy libraries imported"], rows, "lrl"),
        ]
    )
    finish(
        Section(
            "startup",
            markdown,
            {"walls": walls},
            f"python benchmarks/startup.py --repeats {args.repeats}",
            targets,
        )
    )


if __name__ == "__main__":
    main()
