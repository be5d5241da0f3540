"""Run one trial of a search: fit a config on the fold's fit rows, score it where the search
may look (the validation slice, or inner CV of the training fold), and score the outer test
fold apart, for the anytime curves only.

The outer test rows reach neither the fit nor the validation score: the fit sees the fit rows
(or an inner fold's training rows), the preprocessor is fitted on those alone, and the test
fold is predicted only after the validation score is final. The harness's search reads
``val_score`` alone (:mod:`treesvsnets.bench.tune.search`).

:func:`run_trial` runs on the worker and returns a
:class:`~treesvsnets.results.row.TrialRow`, started by :func:`trial_identity` (which a
TrialJob's failure row starts with too); :func:`scoring_splits` gives the rows each of a
trial's fits fits on, is scored on and early-stops on (inner K-fold CV of the training fold
when ``tune_cv`` is 2 or more).
"""

from __future__ import annotations

import math
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from treesvsnets.bench.cells.cell import fit_one
from treesvsnets.bench.cells.failures import its_own_failure, one_line
from treesvsnets.bench.cells.inputs import Cell, build, fit_data, resampling
from treesvsnets.bench.cells.measure import Stopwatch
from treesvsnets.bench.cells.metrics import predict_and_proba, regression_score, score
from treesvsnets.bench.cells.splits import SplitPlan
from treesvsnets.bench.cells.thread_limits import limited_threads
from treesvsnets.bench.tune.ensemble import TrialPredictions, as_prediction
from treesvsnets.datasets.base import Dataset
from treesvsnets.estimators.base import EstimatorSpec
from treesvsnets.results.row import Measurement, TrialRow, now
from treesvsnets.tasks import REGRESSION, primary


def check_inner_folds(config: Any, datasets: list[Dataset]) -> None:
    """Refuse inner folds (``config.tune_cv``) more than a training fold's rows: every trial
    failed ("Cannot have number of splits n_splits=200 greater than the number of
    samples") while the tuned rows said 'ok' with the defaults."""
    from treesvsnets.errors import ConfigError

    for dataset in datasets if config.tune_cv >= 2 else ():
        n = dataset.n_samples
        share = 1 / config.folds if config.protocol == "kfold" else config.test_size
        rows = n - math.ceil(n * share)  # the fewest a training fold has
        if config.tune_cv > rows:
            raise ConfigError(
                f"'tune_cv' {config.tune_cv} splits a training fold of dataset "
                f"{dataset.name!r} ({rows} rows) into more parts than it has rows; use "
                f"--tune-cv {max(2, min(5, rows // 2))}."
            )


def scored_on(tune_cv: int) -> str:
    """Where a search scores its trials, in words (a trial row's ``scored_on``)."""
    return f"inner {tune_cv}-fold CV" if tune_cv >= 2 else "validation slice"


def trial_identity(
    cell: Cell,
    *,
    run_id: str,
    task: str,
    trial: int,
    sampler: str,
    sampled: str,
    tune_cv: int,
    metric: str,
) -> dict[str, Any]:
    """The start of a trial's row: which search, which trial, what it drew, where it is
    scored and by which score (``metric``, the run's choice: the task's default unless it is
    one of the task's scores) (the worker's row and the row of a trial that never reports
    back both start so)."""
    return {
        "run_id": run_id,
        "dataset": cell.dataset,
        "estimator": cell.estimator,
        "task": task,
        "seed": cell.seed,
        "fold": cell.fold,
        "trial": trial,
        "sampler": sampler,
        "params": sampled,
        "metric": primary(task, metric).column,
        "scored_on": scored_on(tune_cv),
        "threads": cell.threads,
    }


