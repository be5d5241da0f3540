"""What every benchmark script shares: spreads of repeated timings, saving a section, RESULTS.md.

Each script measures one section and saves it as ``benchmarks/results/<name>.json``
(its figures, its markdown, when and where it was measured); ``write_results()``
joins every saved section into ``benchmarks/RESULTS.md``, so sections measured on
different days keep their own date and machine line.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

BENCHMARKS = Path(__file__).resolve().parent
RESULTS_DIR = BENCHMARKS / "results"
RESULTS_MD = BENCHMARKS / "RESULTS.md"

#: The order of the sections in RESULTS.md, with their headings.
SECTIONS = {
    "harness": "1. Harness overhead and use of the cores (classical side)",
    "startup": "1b. Start-up of the command line",
    "fixed_cost": "1c. The fixed cost of a run",
    "training": "3. Training loop (deep side)",
    "fold_parallel": "4. Fold-parallel training of small nets (stretch)",
    "lazypredict": "5. Against lazypredict",
    "scaling": "6. Scaling with the training size, and Fashion-MNIST beside Zalando's table",
    "micro": "7. Micro-benchmarks (pytest-benchmark)",
    "gpu": "8. The nets on a CUDA GPU",
    "regression": "9. Regression: the harness and the net's loop",
    "tuning": "10. Tuning: the cost per trial and trials side by side",
    "strong_nets": "11. The strong tabular nets and cnn1d: our loop against a hand loop",
    "real_tables": "12. Loading the built-in real tables",
    "suite_quick": "13. The quick suite end to end",
    "suite_tabular": "14. The tabular suite (the real tables) end to end",
    "suite_images": "14b. The images suite end to end",
    "big_tables": "15. Big tables: a run against a hand-written script, 10k to 1M rows",
    "augmentation": "16. Augmentation: our loop with random transforms against a hand loop",
    "ensembles": "17. Tuned and ensembled: what keeping the trials' predictions costs",
    "reading": "18. Reading a big table: inspect against read_csv and a ColumnTransformer",
}

#: Sections that can only be measured on a machine with CUDA.
NEEDS_CUDA = {"gpu"}


@dataclass(frozen=True)
class Spread:
    """Repeated measurements of one quantity: median, min and max are what we report."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        return cls(tuple(float(v) for v in values))

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def show(self, digits: int = 2, unit: str = "") -> str:
        """``1.23 (1.10–1.40)``: the median, then min–max when there are repeats."""
        text = f"{self.median:.{digits}f}{unit}"
        if len(self.values) > 1:
            text += f" ({min(self.values):.{digits}f}–{max(self.values):.{digits}f})"
        return text


def ratios(numerator: Sequence[float], denominator: Sequence[float]) -> Spread:
    """Per-repeat ratios (each pair measured in the same repeat), as a spread."""
    return Spread.of(n / d for n, d in zip(numerator, denominator, strict=True))


def alternating(names: Sequence[str], repeats: int) -> list[list[str]]:
    """The order of the sides in each repeat, rotated so no side always runs first or last."""
    return [list(names[r % len(names) :]) + list(names[: r % len(names)]) for r in range(repeats)]


def timed_command(command: Sequence[str], **kwargs: Any) -> float:
    """Wall seconds of a whole process (interpreter start-up and imports included)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - start


def treesvsnets_command() -> list[str]:
    """The installed console script beside this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("treesvsnets")
    return [str(script)] if script.exists() else [sys.executable, "-m", "treesvsnets"]


