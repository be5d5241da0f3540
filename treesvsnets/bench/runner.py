"""Run one cell: (dataset, estimator, seed, fold) -> one result row.

This is scikit-learn's ``_fit_and_score`` plus what a benchmark needs: the
preprocessing fitted inside the training fold, fit and predict timed apart,
per-cell peak memory, an explicit thread budget, and a row with status
``error`` (and the message) instead of an exception when the estimator fails.
"""

from __future__ import annotations

import json
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from treesvsnets.bench.measure import Stopwatch, peak_memory
from treesvsnets.bench.metrics import align_proba, score
from treesvsnets.bench.splits import SplitPlan
from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.preprocessing import make_preprocessor
from treesvsnets.estimators.base import EstimatorSpec

_MAX_MESSAGE = 500


@dataclass(frozen=True)
class Cell:
    """A plain, picklable description of one unit of work."""

    dataset: str
    estimator: str
    seed: int
    fold: int
    threads: int = 1
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, int, int]:
        return (self.dataset, self.estimator, self.seed, self.fold)


@dataclass
class CellOutcome:
    row: dict[str, Any]
    model: Any | None = None  # the fitted pipeline, None when the cell failed


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    message = " ".join(line.strip() for line in text)
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 3] + "..."


def build_model(spec: EstimatorSpec, cell: Cell) -> Any:
    """The estimator of ``cell``, behind its per-fold preprocessing when it has one."""
    estimator = spec.build(cell.params, seed=cell.seed, threads=cell.threads)
    preprocessor = make_preprocessor(spec.preprocessing)
    if preprocessor is None:
        return estimator
    from sklearn.pipeline import Pipeline

    return Pipeline([("preprocess", preprocessor), ("model", estimator)])


def run_cell(
    cell: Cell, spec: EstimatorSpec, dataset: Dataset, split_plan: SplitPlan, *, run_id: str
) -> CellOutcome:
    """Fit on the training fold, predict the test fold, and describe what happened."""
    from threadpoolctl import threadpool_limits

    fold = split_plan.folds[cell.fold]
    X_train, y_train = dataset.X[fold.train], dataset.y[fold.train]
    X_test, y_test = dataset.X[fold.test], dataset.y[fold.test]
    params = spec.resolve_params(cell.params, seed=cell.seed, threads=cell.threads)
    row: dict[str, Any] = {
        "run_id": run_id,
        "dataset": dataset.name,
        "dataset_fingerprint": dataset.fingerprint,
        "estimator": spec.name,
        "family": spec.family,
        "params": json.dumps(params, sort_keys=True, default=str),
        "preprocessing": spec.preprocessing,
        "seed": cell.seed,
        "fold": cell.fold,
        "n_folds": split_plan.n_folds,
        "split_hash": split_plan.hash,
        "status": "ok",
        "n_train": len(fold.train),
        "n_val": 0,
        "n_test": len(fold.test),
        "device": "cpu",
        "threads": cell.threads,
        "started_at": _now(),
    }
    clock = Stopwatch()
    model = None
    with (
        peak_memory() as memory,
        threadpool_limits(limits=cell.threads),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        try:
            with clock.time("setup"):
                model = build_model(spec, cell)
            with clock.time("fit"):
                model.fit(X_train, y_train)
            with clock.time("predict"):
                y_pred = np.asarray(model.predict(X_test))
            proba = None
            if hasattr(model, "predict_proba"):
                proba = align_proba(model.predict_proba(X_test), model.classes_, dataset.n_classes)
            row.update(score(y_test, y_pred, proba, dataset.n_classes))
        except MemoryError as exc:
            row.update(status="oom", error=_one_line(exc), traceback=traceback.format_exc())
            model = None
        except Exception as exc:  # noqa: BLE001 - a failing estimator must not stop the run
            row.update(status="error", error=_one_line(exc), traceback=traceback.format_exc())
            model = None
    row.update(
        setup_seconds=clock.seconds.get("setup"),
        fit_seconds=clock.seconds.get("fit"),
        predict_seconds=clock.seconds.get("predict"),
        peak_rss_mb=memory.peak_rss_mb,
        ended_at=_now(),
    )
    if row["predict_seconds"] is not None and len(fold.test):
        row["predict_ms_per_1k"] = row["predict_seconds"] * 1000 * 1000 / len(fold.test)
    if caught:
        messages = sorted(
            {f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught}
        )
        row["warnings"] = "; ".join(messages)[:_MAX_MESSAGE]
    return CellOutcome(row=row, model=model)
