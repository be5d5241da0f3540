"""Run one cell: (dataset, estimator, seed, fold) -> one result row.

This is scikit-learn's ``_fit_and_score`` plus what a benchmark needs: the
preprocessing fitted inside the training fold, fit and predict timed apart,
per-cell peak memory, an explicit thread budget, and a row with status
``error`` (and the message) instead of an exception when the estimator fails.

:func:`run_cell` fits one fold's model; :func:`run_fold_group` fits several folds' models
together (``--fold-parallel``). Both are :func:`_run_cells`: the same setup, warm-up,
preprocessing, prediction and scoring, with one fit step or the other. What a cell is and
what it fits on (:class:`~.inputs.Cell`, its estimator, its fit rows) is :mod:`.inputs`.

The fit step is :func:`fit_one` (``estimator.fit``) or, for ``--fold-parallel``, the
estimator class's ``fit_together``. Setup, warm-up, fit inputs, fit, predict, score, times,
memory, the warnings raised and any error are recorded on the cell's Measurement.
:func:`balance_classes` weighs the classes for ``class_weight = "balanced"``, through the
estimator's ``class_weight`` or else ``sample_weight`` in ``fit``.
"""

from __future__ import annotations

import json
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from treesvsnets.bench.cells.facts import estimator_facts, json_value
from treesvsnets.bench.cells.failures import MAX_MESSAGE, its_own_failure, one_line
from treesvsnets.bench.cells.inputs import (
    Cell,
    cell_identity,
    cell_overrides,
    construct,
    fit_inputs,
    fit_rows,
)
from treesvsnets.bench.cells.measure import Stopwatch, peak_memory
from treesvsnets.bench.cells.metrics import (
    align_proba,
    kept_probabilities,
    predict_and_proba,
    probabilities_agreeing,
    regression_score,
    score,
)
from treesvsnets.bench.cells.splits import SplitPlan
from treesvsnets.bench.cells.thread_limits import limited_threads
from treesvsnets.datasets.base import Dataset
from treesvsnets.errors import ConfigError, DivergenceWarning
from treesvsnets.estimators.base import EstimatorSpec
from treesvsnets.results.row import CellIdentity, Measurement, now, result_row

#: a warning's first line is cut to this many characters in the row's list of them
_MAX_EACH = 150


@dataclass
class CellOutcome:
    identity: CellIdentity
    measurement: Measurement
    model: Any | None = None  # the fitted model (behind its preprocessing), None on failure

    @property
    def row(self) -> dict[str, Any]:
        return result_row(self.identity, self.measurement)


def balance_classes(estimator: Any, y: np.ndarray, fit_kwargs: dict[str, Any]) -> str:
    """Weigh classes inversely to their frequency in ``y``, the way ``estimator`` allows.

    Through its ``class_weight`` parameter when it has one, else through
    ``sample_weight`` in ``fit``; an estimator with neither trains unweighted,
    with a warning on its row. Returns what the row's ``class_weight`` says.
    """
    from sklearn.utils.class_weight import compute_sample_weight
    from sklearn.utils.validation import has_fit_parameter

    if "class_weight" in estimator.get_params(deep=False):
        estimator.set_params(class_weight="balanced")
        return "balanced"
    if has_fit_parameter(estimator, "sample_weight"):
        fit_kwargs["sample_weight"] = compute_sample_weight("balanced", y)
        return "balanced (sample_weight)"
    warnings.warn(
        f"{type(estimator).__name__} takes neither class_weight nor sample_weight; "
        "it trained without class weights",
        stacklevel=2,
    )
    return "unsupported"


def with_preprocessing(preprocessor: Any | None, estimator: Any) -> Any:
    """``estimator`` behind ``preprocessor`` as one Pipeline (or alone when there is none)."""
    if preprocessor is None:
        return estimator
    from sklearn.pipeline import Pipeline

    return Pipeline([("preprocess", preprocessor), ("model", estimator)])


def _setup(
    spec: EstimatorSpec,
    cell: Cell,
    dataset: Dataset,
    measurement: Measurement,
    artifacts_dir: Path | None,
) -> tuple[Any, Any | None]:
    """:func:`build`, recording the resolved params on the measurement."""
    overrides = cell_overrides(spec, cell, dataset, artifacts_dir)
    # the epoch lines a run with progress asks of a net change nothing it computes: not
    # recorded, so a run with -q and one without have the same params
    recorded = {k: v for k, v in overrides.items() if k != "verbose" or k in cell.params}
    measurement.params = json.dumps(
        spec.resolve_params(recorded, seed=cell.seed, threads=cell.threads),
        sort_keys=True,
        default=json_value,
    )
    return construct(spec, cell, dataset, overrides)


