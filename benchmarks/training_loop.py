"""Our training loop against a minimal hand-written PyTorch loop, and against skorch.

Same data (digits, the shared 5-fold plan, standard-scaled per fold), same
module, optimizer (Adam, lr 1e-3), epochs (30), batch size (128), threads (2),
no validation split, all in one process after one untimed warm-up fit. The
claim is the ratio of fit times, ours / minimal loop (target <= 1.05) and
skorch / ours (target > 1). skorch is optional: ``pip install skorch``.

    python benchmarks/training_loop.py --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler
from torch import nn

from treesvsnets.bench.splits import plan
from treesvsnets.datasets import load
from treesvsnets.estimators.torch import TorchClassifier
from treesvsnets.estimators.torch.modules import conv_net, dense_net

EPOCHS, BATCH, LR = 30, 128, 1e-3


def make_module(architecture: str) -> nn.Module:
    if architecture == "dense":
        return dense_net(64, 10, hidden_units=(256, 128))
    return conv_net(
        (1, 8, 8), 10, channels=(32, 64), dense_units=128, dropout=0.25, batch_norm=False
    )


def minimal_loop(architecture: str, X: np.ndarray, y: np.ndarray, seed: int) -> nn.Module:
    """What a practitioner writes by hand: tensors in memory, index-sliced batches."""
    torch.manual_seed(seed)
    module = make_module(architecture)
    optimizer = torch.optim.Adam(module.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y.astype(np.int64))
    module.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(X_t))
        for start in range(0, len(X_t), BATCH):
            batch = order[start : start + BATCH]
            optimizer.zero_grad()
            loss = loss_fn(module(X_t[batch]), y_t[batch])
            loss.backward()
            optimizer.step()
    return module.eval()


def ours(architecture: str, X: np.ndarray, y: np.ndarray, seed: int) -> TorchClassifier:
    extra = {"image_shape": (1, 8, 8), "dropout": 0.25, "batch_norm": False}
    return TorchClassifier(
        architecture,
        epochs=EPOCHS,
        batch_size=BATCH,
        lr=LR,
        device="cpu",
        random_state=seed,
        **(extra if architecture == "cnn" else {}),
    ).fit(X, y)


def skorch_fit(architecture: str, X: np.ndarray, y: np.ndarray, seed: int):
    from skorch import NeuralNetClassifier

    torch.manual_seed(seed)
    net = NeuralNetClassifier(
        make_module(architecture),
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=LR,
        max_epochs=EPOCHS,
        batch_size=BATCH,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
    return net.fit(X.astype(np.float32), y.astype(np.int64))


def accuracy(model, X, y) -> float:
    if isinstance(model, nn.Module):
        with torch.no_grad():
            predicted = model(torch.from_numpy(X.astype(np.float32))).argmax(1).numpy()
    else:
        predicted = model.predict(X.astype(np.float32))
    return float(np.mean(predicted == y))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sides = {"minimal": minimal_loop, "ours": ours}
    try:
        import skorch  # noqa: F401

        sides["skorch"] = skorch_fit
    except ImportError:
        print("(skorch is not installed; pip install skorch to include it)")
    digits = load("digits")
    folds = []
    for fold in plan(digits, n_folds=5, seed=0).folds:
        scaler = StandardScaler().fit(digits.X[fold.train])
        folds.append(
            (
                scaler.transform(digits.X[fold.train]),
                digits.y[fold.train],
                scaler.transform(digits.X[fold.test]),
                digits.y[fold.test],
            )
        )
    for architecture in ("dense", "cnn"):
        for function in sides.values():  # untimed warm-up of every side
            function(architecture, folds[0][0][:256], folds[0][1][:256], 0)
        seconds = {name: [] for name in sides}
        scores = {name: [] for name in sides}
        for repeat in range(args.repeats):
            names = list(sides) if repeat % 2 == 0 else list(sides)[::-1]
            for name in names:
                start = time.perf_counter()
                for index, (X, y, X_test, y_test) in enumerate(folds):
                    model = sides[name](architecture, X, y, index)
                    scores[name].append(accuracy(model, X_test, y_test))
                seconds[name].append((time.perf_counter() - start) / len(folds))
        print(f"\n{architecture}: seconds per fold (median of {args.repeats}), mean accuracy")
        for name in sides:
            print(
                f"  {name:<8} {statistics.median(seconds[name]):7.3f} s   acc "
                f"{np.mean(scores[name]):.4f}"
            )
        for name in sides:
            if name == "ours":
                continue
            ratios = [o / r for o, r in zip(seconds["ours"], seconds[name], strict=True)]
            print(
                f"  ours / {name:<8} median {statistics.median(ratios):.3f} "
                f"(min {min(ratios):.3f}, max {max(ratios):.3f})"
            )


if __name__ == "__main__":
    main()
