"""The result row: one per cell, the same columns for every estimator and every outcome.

A row is two typed halves merged once, by :func:`result_row`:

- :class:`CellIdentity`, what the harness knows before the cell runs (which dataset,
  estimator, seed and fold; the split's sizes; the cell's thread budget and limits). The
  harness builds it once, ships it with the job, and never builds it again.
- :class:`Measurement`, what running the cell found out (status, scores, timings, memory,
  what the estimator reported). The worker fills it in; a cell that never reports back (a
  timeout, a crash) gets a Measurement that says why, from :func:`failure_measurement`.

The store's columns (:data:`COLUMNS`, with their SQLite types) derive from these two classes,
so a new column is one new field. :data:`STATUSES` are a row's outcomes; :data:`KEY` names a
row, with ``tuning``: ``default``, ``tuned`` for the refit of a search's best config, or
``tuned+ensembled`` for the greedy ensemble of its trials (``ensemble``: its members and
weights), whose ``n_trials``, ``tuning_seconds``, ``best_params`` and ``best_trial`` the
harness sets when its search ends. A search's trials have rows of their own: :class:`TrialRow` and
:data:`TRIAL_COLUMNS`, one row per trial; :func:`is_trial` tells the two kinds apart.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: the statuses a row can have; anything but "ok" has an ``error`` saying why
STATUSES = ("ok", "error", "timeout", "oom", "crashed")
#: a cell's key within a run folder's store (a retried cell replaces its row)
KEY = ("run_id", "dataset", "estimator", "seed", "fold", "tuning")
#: a row's ``tuning``: the estimator's defaults (every run), the best config of a search, or
#: (with ``--ensemble``) the greedy ensemble of a search's trials
DEFAULT, TUNED, TUNED_ENSEMBLED = "default", "tuned", "tuned+ensembled"
#: the trees-plus-nets ensemble (``-e blend``): no registered estimator, rows (tuned+ensembled)
#: weighed from the kept trials of a tree ensemble and a net on the same fold
BLEND, BLEND_FAMILY = "blend", "ensemble+deep"


def now() -> str:
    """The timestamp rows carry (UTC, milliseconds)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class CellIdentity:
    """The start of a cell's row: what the harness decided and knows before it runs."""

    run_id: str
    dataset: str
    dataset_fingerprint: str
    estimator: str
    family: str
    task: str  # classification or regression: which score columns the row fills
    preprocessing: str
    seed: int
    fold: int
    n_folds: int
    split_hash: str
    n_train: int  # the rows fitted on (the training fold less the validation slice, if any;
    # resampled: the rows after resampling, as many as the resampler yields)
    n_val: int
    n_test: int
    threads: int | None  # None: decided where the cell runs (a Dask worker's share)
    jobs: int | None = None  # cells run at once on this machine (None under Dask)
    time_limit_s: float | None = None
    memory_limit_mb: float | None = None
    tuning: str = DEFAULT  # "tuned": the best trial's config, refitted as the default is
    n_trials: int | None = None  # a tuned row: the trials its search ran (trial 0 included)
    tuning_seconds: float | None = None  # the search's own wall time (fit_seconds: the refit)
    best_params: str | None = None  # JSON: the best trial's sampled values
    best_trial: int | None = None
    resample: str = "none"  # over, under, smote: the fit rows resampled (n_train: after it)
    n_before_resample: int | None = None  # the fit rows before resampling (None: not resampled)

    @property
    def key(self) -> tuple[str, str, int, int, str]:
        return (self.dataset, self.estimator, self.seed, self.fold, self.tuning)


