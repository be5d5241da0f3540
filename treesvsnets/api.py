"""The public API of a run, above the harness and the reports: ``run`` and ``resume``.

A run is the harness (:mod:`treesvsnets.bench.run`: plan, jobs, store, exports,
manifest) followed by the reports (:mod:`treesvsnets.reports.report`) as its finish step.
This module is the only place the two meet: ``bench`` never imports ``reports``, the reports
never import ``bench``, and both read and write what a run leaves through
:mod:`treesvsnets.results` (tests/test_layout.py checks all three). ``treesvsnets.run(...)``
and ``treesvsnets run`` land here. While the cells run, the report's libraries load and each
finished dataset's figures are drawn, in a process beside the run where one can be
(:mod:`treesvsnets.beside_cells`); a report that cannot be drawn is a warning: every result
is already written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from treesvsnets.bench import run as harness
from treesvsnets.bench.execute.progress import ProgressEvent
from treesvsnets.bench.run import RunResult
from treesvsnets.beside_cells import ReportsBesideCells
from treesvsnets.config import RunConfig
from treesvsnets.stopping import sigterm_as_interrupt


def run(
    config: RunConfig | None = None,
    *,
    progress: bool | Callable[[ProgressEvent], None] = True,
    epoch_progress: bool | None = None,
    meanwhile: Callable[[RunResult], None] | None = None,
    **overrides: Any,
) -> RunResult:
    """Run a benchmark and return its rows; everything is also written to the run folder,
    the reports included. ``meanwhile(result)``, when given, is called once the rows and
    manifest are written, while the report is (in a process beside the run where one can
    be): the command prints the leaderboard then. ``overrides`` are RunConfig fields; see
    :func:`treesvsnets.bench.run.run`."""
    reports = ReportsBesideCells()
    return _with_report(
        reports,
        meanwhile,
        lambda: harness.run(
            config,
            progress=progress,
            epoch_progress=epoch_progress,
            finish=reports.begin,
            while_cells_run=reports,
            **overrides,
        ),
    )


def resume(
    run_dir: str | Path,
    *,
    retry_failed: bool = False,
    progress: bool | Callable[[ProgressEvent], None] = True,
    epoch_progress: bool | None = None,
    meanwhile: Callable[[RunResult], None] | None = None,
    **execution: Any,
) -> RunResult:
    """Finish an interrupted run in place and rewrite its reports (``meanwhile``: as
    :func:`run`'s); see :func:`treesvsnets.bench.run.resume`."""
    reports = ReportsBesideCells()
    return _with_report(
        reports,
        meanwhile,
        lambda: harness.resume(
            run_dir,
            retry_failed=retry_failed,
            progress=progress,
            epoch_progress=epoch_progress,
            finish=reports.begin,
            while_cells_run=reports,
            **execution,
        ),
    )


def _with_report(
    reports: ReportsBesideCells,
    meanwhile: Callable[[RunResult], None] | None,
    execute: Callable[[], RunResult],
) -> RunResult:
    """``execute()`` (the harness begins the report as its last step, also when the run is
    stopped), then ``meanwhile``, and whatever happens, the report written before this
    returns or raises; SIGTERM, while the report is written too, stops it as Ctrl-C does."""
    with sigterm_as_interrupt():
        try:
            result = execute()
            if meanwhile is not None:
                meanwhile(result)
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM: the traceback says what is kept
            folder = reports.run_dir
            exc.add_note(
                what_is_kept(
                    folder,
                    resume=f"treesvsnets.resume({str(folder)!r})",
                    report=f"treesvsnets report {folder}",
                )
            )
            raise
        finally:
            reports.wait()
    return result


def what_is_kept(run_dir: Path | None, *, resume: str, report: str) -> str:
    """What a stopped run leaves in ``run_dir`` (None: stopped before it had one), in words;
    ``resume`` and ``report`` say how to finish it and how to write its report, as the
    caller is used (a command, a call). A complete run stopped after its last cell (while
    its leaderboard is printed, or its report written) needs no resuming, perhaps its
    report."""
    from treesvsnets.results.folder import RunFolder

    if run_dir is None:
        return "stopped before its run folder was made: nothing was written"
    try:
        complete = RunFolder(run_dir).read_manifest().status == "complete"
    except Exception:  # noqa: BLE001 - no manifest to read: say what holds for any run
        complete = False
    if not complete:
        return f"finished cells are kept in {run_dir}; finish it with: {resume}"
    if _report_of_the_end(Path(run_dir)):
        return f"every cell had run: the results and the report are in {run_dir}"
    return (
        f"every cell had run: the results are in {run_dir} (its report was not written: "
        f"{report} writes it)"
    )


def _report_of_the_end(run_dir: Path) -> bool:
    """Whether the folder's report was written after its manifest's last state (not the
    report of an earlier, interrupted part of the run)."""
    from treesvsnets.reports.html import HTML_FILENAME
    from treesvsnets.reports.markdown import REPORT_FILENAME
    from treesvsnets.results.folder import MANIFEST_FILENAME

    try:
        manifest = (run_dir / MANIFEST_FILENAME).stat().st_mtime_ns
        reports = (run_dir / name for name in (REPORT_FILENAME, HTML_FILENAME))
        return all(report.stat().st_mtime_ns >= manifest for report in reports)
    except OSError:
        return False
