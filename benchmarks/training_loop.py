"""Our training loop against minimal hand-written PyTorch loops, and against skorch.

Same data, module, optimizer (Adam, lr 1e-3), epochs, batch size (128), threads
(2), no validation split, all in one process after one untimed warm-up fit per
side; the sides run in rotating order in each repeat. Two minimal loops:

* ``minimal``: what a practitioner writes, with PyTorch's default (foreach) Adam;
* ``same arithmetic``: the same loop with the fused Adam ours uses, so the ratio
  ours ÷ same arithmetic is our loop's own per-step bookkeeping, and neither ratio hides
  the other.

Two workloads:

* digits: the shared 5-fold plan, standard-scaled per fold, 30 epochs;
* Fashion-MNIST: a stratified 10k subset, one 80/20 split, pixels / 255, 10 epochs.

The claims are ratios of fit times: ours / same-arithmetic loop (target <= 1.05; ours /
minimal is reported beside it) and skorch / ours (target > 1). skorch comes with
``pip install -e ".[bench]"``.

    python benchmarks/training_loop.py --repeats 3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    Section,
    Spread,
    Target,
    default_data_dir,
    finish,
    ratios,
    run_sides,
    table,
)

from treesvsnets.bench.cells.splits import make_split_plan  # noqa: E402
from treesvsnets.datasets import load  # noqa: E402
from treesvsnets.estimators.torch import TorchClassifier  # noqa: E402
from treesvsnets.estimators.torch.devices import synchronize  # noqa: E402
from treesvsnets.estimators.torch.modules import conv_net, dense_net  # noqa: E402

BATCH, LR = 128, 1e-3


def make_module(architecture: str, image_shape: tuple[int, ...]) -> nn.Module:
    """The module both sides train: an MLP, or the CNN (``cnn1d``: its 1-D twin over a
    ``(channels, length)`` shape) without batch norm."""
    if architecture == "dense":
        return dense_net(int(np.prod(image_shape)), 10, hidden_units=(256, 128))
    return conv_net(
        image_shape,
        10,
        channels=(32, 64),
        dense_units=128,
        dropout=0.25,
        batch_norm=False,
        dimensions=1 if architecture == "cnn1d" else 2,
    )


def minimal_loop(
    architecture,
    image_shape,
    epochs,
    X,
    y,
    seed,
    batch=BATCH,
    device="cpu",
    fused=None,
    transform=None,
) -> nn.Module:
    """What a practitioner writes by hand: tensors on the device, index-sliced batches
    (``fused=True``: the fused Adam ours uses; ``transform``: a function each batch of flat
    rows goes through before the forward pass)."""
    torch.manual_seed(seed)
    module = make_module(architecture, image_shape).to(device)
    optimizer = torch.optim.Adam(module.parameters(), lr=LR, fused=fused)
    loss_fn = nn.CrossEntropyLoss()
    # flat rows: the modules unflatten images
    X_t = torch.from_numpy(X.astype(np.float32)).to(device)
    y_t = torch.from_numpy(y.astype(np.int64)).to(device)
    module.train()
    for _ in range(epochs):
        order = torch.randperm(len(X_t), device=device)
        for start in range(0, len(X_t), batch):
            rows = order[start : start + batch]
            optimizer.zero_grad()
            X_batch = X_t[rows] if transform is None else transform(X_t[rows])
            loss = loss_fn(module(X_batch), y_t[rows])
            loss.backward()
            optimizer.step()
    synchronize(torch.device(device))  # the clock stops after the GPU's queued work
    return module.eval()


def same_arithmetic_loop(
    architecture, image_shape, epochs, X, y, seed, device="cpu", transform=None
):
    """The minimal loop doing ours's arithmetic: the fused Adam."""
    return minimal_loop(
        architecture,
        image_shape,
        epochs,
        X,
        y,
        seed,
        device=device,
        fused=True,
        transform=transform,
    )


def ours(architecture, image_shape, epochs, X, y, seed, device="cpu", amp=False, augment=False):
    """Our TorchClassifier, with the module and settings of the hand loops."""
    shape = "sequence_shape" if architecture == "cnn1d" else "image_shape"
    extra = {shape: image_shape, "dropout": 0.25, "batch_norm": False, "augment": augment}
    return TorchClassifier(
        architecture,
        epochs=epochs,
        batch_size=BATCH,
        lr=LR,
        device=device,
        amp=amp,
        random_state=seed,
        **(extra if architecture != "dense" else {}),
    ).fit(X, y)


def skorch_fit(architecture, image_shape, epochs, X, y, seed):
    from skorch import NeuralNetClassifier

    torch.manual_seed(seed)
    net = NeuralNetClassifier(
        make_module(architecture, image_shape),
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=LR,
        max_epochs=epochs,
        batch_size=BATCH,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
    return net.fit(X.astype(np.float32), y.astype(np.int64))


def accuracy(model, X, y) -> float:
    X = X.astype(np.float32)
    if isinstance(model, nn.Module):
        device = next(model.parameters()).device
        with torch.no_grad():
            predicted = model(torch.from_numpy(X).to(device)).argmax(1).cpu().numpy()
    else:
        predicted = model.predict(X)
    return float(np.mean(predicted == y))


def digits_workload():
    digits = load("digits")
    splits = []
    for fold in make_split_plan(digits, n_folds=5, seed=0).folds:
        scaler = StandardScaler().fit(digits.X[fold.train])
        splits.append(
            (
                scaler.transform(digits.X[fold.train]),
                digits.y[fold.train],
                scaler.transform(digits.X[fold.test]),
                digits.y[fold.test],
            )
        )
    return "digits, 5 folds, 30 epochs", (1, 8, 8), 30, splits


def fashion_workload(data_dir: str):
    fashion = load("fashion_mnist", data_dir=data_dir).subsample(10_000)
    X = fashion.X.reshape(len(fashion.y), -1).astype(np.float32) / 255.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, fashion.y, test_size=0.2, stratify=fashion.y, random_state=0
    )
    return (
        "Fashion-MNIST 10k, 8k/2k split, 10 epochs",
        (1, 28, 28),
        10,
        [(X_train, y_train, X_test, y_test)],
    )


