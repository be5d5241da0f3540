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

The process gets each work as a pickle in a file of its own, named on a pipe (a pipe write of
a name never blocks the run, as a dataset's rows might), and sends back on a second pipe the
outcome (nothing, or the warning to give) with the warnings the report raised, which are
given again here, so a caller that records or filters warnings sees them as from a report
written here. It ignores Ctrl-C (the run decides when to stop, and writes the report of an
interrupted run too), dies with the run (and so do the children it forks to draw), and on
SIGTERM stops its drawing children and removes what they half wrote. If it dies, cannot be
started, or cannot be given its work (a full or cleaned temporary folder), the report is
written here, so a report is never lost to it.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import sys
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
    two_cores_on_linux,
    wait_for,
)
from treesvsnets.errors import TreesVsNetsWarning
from treesvsnets.results.folder import Manifest
from treesvsnets.stopping import signals_blocked, signals_held, unblock_signals

#: a unit of work: ("ahead", (run_dir, rows, manifest, trials)) or ("write", (run_dir, rows,
#: manifest, trials)); None ends the thread's loop
Work = tuple[str, tuple]


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


def write_report_or_warn(
    run_dir: Path, rows: pd.DataFrame, manifest: Manifest, trials: pd.DataFrame | None = None
) -> None:
    """The reports, or a warning saying why they could not be written."""
    _warn(report_failure(run_dir, rows, manifest, trials))


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
    are still to come, :meth:`begin` at the end (also without :meth:`start`: then everything
    is done here, after the cells), then :meth:`wait` for the report. See the module's
    docstring."""

    def __init__(self) -> None:
        self._process: _ReportProcess | None = None
        self._thread: threading.Thread | None = None
        self._work: queue.SimpleQueue[Work | None] = queue.SimpleQueue()
        #: what :meth:`begin` was given: the report to write
        self._written: tuple[Path, pd.DataFrame, Manifest, pd.DataFrame] | None = None

    @property
    def run_dir(self) -> Path | None:
        """The folder of the run whose report :meth:`begin` was given (None before)."""
        return None if self._written is None else Path(self._written[0])

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
            try:
                self._process.send(work)
            except (OSError, pickle.PicklingError):  # no room, or it died: the report is here
                self._process.abandon()
                self._process = None
        elif self._thread is not None:
            self._work.put(work)

    def begin(
        self, run_dir: Path, rows: pd.DataFrame, manifest: Manifest, trials: pd.DataFrame
    ) -> None:
        """Have the report written (``trials``: the run's, as the harness read them from its
        store: the child never opens the store, where its copy of this process's connection
        would keep the store's -wal file from being removed): handed to the process beside
        the run, which writes it while this one goes on until :meth:`wait`; without one, it
        is written here, now."""
        self._written = (run_dir, rows, manifest, trials)
        process, self._process = self._process, None  # stopped, if Ctrl-C comes meanwhile
        if process is not None and process.hand_over(("write", self._written)):
            self._process = process
            return
        self._write_here()

    def wait(self) -> None:
        """The report :meth:`begin` handed over is written (or its warning given); the
        process beside the run is stopped where no report was asked of it."""
        process, self._process = self._process, None
        if self._written is None:  # the run stopped before its end: nothing to write
            if process is not None:
                process.abandon()
            if self._thread is not None:
                self._work.put(None)
            return
        if process is None:
            return
        outcome = process.outcome()
        if outcome is None:  # it died: the report is written here
            self._write_here()
            return
        failure, raised = outcome
        for category, message, filename, lineno in raised:
            warnings.warn_explicit(message, category, filename, lineno)
        _warn(failure)

    def _write_here(self) -> None:
        if self._thread is not None:
            self._work.put(None)
            self._thread.join()
            self._thread = None
        if self._written is not None:
            write_report_or_warn(*self._written)


def _alone() -> bool:
    return threading.active_count() == 1


#: what the child sends back: the warning to give (or None), and each warning the report
#: raised as (category, message, filename, line)
Outcome = tuple[str | None, list[tuple[type[Warning], str, str, int]]]


class _ReportProcess:
    """A forked child serving :func:`_serve` (see the module's docstring)."""

    def __init__(self, pid: int, pipe: Any, outcome_fd: int) -> None:
        self.pid, self.pipe, self.outcome_fd = pid, pipe, outcome_fd
        self.files: list[Path] = []  # the works' files not yet known to be read
        self._finalizer = weakref.finalize(self, _abandon, pid, pipe, outcome_fd, self.files)

    @classmethod
    def start(cls) -> _ReportProcess | None:
        """The child, or None where none could be made (no memory, no process left)."""
        flush_standard_streams()  # nothing buffered here is written twice
        try:
            to_child, from_child = os.pipe(), os.pipe()
        except OSError:
            return None
        with signals_blocked():  # Ctrl-C now: after the fork, with the child known
            try:
                pid = os.fork()
            except OSError:
                for fd in (*to_child, *from_child):
                    os.close(fd)
                return None
            if pid == 0:
                _child(to_child, from_child)
            os.close(to_child[0])
            os.close(from_child[1])
            return cls(pid, os.fdopen(to_child[1], "wb", buffering=0), from_child[0])

    def send(self, work: Work) -> None:
        """Hand the child ``work`` (OSError: no room for it, or the child is gone)."""
        fd, name = tempfile.mkstemp(prefix="treesvsnets-report-", suffix=".pickle")
        self.files.append(Path(name))
        with os.fdopen(fd, "wb") as file:
            pickle.dump(work, file, protocol=pickle.HIGHEST_PROTOCOL)
        self.pipe.write(pickle.dumps(name))  # a few bytes: never blocks

    def hand_over(self, work: Work) -> bool:
        """Hand the child ``work``, the report's writing, its last; False (the child is
        stopped) when it cannot be given it."""
        try:
            self.send(work)
            self.pipe.close()
        except (OSError, pickle.PicklingError):
            self.abandon()
            return False
        except BaseException:  # Ctrl-C: no child is left waiting for the rest of its work
            self.abandon()
            raise
        return True

    def outcome(self) -> Outcome | None:
        """Wait for the child to end: its outcome, or None when it wrote none (it died).
        Ctrl-C while waiting stops it."""
        try:
            sent = _read_all(self.outcome_fd)  # until the child ends
            _, status = os.waitpid(self.pid, 0)
            ended_well = os.waitstatus_to_exitcode(status) == 0
        except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored): what it sent says
            ended_well = True
        except OSError:
            self.abandon()
            return None
        except BaseException:
            self.abandon()
            raise
        self._finalizer.detach()  # it has ended: there is nothing to stop
        _close(self.pipe, self.outcome_fd, self.files)
        return pickle.loads(sent) if ended_well and sent else None

    def abandon(self) -> None:
        """Stop the child (see :func:`_abandon`)."""
        self._finalizer()


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _child(to_child: tuple[int, int], from_child: tuple[int, int]) -> None:
    """The forked child's life: serve the works named on its pipe, send back the outcome
    with the warnings raised, and exit without this process's exit handlers."""
    code = 1
    try:
        os.close(to_child[1])
        os.close(from_child[0])
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run decides when to stop
        signal.signal(signal.SIGTERM, _stop)  # a drawing child is stopped, its file removed
        sys.unraisablehook = _stop_where_it_unwinds
        unblock_signals()
        die_with_parent()
        with os.fdopen(to_child[0], "rb") as pipe, warnings.catch_warnings(record=True) as raised:
            written, failure = _serve(_works(pipe))
        if written:
            outcome: Outcome = (failure, [_sendable(w) for w in raised])
            with os.fdopen(from_child[1], "wb") as sent:
                sent.write(pickle.dumps(outcome))
            code = 0
    finally:
        flush_standard_streams()
        os._exit(code)


def _stop(signum: int, frame: Any) -> None:
    """SIGTERM in the report's process: unwind (its drawing children are stopped, what they
    half wrote removed), once: a second SIGTERM (the run's, after its group's) would cut
    that short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise SystemExit(1)


def _stop_where_it_unwinds(unraisable: Any) -> None:
    """The child's ``sys.unraisablehook``: :func:`_stop`'s SystemExit, raised where Python
    ignores exceptions (a weakref callback, a ``__del__``), is raised again a millisecond
    later (a timer: not in this hook, where it would be ignored too), where it ends the
    child, instead of a stray traceback and a child that goes on until it is killed."""
    if isinstance(unraisable.exc_value, SystemExit):
        signal.signal(signal.SIGALRM, _stop)
        signal.setitimer(signal.ITIMER_REAL, 0.001)
    else:
        sys.__unraisablehook__(unraisable)


def _works(pipe: Any) -> Iterator[Work]:
    while True:
        try:
            name = pickle.load(pipe)
        except EOFError:
            return
        path = Path(name)
        work = pickle.loads(path.read_bytes())
        path.unlink()
        yield work


def _sendable(raised: warnings.WarningMessage) -> tuple[type[Warning], str, str, int]:
    """A warning as the child sends it back (a category that cannot be pickled, one defined
    in a function, goes back as UserWarning)."""
    try:
        pickle.dumps(raised.category)
        category = raised.category
    except (pickle.PicklingError, AttributeError, TypeError):
        category = UserWarning
    return category, str(raised.message), raised.filename, raised.lineno


def _abandon(pid: int, pipe: Any, outcome: int, files: list[Path]) -> None:
    """Stop the child, not yet reaped (SIGTERM: it stops its drawing children and removes
    what they half wrote; SIGKILL after :data:`STOP_SECONDS`), close the pipes and remove
    the works' files; Ctrl-C again meanwhile waits for it (nothing is left behind)."""
    with signals_held():
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        wait_for(pid, STOP_SECONDS)
        _close(pipe, outcome, files)


def _close(pipe: Any, outcome: int, files: list[Path]) -> None:
    pipe.close()
    try:
        os.close(outcome)
    except OSError:  # closed already
        pass
    for path in files:
        path.unlink(missing_ok=True)


#: how long a stopped child may take to stop its drawing children before it is killed
STOP_SECONDS = 5.0
