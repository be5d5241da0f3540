"""Result rows built from scores, for the cross-dataset tables' tests: the columns a run's rows
carry that aggregation reads, with known scores."""

from __future__ import annotations

import pandas as pd

#: the family of each estimator name these tests use
FAMILIES = {"dummy": "baseline", "mlp": "deep", "cnn": "deep", "logreg": "linear"}


def score_rows(scores: dict[str, dict[str, list[float]]], n_rows: int = 250) -> pd.DataFrame:
    """Classification rows from {dataset: {estimator: [accuracy per fold]}}; NaN is a failed
    cell. An estimator's family is :data:`FAMILIES`' (tree ensembles otherwise)."""
    records = []
    for dataset, by_estimator in scores.items():
        for estimator, folds in by_estimator.items():
            for fold, value in enumerate(folds):
                failed = value != value
                records.append(
                    {
                        "estimator": estimator,
                        "tuning": "default",
                        "family": FAMILIES.get(estimator, "ensemble"),
                        "dataset": dataset,
                        "task": "classification",
                        "seed": 0,
                        "fold": fold,
                        "status": "error" if failed else "ok",
                        "accuracy": None if failed else value,
                        "fit_seconds": None if failed else 1.0,
                        "predict_seconds": None if failed else 0.2,
                        "n_train": int(n_rows * 0.8),
                        "n_val": 0,
                        "n_test": n_rows - int(n_rows * 0.8),
                    }
                )
    return pd.DataFrame(records)