def measure(workload, sides, repeats):
    """Seconds per fit of every side and architecture, and mean accuracies."""
    label, image_shape, epochs, splits = workload
    results = {}
    for architecture in ("dense", "cnn"):
        X0, y0 = splits[0][0][:256], splits[0][1][:256]
        for function in sides.values():  # untimed warm-up of every side
            function(architecture, image_shape, 1, X0, y0, 0)
        scores = {name: [] for name in sides}

        def timed(name, architecture=architecture, scores=scores):
            function = sides[name]
            start = time.perf_counter()
            for index, (X, y, X_test, y_test) in enumerate(splits):
                model = function(architecture, image_shape, epochs, X, y, index)
                scores[name].append(accuracy(model, X_test, y_test))
            return (time.perf_counter() - start) / len(splits)

        seconds = run_sides({name: (lambda n=name: timed(n)) for name in sides}, repeats)
        results[architecture] = {
            "seconds": seconds,
            "accuracy": {name: float(np.mean(values)) for name, values in scores.items()},
        }
        print(f"{label}: {architecture} done", file=sys.stderr, flush=True)
    return label, results


NAMES = {"dense": "MLP 256-128", "cnn": "CNN conv32-conv64-128"}


def compare_loops(workloads, sides, repeats, on: str = ""):
    """Measure every workload with ``sides`` (minimal, ours, maybe skorch): the table's header
    and rows, the targets (``on`` names the device in their text), and the figures."""
    rows, data, targets = [], {}, []
    for workload in workloads:
        label, results = measure(workload, sides, repeats)
        data[label] = results
        for architecture, result in results.items():
            seconds, acc = result["seconds"], result["accuracy"]
            where = f"{NAMES[architecture]}, {label.split(',')[0]}{on}"
            ours_vs_minimal = ratios(seconds["ours"], seconds["minimal"])
            # the target is against the loop doing our arithmetic, where there is one
            reference = "same" if "same" in sides else "minimal"
            ours_vs_reference = ratios(seconds["ours"], seconds[reference])
            targets.append(
                Target(
                    f"{where}: ours ÷ "
                    + (
                        "same-arithmetic loop (fused Adam)"
                        if reference == "same"
                        else "minimal loop"
                    )
                    + " ≤ 1.05",
                    ours_vs_reference.show(3),
                    ours_vs_reference.median <= 1.05,
                )
            )
            if "skorch" in sides:
                skorch_vs_ours = ratios(seconds["skorch"], seconds["ours"])
                targets.append(
                    Target(
                        f"{where}: skorch ÷ ours > 1",
                        skorch_vs_ours.show(2),
                        skorch_vs_ours.median > 1,
                    )
                )
            row = [
                label,
                NAMES[architecture],
                Spread.of(seconds["minimal"]).show(3),
                *([Spread.of(seconds["same"]).show(3)] if "same" in sides else []),
                Spread.of(seconds["ours"]).show(3),
                ours_vs_minimal.show(3),
                *([ratios(seconds["ours"], seconds["same"]).show(3)] if "same" in sides else []),
            ]
            if "skorch" in sides:
                row += [
                    Spread.of(seconds["skorch"]).show(3),
                    ratios(seconds["skorch"], seconds["ours"]).show(2),
                ]
            row.append(" / ".join(f"{acc[name]:.3f}" for name in sides))
            rows.append(row)
    header = ["workload", "model", "minimal loop s/fit"]
    if "same" in sides:
        header.append("same-arithmetic loop s/fit")
    header += ["ours s/fit", "ours ÷ minimal"]
    if "same" in sides:
        header.append("ours ÷ same arithmetic")
    if "skorch" in sides:
        header += ["skorch s/fit", "skorch ÷ ours"]
    header.append("accuracy " + " / ".join(sides))
    return header, rows, targets, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--data-dir",
        default=default_data_dir(),
        help="folder with the FashionMNIST files (default: ../shared/datasets)",
    )
    parser.add_argument("--skip-fashion", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sides = {"minimal": minimal_loop, "same": same_arithmetic_loop, "ours": ours}
    try:
        import skorch  # noqa: F401

        sides["skorch"] = skorch_fit
    except ImportError:
        print("(skorch is not installed; pip install -e '.[bench]' to include it)")
    workloads = [digits_workload()]
    if not args.skip_fashion:
        workloads.append(fashion_workload(args.data_dir))
    header, rows, targets, data = compare_loops(workloads, sides, args.repeats)
    markdown = "\n".join(
        [
            f"{args.threads} CPU threads, Adam lr 1e-3, batch {BATCH}, no validation split, one "
            f"untimed warm-up per side, {args.repeats} repeats in rotating order (median, "
            "min–max of the per-repeat ratios). *minimal* is the practitioner's loop with "
            "PyTorch's default (foreach) Adam; *same arithmetic* is that loop with the fused "
            "Adam ours uses, so ours ÷ same arithmetic is our loop's own bookkeeping. Targets: "
            "ours ÷ same arithmetic ≤ 1.05; skorch ÷ ours > 1.",
            "",
            table(header, rows, "ll" + "r" * (len(header) - 2)),
        ]
    )
    finish(
        Section(
            "training",
            markdown,
            data,
            f"python benchmarks/training_loop.py --repeats {args.repeats}",
            targets,
        )
    )


if __name__ == "__main__":
    main()
