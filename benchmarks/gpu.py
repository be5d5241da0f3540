"""The nets on a CUDA GPU: our loop against the minimal loop, mixed precision, fold-parallel, a run.

Run it on a machine with CUDA (a few minutes on one modern GPU):

    python benchmarks/gpu.py --repeats 3

1. Training loop: the workloads of ``training_loop.py`` (digits 5 folds x 30
   epochs; Fashion-MNIST 10k, 10 epochs), MLP and CNN, our loop against the
   minimal hand-written loop with its data on the GPU. Both sides synchronise
   before their clock stops. Target, as on the CPU: ours / minimal <= 1.05.
2. Mixed precision: our loop with ``amp=True`` against ``amp=False`` on the
   Fashion-MNIST workload: the speed-up, and the accuracy it costs.
3. Fold-parallel: ``fold_parallel.py``'s sides on the GPU: 5 digits MLPs as one
   stacked model against 5 fits of our loop and of the minimal loop.
4. The strong nets (``strong_nets.py``'s resnet, ft_transformer, mlp_plr, tabm, cnn1d on its
   generated 10k x 20 table): our loop against the hand loop with the data on the GPU, and
   CatBoost's fit with ``task_type="GPU"`` against its fit on the CPU (2 threads).
5. The user's command, in a subprocess: ``treesvsnets run -d mnist -d
   fashion_mnist -e dense -e cnn --protocol holdout --device cuda``: accuracy,
   fit and warm-up seconds, peak GPU memory. These are one machine's absolute
   figures, recorded as they came, not a claim.

``--device cpu --quick`` runs every code path on the CPU with small sizes: a dry
run of this script where there is no GPU. It saves nothing.
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    Section,
    Spread,
    Target,
    default_data_dir,
    finish,
    quiet_env,
    ratios,
    run_dirs,
    table,
    treesvsnets_command,
)
from fold_parallel import training_loops  # noqa: E402
from strong_nets import NETS  # noqa: E402
from strong_nets import compare as compare_strong_net  # noqa: E402
from strong_nets import workload as strong_workload  # noqa: E402
from training_loop import (  # noqa: E402
    NAMES,
    compare_loops,
    digits_workload,
    fashion_workload,
    measure,
    minimal_loop,
    ours,
)


def shrink(workload, rows: int):
    """The workload cut to ``rows`` training rows per split and 2 epochs (the dry run)."""
    label, image_shape, _, splits = workload
    small = [(X[:rows], y[:rows], X_test, y_test) for X, y, X_test, y_test in splits]
    return f"{label} (dry run: {rows} rows, 2 epochs)", image_shape, 2, small


def amp_section(workload, device: str, repeats: int) -> tuple[list, dict]:
    """Our loop with mixed precision against full precision."""
    sides = {
        "fp32": functools.partial(ours, device=device),
        "amp": functools.partial(ours, device=device, amp=True),
    }
    label, results = measure(workload, sides, repeats)
    rows = [
        [
            NAMES[architecture],
            Spread.of(result["seconds"]["fp32"]).show(3),
            Spread.of(result["seconds"]["amp"]).show(3),
            ratios(result["seconds"]["fp32"], result["seconds"]["amp"]).show(2) + "x",
            f"{result['accuracy']['fp32']:.4f} / {result['accuracy']['amp']:.4f}",
        ]
        for architecture, result in results.items()
    ]
    return rows, {label: results}


def user_run(device: str, data_dir: str, quick: bool) -> tuple[pd.DataFrame, dict]:
    """``treesvsnets run`` of both nets on MNIST and Fashion-MNIST, as a user types it."""
    out = Path(tempfile.mkdtemp(prefix="gpu-run-"))
    command = treesvsnets_command() + [
        "run", "-d", "mnist", "-d", "fashion_mnist", "-e", "dense", "-e", "cnn",
        "--protocol", "holdout", "--device", device, "--data-dir", data_dir,
        "--out", str(out), "--name", "gpu", "--no-baseline",
    ]  # fmt: skip
    if quick:
        command += ["--subsample", "2000", "--param", "dense.epochs=2", "--param", "cnn.epochs=2"]
    subprocess.run(command, check=True, env=quiet_env(), stdout=subprocess.DEVNULL)
    (run_dir,) = run_dirs(out)
    rows = pd.read_csv(run_dir / "results.csv")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert set(rows["status"]) == {"ok"}, rows["error"].dropna().tolist()
    return rows, manifest


def strong_nets_section(device: str, repeats: int, quick: bool) -> tuple[list, dict]:
    """Each strong net's fit, ours against the hand loop on ``device``; CatBoost GPU vs CPU."""
    import time

    data = strong_workload(2000 if quick else 10_000)
    epochs = 1 if quick else 3
    rows, figures = [], {}
    for name in NETS:
        seconds, acc = compare_strong_net(name, epochs, data, repeats, device)
        ratio = ratios(seconds["ours"], seconds["hand"])
        figures[name] = {"seconds": seconds, "accuracy": acc}
        rows.append([name, Spread.of(seconds["hand"]).show(3), Spread.of(seconds["ours"]).show(3),
                     ratio.show(3), f"{acc['hand']:.3f} / {acc['ours']:.3f}"])  # fmt: skip
    try:
        from treesvsnets.estimators.catboost_adapter import CatBoostClassifierModel
    except ImportError:
        return rows, figures
    X, y, X_test, y_test = data
    iterations = 50 if quick else 1000
    for where in ("cpu", device):
        model = CatBoostClassifierModel(iterations=iterations, thread_count=2, device=where)
        start = time.perf_counter()
        model.fit(X, y)
        figures[f"catboost_{where}"] = {
            "seconds": time.perf_counter() - start,
            "accuracy": float((model.predict(X_test) == y_test).mean()),
            "device": model.device_,
        }
        rows.append([f"catboost ({model.device_}, {iterations} iterations)", "",
                     f"{figures[f'catboost_{where}']['seconds']:.3f}", "",
                     f"{figures[f'catboost_{where}']['accuracy']:.3f}"])  # fmt: skip
    return rows, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cuda", help="cuda (default), or cpu for a dry run")
    parser.add_argument("--quick", action="store_true", help="small sizes: a dry run")
    parser.add_argument(
        "--data-dir",
        default=default_data_dir(),
        help="folder with the MNIST and FashionMNIST files (default: ../shared/datasets)",
    )
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("CUDA is not available here; use --device cpu --quick for a dry run")
    digits, fashion = digits_workload(), fashion_workload(args.data_dir)
    if args.quick:
        digits, fashion = shrink(digits, 300), shrink(fashion, 1000)

    loop_sides = {
        "minimal": functools.partial(minimal_loop, device=args.device),
        "ours": functools.partial(ours, device=args.device),
    }
    loop_header, loop_rows, targets, loop_data = compare_loops(
        [digits, fashion], loop_sides, args.repeats, on=f" on {args.device}"
    )
    print("training loops done", file=sys.stderr, flush=True)
    amp_rows, amp_data = amp_section(fashion, args.device, args.repeats)
    print("mixed precision done", file=sys.stderr, flush=True)
    _, image_shape, _, splits = digits
    walls, scores = training_loops(splits, image_shape, args.repeats, device=args.device)
    vs_ours = ratios(walls["ours"], walls["together"])
    vs_minimal = ratios(walls["minimal"], walls["together"])
    print("fold-parallel done", file=sys.stderr, flush=True)
    strong_rows, strong_data = strong_nets_section(args.device, args.repeats, args.quick)
    print("strong nets done", file=sys.stderr, flush=True)
    rows, manifest = user_run(args.device, args.data_dir, args.quick)
    gpus = manifest["environment"].get("gpus") or ["none"]

    run_table = table(
        ["dataset", "estimator", "accuracy", "fit s", "first epoch s", "epochs", "peak GPU MB"],
        [
            (
                row.dataset,
                row.estimator,
                f"{row.accuracy:.4f}",
                f"{row.fit_seconds:.1f}",
                f"{row.warmup_seconds:.2f}",
                len(json.loads(row.history)),
                "" if pd.isna(row.peak_gpu_mb) else f"{row.peak_gpu_mb:.0f}",
            )
            for row in rows.sort_values(["dataset", "estimator"]).itertuples()
        ],
        "ll" + "r" * 5,
    )
    markdown = "\n".join(
        [
            f"GPU: {', '.join(gpus)}; torch {torch.__version__}, CUDA {torch.version.cuda}; "
            f"{args.repeats} repeats in rotating order, one untimed warm-up per side.",
            "",
            "**Training loop** (Adam lr 1e-3, batch 128, no validation split): our loop "
            "against a minimal hand-written loop with its data on the GPU; both synchronise "
            "before the clock stops.",
            "",
            table(loop_header, loop_rows, "ll" + "r" * (len(loop_header) - 2)),
            "",
            "**Mixed precision** (our loop, float16 autocast with a gradient scaler):",
            "",
            table(
                ["model", "fp32 s/fit", "amp s/fit", "speed-up", "accuracy fp32 / amp"], amp_rows
            ),
            "",
            f"**Fold-parallel**: 5 digits MLPs as one stacked model took "
            f"{Spread.of(walls['together']).show(2)} s, {vs_ours.show(2)}x faster than 5 fits "
            f"of our loop and {vs_minimal.show(2)}x faster than 5 fits of the minimal loop "
            f"(accuracy {np.mean(scores['together']):.4f} vs {np.mean(scores['ours']):.4f}).",
            "",
            "**The strong nets** (generated 10k x 20 table, 3 epochs per fit, batch 128): our "
            "loop against a hand loop over the same module on the GPU; CatBoost on the GPU "
            "against the CPU (2 threads):",
            "",
            table(
                ["net", "hand loop s/fit", "ours s/fit", "ours ÷ hand", "accuracy hand / ours"],
                strong_rows,
                "lrrrr",
            ),  # fmt: skip
            "",
            "**The user's command**: `treesvsnets run -d mnist -d fashion_mnist -e dense "
            "-e cnn --protocol holdout --device cuda` (defaults; the official splits; the "
            "nets early-stop on a 10% slice):",
            "",
            run_table,
        ]
    )
    if not args.device.startswith("cuda"):
        print(markdown)
        print("(dry run on the CPU: nothing saved)", file=sys.stderr)
        return
    data = {
        "loop": loop_data,
        "amp": amp_data,
        "fold_parallel": {"walls": walls, "accuracy": scores},
        "strong_nets": strong_data,
        "run": rows.drop(columns=["history", "confusion", "traceback"]).to_dict("records"),
        "gpus": gpus,
    }
    targets.append(
        Target(
            "5 digits MLPs as one stacked model faster than 5 fits of our loop (CUDA)",
            vs_ours.show(2) + "x",
            vs_ours.median > 1,
        )
    )
    finish(
        Section(
            "gpu", markdown, data, f"python benchmarks/gpu.py --repeats {args.repeats}", targets
        )
    )


if __name__ == "__main__":
    main()
