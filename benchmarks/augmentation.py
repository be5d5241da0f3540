"""Augmentation: our loop with ``augment=True`` against a hand loop applying the same transforms.

Both sides train the same module (the CNN of ``training_loop.py``, or its 1-D twin for
``cnn1d``) with the fused Adam, lr 1e-3, batch 128, no validation split, 2 threads, after one
untimed warm-up per side, the sides in rotating order; the hand loop passes each batch through
the same :class:`~treesvsnets.estimators.torch.augment.Augmentation` (one affine map per
sample, ``affine_grid`` + ``grid_sample`` on the device) before the forward pass. So ours ÷
hand is our loop's own overhead with augmentation on (target ≤ 1.05), and ours with ÷ ours
without is what the transforms cost. A third side shows what torchvision's
``v2.RandomAffine`` costs on the same batches, with ONE draw of parameters per batch (the
weaker augmentation our per-sample maps replace).

Workloads: digits (one fold of the shared 5-fold plan, standard-scaled; 8x8 images for the
cnn, 64-step sequences for the cnn1d), and a stratified 10k Fashion-MNIST subset (8k trained
on, pixels / 255, 28x28) for the cnn.

    python benchmarks/augmentation.py --repeats 5
    python benchmarks/augmentation.py --quick   # a check that it runs: tiny sizes, nothing saved
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Section, Spread, Target, default_data_dir, finish, ratios, run_sides, table  # noqa: E402
from training_loop import (  # noqa: E402
    BATCH,
    accuracy,
    digits_workload,
    fashion_workload,
    ours,
    same_arithmetic_loop,
)

from treesvsnets.estimators.torch.augment import (  # noqa: E402
    MAX_ROTATION,
    MAX_SHIFT,
    Augmentation,
)


def hand_loop(architecture, image_shape, epochs, X, y, seed, device="cpu"):
    """The same-arithmetic hand loop passing each batch through the transforms ours applies
    (:class:`Augmentation`, seeded by ``seed``, on the device)."""
    transform = Augmentation(image_shape, False, torch.Generator(device=device).manual_seed(seed))
    return same_arithmetic_loop(architecture, image_shape, epochs, X, y, seed, device, transform)


def torchvision_batchwise_loop(architecture, image_shape, epochs, X, y, seed, device="cpu"):
    """The same-arithmetic hand loop with ``torchvision.transforms.v2.RandomAffine`` on each
    batch tensor: the same ranges, but one shift and rotation drawn for the whole batch."""
    from torchvision.transforms import v2

    affine = v2.RandomAffine(degrees=MAX_ROTATION, translate=(MAX_SHIFT, MAX_SHIFT))

    def batchwise(rows: torch.Tensor) -> torch.Tensor:
        return affine(rows.reshape(len(rows), *image_shape)).reshape(len(rows), -1)

    return same_arithmetic_loop(architecture, image_shape, epochs, X, y, seed, device, batchwise)


#: every side, in the accuracy column's order (the last for the cnn only)
SIDES = ("hand", "ours", "ours, no augmentation", "hand, v2 per batch")


def sides_for(architecture: str, device: str) -> dict:
    sides = {
        "hand": functools.partial(hand_loop, device=device),
        "ours": functools.partial(ours, device=device, augment=True),
        "ours, no augmentation": functools.partial(ours, device=device),
    }
    if architecture == "cnn":
        sides["hand, v2 per batch"] = functools.partial(torchvision_batchwise_loop, device=device)
    return sides


def measure(label, architecture, shape, epochs, split, repeats, device):
    """Seconds per fit of each side, and the test accuracies."""
    X, y, X_test, y_test = split
    sides = sides_for(architecture, device)
    for side in sides.values():  # untimed warm-up
        side(architecture, shape, 1, X[:256], y[:256], 0)
    scores = {name: [] for name in sides}

    def timed(name):
        start = time.perf_counter()
        model = sides[name](architecture, shape, epochs, X, y, 0)
        seconds = time.perf_counter() - start
        scores[name].append(accuracy(model, X_test, y_test))
        return seconds

    seconds = run_sides({name: functools.partial(timed, name) for name in sides}, repeats)
    print(f"{label}: {architecture} done", file=sys.stderr, flush=True)
    return seconds, {name: float(np.mean(values)) for name, values in scores.items()}


def workloads(args) -> list:
    """(label, architecture, shape, epochs, split) of each measurement."""
    label, image_shape, epochs, splits = digits_workload()
    split = splits[0]
    if args.quick:
        split = tuple(part[:300] for part in split)
        epochs = 1
    jobs = [
        (label.split(",")[0], "cnn", image_shape, epochs, split),
        ("digits as sequences", "cnn1d", (1, 64), epochs, split),
    ]
    if not (args.quick or args.skip_fashion):
        label, image_shape, epochs, splits = fashion_workload(args.data_dir)
        jobs.append((label.split(",")[0], "cnn", image_shape, epochs, splits[0]))
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data-dir", default=default_data_dir())
    parser.add_argument("--skip-fashion", action="store_true")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 1 repeat, not saved")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    repeats = 1 if args.quick else args.repeats
    rows, targets, data = [], [], {}
    for label, architecture, shape, epochs, split in workloads(args):
        seconds, scores = measure(label, architecture, shape, epochs, split, repeats, args.device)
        overhead = ratios(seconds["ours"], seconds["hand"])
        cost = ratios(seconds["ours"], seconds["ours, no augmentation"])
        where = f"{architecture}, {label}, {epochs} epochs"
        targets.append(
            Target(f"{where}: ours ÷ hand loop, both augmenting ≤ 1.05", overhead.show(3),
                   overhead.median <= 1.05)
        )  # fmt: skip
        v2 = seconds.get("hand, v2 per batch")
        rows.append(
            [
                where,
                Spread.of(seconds["hand"]).show(3),
                Spread.of(seconds["ours"]).show(3),
                overhead.show(3),
                cost.show(2),
                ratios(v2, seconds["hand"]).show(2) if v2 else "–",
                " / ".join(f"{scores[name]:.3f}" if name in scores else "–" for name in SIDES),
            ]
        )
        data[where] = {"seconds": seconds, "accuracy": scores}
    header = ["workload", "hand s/fit", "ours s/fit", "ours ÷ hand", "ours ÷ ours unaugmented",
              "v2 per batch ÷ hand", "accuracy " + " / ".join(SIDES)]  # fmt: skip
    markdown = "\n".join(
        [
            f"{args.threads} CPU threads ({args.device}), fused Adam lr 1e-3, batch {BATCH}, no "
            f"validation split, one untimed warm-up per side, {repeats} repeats in rotating "
            "order. Both *hand* and *ours* transform each training batch with one random affine "
            f"map per sample (shift ≤ {MAX_SHIFT:.0%} of a side, rotation ≤ {MAX_ROTATION:g}°; "
            "sequences: shift and stretch); *v2 per batch* is torchvision's RandomAffine on the "
            "batch tensor, one draw per batch. Target: ours ÷ hand ≤ 1.05.",
            "",
            table(header, rows, "l" + "r" * (len(header) - 1)),
        ]
    )
    if args.quick:
        print(markdown)
        return
    finish(
        Section(
            "augmentation",
            markdown,
            data,
            f"python benchmarks/augmentation.py --repeats {args.repeats}",
            targets,
        )
    )


if __name__ == "__main__":
    main()
