"""What a run tells its user as it goes: one event before the first cell and one per cell,
and how a terminal shows them: :class:`ProgressEvent` (built by keyword only),
:class:`TrialEvent` (after each trial of a tuned run), :func:`print_progress` (one line each,
with the time elapsed and an estimate of the time left: for logs, files and pipes) and
:class:`LiveProgress` (on a terminal: the same lines above live tqdm bars, one for the run
and one per dataset, with cells done, failures, elapsed time and the time left).
:func:`reporter` picks one for a stream."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from treesvsnets.errors import ConfigError, TreesVsNetsWarning
from treesvsnets.results.row import TUNED, TUNED_ENSEMBLED
from treesvsnets.tasks import ACCURACY, RMSE, Metric, primary


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
    by_dataset: tuple[tuple[str, int], ...] = ()  # the cells to come per dataset (index 0)
    elapsed: float | None = None  # seconds since the first cell started (after each cell)
    metric: str | None = None  # the run's metric setting: each cell's line shows that score
    name_width: int = 12  # the dataset column's width: the run's longest name (openml-task:ID)


@dataclass(frozen=True, kw_only=True)
class TrialEvent:
    """Sent after each trial of a tuned run's searches (``row`` is the trial's row)."""

    row: dict[str, Any]
    finished: int  # the search's finished trials, this one included
    budget: str  # "30 trials", "60 s", "30 trials or 60 s"
    best: float | None  # the best validation score so far
    n_folds: int | None = None
    elapsed: float | None = None  # seconds since the run's work began
    left: float | None = None  # the search's time left at its pace so far (trial seconds)
    name_width: int = 12  # as ProgressEvent's


def _trial_line(event: TrialEvent) -> str:
    row = event.row
    metric = primary(row.get("task"), row.get("metric"))  # the score the search selects by
    where = (
        f"  trial {row['trial']:>3} ({event.finished} of {event.budget}) "
        f"{row['dataset']:<{event.name_width}} "
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
    return f"{where}  {outcome}"


def _header_lines(event: ProgressEvent) -> list[str]:
    """The run's first lines: its notes, then how many cells run where."""
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
    return [f"treesvsnets: {note}" for note in event.notes] + [
        f"treesvsnets: {resumed}{event.total} cells on {event.executor or 'this machine'}, "
        f"{threads}, results in {event.run_dir}"
    ]


def _cell_line(event: ProgressEvent) -> str:
    """A cell's line: where it is in the run, what it scored, what it cost."""
    row = event.row
    assert row is not None
    width = len(str(event.total))
    where = (
        f"[{event.index:>{width}}/{event.total}] {row['dataset']:<{event.name_width}} "
        f"{row['estimator']:<10} "
        f"seed {row['seed']} fold {row['fold'] + 1}/{row['n_folds']}"
    )
    if row.get("tuning") == TUNED:
        where += f"  tuned ({row['n_trials']} trials, {row['tuning_seconds']:.1f}s)"
    elif row.get("tuning") == TUNED_ENSEMBLED:
        members = len(json.loads(row.get("ensemble") or "{}").get("members", []))
        where += f"  tuned+ensembled ({members} of {row['n_trials']} trials)"
    if row["status"] == "ok":
        scored = _scored(row, primary(row.get("task"), event.metric))
        outcome = f"{scored}  fit {row['fit_seconds']:7.2f}s  predict {row['predict_seconds']:.3f}s"
        if row.get("diverged"):
            outcome += "  DIVERGED"
    else:
        outcome = f"{row['status'].upper()}: {row.get('error') or ''}"
    return f"{where}  {outcome}"


def _scored(row: dict[str, Any], judged: Metric) -> str:
    """What a cell scored: ``acc 0.9733``, ``rmse 54.59  r2 0.412``, or the run's metric."""
    if judged is ACCURACY:
        return f"acc {ACCURACY.show(row['accuracy'])}"
    if judged is RMSE:
        return f"rmse {RMSE.show(row['rmse'])}  r2 {row['r2']:.3f}"
    value = row.get(judged.column)
    return f"{judged.label} {judged.show(value) if value is not None else 'n/a'}"


def _clock(event: ProgressEvent | TrialEvent) -> str:
    """``elapsed 1:02  left ~3:10``: the time since the first cell, and the time left at the
    run's pace so far (its mean time per cell; cells run costliest first, so the estimate
    errs long early on); for a trial, the time its search has left at the pace of its
    trials so far (``search left ~0:40``)."""
    from tqdm import tqdm

    elapsed = event.elapsed or 0.0
    if isinstance(event, TrialEvent):
        left, what = event.left or 0.0, "search left"
    else:
        left = elapsed / event.index * (event.total - event.index) if event.index else 0.0
        what = "left"
    return f"elapsed {tqdm.format_interval(elapsed)}  {what} ~{tqdm.format_interval(left)}"


