"""The tuned+ensembled row: a search's trials, weighted by greedy ensemble selection.

With ``--ensemble``, every trial keeps its predictions in the run folder
(:func:`predictions_path`: ``trials/<dataset>/<estimator>/seed<S>-fold<F>-trial<N>.npz``, one
file per trial, written by the worker that ran it): the rows it was scored on (the
validation slice, or with inner CV the out-of-fold predictions over the whole training fold)
and the outer test fold's (with inner CV, the mean of its K models'), probabilities for
classification (a one-hot of the labels for an estimator without ``predict_proba``; float32,
which halves a many-class file) and values for regression (float64: one column, and a
one-member ensemble's scores are its trial's to the last digit), and the seconds its test
prediction took.

:func:`run_ensemble` is the row's work, run as a job once the search is over: it loads the
successful trials' files, selects by the validation predictions and labels alone
(:func:`~treesvsnets.bench.tune.selection.greedy_selection`, by the run's metric), and scores
the same weighted average of the members' test predictions, as a cell's row is scored. The
row's ``ensemble`` column (JSON) holds the members (trial numbers), their weights, the
validation score, the steps, and the anytime curve: the ensemble of the first b trials' test
score, for a few budgets b (each selected on validation as the whole one is). Its fit time is
the selection's; the search's trials are its ``tuning_seconds`` (so its training time counts
every trial, as TabArena counts it), and its predict time is the sum of its members'.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from treesvsnets.bench.cells.metrics import regression_score, score
from treesvsnets.bench.cells.splits import SplitPlan
from treesvsnets.bench.tune.selection import STEPS, blend, greedy_selection
from treesvsnets.datasets.base import Dataset
from treesvsnets.results.folder import path_part
from treesvsnets.results.row import Measurement, now
from treesvsnets.tasks import Metric

#: the budgets (trials) at which the row's anytime curve is read, up to the search's trials
CURVE_BUDGETS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000)


def predictions_path(
    run_dir: str | Path, dataset: str, estimator: str, seed: int, fold: int, trial: int
) -> Path:
    """Where a trial's predictions are kept in its run folder (the names as
    :func:`~treesvsnets.results.folder.path_part` writes them: inside it, whatever they hold)."""
    folder = Path(run_dir) / "trials" / path_part(dataset) / path_part(estimator)
    return folder / f"seed{seed}-fold{fold}-trial{trial}.npz"


def as_prediction(y_pred: np.ndarray, proba: np.ndarray | None, n_classes: int) -> np.ndarray:
    """What an ensemble averages of one model's prediction: its probabilities (a one-hot of
    its labels without them) for classification (``n_classes`` > 0), its values for
    regression (float32 probabilities, float64 values)."""
    if not n_classes:
        return np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred))
    if proba is None:
        return np.eye(n_classes, dtype=np.float32)[np.asarray(y_pred, dtype=np.int64)]
    return np.asarray(proba, dtype=np.float32)


@dataclass
class TrialPredictions:
    """One trial's predictions as its fits make them (one fit, or one per inner fold)."""

    val_rows: list[np.ndarray] = field(default_factory=list)
    val: list[np.ndarray] = field(default_factory=list)
    test: list[np.ndarray] = field(default_factory=list)
    predict_seconds: float = 0.0
    has_proba: bool = True

    def add(self, rows: np.ndarray, val: np.ndarray, test: np.ndarray, seconds: float) -> None:
        """One fit's predictions of the rows it was scored on and of the test fold."""
        self.val_rows.append(rows)
        self.val.append(val)
        self.test.append(test)
        self.predict_seconds += seconds

    def save(self, path: Path) -> None:
        """Write the file (the test prediction: the mean of the fits'), atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npz")
        np.savez(
            partial,
            val_rows=np.concatenate(self.val_rows),
            val=np.concatenate(self.val),
            test=np.mean(self.test, axis=0).astype(self.test[0].dtype),
            predict_seconds=np.float64(self.predict_seconds),
            has_proba=np.bool_(self.has_proba),
        )
        partial.replace(path)


@dataclass(frozen=True)
class _Kept:
    """The successful trials' predictions, stacked: trial numbers first."""

    trials: np.ndarray
    val_rows: np.ndarray
    val: np.ndarray
    test: np.ndarray
    predict_seconds: np.ndarray
    has_proba: bool


