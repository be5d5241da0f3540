"""The reports' part of a run while its cells run (:class:`ReportsBesideCells`), and the
report at its end.

While the cells run, the report's libraries are imported (matplotlib, SciPy's statistics:
about half a second) and each finished dataset's figures are drawn while later datasets'
cells run, so a run over many datasets ends with only the last one's figures and those
across datasets to draw (the report keeps each file it would draw alike:
:func:`treesvsnets.reports.rendering.drawn_ahead`).

Where it can, that work runs in a forked process beside the run (:class:`_ReportProcess`),
which then writes the report itself: on Linux, with two cores this process may use, and no
other thread in it (a thread holding a lock at the fork, the import lock halfway through an
import, would leave the child waiting on it). A thread of this process would hold the
interpreter's lock while it imports and draws (matplotlib's rasteriser does not release
it), so each row the run stores and each job it hands a worker would wait for it: measured
on the four-estimator digits + breast_cancer suite, the cells took 0.3-0.4 s longer and the
first began 0.2 s later. Elsewhere (a notebook's kernel has threads; macOS, Windows) a
thread does the same work, and the report is written in this process.

The process gets its work as pickles in a private folder, named on a pipe (a pipe write of a
name never blocks the run, as a dataset's rows might), and leaves the outcome there: nothing,
or the warning to give. It ignores Ctrl-C (the run decides when to stop, and writes the
report of an interrupted run too) and dies with the run. If it dies, or cannot be started,
the report is written here, so a report is never lost to it.
"""

from __future__ import annotations

import os
import pickle
import queue
import shutil
import signal
import tempfile
import threading
import warnings
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from treesvsnets.child_processes import (
    die_with_parent,
    flush_standard_streams,
    kill_and_reap,
    two_cores_on_linux,
)
from treesvsnets.errors import TreesVsNetsWarning
from treesvsnets.results.folder import Manifest, RunFolder

#: a unit of work: ("ahead", (run_dir, rows, manifest, trials)) or ("write", (run_dir, rows,
#: manifest[, trials])); None ends the thread's loop
Work = tuple[str, tuple]
OUTCOME = "outcome.pickle"


def report_failure(
    run_dir: Path, rows: pd.DataFrame, manifest: Manifest, trials: pd.DataFrame | None = None
) -> str | None:
    """Write the reports (``trials``: by default the run folder's); None, or the warning to
    give when they could not be (a failure to draw them loses no result: it is a warning,
    not an error)."""
    from treesvsnets.reports.report import write_report

    try:
        write_report(run_dir, rows, manifest, trials)
    except Exception as exc:  # noqa: BLE001 - the rows and manifest are already written
        return (
            f"could not write the report ({type(exc).__name__}: {exc}); the results are in "
            f"{run_dir / 'results.csv'}; try again with: treesvsnets report {run_dir}"
        )
    return None


def write_report_or_warn(run_dir: Path, rows: pd.DataFrame, manifest: Manifest) -> None:
    """The reports, or a warning saying why they could not be written."""
    _warn(report_failure(run_dir, rows, manifest))


def _warn(message: str | None) -> None:
    if message is not None:
        warnings.warn(message, TreesVsNetsWarning, stacklevel=3)


def _serve(works: Iterator[Work]) -> tuple[bool, str | None]:
    """Import the report's libraries, then do each work in turn: draw a finished dataset's
    figures, or write the report (the last work). Whether the report was written, and the
    warning to give. A failure to import or to draw ahead is left for the report itself to
    say (it draws whatever is missing)."""
    from treesvsnets.reports.report import draw_ahead, preload

    try:
        preload()
    except Exception:  # noqa: BLE001 - the report says what is wrong
        pass
    for kind, args in works:
        if kind == "write":
            return True, report_failure(*args)
        try:
            draw_ahead(*args)
        except Exception:  # noqa: BLE001 - the report draws what is missing
            pass
    return False, None