def _warm_up(estimator: Any, preprocessor: Any | None, dataset: Dataset, rows: np.ndarray) -> None:
    """Pay a library's cold start (torch's kernels, a CUDA context) outside the fit clock,
    on the first 256 of ``rows`` and the first row of each class (only those are read: a
    file sorted by its classes starts with one class, which no classifier fits on)."""
    from sklearn.base import clone

    if hasattr(estimator, "warm_up"):
        picked = rows[:256]
        if not dataset.is_regression:
            _, first = np.unique(dataset.y[rows], return_index=True)
            picked = np.union1d(picked, rows[first])
        sample, labels = dataset.rows(picked), dataset.y[picked]
        if preprocessor is not None:
            sample = clone(preprocessor).fit_transform(sample, labels)
        estimator.warm_up(sample, labels)


def _predict_and_score(
    estimator: Any,
    preprocessor: Any | None,
    dataset: Dataset,
    test_rows: np.ndarray,
    measurement: Measurement,
    clock: Stopwatch,
    argmax: bool,
) -> None:
    """Predict the test fold (timed) and record the scores (and, with probabilities, what the
    row keeps of them for the report's curves). ``argmax``: the spec's ``argmax_predict``
    capability (its labels are read from one ``predict_proba``, and that call is timed)."""
    X_test, y_test = dataset.rows(test_rows), dataset.y[test_rows]
    has_proba = not dataset.is_regression and hasattr(estimator, "predict_proba")
    one_call = argmax and has_proba  # the labels from the probabilities, predict not called
    with clock.time("predict"):
        X_ready = X_test if preprocessor is None else preprocessor.transform(X_test)
        y_pred, proba = predict_and_proba(
            estimator, X_ready, dataset.n_classes, proba=one_call, argmax=one_call
        )
    if dataset.is_regression:
        _check_finite(y_pred, "predictions", measurement)
        measurement.record(**regression_score(y_test, y_pred))
        return
    if has_proba:
        if proba is None:
            raw = estimator.predict_proba(X_ready)
            proba = align_proba(raw, estimator.classes_, dataset.n_classes, len(y_pred))
            proba = probabilities_agreeing(proba, y_pred)
        _check_finite(proba, "predicted probabilities", measurement)
    measurement.record(**score(y_test, y_pred, proba, dataset.n_classes))
    if proba is not None:
        measurement.record(predictions=kept_probabilities(y_test, proba))


def _check_finite(values: np.ndarray, what: str, measurement: Measurement) -> None:
    """Refuse NaN or infinite predictions with one sentence (saying how the net diverged,
    when it did), rather than the scorer's "Input contains NaN"."""
    values = np.asarray(values)
    if not np.issubdtype(values.dtype, np.number):
        return
    bad = int((~np.isfinite(values)).any(axis=tuple(range(1, values.ndim))).sum())
    if bad:
        why = f" (the net {measurement.diverged})" if measurement.diverged else ""
        raise ValueError(f"{bad} of {len(values)} {what} are not finite{why}.")


def _record_failure(measurement: Measurement, exc: BaseException) -> None:
    measurement.record(
        status="oom" if isinstance(exc, MemoryError) else "error",
        error=one_line(exc),
        traceback=traceback.format_exc(),
    )


def _close(
    measurement: Measurement,
    seconds: dict[str, float],
    peak_rss_mb: float | None,
    n_test: int,
    caught: list[warnings.WarningMessage],
) -> None:
    """The measurement's timings, memory, end time and the warnings raised during the cell."""
    measurement.record(
        setup_seconds=seconds.get("setup"),
        fit_seconds=seconds.get("fit"),
        predict_seconds=seconds.get("predict"),
        peak_rss_mb=peak_rss_mb,
        ended_at=now(),
    )
    if measurement.predict_seconds is not None and n_test:
        measurement.predict_ms_per_1k = measurement.predict_seconds * 1000 * 1000 / n_test
    # a divergence is the fitted estimator's own (diverged_): folds fitted together share
    # their warnings, so the row says its own fold's, first
    messages = sorted(  # each cut short, so that a long one leaves room for the others
        {
            f"{w.category.__name__}: {(str(w.message).splitlines() or [''])[0][:_MAX_EACH]}"
            for w in caught
            if not issubclass(w.category, DivergenceWarning)
        }
    )
    if measurement.diverged:
        messages.insert(0, measurement.diverged)
    if messages:
        measurement.warnings = "; ".join(messages)[:MAX_MESSAGE]


