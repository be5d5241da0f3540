"""Measure every section of benchmarks/RESULTS.md, one after another, then rewrite it.

    python benchmarks/run_all.py                       # everything: about 1.5 hours on 2 cores
    python benchmarks/run_all.py --only startup micro  # some sections
    python benchmarks/run_all.py --render              # only rebuild RESULTS.md from results/

Sections run one at a time (never two at once: they would time each other). Each
saves benchmarks/results/<section>.json as soon as it finishes, so an interrupted
run keeps the sections it completed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCHMARKS, NEEDS_CUDA, write_results  # noqa: E402

#: section -> the script and arguments that measure it (same order as RESULTS.md)
COMMANDS = {
    "harness": ["harness_overhead.py", "--repeats", "3"],
    "startup": ["startup.py", "--repeats", "7"],
    "fixed_cost": ["fixed_cost.py", "--repeats", "7"],
    "training": ["training_loop.py", "--repeats", "5"],
    "fold_parallel": ["fold_parallel.py", "--repeats", "3"],
    "lazypredict": ["lazypredict_vs_ours.py", "--repeats", "3"],
    "scaling": ["scaling.py"],
    "micro": ["micro.py"],
    "gpu": ["gpu.py", "--repeats", "3"],
    "regression": ["regression.py", "--repeats", "5"],
    "tuning": ["tuning.py", "--repeats", "3"],
    "strong_nets": ["strong_nets.py", "--repeats", "5"],
    "real_tables": ["real_tables.py", "--repeats", "5"],
    "suite_quick": ["suites.py", "--suite", "quick", "--jobs", "2"],
    "suite_tabular": ["suites.py", "--suite", "tabular", "--jobs", "2"],
    "suite_images": ["suites.py", "--suite", "images", "--jobs", "2"],
    "big_tables": ["big_tables.py", "--repeats", "3"],
    "augmentation": ["augmentation.py", "--repeats", "5"],
    "ensembles": ["ensembles.py", "--repeats", "3"],
    "reading": ["big_table.py", "--rows", "200000", "--repeats", "5"],
}


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(COMMANDS), metavar="SECTION")
    parser.add_argument("--render", action="store_true", help="only rewrite RESULTS.md")
    args = parser.parse_args()
    if not args.render:
        for name in args.only or list(COMMANDS):
            if name in NEEDS_CUDA and not args.only and not cuda_available():
                print(f"== {name}: skipped (it needs CUDA, and there is none here)", flush=True)
                continue
            script, *rest = COMMANDS[name]
            print(f"== {name}: python benchmarks/{script} {' '.join(rest)}", flush=True)
            start = time.perf_counter()
            subprocess.run([sys.executable, str(BENCHMARKS / script), *rest], check=True)
            print(f"== {name} took {time.perf_counter() - start:.0f} s", flush=True)
    print(f"wrote {write_results()}")


if __name__ == "__main__":
    main()
