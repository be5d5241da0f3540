"""What a cell is and what it fits on, before anything runs.

:class:`Cell` says how to run one (dataset, estimator, seed, fold); :func:`cell_identity`
starts its row, once, in the harness; :func:`build` makes its unfitted estimator and per-fold
preprocessor; :func:`fit_inputs` (and :func:`fit_data`, which a trial shares) gives the
fold's fit rows preprocessed on themselves and the validation slice an early-stopping
estimator receives. :mod:`.cell` runs it.

A :class:`Cell` holds its dataset, estimator, seed and fold, and how to run it: its
parameters, device, class weight, resampling (:func:`resampling`, applied by
:func:`fit_data` after the preprocessing, to the fit rows only), thread budget and
verbosity. :func:`cell_overrides` adds to the user's parameters what the dataset and the
cell decide: ``image_shape``, ``sequence_shape``, ``n_categorical`` for an estimator with
``native_categorical``, the device for one that uses a GPU (and a checkpoint path in the run
folder). The spec a cell gets is already its dataset's task's; one of another task is
refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from treesvsnets.bench.cells.splits import SplitPlan
from treesvsnets.datasets.base import Dataset, class_weight_codes
from treesvsnets.datasets.preprocessing import (
    describe_preprocessing,
    make_preprocessor,
    resolve_preprocessing,
)
from treesvsnets.datasets.resampling import Resampling, resampled_size
from treesvsnets.errors import ConfigError
from treesvsnets.estimators.base import EstimatorSpec
from treesvsnets.results.folder import path_part
from treesvsnets.results.row import CellIdentity


@dataclass(frozen=True)
class Cell:
    """A plain, picklable description of how to run one unit of work."""

    dataset: str
    estimator: str
    seed: int
    fold: int
    threads: int | None = 1  # None: decided where it runs (a Dask worker's share of cores)
    params: Mapping[str, Any] = field(default_factory=dict)
    device: str = "auto"  # for estimators that can use a GPU
    class_weight: str | None = None  # "balanced": classes weighed by inverse training frequency
    resample: str = "none"  # over, under, smote: the fit rows resampled (datasets.resampling)
    verbose: bool = False  # nets print an epoch line now and then during long fits

    @property
    def key(self) -> tuple[str, str, int, int]:
        return (self.dataset, self.estimator, self.seed, self.fold)


def cell_overrides(
    spec: EstimatorSpec, cell: Cell, dataset: Dataset, artifacts_dir: Path | None = None
) -> dict[str, Any]:
    """The user's parameters plus what the cell's context decides (image shape, device...)."""
    overrides = dict(cell.params)
    if isinstance(overrides.get("class_weight"), dict) and dataset.class_names:
        where = f"estimator {spec.name!r} on dataset {dataset.name!r}"
        weights = class_weight_codes(overrides["class_weight"], dataset.class_names, where)
        overrides["class_weight"] = weights  # the labels as the estimator sees them: codes
    if "needs_images" in spec.capabilities and "image_shape" not in overrides:
        overrides["image_shape"] = dataset.image_shape
    if "needs_sequences" in spec.capabilities and "sequence_shape" not in overrides:
        overrides["sequence_shape"] = dataset.sequence_shape
    if "native_categorical" in spec.capabilities and "n_categorical" not in overrides:
        overrides["n_categorical"] = n_categorical(dataset)
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
        name = path_part(f"{dataset.name}-{spec.name}-seed{cell.seed}-fold{cell.fold}.pt")
        overrides["checkpoint"] = str(artifacts_dir / "checkpoints" / name)
    return overrides


def n_categorical(dataset: Dataset) -> int:
    """How many columns, at the end of a preprocessed row, are category codes for an estimator
    that takes categories natively (a table's categorical columns; 0 for other datasets)."""
    return len(dataset.schema.categorical) if dataset.schema is not None else 0


def uses_validation_slice(spec: EstimatorSpec, split_plan: SplitPlan, fold: int) -> bool:
    """Whether the estimator fits on the fold less the validation slice (and early-stops on it)."""
    return "early_stopping" in spec.capabilities and len(split_plan.folds[fold].val) > 0


def check_task(spec: EstimatorSpec, dataset: Dataset) -> None:
    """Refuse a spec of another task than the dataset's (a cell gets the spec of its dataset's
    task from the registry, ``get(name, dataset.task)``, and never converts one)."""
    if spec.task != dataset.task:
        raise ValueError(
            f"the {spec.task} spec of estimator {spec.name!r} cannot run on dataset "
            f"{dataset.name!r}, a {dataset.task} dataset; use its {dataset.task} spec."
        )


def cell_identity(
    cell: Cell,
    spec: EstimatorSpec,
    dataset: Dataset,
    split_plan: SplitPlan,
    *,
    run_id: str,
    jobs: int | None = None,
    time_limit_s: float | None = None,
    memory_limit_mb: float | None = None,
) -> CellIdentity:
    """What is known about a cell before it runs: the start of its row, built once by the
    harness (a row of a cell that never reports back has the same identity)."""
    check_task(spec, dataset)
    fold = split_plan.folds[cell.fold]
    early_stops = uses_validation_slice(spec, split_plan, cell.fold)
    fitted = fit_rows(spec, split_plan, cell.fold)
    return CellIdentity(
        run_id=run_id,
        dataset=dataset.name,
        dataset_fingerprint=dataset.fingerprint,
        estimator=spec.name,
        family=spec.family,
        task=dataset.task,
        preprocessing=describe_preprocessing(
            spec.preprocessing, dataset, "native_categorical" in spec.capabilities
        ),
        seed=cell.seed,
        fold=cell.fold,
        n_folds=split_plan.n_folds,
        split_hash=split_plan.hash,
        n_train=resampled_size(dataset.y[fitted], cell.resample),
        n_val=len(fold.val) if early_stops else 0,
        n_test=len(fold.test),
        threads=cell.threads,
        jobs=jobs,
        time_limit_s=time_limit_s,
        memory_limit_mb=memory_limit_mb,
        resample=cell.resample,
        n_before_resample=None if cell.resample == "none" else len(fitted),
    )


def build(
    spec: EstimatorSpec, cell: Cell, dataset: Dataset, artifacts_dir: Path | None = None
) -> tuple[Any, Any | None]:
    """The cell's unfitted estimator and its per-fold preprocessor (None when it has none)."""
    check_task(spec, dataset)
    return construct(spec, cell, dataset, cell_overrides(spec, cell, dataset, artifacts_dir))


def construct(
    spec: EstimatorSpec, cell: Cell, dataset: Dataset, overrides: dict[str, Any]
) -> tuple[Any, Any | None]:
    estimator = spec.build(overrides, seed=cell.seed, threads=cell.threads)
    preprocessor = make_preprocessor(
        resolve_preprocessing(spec.preprocessing, dataset.image_shape),
        dataset.schema,
        "native_categorical" in spec.capabilities,
    )
    return estimator, preprocessor


def fit_rows(spec: EstimatorSpec, split_plan: SplitPlan, fold_index: int) -> np.ndarray:
    """The rows the estimator fits on: the training fold, less the validation slice if it
    early-stops on it."""
    fold = split_plan.folds[fold_index]
    return fold.fit if uses_validation_slice(spec, split_plan, fold_index) else fold.train


def resampling(spec: EstimatorSpec, cell: Cell, dataset: Dataset) -> Resampling | None:
    """How the cell resamples its fit rows (None: it does not), seeded by its seed; the
    category codes an estimator takes natively are SMOTENC's categories."""
    if cell.resample == "none":
        return None
    native = "native_categorical" in spec.capabilities
    return Resampling(cell.resample, cell.seed, n_categorical(dataset) if native else 0)


def fit_inputs(
    spec: EstimatorSpec,
    dataset: Dataset,
    split_plan: SplitPlan,
    cell: Cell,
    preprocessor: Any | None,
) -> tuple[Any, np.ndarray, tuple[Any, np.ndarray] | None]:
    """(X, y, validation_data): the cell's fold's fit rows, preprocessed on themselves (and
    resampled, with ``cell.resample``), and the slice.

    An estimator that can early-stop fits on the training fold less the plan's
    validation slice and receives the slice; the others fit on the whole
    training fold. The preprocessing is fitted on exactly the rows fitted on.
    """
    early_stops = uses_validation_slice(spec, split_plan, cell.fold)
    fold = split_plan.folds[cell.fold]
    return fit_data(
        dataset,
        fit_rows(spec, split_plan, cell.fold),
        fold.val if early_stops else None,
        preprocessor,
        resampling(spec, cell, dataset),
    )


def fit_data(
    dataset: Dataset,
    fit_rows: np.ndarray,
    val_rows: np.ndarray | None,
    preprocessor: Any | None,
    resample: Resampling | None = None,
) -> tuple[Any, np.ndarray, tuple[Any, np.ndarray] | None]:
    """(X, y, validation_data) of ``fit_rows``, the preprocessor fitted on them alone (then,
    with ``resample``, those rows resampled), and ``val_rows`` transformed by it and never
    resampled (None: no validation data)."""
    X_fit, y_fit = dataset.rows(fit_rows), dataset.y[fit_rows]
    if preprocessor is not None:  # the labels too: a target encoder learns from them
        X_fit = preprocessor.fit_transform(X_fit, y_fit)
    if resample is not None:  # after the preprocessing: its statistics come from real rows
        X_fit, y_fit = resample.apply(X_fit, y_fit)
    validation = None
    if val_rows is not None:
        X_val = dataset.rows(val_rows)
        if preprocessor is not None:
            X_val = preprocessor.transform(X_val)
        validation = (X_val, dataset.y[val_rows])
    return X_fit, y_fit, validation