class ReportsBesideCells:
    """The reports of one run: :meth:`start` when its cells are under way (in other
    processes), :meth:`dataset_done` for each dataset whose cells are all stored while others
    are still to come, :meth:`write` at the end (also without :meth:`start`: then everything
    is done here, after the cells). See the module's docstring."""

    def __init__(self) -> None:
        self._process: _ReportProcess | None = None
        self._thread: threading.Thread | None = None
        self._work: queue.SimpleQueue[Work | None] = queue.SimpleQueue()

    def start(self) -> None:
        if two_cores_on_linux() and _alone():
            self._process = _ReportProcess.start()
        if self._process is None:
            self._thread = threading.Thread(
                target=_serve,
                args=(iter(self._work.get, None),),
                name="treesvsnets-reports-ahead",
                daemon=True,
            )
            self._thread.start()

    def dataset_done(
        self, run_dir: Path, rows: pd.DataFrame, trials: pd.DataFrame, manifest: Manifest
    ) -> None:
        work = ("ahead", (run_dir, rows, manifest, trials))
        if self._process is not None:
            self._process.send(work)
        elif self._thread is not None:
            self._work.put(work)

    def write(self, run_dir: Path, rows: pd.DataFrame, manifest: Manifest) -> None:
        if self._process is not None:
            process, self._process = self._process, None
            # the trials are read here: the child's copy of this process's connection to the
            # store would keep one the child opened from removing the store's -wal file
            folder = RunFolder(run_dir)
            trials = folder.trials() if folder.store_path.is_file() else None
            done, failure = process.finish(("write", (run_dir, rows, manifest, trials)))
            if done:
                _warn(failure)
                return
        if self._thread is not None:
            self._work.put(None)
            self._thread.join()
        write_report_or_warn(run_dir, rows, manifest)


def _alone() -> bool:
    return threading.active_count() == 1


class _ReportProcess:
    """A forked child serving :func:`_serve` (see the module's docstring)."""

    def __init__(self, pid: int, pipe: Any, folder: Path) -> None:
        self.pid, self.pipe, self.folder = pid, pipe, folder
        self.sent = 0
        self._finalizer = weakref.finalize(self, _abandon, pid, pipe, folder)

    @classmethod
    def start(cls) -> _ReportProcess | None:
        """The child, or None where none could be made (no memory, no process left)."""
        folder = Path(tempfile.mkdtemp(prefix="treesvsnets-report-"))
        flush_standard_streams()  # nothing buffered here is written twice
        try:
            read, write = os.pipe()
            pid = os.fork()
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            return None
        if pid == 0:
            _child(read, write, folder)
        os.close(read)
        return cls(pid, os.fdopen(write, "wb", buffering=0), folder)

    def send(self, work: Work) -> None:
        self.sent += 1
        path = self.folder / f"{self.sent}.pickle"
        with open(path, "wb") as file:
            pickle.dump(work, file, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.pipe.write(f"{path.name}\n".encode())
        except BrokenPipeError:  # it died: the report is written here
            pass

    def finish(self, work: Work) -> tuple[bool, str | None]:
        """Send the last work, wait for the child; whether it ended with an outcome, and
        that outcome. Ctrl-C while waiting stops it."""
        self.send(work)
        self.pipe.close()
        try:
            _, status = os.waitpid(self.pid, 0)
            ended_well = os.waitstatus_to_exitcode(status) == 0
        except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored): its outcome says
            ended_well = True
        except BaseException:
            self._finalizer()
            raise
        outcome = self.folder / OUTCOME
        done = ended_well and outcome.is_file()
        failure = pickle.loads(outcome.read_bytes()) if done else None
        self._finalizer.detach()
        shutil.rmtree(self.folder, ignore_errors=True)
        return done, failure


def _child(read: int, write: int, folder: Path) -> None:
    """The forked child's life: serve the works named on the pipe ``read``, leave the
    outcome, and exit without this process's exit handlers."""
    code = 1
    try:
        os.close(write)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run decides when to stop
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the run's handler
        die_with_parent()
        with os.fdopen(read, "rb") as pipe:
            written, failure = _serve(_works(pipe, folder))
        if written:
            (folder / OUTCOME).write_bytes(pickle.dumps(failure))
            code = 0
    finally:
        flush_standard_streams()
        os._exit(code)


def _works(pipe: Any, folder: Path) -> Iterator[Work]:
    for line in pipe:
        path = folder / line.decode().strip()
        work = pickle.loads(path.read_bytes())
        path.unlink()
        yield work


def _abandon(pid: int, pipe: Any, folder: Path) -> None:
    """Stop the child (the run failed before its report, or Ctrl-C at the end)."""
    pipe.close()
    kill_and_reap(pid)
    shutil.rmtree(folder, ignore_errors=True)
