"""The report's process beside a run: what it raises reaches the caller, a failure to hand it
its work leaves the report to the run, and a process stopped leaves nothing behind."""

from __future__ import annotations

import os
import tempfile
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


def test_work_that_cannot_be_handed_over_leaves_the_report_to_the_run(
    tmp_path, monkeypatch, _as_alone
):
    started = []
    start = beside_cells._ReportProcess.start

    def spy():
        started.append(start())
        return started[-1]

    def no_room(self, work):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(beside_cells._ReportProcess, "start", staticmethod(spy))
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
