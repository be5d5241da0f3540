"""The public API of a run, above the harness and the reports: ``run`` and ``resume``.

A run is the harness (:mod:`treesvsnets.bench.run`: plan, jobs, store, exports,
manifest) followed by the reports (:mod:`treesvsnets.reports.report`) as its finish step.
This module is the only place the two meet: ``bench`` never imports ``reports``, the reports
never import ``bench``, and both read and write what a run leaves through
:mod:`treesvsnets.results` (tests/test_layout.py checks all three). ``treesvsnets.run(...)``
and ``treesvsnets run`` land here. The report's libraries load in a thread while the cells
run, and that thread draws each finished dataset's figures while later datasets' cells run;
a report that cannot be drawn is a warning: every result is already written.
"""

from __future__ import annotations

import queue
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from treesvsnets.bench import run as harness
from treesvsnets.bench.execute.progress import ProgressEvent
from treesvsnets.bench.run import RunResult
from treesvsnets.config import RunConfig
from treesvsnets.errors import TreesVsNetsWarning
from treesvsnets.results.folder import Manifest


def write_report_or_warn(run_dir: Path, rows: pd.DataFrame, manifest: Manifest) -> None:
    """The reports; a failure to draw them loses no result, so it is a warning, not an error."""
    from treesvsnets.reports.report import write_report

    try:
        write_report(run_dir, rows, manifest)
    except Exception as exc:  # noqa: BLE001 - the rows and manifest are already written
        warnings.warn(
            f"could not write the report ({type(exc).__name__}: {exc}); the results are in "
            f"{run_dir / 'results.csv'}; try again with: treesvsnets report {run_dir}",
            TreesVsNetsWarning,
            stacklevel=2,
        )


class _Reports:
    """The reports' part of one run, in a thread while the cells run: first their libraries
    are imported (about half a second; the report, when it comes, finds them loaded), then
    each finished dataset's figures are drawn while later datasets' cells run (the report
    keeps the files it would draw alike, so a run over many datasets ends with the last
    one's figures and those across datasets to draw). The report itself waits for that
    thread: it draws its figures in a forked child, and a fork beside a thread caught
    mid-import or mid-drawing would leave the child waiting on a lock. A failure in the
    thread is left for the report itself to say (it draws whatever is missing)."""

    def __init__(self) -> None:
        self._work: queue.SimpleQueue[tuple | None] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._serve, name="treesvsnets-reports-ahead", daemon=True
        )

    def _serve(self) -> None:
        from treesvsnets.reports.report import draw_ahead, preload

        try:
            preload()
        except Exception:  # noqa: BLE001 - write_report_or_warn reports what is wrong
            pass
        while (work := self._work.get()) is not None:
            try:
                draw_ahead(*work)
            except Exception:  # noqa: BLE001 - the report draws what is missing
                pass

    def start(self) -> None:
        self._thread.start()

    def dataset_done(
        self, run_dir: Path, rows: pd.DataFrame, trials: pd.DataFrame, manifest: Manifest
    ) -> None:
        self._work.put((run_dir, rows, manifest, trials))

    def write(self, run_dir: Path, rows: pd.DataFrame, manifest: Manifest) -> None:
        if self._thread.ident is not None:  # started
            self._work.put(None)
            self._thread.join()
        write_report_or_warn(run_dir, rows, manifest)


def run(
    config: RunConfig | None = None,
    *,
    progress: bool | Callable[[ProgressEvent], None] = True,
    epoch_progress: bool | None = None,
    **overrides: Any,
) -> RunResult:
    """Run a benchmark and return its rows; everything is also written to the run folder,
    the reports included. ``overrides`` are RunConfig fields; see :func:`treesvsnets.bench.run.run`.
    """
    reports = _Reports()
    return harness.run(
        config,
        progress=progress,
        epoch_progress=epoch_progress,
        finish=reports.write,
        while_cells_run=reports,
        **overrides,
    )


def resume(
    run_dir: str | Path,
    *,
    retry_failed: bool = False,
    progress: bool | Callable[[ProgressEvent], None] = True,
    epoch_progress: bool | None = None,
    **execution: Any,
) -> RunResult:
    """Finish an interrupted run in place and rewrite its reports; see
    :func:`treesvsnets.bench.run.resume`."""
    reports = _Reports()
    return harness.resume(
        run_dir,
        retry_failed=retry_failed,
        progress=progress,
        epoch_progress=epoch_progress,
        finish=reports.write,
        while_cells_run=reports,
        **execution,
    )
