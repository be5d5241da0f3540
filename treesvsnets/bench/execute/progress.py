"""What a run tells its user as it goes: one event before the first cell and one per cell,
and the terminal's one line each: :class:`ProgressEvent` (built by keyword only),
:class:`TrialEvent` (after each trial of a tuned run) and :func:`print_progress`."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from treesvsnets.results.row import TUNED
from treesvsnets.tasks import ACCURACY, REGRESSION, RMSE, primary


@dataclass(frozen=True, kw_only=True)
class ProgressEvent:
    """Sent once before the first cell (``index == 0``, no row) and after each cell. Built by
    keyword only: several fields share a type, and a reordered field must not swap values."""

    index: int
    total: int
    row: dict[str, Any] | None
    run_dir: Path
    threads: int | None
    executor: str = ""
    resumed_from: int | None = None  # cells already in the store when a resumed run starts
    notes: tuple[str, ...] = ()  # what the user should know before the first cell (index 0)


@dataclass(frozen=True, kw_only=True)
class TrialEvent:
    """Sent after each trial of a tuned run's searches (``row`` is the trial's row)."""

    row: dict[str, Any]
    finished: int  # the search's finished trials, this one included
    budget: str  # "30 trials", "60 s", "30 trials or 60 s"
    best: float | None  # the best validation score so far
    n_folds: int | None = None


def _print_trial(event: TrialEvent, stream: IO[str]) -> None:
    row = event.row
    metric = primary(row.get("task"))
    where = (
        f"  trial {row['trial']:>3} ({event.finished} of {event.budget}) {row['dataset']:<12} "
        f"{row['estimator']:<10} seed {row['seed']} fold {row['fold'] + 1}"
        + (f"/{event.n_folds}" if event.n_folds else "")
    )
    if row["status"] == "ok":
        outcome = (
            f"val {metric.label} {metric.show(row['val_score'])}  best {metric.show(event.best)}"
            f"  {row['seconds']:.2f}s"
        )
    else:
        outcome = f"{row['status'].upper()}: {row.get('error') or ''}"
    print(f"{where}  {outcome}", file=stream, flush=True)


def print_progress(event: ProgressEvent | TrialEvent, stream: IO[str] | None = None) -> None:
    """One line per cell: where it is in the run, what it scored, what it cost (and one per
    trial of a search, indented)."""
    stream = stream or sys.stderr
    if isinstance(event, TrialEvent):
        _print_trial(event, stream)
        return
    row = event.row
    if row is None:
        threads = (
            "threads decided per worker"
            if event.threads is None
            else (f"{event.threads} thread(s) per cell")
        )
        resumed = (
            f"resuming: {event.resumed_from} cell(s) already done, "
            if event.resumed_from is not None
            else ""
        )
        for note in event.notes:
            print(f"treesvsnets: {note}", file=stream, flush=True)
        print(
            f"treesvsnets: {resumed}{event.total} cells on {event.executor or 'this machine'}, "
            f"{threads}, results in {event.run_dir}",
            file=stream,
            flush=True,
        )
        return
    width = len(str(event.total))
    where = (
        f"[{event.index:>{width}}/{event.total}] {row['dataset']:<12} {row['estimator']:<10} "
        f"seed {row['seed']} fold {row['fold'] + 1}/{row['n_folds']}"
    )
    if row.get("tuning") == TUNED:
        where += f"  tuned ({row['n_trials']} trials, {row['tuning_seconds']:.1f}s)"
    if row["status"] == "ok":
        scored = (
            f"rmse {RMSE.show(row['rmse'])}  r2 {row['r2']:.3f}"
            if row.get("task") == REGRESSION
            else f"acc {ACCURACY.show(row['accuracy'])}"
        )
        outcome = f"{scored}  fit {row['fit_seconds']:7.2f}s  predict {row['predict_seconds']:.3f}s"
        if row.get("diverged"):
            outcome += "  DIVERGED"
    else:
        outcome = f"{row['status'].upper()}: {row.get('error') or ''}"
    print(f"{where}  {outcome}", file=stream, flush=True)