def source_commit() -> str:
    """The checkout's commit, with ``+changes`` when files differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=BENCHMARKS, capture_output=True, text=True
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def run_dirs(out: Path) -> list[Path]:
    """The run folders ``treesvsnets run --out OUT`` left in ``out``, oldest first."""
    return sorted(out.iterdir(), key=lambda path: path.stat().st_mtime)


def default_data_dir() -> str:
    """Where the MNIST/Fashion-MNIST files are: $TREESVSNETS_DATA_DIR, else ../shared/datasets."""
    shared = BENCHMARKS.parents[1] / "shared" / "datasets"
    return os.environ.get("TREESVSNETS_DATA_DIR", str(shared))


def machine_line() -> str:
    from treesvsnets.bench.cells.environment import describe_environment

    env = describe_environment()
    packages = env["packages"]
    shown = ["scikit-learn", "xgboost", "lightgbm", "torch"]
    versions = ", ".join(f"{name} {packages.get(name)}" for name in shown if packages.get(name))
    return (
        f"{env['cores']} cores ({env['cpu']}), {platform.system()}, Python {env['python']}, "
        f"{versions}"
    )


@dataclass(frozen=True)
class Target:
    """One target of issue 9, the figure measured against it, and whether it was met."""

    target: str
    measured: str
    met: bool


@dataclass
class Section:
    """One measured section of RESULTS.md."""

    name: str
    markdown: str
    data: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    targets: list[Target] = field(default_factory=list)
    #: when, where and at which commit the figures were measured; None: now, here, this checkout
    #: (a section re-rendered from saved figures passes the saved provenance on)
    provenance: dict[str, str] | None = None

    def save(self) -> Path:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"{self.name}.json"
        payload = {
            "name": self.name,
            **(self.provenance or measured_here()),
            "command": self.command,
            "markdown": self.markdown,
            "targets": [vars(target) for target in self.targets],
            "data": self.data,
        }
        path.write_text(json.dumps(payload, indent=1, default=float) + "\n")
        return path


def measured_here() -> dict[str, str]:
    """The provenance of figures measured now, on this machine, from this checkout."""
    return {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_line(),
        "commit": source_commit(),
    }


def write_results() -> Path:
    """Join every saved section into RESULTS.md (missing sections say how to measure them)."""
    parts = [
        "# Benchmark results",
        "",
        "Every figure is a ratio or a comparison measured in one run on one machine, repeated "
        "(median, then min–max over the repeats); absolute seconds on a shared machine are "
        "noise. Regenerate everything with `python benchmarks/run_all.py` (about 1.5 hours on 2 "
        "cores), or one section with `python benchmarks/run_all.py --only NAME`; each section "
        "keeps the date and machine it was measured on. Targets come from issue 9.",
        "",
    ]
    saved_sections = {
        name: json.loads(path.read_text())
        for name in SECTIONS
        if (path := RESULTS_DIR / f"{name}.json").exists()
    }
    summary = [
        (
            SECTIONS[name].split(" ", 1)[0].rstrip("."),
            t["target"],
            t["measured"],
            "met" if t["met"] else "**not met**",
        )
        for name, saved in saved_sections.items()
        for t in saved.get("targets", [])
    ]
    if summary:
        parts += [
            "## Targets at a glance",
            "",
            table(["section", "target", "measured (median, min–max)", ""], summary, "lllr"),
            "",
            "Where a target is not met, its section says why.",
            "",
        ]
    for name, heading in SECTIONS.items():
        parts += [f"## {heading}", ""]
        saved = saved_sections.get(name)
        if saved is None:
            where = " on a machine with CUDA" if name in NEEDS_CUDA else ""
            parts += [f"Not measured yet: `python benchmarks/run_all.py --only {name}`{where}.", ""]
            continue
        parts += [
            f"*Measured {saved['measured_at']} at commit {saved.get('commit', 'unknown')} on "
            f"{saved['machine']}.*",
            f"*Command: `{saved['command']}`*" if saved.get("command") else "",
            "",
            saved["markdown"].rstrip(),
            "",
        ]
    RESULTS_MD.write_text("\n".join(parts).replace("\n\n\n", "\n\n"))
    return RESULTS_MD


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], align: str | None = None) -> str:
    """A markdown table; ``align`` is one character per column, ``l`` or ``r`` (default r)."""
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---" if a == "l" else "---:" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def finish(section: Section) -> None:
    """Save the section, rewrite RESULTS.md and print the section."""
    section.save()
    write_results()
    print(section.markdown)


def quiet_env() -> dict[str, str]:
    """The environment for child processes: ours, minus anything that changes thread policies.
    The package's bytecode (and these scripts') is compiled first: see :func:`compile_sources`."""
    compile_sources()
    env = dict(os.environ)
    for key in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.pop(key, None)
    return env


def compile_sources() -> None:
    """Compile the package's modules and these scripts to bytecode now, as pip does when it
    installs a package (the libraries on both sides come compiled). A machine that sets
    ``PYTHONDONTWRITEBYTECODE`` (as the development machines here do) never writes a checkout's
    bytecode, so every process of ours would compile our 130 modules from source: about
    0.3 s of CPU a run, spent nowhere a user's installed copy spends it."""
    import compileall

    for folder in (BENCHMARKS.parent / "treesvsnets", BENCHMARKS):
        compileall.compile_dir(folder, quiet=1)


def run_sides(
    sides: dict[str, Callable[[], Any]], repeats: int, progress: bool = True
) -> dict[str, list[Any]]:
    """Call every side once per repeat, in rotating order; returns each side's results."""
    results: dict[str, list[Any]] = {name: [] for name in sides}
    for repeat, order in enumerate(alternating(list(sides), repeats)):
        for name in order:
            results[name].append(sides[name]())
            if progress:
                print(f"  repeat {repeat + 1}/{repeats}: {name} done", file=sys.stderr, flush=True)
    return results


def same_scores_process_sides(
    commands: dict[str, tuple[Sequence[str], Callable[[], dict[str, list[float]]]]],
    repeats: int,
    env: dict[str, str],
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Whole processes as sides: ``commands[name] = (command, read_scores)``. Each side is
    timed from launch to exit, in rotating order; after it runs, ``read_scores()`` reads its
    per-fold scores (``{key: [score per fold]}``). Every side's scores must equal the first
    side's, fold for fold (AssertionError otherwise). Returns (walls per side, the first
    side's scores)."""
    scores: dict[str, dict[str, list[float]]] = {}

    def side(name: str) -> float:
        command, read_scores = commands[name]
        wall = timed_command(command, env=env)
        scores[name] = read_scores()
        return wall

    walls = run_sides({name: (lambda n=name: side(n)) for name in commands}, repeats)
    first, *others = commands
    for other in others:
        for key, values in scores[first].items():
            np.testing.assert_allclose(scores[other][key], values, err_msg=f"{other}: {key}")
    return walls, scores[first]