def progress_function(progress: Any) -> Callable[[Any], None] | None:
    """What a run tells of each cell: :func:`print_progress` (``True``), nothing (``False``)
    or the caller's function, which, where it raises, is warned of once and not called
    again (a notebook's callback error ended the whole run); anything else is one sentence
    (``progress="no"`` left an empty run folder and a TypeError)."""
    if progress is True:
        return print_progress
    if progress is False or progress is None:
        return None
    if not callable(progress):
        raise ConfigError(
            f"progress must be True, False or a function taking each ProgressEvent, got "
            f"{progress!r}."
        )
    failed: list[str] = []

    def told(event: Any) -> None:
        if failed:
            return
        try:
            progress(event)
        except Exception as exc:  # noqa: BLE001 - the caller's function: the run goes on
            failed.append(f"{type(exc).__name__}: {exc}")
            warnings.warn(
                f"the progress function raised {failed[0]}; the run goes on without it.",
                TreesVsNetsWarning,
                stacklevel=2,
            )

    return told


def print_progress(event: ProgressEvent | TrialEvent, stream: IO[str] | None = None) -> None:
    """One line per cell: where it is in the run, what it scored, what it cost, the time
    elapsed and left (and one per trial of a search, indented, with the time its search has
    left)."""
    stream = stream or sys.stderr
    clock = f"  [{_clock(event)}]" if event.elapsed is not None else ""
    if isinstance(event, TrialEvent):
        lines = [_trial_line(event) + clock]
    elif event.row is None:
        lines = _header_lines(event)
    else:
        lines = [_cell_line(event) + clock]
    for line in lines:
        print(line, file=stream, flush=True)


#: the bars' layout: name, share done, bar, cells done of all, failures, elapsed < left
BAR_FORMAT = (
    "{desc:<14} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} cells{postfix} "
    "[{elapsed}<{remaining}]"
)


class LiveProgress:
    """On a terminal: each line as :func:`print_progress` writes it (less the clock) above
    live bars, one for the run and one per dataset when there are several, each with its
    cells done, failures, elapsed time and time left. The bars close when the last cell
    ends, or on :meth:`close` (an interrupted run): the terminal is left clean."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.bars: dict[str | None, Any] = {}  # None: the run's; else a dataset's
        self.failures: dict[str | None, int] = {}

    def __call__(self, event: ProgressEvent | TrialEvent) -> None:
        from tqdm import tqdm

        if isinstance(event, TrialEvent):
            tqdm.write(_trial_line(event), file=self.stream)
            return
        if event.row is None:
            for line in _header_lines(event):
                tqdm.write(line, file=self.stream)
            self._open(event)
            return
        tqdm.write(_cell_line(event), file=self.stream)
        failed = event.row["status"] != "ok"
        for key in (None, event.row["dataset"]):
            bar = self.bars.get(key)
            if bar is not None:
                self.failures[key] = self.failures.get(key, 0) + failed
                bar.set_postfix_str(f"{self.failures[key]} failed", refresh=False)
                bar.update(1)
        if event.index >= event.total:
            self.close()

    def _open(self, event: ProgressEvent) -> None:
        from tqdm import tqdm

        def bar(name: str, total: int, position: int) -> Any:
            made = tqdm(
                total=total,
                desc=name[:14],
                unit="cell",
                file=self.stream,
                position=position,
                leave=True,
                dynamic_ncols=True,
                bar_format=BAR_FORMAT,
            )
            made.set_postfix_str("0 failed")
            return made

        self.bars[None] = bar("all datasets", event.total, 0)
        if len(event.by_dataset) > 1:
            for position, (name, total) in enumerate(event.by_dataset, start=1):
                self.bars[name] = bar(name, total, position)

    def close(self) -> None:
        """Close the bars (their last state stays on the terminal)."""
        for bar in reversed(list(self.bars.values())):
            bar.close()
        self.bars.clear()


def reporter(stream: IO[str] | None = None) -> Callable[[ProgressEvent | TrialEvent], None]:
    """How to show a run's progress on ``stream`` (default stderr, where progress goes): live
    bars on a terminal, else one line per cell with the time elapsed and left."""
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return LiveProgress(stream)
    return lambda event: print_progress(event, stream)
