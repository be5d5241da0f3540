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
from pathlib import Path
from typing import Any

import numpy as np

from treesvsnets.bench.measure import Stopwatch, peak_memory
from treesvsnets.bench.metrics import align_proba, score
from treesvsnets.bench.splits import SplitPlan
from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.preprocessing import make_preprocessor, resolve_preprocessing
from treesvsnets.errors import ConfigError
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
    device: str = "auto"  # for estimators that can use a GPU
    verbose: bool = False  # nets print an epoch line now and then during long fits

    @property
    def key(self) -> tuple[str, str, int, int]:
        return (self.dataset, self.estimator, self.seed, self.fold)


@dataclass
class CellOutcome:
    row: dict[str, Any]
    model: Any | None = None  # the fitted model (behind its preprocessing), None on failure


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    message = " ".join(line.strip() for line in text)
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 3] + "..."


def cell_overrides(
    spec: EstimatorSpec, cell: Cell, dataset: Dataset, artifacts_dir: Path | None = None
) -> dict[str, Any]:
    """The user's parameters plus what the cell's context decides (image shape, device...)."""
    overrides = dict(cell.params)
    if "needs_images" in spec.capabilities and "image_shape" not in overrides:
        overrides["image_shape"] = dataset.image_shape
    if "uses_gpu" in spec.capabilities and "device" not in overrides:
        overrides["device"] = cell.device
    if (
        cell.verbose
        and getattr(spec.factory, "reports_epochs", False)
        and "verbose" not in overrides
    ):
        overrides["verbose"] = 1
    if overrides.get("checkpoint") is True:
        if artifacts_dir is None:
            raise ConfigError("checkpoint=true needs a run folder to write the checkpoint to.")
        name = f"{dataset.name}-{spec.name}-seed{cell.seed}-fold{cell.fold}.pt"
        overrides["checkpoint"] = str(artifacts_dir / "checkpoints" / name)
    return overrides


def with_preprocessing(preprocessor: Any | None, estimator: Any) -> Any:
    """``estimator`` behind ``preprocessor`` as one Pipeline (or alone when there is none)."""
    if preprocessor is None:
        return estimator
    from sklearn.pipeline import Pipeline

    return Pipeline([("preprocess", preprocessor), ("model", estimator)])


def build_model(spec: EstimatorSpec, cell: Cell, dataset: Dataset | None = None) -> Any:
    """The unfitted estimator of ``cell`` behind its per-fold preprocessing."""
    overrides = cell_overrides(spec, cell, dataset) if dataset is not None else cell.params
    estimator = spec.build(overrides, seed=cell.seed, threads=cell.threads)
    image_shape = dataset.image_shape if dataset is not None else None
    preprocessing = resolve_preprocessing(spec.preprocessing, image_shape)
    return with_preprocessing(make_preprocessor(preprocessing), estimator)


def _estimator_facts(estimator: Any) -> dict[str, Any]:
    """What a fitted estimator may report about itself (nets: device, history, GPU memory)."""
    facts: dict[str, Any] = {}
    if getattr(estimator, "device_", None):
        facts["device"] = estimator.device_
    if getattr(estimator, "history_", None) is not None:
        facts["history"] = json.dumps(estimator.history_)
    if getattr(estimator, "peak_gpu_memory_mb_", None) is not None:
        facts["peak_gpu_mb"] = estimator.peak_gpu_memory_mb_
    if getattr(estimator, "warmup_seconds_", None) is not None:
        facts["warmup_seconds"] = estimator.warmup_seconds_
    return facts


def run_cell(
    cell: Cell,
    spec: EstimatorSpec,
    dataset: Dataset,
    split_plan: SplitPlan,
    *,
    run_id: str,
    artifacts_dir: Path | None = None,
) -> CellOutcome:
    """Fit on the training fold, predict the test fold, and describe what happened.

    An estimator that can early-stop fits on the training fold less the plan's
    validation slice and receives the slice as ``validation_data``; the others
    fit on the whole training fold. The preprocessing is fitted on exactly the
    rows the estimator fits on, then applied to the slice and the test fold.
    """
    from threadpoolctl import threadpool_limits

    fold = split_plan.folds[cell.fold]
    early_stops = "early_stopping" in spec.capabilities and len(fold.val) > 0
    fit_rows = fold.fit if early_stops else fold.train
    X_fit, y_fit = dataset.X[fit_rows], dataset.y[fit_rows]
    X_test, y_test = dataset.X[fold.test], dataset.y[fold.test]
    row: dict[str, Any] = {
        "run_id": run_id,
        "dataset": dataset.name,
        "dataset_fingerprint": dataset.fingerprint,
        "estimator": spec.name,
        "family": spec.family,
        "preprocessing": resolve_preprocessing(spec.preprocessing, dataset.image_shape),
        "seed": cell.seed,
        "fold": cell.fold,
        "n_folds": split_plan.n_folds,
        "split_hash": split_plan.hash,
        "status": "ok",
        "n_train": len(fit_rows),
        "n_val": len(fold.val) if early_stops else 0,
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
                overrides = cell_overrides(spec, cell, dataset, artifacts_dir)
                row["params"] = json.dumps(
                    spec.resolve_params(overrides, seed=cell.seed, threads=cell.threads),
                    sort_keys=True,
                    default=str,
                )
                estimator = spec.build(overrides, seed=cell.seed, threads=cell.threads)
                preprocessor = make_preprocessor(row["preprocessing"])
                if hasattr(estimator, "warm_up"):  # pays a library's cold start outside fit
                    estimator.warm_up(X_fit[:256], y_fit[:256])
            fit_kwargs: dict[str, Any] = {}
            with clock.time("fit"):
                if preprocessor is not None:
                    X_fit = preprocessor.fit_transform(X_fit)
                if early_stops:
                    X_val = dataset.X[fold.val]
                    if preprocessor is not None:
                        X_val = preprocessor.transform(X_val)
                    fit_kwargs["validation_data"] = (X_val, dataset.y[fold.val])
                estimator.fit(X_fit, y_fit, **fit_kwargs)
            with clock.time("predict"):
                X_ready = X_test if preprocessor is None else preprocessor.transform(X_test)
                y_pred = np.asarray(estimator.predict(X_ready))
            proba = None
            if hasattr(estimator, "predict_proba"):
                proba = align_proba(
                    estimator.predict_proba(X_ready), estimator.classes_, dataset.n_classes
                )
            row.update(score(y_test, y_pred, proba, dataset.n_classes))
            row.update(_estimator_facts(estimator))
            model = with_preprocessing(preprocessor, estimator)
        except MemoryError as exc:
            row.update(status="oom", error=_one_line(exc), traceback=traceback.format_exc())
        except Exception as exc:  # noqa: BLE001 - a failing estimator must not stop the run
            row.update(status="error", error=_one_line(exc), traceback=traceback.format_exc())
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
