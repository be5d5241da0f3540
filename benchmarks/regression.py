"""Regression: the harness against a hand-written ``cross_validate``, and TorchRegressor's loop
against a minimal hand-written PyTorch loop.

1. The harness. Every side is a whole process, timed from launch to exit, in rotating order,
   on diabetes and friedman1 (2,000 rows), 5 shuffled folds (seed 0), with the classical
   regressors (rf, gb, hgb, xgboost, lightgbm, stacking, ridge):

   * ``hand``: a script that loads the data with scikit-learn, draws ``KFold(5, shuffle=True,
     random_state=0)`` and calls ``cross_validate`` for each regressor, written as a
     practitioner would, with the same parameters, seeds and thread budget (2) as ours;
   * ``ours``: ``treesvsnets run -d diabetes -d friedman1 -e ... --no-baseline`` as a user
     types it (worker process, store, exports, manifest and reports).

   RMSEs must be identical fold for fold. Target: ours ÷ hand ≤ 1.10, as for classification.

2. The loop, in one process after an untimed warm-up per side: friedman1's 5 training folds,
   an MLP 256-128 with one output, MSE on the standardised target, Adam (fused, lr 1e-3),
   batch 128, 30 epochs, 2 threads, no validation slice. ``same`` is the minimal loop doing
   our arithmetic; ``ours`` is TorchRegressor. Target: ours ÷ same ≤ 1.05.

    python benchmarks/regression.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    Section,
    Spread,
    Target,
    finish,
    quiet_env,
    ratios,
    run_dirs,
    run_sides,
    same_scores_process_sides,
    table,
    treesvsnets_command,
)

DATASETS = ("diabetes", "friedman1")
ESTIMATORS = ("rf", "gb", "hgb", "xgboost", "lightgbm", "stacking", "ridge")
EPOCHS, BATCH, LR = 30, 128, 1e-3


def reference_regressors(seed: int, threads: int) -> dict:
    """The regressors written out by hand as a practitioner would, with our defaults."""
    from lightgbm import LGBMRegressor
    from sklearn.ensemble import (
        AdaBoostRegressor,
        BaggingRegressor,
        GradientBoostingRegressor,
        HistGradientBoostingRegressor,
        RandomForestRegressor,
    )
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeRegressor
    from xgboost import XGBRegressor

    from treesvsnets.estimators.stacking import PooledStackingRegressor

    def members() -> list:
        return [
            ("rf", RandomForestRegressor(n_estimators=100, random_state=seed, n_jobs=1)),
            (
                "bagging",
                BaggingRegressor(
                    DecisionTreeRegressor(), n_estimators=50, random_state=seed, n_jobs=1
                ),
            ),
            (
                "adaboost",
                AdaBoostRegressor(
                    DecisionTreeRegressor(max_depth=3),
                    n_estimators=100,
                    learning_rate=1.0,
                    random_state=seed,
                ),
            ),  # fmt: skip
            ("gb", GradientBoostingRegressor(random_state=seed)),
        ]

    return {
        "rf": RandomForestRegressor(n_estimators=100, random_state=seed, n_jobs=threads),
        "gb": GradientBoostingRegressor(
            n_estimators=100, learning_rate=0.1, max_depth=3, random_state=seed
        ),
        "hgb": HistGradientBoostingRegressor(
            max_iter=100, learning_rate=0.1, early_stopping=False, random_state=seed
        ),
        "xgboost": XGBRegressor(
            n_estimators=100,
            learning_rate=0.3,
            tree_method="hist",
            random_state=seed,
            n_jobs=threads,
        ),  # fmt: skip
        "lightgbm": LGBMRegressor(
            n_estimators=100, learning_rate=0.1, verbose=-1, random_state=seed, n_jobs=threads
        ),
        "stacking": PooledStackingRegressor(
            members(), final_estimator=RidgeCV(), cv=5, n_jobs=threads
        ),
        "ridge": make_pipeline(StandardScaler(), RidgeCV(alphas=(0.1, 1.0, 10.0))),
    }


def hand_main(scores_out: str) -> None:
    """The hand-written side: cross_validate per dataset and regressor, RMSE per fold."""
    from sklearn.datasets import load_diabetes, make_friedman1
    from sklearn.model_selection import KFold, cross_validate
    from threadpoolctl import threadpool_limits

    from treesvsnets.datasets.embedded import FRIEDMAN1

    data = {"diabetes": load_diabetes(return_X_y=True), "friedman1": make_friedman1(**FRIEDMAN1)}
    scores = {}
    with threadpool_limits(limits=2):
        estimators = reference_regressors(0, 2)
        for dataset in DATASETS:
            X, y = data[dataset]
            cv = KFold(n_splits=5, shuffle=True, random_state=0)
            for name in ESTIMATORS:
                result = cross_validate(
                    estimators[name], X, y, cv=cv, n_jobs=1, scoring="neg_root_mean_squared_error"
                )
                scores[f"{dataset}/{name}"] = (-result["test_score"]).tolist()
    Path(scores_out).write_text(json.dumps(scores))


def _ours_scores(out: Path) -> dict[str, list[float]]:
    import pandas as pd

    rows = pd.read_csv(run_dirs(out)[-1] / "results.csv").sort_values("fold")
    return {
        f"{dataset}/{name}": group["rmse"].tolist()
        for (dataset, name), group in rows.groupby(["dataset", "estimator"])
    }


def measure_harness(repeats: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="tvn-regression-"))
    scores_file, out = work / "hand.json", work / "ours"
    hand = [sys.executable, __file__, "--hand", "--scores-out", str(scores_file)]
    ours = [
        *treesvsnets_command(),
        "run",
        *(flag for name in DATASETS for flag in ("-d", name)),
        *(flag for name in ESTIMATORS for flag in ("-e", name)),
        "--out",
        str(out),
        "-q",
        "--no-baseline",
    ]
    walls, rmse = same_scores_process_sides(
        {
            "hand": (hand, lambda: json.loads(scores_file.read_text())),
            "ours": (ours, lambda: _ours_scores(out)),
        },
        repeats,
        quiet_env(),
    )
    return {"walls": walls, "rmse": {k: float(np.mean(v)) for k, v in rmse.items()}}


def loop_folds():
    from sklearn.preprocessing import StandardScaler

    from treesvsnets.bench.cells.splits import make_split_plan
    from treesvsnets.datasets import load

    friedman = load("friedman1")
    folds = []
    for fold in make_split_plan(friedman, n_folds=5, seed=0).folds:
        scaler = StandardScaler().fit(friedman.X[fold.train])
        folds.append(
            (
                scaler.transform(friedman.X[fold.train]),
                friedman.y[fold.train],
                scaler.transform(friedman.X[fold.test]),
                friedman.y[fold.test],
            )
        )
    return folds


def same_loop(X, y, seed, epochs=EPOCHS):
    """The minimal regression loop a practitioner writes, with ours's fused Adam: the target
    standardised, one output, MSE, index-sliced batches."""
    import torch
    from torch import nn

    from treesvsnets.estimators.torch.modules import dense_net

    torch.manual_seed(seed)
    mean, scale = float(y.mean()), float(y.std())
    module = dense_net(X.shape[1], 1, hidden_units=(256, 128))
    optimizer = torch.optim.Adam(module.parameters(), lr=LR, fused=True)
    loss_fn = nn.MSELoss()
    X_t = torch.from_numpy(X.astype(np.float32))
    y_t = torch.from_numpy(((y - mean) / scale).astype(np.float32))[:, None]
    module.train()
    for _ in range(epochs):
        order = torch.randperm(len(X_t))
        for start in range(0, len(X_t), BATCH):
            rows = order[start : start + BATCH]
            optimizer.zero_grad()
            loss = loss_fn(module(X_t[rows]), y_t[rows])
            loss.backward()
            optimizer.step()
    module.eval()
    return lambda X_test: (
        module(torch.from_numpy(X_test.astype(np.float32)))[:, 0].detach().numpy() * scale + mean
    )


def ours_loop(X, y, seed, epochs=EPOCHS):
    from treesvsnets.estimators.torch import TorchRegressor

    model = TorchRegressor(
        "dense", hidden_units=(256, 128), epochs=epochs, batch_size=BATCH, lr=LR, random_state=seed
    ).fit(X, y)
    return model.predict


def measure_loop(repeats: int) -> dict:
    import torch

    torch.set_num_threads(2)
    folds = loop_folds()
    sides = {"same": same_loop, "ours": ours_loop}
    for function in sides.values():
        function(folds[0][0][:256], folds[0][1][:256], 0, epochs=1)
    r2: dict[str, list[float]] = {name: [] for name in sides}

    def timed(name):
        from sklearn.metrics import r2_score

        started = time.perf_counter()
        for index, (X, y, X_test, y_test) in enumerate(folds):
            predict = sides[name](X, y, index)
            r2[name].append(r2_score(y_test, predict(X_test)))
        return (time.perf_counter() - started) / len(folds)

    seconds = run_sides({name: (lambda n=name: timed(n)) for name in sides}, repeats)
    return {"seconds": seconds, "r2": {name: float(np.mean(v)) for name, v in r2.items()}}


def render(harness: dict, loop: dict, repeats: int) -> Section:
    walls, seconds = harness["walls"], loop["seconds"]
    harness_ratio = ratios(walls["ours"], walls["hand"])
    loop_ratio = ratios(seconds["ours"], seconds["same"])
    rmse = ", ".join(f"{key} {value:.4g}" for key, value in harness["rmse"].items())
    markdown = "\n".join(
        [
            f"**The harness.** diabetes and friedman1 (2,000 rows), 5 shuffled folds, seed 0, "
            f"{', '.join(ESTIMATORS)}, {repeats} repeats in rotating order; whole processes "
            "timed from launch to exit; *by hand* is a script calling `cross_validate` with the "
            "same regressors, parameters, folds and 2 threads; *ours* is `treesvsnets run ... "
            f"--no-baseline`. RMSEs are identical fold for fold (mean: {rmse}).",
            "",
            table(
                ["side", "wall s", "÷ by hand"],
                [
                    ("hand-written `cross_validate`", Spread.of(walls["hand"]).show(1), "1"),
                    ("`treesvsnets run`", Spread.of(walls["ours"]).show(1), harness_ratio.show(3)),
                ],
            ),
            "",
            f"**The loop.** friedman1's 5 training folds, MLP 256-128 with one output, MSE on "
            f"the standardised target, fused Adam lr {LR}, batch {BATCH}, {EPOCHS} epochs, 2 "
            f"threads, no validation slice, one untimed warm-up per side, {repeats} repeats. "
            f"Mean test R²: same-arithmetic loop {loop['r2']['same']:.3f}, ours "
            f"{loop['r2']['ours']:.3f}.",
            "",
            table(
                ["loop", "s per fit", "÷ same arithmetic"],
                [
                    (
                        "minimal loop, fused Adam (same arithmetic)",
                        Spread.of(seconds["same"]).show(3),
                        "1",
                    ),
                    ("TorchRegressor", Spread.of(seconds["ours"]).show(3), loop_ratio.show(3)),
                ],
            ),  # fmt: skip
        ]
    )
    targets = [
        Target(
            "regression suite (diabetes + friedman1, 7 regressors): `treesvsnets run` ÷ by hand "
            "≤ 1.10",
            harness_ratio.show(3),
            harness_ratio.median <= 1.10,
        ),
        Target(
            "TorchRegressor's loop ÷ the same-arithmetic hand loop (friedman1 MLP) ≤ 1.05",
            loop_ratio.show(3),
            loop_ratio.median <= 1.05,
        ),
    ]
    return Section(
        "regression",
        markdown,
        {"harness": harness, "loop": loop},
        f"python benchmarks/regression.py --repeats {repeats}",
        targets,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hand", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scores-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hand:
        hand_main(args.scores_out)
        return
    loop = measure_loop(args.repeats)
    harness = measure_harness(args.repeats)
    finish(render(harness, loop, args.repeats))


if __name__ == "__main__":
    main()