def scoring_splits(
    spec: EstimatorSpec, dataset: Dataset, split_plan: SplitPlan, fold_index: int, tune_cv: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """(fit rows, scored rows, early-stopping rows or None) of each fit one trial makes.

    With the validation slice (``tune_cv`` 0) every estimator fits on the fold's fit rows and
    is scored on the slice, the one the nets early-stop on. With inner CV, the training fold
    is split ``tune_cv`` ways (stratified for classes, seeded by the run's seed); an estimator
    that early-stops carves its own slice out of each inner training part, the plan's
    fraction of it. No row of the outer test fold is in any of them."""
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    fold = split_plan.folds[fold_index]
    early_stops = "early_stopping" in spec.capabilities
    if tune_cv < 2:
        return [(fold.fit, fold.val, fold.val if early_stops else None)]
    classes = dataset.task != REGRESSION
    splitter = (StratifiedKFold if classes else KFold)(
        tune_cv, shuffle=True, random_state=split_plan.seed
    )
    y_train = dataset.y[fold.train]
    splits = []
    for inner_train, inner_val in splitter.split(fold.train, y_train if classes else None):
        fit_rows, scored = fold.train[inner_train], fold.train[inner_val]
        stop_rows = None
        if early_stops:
            fraction = split_plan.validation_fraction or 0.1
            labels = dataset.y[fit_rows] if classes else None
            try:
                fit_rows, stop_rows = train_test_split(
                    fit_rows, test_size=fraction, random_state=split_plan.seed, stratify=labels
                )
            except ValueError:  # a class too small to stratify: a plain split
                fit_rows, stop_rows = train_test_split(
                    fit_rows, test_size=fraction, random_state=split_plan.seed
                )
        splits.append(
            (np.sort(fit_rows), scored, None if stop_rows is None else np.sort(stop_rows))
        )
    return splits


def fit_sizes(
    spec: EstimatorSpec,
    cell: Cell,
    dataset: Dataset,
    split_plan: SplitPlan,
    tune_cv: int,
) -> dict[str, int | None]:
    """A row's ``n_train``, ``n_val`` and ``n_before_resample`` for models fitted as a trial's
    are (an ensemble of trials: its members): the fit rows (resampled: the rows after it) and
    the rest of the training fold (the slice scored, and rows an early stop held out); with
    inner CV, the mean over its fits, so that ``n_val`` is still the training fold less what
    each fit saw, as the corrected t-test reads the training size."""
    from treesvsnets.datasets.resampling import resampled_size

    fold = split_plan.folds[cell.fold]
    fitted = [rows for rows, _, _ in scoring_splits(spec, dataset, split_plan, cell.fold, tune_cv)]
    seen = round(float(np.mean([len(rows) for rows in fitted])))
    after = np.mean([resampled_size(dataset.y[rows], cell.resample) for rows in fitted])
    return {
        "n_train": round(float(after)),
        "n_val": len(fold.train) - seen,
        "n_before_resample": None if cell.resample == "none" else seen,
    }


def _predict(
    estimator: Any,
    preprocessor: Any | None,
    dataset: Dataset,
    rows: np.ndarray,
    proba: bool,
    argmax: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's predictions of ``rows``, and (``proba``, where it has ``predict_proba``)
    its probabilities under the dataset's class codes (one call where ``argmax``)."""
    X = dataset.rows(rows)
    if preprocessor is not None:
        X = preprocessor.transform(X)
    proba = proba and not dataset.is_regression and hasattr(estimator, "predict_proba")
    return predict_and_proba(estimator, X, dataset.n_classes, proba=proba, argmax=argmax)


def _score(
    dataset: Dataset, rows: np.ndarray, predicted: tuple[np.ndarray, np.ndarray | None], metric: str
) -> float | None:
    """The trial's score on ``rows`` by the search's ``metric``, computed as a cell's row is
    (ROC-AUC and log loss from the predicted probabilities; None where it is not defined)."""
    y_true, (y_pred, proba) = dataset.y[rows], predicted
    if dataset.is_regression:
        return regression_score(y_true, y_pred)[metric]
    if not primary(dataset.task, metric).needs_proba:
        proba = None
    elif proba is None:
        raise ValueError(f"{metric} needs predicted probabilities, and it has no predict_proba")
    return score(y_true, y_pred, proba, dataset.n_classes)[metric]


def _predict_score(
    estimator: Any,
    preprocessor: Any | None,
    dataset: Dataset,
    rows: tuple[np.ndarray, np.ndarray],
    metric: str,
    kept: TrialPredictions | None,
    spec: EstimatorSpec,
) -> tuple[float | None, float | None]:
    """The scores of one fit on its scored rows and (after them, for the curves) on the test
    fold; with ``kept``, both predictions are kept for an ensemble (probabilities included)."""
    scored, test_rows = rows  # the rows it is scored on, and the outer test fold
    argmax = "argmax_predict" in spec.capabilities
    proba = kept is not None or primary(dataset.task, metric).needs_proba
    on_val = _predict(estimator, preprocessor, dataset, scored, proba, argmax)
    val_score = _score(dataset, scored, on_val, metric)
    # the test fold only now, for the curves and the ensemble: the selection never reads it
    started = time.perf_counter()
    on_test = _predict(estimator, preprocessor, dataset, test_rows, proba, argmax)
    seconds = time.perf_counter() - started
    if kept is not None:
        n_classes = 0 if dataset.is_regression else dataset.n_classes
        kept.has_proba = kept.has_proba and (on_val[1] is not None or not n_classes)
        kept.add(
            scored, as_prediction(*on_val, n_classes), as_prediction(*on_test, n_classes), seconds
        )
    return val_score, _score(dataset, test_rows, on_test, metric)


def _mean(scores: list[float | None]) -> float | None:
    """The mean of a trial's scores (inner CV folds), None when one is not defined."""
    return None if any(s is None for s in scores) else float(np.mean(scores))


def _record_failure(row: TrialRow, exc: BaseException) -> None:
    """A failed trial's status and error; an exception that is not the estimator's own (a
    Ctrl-C in this process) goes on up."""
    if not its_own_failure(exc):
        raise exc
    row.status = "oom" if isinstance(exc, MemoryError) else "error"
    row.error = one_line(exc)


def run_trial(
    cell: Cell,
    spec: EstimatorSpec,
    dataset: Dataset,
    split_plan: SplitPlan,
    *,
    run_id: str,
    trial: int,
    sampler: str,
    sampled: str,
    tune_cv: int = 0,
    metric: str | None = None,
    keep: Path | None = None,
) -> TrialRow:
    """One trial: the cell's estimator with ``cell.params`` (the user's plus the trial's),
    fitted and scored as :func:`scoring_splits` says, by ``metric`` (the run's setting; None:
    the task's default); with ``keep``, its predictions are written there (for
    ``--ensemble``). A failure is the row's status and error, never an exception."""
    row = TrialRow(
        **trial_identity(
            cell,
            run_id=run_id,
            task=dataset.task,
            trial=trial,
            sampler=sampler,
            sampled=sampled,
            tune_cv=tune_cv,
            metric=metric,
        ),
        started_at=now(),
    )
    clock = Stopwatch()
    fit_seconds = 0.0
    with limited_threads(cell.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a trial's warnings are not kept (its cell's are)
        try:
            with clock.time("trial"):
                val_scores, test_scores = [], []
                test_rows = split_plan.folds[cell.fold].test
                kept = TrialPredictions() if keep is not None else None
                for fit_rows, scored, stop_rows in scoring_splits(
                    spec, dataset, split_plan, cell.fold, tune_cv
                ):
                    estimator, preprocessor = build(spec, cell, dataset)
                    data = fit_data(
                        dataset, fit_rows, stop_rows, preprocessor, resampling(spec, cell, dataset)
                    )
                    started = Stopwatch()
                    with started.time("fit"):
                        fit_one(
                            spec,
                            [estimator],
                            [data],
                            [Measurement(class_weight=cell.class_weight or "none")],
                        )
                    fit_seconds += started.seconds["fit"]
                    on_val, on_test = _predict_score(
                        estimator,
                        preprocessor,
                        dataset,
                        (scored, test_rows),
                        row.metric,
                        kept,
                        spec,
                    )
                    val_scores.append(on_val)
                    test_scores.append(on_test)
            row.val_score = _mean(val_scores)
            row.test_score = _mean(test_scores)
            if kept is not None:
                kept.save(keep)
        except BaseException as exc:  # noqa: BLE001 - a failing trial is recorded, the search goes on
            _record_failure(row, exc)
    row.fit_seconds = fit_seconds
    row.seconds = clock.seconds.get("trial")
    row.ended_at = now()
    return row