@dataclass
class Measurement:
    """What running a cell found out. The defaults are those of a cell that has not run."""

    status: str = "ok"
    error: str | None = None
    params: str | None = None  # JSON: the estimator's resolved parameters
    accuracy: float | None = None
    balanced_accuracy: float | None = None
    f1_macro: float | None = None
    roc_auc: float | None = None  # from probabilities: None without them, or with one class
    log_loss: float | None = None  # from probabilities: None without them
    confusion: str | None = None  # JSON: rows are true classes, columns predicted
    rmse: float | None = None  # regression rows: the classification scores stay empty
    mae: float | None = None
    r2: float | None = None
    # JSON of test rows (sampled past a cap): regression {"true": [...], "pred": [...]};
    # classification with probabilities {"true": [class codes], "proba": [...]}
    predictions: str | None = None
    setup_seconds: float | None = None
    fit_seconds: float | None = None
    warmup_seconds: float | None = None
    predict_seconds: float | None = None
    predict_ms_per_1k: float | None = None
    peak_rss_mb: float | None = None
    peak_gpu_mb: float | None = None
    device: str = "cpu"
    class_weight: str = "none"  # as applied: balanced, balanced (sample_weight), unsupported
    folds_together: int = 1
    versions_hash: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    warnings: str | None = None
    diverged: str | None = None  # a net whose training diverged: how ("diverged: ...")
    history: str | None = None  # JSON: a net's epochs
    traceback: str | None = None
    ensemble: str | None = None  # JSON: a tuned+ensembled row's members, weights, curve

    def record(self, **values: Any) -> None:
        """Set fields by name; a name that is not a column is a bug, said at once."""
        for name, value in values.items():
            if name not in _MEASURED:
                raise ValueError(f"a result row has no column {name!r}")
            setattr(self, name, value)


_IDENTITY = tuple(f.name for f in dataclasses.fields(CellIdentity))
_MEASURED = tuple(f.name for f in dataclasses.fields(Measurement))


def result_row(identity: CellIdentity, measurement: Measurement) -> dict[str, Any]:
    """The row the store keeps: the identity and the measurement, merged once."""
    return {**dataclasses.asdict(identity), **dataclasses.asdict(measurement)}


def failure_measurement(
    status: str,
    error: str,
    *,
    class_weight: str | None = None,
    started_at: str | None = None,
    peak_rss_mb: float | None = None,
    traceback: str | None = None,
) -> Measurement:
    """The measurement of a cell that did not report back: why, and what the harness saw."""
    return Measurement(
        status=status,
        error=error,
        class_weight=class_weight or "none",
        started_at=started_at,
        ended_at=now(),
        peak_rss_mb=peak_rss_mb,
        traceback=traceback,
    )


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """The class's field types, evaluated once (each evaluation reads every annotation: once
    per column made this module's import 20 ms, paid by the harness and by every worker)."""
    return typing.get_type_hints(cls)


def _sql_type(cls: type, name: str, key: tuple[str, ...] = KEY) -> str:
    hint = _hints(cls)[name]
    args = set(typing.get_args(hint)) or {hint}
    kind = "INTEGER" if int in args else "REAL" if float in args else "TEXT"
    return f"{kind} NOT NULL" if name in (*key, "status") else kind


#: (column, SQLite type), in the order exports show them: the identity, then the measurement
COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (name, _sql_type(cls, name))
    for cls, names in ((CellIdentity, _IDENTITY), (Measurement, _MEASURED))
    for name in names
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)


#: the statuses a trial can have (a crashed worker costs the trial: it is an error)
TRIAL_STATUSES = ("ok", "error", "timeout", "oom", "crashed")
#: a trial's key within a run folder's store
TRIAL_KEY = ("run_id", "dataset", "estimator", "seed", "fold", "trial")


@dataclass
class TrialRow:
    """One trial of a search: the config it drew, where it was scored, and how it went.

    ``val_score`` is what the search selects by (the validation slice, or the mean of the
    inner CV folds); ``test_score`` is the outer test fold's, kept only to draw the anytime
    curves and never read by the selection."""

    run_id: str
    dataset: str
    estimator: str
    task: str
    seed: int
    fold: int
    trial: int
    sampler: str
    params: str  # JSON: the sampled values ({} for trial 0, the defaults)
    metric: str  # the column of the score it is judged by (accuracy, rmse, the run's metric)
    scored_on: str  # "validation slice" or "inner 5-fold CV"
    status: str = "ok"
    error: str | None = None
    val_score: float | None = None
    test_score: float | None = None
    fit_seconds: float | None = None
    seconds: float | None = None  # the trial's whole time in its worker (setup, fits, scores)
    threads: int | None = None
    started_at: str | None = None
    ended_at: str | None = None

    @property
    def key(self) -> tuple[str, str, int, int, int]:
        return (self.dataset, self.estimator, self.seed, self.fold, self.trial)


TRIAL_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (f.name, _sql_type(TrialRow, f.name, TRIAL_KEY)) for f in dataclasses.fields(TrialRow)
)
TRIAL_COLUMN_NAMES = tuple(name for name, _ in TRIAL_COLUMNS)


def is_trial(row: dict[str, Any]) -> bool:
    """Whether a row an executor yields is a trial's (else it is a cell's)."""
    return "trial" in row  # a cell's row has no such column
