"""The report's process beside a run: what it raises reaches the caller, a failure to hand it
its work leaves the report to the run, and a process stopped leaves nothing behind."""

from __future__ import annotations

import os
import tempfile
import time
import warnings

import pytest

import treesvsnets
from treesvsnets import beside_cells
from treesvsnets.child_processes import two_cores_on_linux
from treesvsnets.reports import report

pytestmark = pytest.mark.skipif(
    not two_cores_on_linux(), reason="a process beside the run needs Linux and two cores"
)


@pytest.fixture(autouse=True)
def _as_alone(monkeypatch, tmp_path):
    monkeypatch.setattr(beside_cells, "_alone", lambda: True)  # a thread another test left
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    return temporary


def _run(out, **overrides):
    settings = {"datasets": ["iris", "wine"], "estimators": ["logreg"], "folds": 2}
    return treesvsnets.run(**{**settings, **overrides}, out=out, progress=False)


class LocalWarning(UserWarning):
    """A category of a module's top level: pickled by its name, it goes back as itself."""


def test_warnings_the_report_raises_in_its_process_reach_the_caller(tmp_path, monkeypatch):
    write = report.write_report

    class Unfindable(UserWarning):
        pass

    def noisy(*args, **kwargs):
        warnings.warn("drawn with care", LocalWarning, stacklevel=2)
        warnings.warn("from a local class", Unfindable, stacklevel=2)
        return write(*args, **kwargs)

    monkeypatch.setattr(report, "write_report", noisy)  # the forked process has it too
    with warnings.catch_warnings(record=True) as raised:
        warnings.simplefilter("always")
        result = _run(tmp_path)
    assert (result.run_dir / "report.html").is_file()
    found = {(w.category, str(w.message)) for w in raised}
    assert (LocalWarning, "drawn with care") in found
    assert (UserWarning, "from a local class") in found  # its class is not sent back


@pytest.fixture
def started(monkeypatch):
    """The report processes the run starts, as they are started."""
    made = []
    start = beside_cells._ReportProcess.start

    def spy():
        made.append(start())
        return made[-1]

    monkeypatch.setattr(beside_cells._ReportProcess, "start", staticmethod(spy))
    return made


def test_work_that_cannot_be_handed_over_leaves_the_report_to_the_run(
    tmp_path, monkeypatch, _as_alone, started
):
    def no_room(self, work):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(beside_cells._ReportProcess, "send", no_room)
    with warnings.catch_warnings():
        warnings.simplefilter("error", treesvsnets.errors.TreesVsNetsWarning)
        result = _run(tmp_path)
    assert (result.run_dir / "report.html").is_file()
    assert len(list((result.run_dir / "figures").glob("*.png"))) >= 4
    (process,) = started
    with pytest.raises(ProcessLookupError):  # stopped and reaped
        os.kill(process.pid, 0)
    assert not list(_as_alone.glob("treesvsnets-report-*"))


def test_a_process_stopped_before_the_report_is_gone_with_its_files(tmp_path, _as_alone):
    reports = beside_cells.ReportsBesideCells()
    reports.start()
    process = reports._process
    assert process is not None
    process.send(("ahead", ()))  # never read: the process is stopped first
    assert list(_as_alone.glob("treesvsnets-report-*"))
    process.abandon()
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)
    assert not list(_as_alone.glob("treesvsnets-report-*"))


def test_meanwhile_runs_while_the_report_is_written_in_its_process(tmp_path, monkeypatch):
    """The report's process waits for a file that only ``meanwhile`` writes: had the run
    waited for the report before calling it, the report would say it never came."""
    write = report.write_report

    def waits_for_meanwhile(run_dir, *args, **kwargs):
        flag = run_dir / "meanwhile-ran"
        for _ in range(600):  # up to 30 s
            if flag.exists():
                break
            time.sleep(0.05)
        (run_dir / "report-saw-meanwhile").write_text(str(flag.exists()))
        return write(run_dir, *args, **kwargs)

    monkeypatch.setattr(report, "write_report", waits_for_meanwhile)
    seen = []

    def meanwhile(result):
        assert (result.run_dir / "results.csv").is_file()  # the rows are written first
        seen.append(len(result.rows))
        (result.run_dir / "meanwhile-ran").touch()

    result = _run(tmp_path, meanwhile=meanwhile)
    assert seen == [len(result.rows)] and len(result.rows) == 8  # logreg, dummy
    assert (result.run_dir / "report-saw-meanwhile").read_text() == "True"
    assert (result.run_dir / "report.html").is_file()  # written before run returned


def test_a_run_that_fails_in_meanwhile_still_writes_its_report(tmp_path):
    def fails(result):
        raise RuntimeError("the caller's own error")

    with pytest.raises(RuntimeError, match="the caller's own error"):
        _run(tmp_path, meanwhile=fails)
    (manifest,) = tmp_path.glob("*/manifest.json")
    assert (manifest.parent / "report.html").is_file()
    assert not list(tmp_path.glob("tmp/treesvsnets-report-*"))


def test_ctrl_c_while_the_report_is_handed_over_leaves_no_process_waiting(
    tmp_path, monkeypatch, _as_alone, started
):
    send = beside_cells._ReportProcess.send

    def interrupted(self, work):
        if work[0] == "write":
            raise KeyboardInterrupt
        return send(self, work)

    monkeypatch.setattr(beside_cells._ReportProcess, "send", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path)
    (process,) = started
    with pytest.raises(ProcessLookupError):  # stopped and reaped, not left waiting for work
        os.kill(process.pid, 0)
    assert not list(_as_alone.glob("treesvsnets-report-*"))
    (manifest,) = tmp_path.glob("*/manifest.json")
    assert (manifest.parent / "results.csv").is_file()  # every row is kept


_STOPPED_IN_A_DEL = """
import signal, sys, time
from treesvsnets import beside_cells

signal.signal(signal.SIGTERM, beside_cells._stop)  # as the report's process sets them
sys.unraisablehook = beside_cells._stop_where_it_unwinds


class Drawing:
    def __del__(self):  # SIGTERM comes while Python runs a __del__ (or a weakref callback)
        signal.raise_signal(signal.SIGTERM)


Drawing()
time.sleep(3)
print("went on after SIGTERM", flush=True)
"""


def test_sigterm_where_python_ignores_exceptions_still_stops_the_report_process():
    """The report's process stops on SIGTERM by raising SystemExit; where that lands in a
    ``__del__`` or a weakref callback, Python used to print it as ignored and go on (until
    the run killed it seconds later); it now stops all the same, without the traceback."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _STOPPED_IN_A_DEL], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "went on" not in done.stdout
    assert "Exception ignored" not in done.stderr