def _load(files: dict[int | str, Path]) -> _Kept:
    """The trials' files, each scored on the same rows (in the same order), the earliest
    trial first: by number, and for a blend's pooled trials (``"rf/2"``) by member, in the
    order the files were given, then by number (not as text: 'dense/0' before 'rf/0', 'rf/10'
    before 'rf/2'), so that selection's ties go to the earliest."""
    members = list(dict.fromkeys(str(key).split("/")[0] for key in files))

    def earliest(key: int | str) -> tuple[int, int]:
        if isinstance(key, str) and "/" in key:
            member, number = key.rsplit("/", 1)
            return members.index(member), int(number)
        return 0, int(key)

    ordered = sorted(files.items(), key=lambda item: earliest(item[0]))
    loaded = {n: np.load(path) for n, path in ordered if path.exists()}
    if not loaded:
        raise ValueError("no successful trial kept its predictions")
    first = next(iter(loaded.values()))
    if any(not np.array_equal(f["val_rows"], first["val_rows"]) for f in loaded.values()):
        raise ValueError("the trials' predictions are not of the same validation rows")
    return _Kept(
        trials=np.array(list(loaded)),
        val_rows=first["val_rows"],
        val=np.stack([f["val"] for f in loaded.values()]),
        test=np.stack([f["test"] for f in loaded.values()]),
        predict_seconds=np.array([float(f["predict_seconds"]) for f in loaded.values()]),
        has_proba=all(bool(f["has_proba"]) for f in loaded.values()),
    )


def _test_scores(
    dataset: Dataset, test_rows: np.ndarray, prediction: np.ndarray, has_proba: bool
) -> dict:
    """The ensemble's test prediction scored as a cell's row is (log loss and ROC-AUC only
    when every member gave probabilities)."""
    y_test = dataset.y[test_rows]
    if dataset.is_regression:
        return regression_score(y_test, prediction)
    proba = prediction / prediction.sum(axis=1, keepdims=True)
    return score(y_test, proba.argmax(axis=1), proba if has_proba else None, dataset.n_classes)


def _curve(kept: _Kept, y_val: np.ndarray, metric: Metric, steps: int, threads: int, test) -> list:
    """[budget, validation score, test score] of the ensemble of the first b trials, at the
    budgets of :data:`CURVE_BUDGETS` below the search's and at the search's own (the row)."""
    points = []
    whole = int(kept.trials.max()) + 1
    for budget in [b for b in CURVE_BUDGETS if b < whole] + [whole]:
        first = kept.trials < budget
        if first.any():
            chosen = greedy_selection(kept.val[first], y_val, metric, steps, threads)
            points.append([budget, chosen.val_score, test(blend(kept.test[first], chosen.counts))])
    return points


def run_ensemble(
    dataset: Dataset,
    split_plan: SplitPlan,
    fold: int,
    files: dict[int | str, Path],
    metric: Metric,
    steps: int = STEPS,
    threads: int = 1,
) -> Measurement:
    """The tuned+ensembled row's measurement from the trials' kept predictions (``files``:
    each successful trial's number and file; for a ``blend``, ``"estimator/number"`` and
    file, and no anytime curve); a failure is its status and error. ``threads``: the cell's
    thread budget, which the selection's scores may use."""
    measurement = Measurement(started_at=now())
    try:
        started = time.perf_counter()
        kept = _load(files)
        y_val = dataset.y[kept.val_rows]
        chosen = greedy_selection(kept.val, y_val, metric, steps, threads)
        selecting = time.perf_counter() - started
        test_rows = split_plan.folds[fold].test
        prediction = blend(kept.test, chosen.counts)
        measurement.record(**_test_scores(dataset, test_rows, prediction, kept.has_proba))

        def test_score(blended: np.ndarray) -> float:
            return _test_scores(dataset, test_rows, blended, kept.has_proba)[metric.column]

        members = chosen.members
        predict_seconds = float(kept.predict_seconds[members].sum())
        measurement.record(
            fit_seconds=selecting,
            predict_seconds=predict_seconds,
            predict_ms_per_1k=predict_seconds * 1e6 / len(test_rows) if len(test_rows) else None,
            ensemble=json.dumps(
                {
                    "members": kept.trials[members].tolist(),
                    "weights": [round(float(w), 6) for w in chosen.weights[members]],
                    "val_score": chosen.val_score,
                    "metric": metric.column,
                    "steps": steps,
                    "candidates": len(kept.trials),
                    "curve": _curve(kept, y_val, metric, steps, threads, test_score)
                    if kept.trials.dtype.kind == "i"
                    else [],
                }
            ),
        )
    except Exception as exc:  # noqa: BLE001 - a failed ensemble is its row, the run goes on
        measurement.record(status="error", error=f"{type(exc).__name__}: {exc}")
    measurement.record(ended_at=now())
    return measurement