@contextmanager
def _recording_warnings() -> Iterator[list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        # each warning once per place it is raised from, as Python's default shows them: a fit
        # warning a million times was charged 5 s and 360 MB of records ("always")
        warnings.simplefilter("default")
        yield caught


#: (spec, estimators, fit inputs of each, their measurements) -> why the folds were not
#: fitted together (None when they were, or for a single cell)
FitStep = Callable[[EstimatorSpec, list[Any], list[tuple], list[Measurement]], str | None]


def fit_one(
    spec: EstimatorSpec, estimators: list[Any], data: list[tuple], measurements: list[Measurement]
) -> None:
    """One cell's fit, its classes weighed through ``class_weight`` or ``sample_weight``."""
    (estimator,), ((X_fit, y_fit, validation),), (measurement,) = estimators, data, measurements
    fit_kwargs: dict[str, Any] = {}
    if measurement.class_weight == "balanced":
        measurement.class_weight = balance_classes(estimator, y_fit, fit_kwargs)
    if validation is not None:
        fit_kwargs["validation_data"] = validation
    estimator.fit(X_fit, y_fit, **fit_kwargs)
    return None


def _fit_together(
    spec: EstimatorSpec, estimators: list[Any], data: list[tuple], measurements: list[Measurement]
) -> str | None:
    """Several folds' models fitted at once by the estimator class's ``fit_together``."""
    fit_together = getattr(type(estimators[0]), "fit_together", None)
    if fit_together is None:
        raise ConfigError(
            f"estimator {spec.name!r} declares the fold_parallel capability, but "
            f"{type(estimators[0]).__name__} has no fit_together classmethod."
        )
    if measurements[0].class_weight == "balanced":
        for estimator, measurement, (_, y_fit, _) in zip(
            estimators, measurements, data, strict=True
        ):
            fit_kwargs: dict[str, Any] = {}
            measurement.class_weight = balance_classes(estimator, y_fit, fit_kwargs)
            if fit_kwargs:
                raise ConfigError(
                    f"{type(estimator).__name__} takes class weights only as sample_weight, "
                    "which fit_together does not pass; run it without --fold-parallel."
                )
    return fit_together(estimators, data)


def _fit_cells(
    cells: list[Cell],
    spec: EstimatorSpec,
    dataset: Dataset,
    split_plan: SplitPlan,
    artifacts_dir: Path | None,
    fit_step: FitStep,
    measurements: list[Measurement],
    clock: Stopwatch,
) -> tuple[list[tuple[Any, Any | None]], str | None]:
    """Set up each cell's estimator and preprocessing and warm up (``clock``'s setup), prepare
    each fold's fit inputs and fit (its fit); then record what each fitted estimator says
    of itself (a net's history, device, and whether it diverged), kept even when its
    prediction fails. Returns the built (estimator, preprocessor) pairs, and why the folds
    were not fitted together (None when they were, or for a single cell)."""
    with clock.time("setup"):
        built = [
            _setup(spec, cell, dataset, measurement, artifacts_dir)
            for cell, measurement in zip(cells, measurements, strict=True)
        ]
        _warm_up(*built[0], dataset, fit_rows(spec, split_plan, cells[0].fold))
    with clock.time("fit"):
        data = [
            fit_inputs(spec, dataset, split_plan, cell, preprocessor)
            for cell, (_, preprocessor) in zip(cells, built, strict=True)
        ]
        reason = fit_step(spec, [estimator for estimator, _ in built], data, measurements)
    for (estimator, _), measurement in zip(built, measurements, strict=True):
        measurement.record(**estimator_facts(estimator))
    if reason is not None:
        warnings.warn(f"the folds were fitted one after another: {reason}", stacklevel=3)
    return built, reason


def _run_cells(
    cells: list[Cell],
    identities: list[CellIdentity],
    spec: EstimatorSpec,
    dataset: Dataset,
    split_plan: SplitPlan,
    artifacts_dir: Path | None,
    fit_step: FitStep,
) -> list[CellOutcome]:
    """Set up each cell's estimator and preprocessing, warm up, prepare each fold's fit
    inputs and fit (one clock over all of it, shared among the cells), then predict and score
    each fold on its own. A failure before predicting fails every cell; a failure while
    predicting fails that cell's row only. ``spec`` is the dataset's task's."""
    started_at = now()
    outcomes = [
        CellOutcome(
            identity, Measurement(class_weight=cell.class_weight or "none", started_at=started_at)
        )
        for cell, identity in zip(cells, identities, strict=True)
    ]
    measurements = [outcome.measurement for outcome in outcomes]
    argmax = "argmax_predict" in spec.capabilities
    clock = Stopwatch()
    built: list[tuple[Any, Any | None]] = []
    reason: str | None = None
    with peak_memory() as memory, limited_threads(cells[0].threads):
        with _recording_warnings() as shared_warnings:
            try:
                built, reason = _fit_cells(
                    cells, spec, dataset, split_plan, artifacts_dir, fit_step, measurements, clock
                )
            except BaseException as exc:  # noqa: BLE001 - a failing estimator must not stop the run
                if not its_own_failure(exc):
                    raise
                for measurement in measurements:
                    _record_failure(measurement, exc)
        fitted = measurements[0].status == "ok"
        shared_seconds = {name: seconds / len(cells) for name, seconds in clock.seconds.items()}
        closing = []
        for cell, outcome, (estimator, preprocessor) in zip(
            cells, outcomes, built or [(None, None)] * len(cells), strict=True
        ):
            measurement = outcome.measurement
            measurement.folds_together = len(cells) if fitted and reason is None else 1
            test_rows = split_plan.folds[cell.fold].test
            fold_clock = Stopwatch()
            with _recording_warnings() as fold_warnings:
                if fitted:
                    try:
                        _predict_and_score(
                            estimator,
                            preprocessor,
                            dataset,
                            test_rows,
                            measurement,
                            fold_clock,
                            argmax,
                        )
                        outcome.model = with_preprocessing(preprocessor, estimator)
                    except BaseException as exc:  # noqa: BLE001 - this cell's row says so
                        if not its_own_failure(exc):
                            raise
                        _record_failure(measurement, exc)
            closing.append((outcome, fold_clock.seconds, len(test_rows), fold_warnings))
    for outcome, seconds, n_test, fold_warnings in closing:
        _close(
            outcome.measurement,
            {**shared_seconds, **seconds},
            memory.peak_rss_mb,
            n_test,
            [*shared_warnings, *fold_warnings],
        )
    return outcomes


def run_cell(
    cell: Cell,
    spec: EstimatorSpec,
    dataset: Dataset,
    split_plan: SplitPlan,
    *,
    run_id: str,
    identity: CellIdentity | None = None,
    artifacts_dir: Path | None = None,
) -> CellOutcome:
    """Fit on the training fold, predict the test fold, and describe what happened.

    ``identity`` is the row's start as the harness built it (built here when not given)."""
    identity = identity or cell_identity(cell, spec, dataset, split_plan, run_id=run_id)
    return _run_cells([cell], [identity], spec, dataset, split_plan, artifacts_dir, fit_one)[0]


def run_fold_group(
    cells: list[Cell],
    spec: EstimatorSpec,
    dataset: Dataset,
    split_plan: SplitPlan,
    *,
    run_id: str,
    identities: list[CellIdentity] | None = None,
    artifacts_dir: Path | None = None,
) -> list[CellOutcome]:
    """One estimator on several folds, its models fitted together (``--fold-parallel``).

    Each fold is prepared as :func:`run_cell` prepares it (its own preprocessing, fit rows
    and validation slice), then the estimator class's ``fit_together`` fits all folds'
    models at once, and each fold predicts and is scored on its own. Each row's
    ``fit_seconds`` is the joint time divided by the folds in the group, and
    ``folds_together`` says how many trained together (1 when the estimator fell back to one
    fit after another, with the reason among the row's warnings). A failure of the joint fit
    fails every fold's row.
    """
    identities = identities or [
        cell_identity(cell, spec, dataset, split_plan, run_id=run_id) for cell in cells
    ]
    return _run_cells(cells, identities, spec, dataset, split_plan, artifacts_dir, _fit_together)
