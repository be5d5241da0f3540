"""A run draws a finished dataset's figures while later datasets' cells run; the report keeps
each file it would draw alike, and its files are those a report drawn from scratch writes."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
import threading
import warnings

import pandas as pd
import pytest

import treesvsnets
from treesvsnets import beside_cells
from treesvsnets.child_processes import two_cores_on_linux
from treesvsnets.reports import content, plots, rendering
from treesvsnets.reports.report import write_report
from treesvsnets.results.folder import RunFolder


def _line(frame, title):
    """A figure from a table's values, as a report's plot function builds one."""
    fig, ax = plots.pyplot().subplots(figsize=(3, 2))
    ax.plot(frame["x"].tolist(), frame["y"].tolist())
    ax.set_title(title)
    return fig


def _frame(n=6, shift=0.0):
    return pd.DataFrame({"x": range(n), "y": [i * 2.0 + shift for i in range(n)], "d": "a"})


def test_a_drawings_key_is_its_function_and_argument_values():
    whole = pd.concat([_frame().assign(d="b"), _frame()], ignore_index=True)
    cut = whole[whole["d"] == "a"].reset_index(drop=True)  # as the report cuts a dataset
    key = rendering.drawing_key(functools.partial(_line, _frame(), "t"))
    assert key is not None
    assert rendering.drawing_key(functools.partial(_line, cut, "t")) == key
    assert rendering.drawing_key(functools.partial(_line, _frame(shift=1e-9), "t")) != key
    assert rendering.drawing_key(functools.partial(_line, _frame(), "u")) != key
    labelled = _frame().set_axis(list(range(10, 16)))  # same values, other row labels
    assert rendering.drawing_key(functools.partial(_line, labelled, "t")) != key
    assert rendering.drawing_key(functools.partial(_frame)) != key  # another function
    assert rendering.drawing_key(lambda: _line(_frame(), "t")) is None  # never taken as drawn


def test_a_figure_drawn_ahead_is_kept_and_a_different_one_drawn_again(tmp_path, monkeypatch):
    drawn = []
    save = rendering._save_png
    monkeypatch.setattr(
        rendering, "_save_png", lambda fig, path: drawn.append(path) or save(fig, path)
    )
    path = tmp_path / "f.png"
    with rendering.drawn_ahead():
        rendering.render(functools.partial(_line, _frame(), "t"), path)
    first = path.read_bytes()
    rendering.render(functools.partial(_line, _frame(), "t"), path)  # the same: kept
    assert drawn == [path]
    rendering.render(functools.partial(_line, _frame(shift=3.0), "t"), path)  # not the same
    assert drawn == [path, path] and path.read_bytes() != first
    path.unlink()
    with rendering.drawn_ahead():
        rendering.render(functools.partial(_line, _frame(), "t"), path)
    path.unlink()  # a file removed since is drawn again
    rendering.render(functools.partial(_line, _frame(), "t"), path)
    assert len(drawn) == 4 and path.read_bytes() == first


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.png")}


def _spy_on_drawings(monkeypatch, log):
    """Each figure written, as a line of ``log`` (a file: the report's process writes there
    too): the process, the thread, whether drawn ahead, the file's name."""
    save = rendering._save_png

    def spy(fig, path):
        with open(log, "a") as file:
            ahead = rendering._AHEAD.get()
            file.write(f"{os.getpid()} {threading.current_thread().name} {ahead} {path.name}\n")
        return save(fig, path)

    monkeypatch.setattr(rendering, "_save_png", spy)
    monkeypatch.setattr(rendering, "_can_fork", lambda figures: False)  # no drawing child


def _spy_on_sections(monkeypatch, log):
    """Each dataset's section built, as a line of ``log``: the dataset's name."""
    build = content.dataset_section

    def spy(dataset, *args):
        with open(log, "a") as file:
            file.write(f"{dataset}\n")
        return build(dataset, *args)

    monkeypatch.setattr(content, "dataset_section", spy)


def _drawings(log):
    lines = log.read_text().splitlines() if log.is_file() else []
    return [tuple(line.split(" ")) for line in lines]


FORKS = pytest.mark.skipif(
    not two_cores_on_linux(), reason="a process beside the run needs Linux and two cores"
)


@pytest.mark.parametrize("beside", [pytest.param("process", marks=FORKS), "thread"])
def test_a_run_draws_finished_datasets_ahead_and_its_report_equals_one_drawn_anew(
    tmp_path, monkeypatch, beside
):
    """In a forked process beside the run (which then writes the report), or where none can
    be made, in a thread (and the report here)."""
    log, built = tmp_path / "drawn.txt", tmp_path / "built.txt"
    _spy_on_drawings(monkeypatch, log)
    _spy_on_sections(monkeypatch, built)
    monkeypatch.setattr(beside_cells, "_alone", lambda: True)  # a thread another test left
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    if beside == "thread":
        monkeypatch.setattr(beside_cells._ReportProcess, "start", classmethod(lambda cls: None))
    result = treesvsnets.run(
        datasets=["iris", "wine", "breast_cancer"],
        estimators=["logreg"],
        folds=3,
        out=tmp_path / "runs",
        progress=False,
    )
    drawn = _drawings(log)
    ahead = {name for _, _, flag, name in drawn if flag == "True"}
    at_the_end = [name for _, _, flag, name in drawn if flag == "False"]
    assert {"iris-folds.png", "wine-folds.png", "iris-pareto.png"} <= ahead  # while cells ran
    assert not any(name.startswith("breast_cancer") for name in ahead)  # the last: at the end
    assert not ahead & set(at_the_end)  # none drawn twice
    assert "breast_cancer-folds.png" in at_the_end
    where = {(pid, thread, flag) for pid, thread, flag, _ in drawn}
    here = str(os.getpid())
    if beside == "process":  # everything in one other process
        assert len({pid for pid, _, _ in where}) == 1 and here not in {pid for pid, _, _ in where}
        # it never opened the store: its copy of this process's connection would have kept
        # the store's -wal file there
        assert not list(result.run_dir.glob("*-wal"))
    else:
        assert where == {(here, "treesvsnets-reports-ahead", "True"), (here, "MainThread", "False")}
    assert not list(temporary.glob("treesvsnets-report-*"))  # its folder of work is removed
    # each section built once: the finished datasets' ahead, taken by the report as they were
    assert sorted(built.read_text().split()) == ["breast_cancer", "iris", "wine"]

    anew = tmp_path / "anew"
    shutil.copytree(result.run_dir, anew)
    shutil.rmtree(anew / "figures")
    folder = RunFolder(anew)
    write_report(anew, folder.rows(), folder.read_manifest())
    assert _digests(anew / "figures") == _digests(result.run_dir / "figures")
    for name in ("report.md", "report.html", "summary.csv"):
        assert (anew / name).read_bytes() == (result.run_dir / name).read_bytes()


def test_a_section_built_ahead_is_taken_only_from_equal_inputs_with_its_figures(
    tmp_path, monkeypatch
):
    """Rows that changed since (a resumed cell, a score) or a figure file removed: the
    section is built again, and the report says what the rows say."""
    result = treesvsnets.run(
        datasets=["iris", "wine"],
        estimators=["logreg", "rf"],
        folds=2,
        out=tmp_path / "runs",
        progress=False,
        isolate=False,
    )
    folder = RunFolder(result.run_dir)
    rows, manifest, trials = folder.rows(), folder.read_manifest(), folder.trials()
    built = tmp_path / "built.txt"
    _spy_on_sections(monkeypatch, built)

    def report_after_ahead(ahead_rows, report_rows):
        built.unlink(missing_ok=True)
        iris = ahead_rows[ahead_rows["dataset"] == "iris"]
        content.draw_dataset_ahead(iris, manifest, folder.path, trials)
        write_report(folder.path, report_rows, manifest)
        return built.read_text().split(), (folder.path / "report.md").read_text()

    assert report_after_ahead(rows, rows)[0] == ["iris", "wine"]  # iris's taken
    changed = rows.copy()
    changed.loc[changed["dataset"] == "iris", "accuracy"] = 0.5
    names, markdown = report_after_ahead(rows, changed)
    assert names == ["iris", "wine", "iris"]  # built again (wine: the last, first)
    assert "0.5000" in markdown.split("## wine")[0]
    content.draw_dataset_ahead(rows[rows["dataset"] == "iris"], manifest, folder.path, trials)
    built.unlink()
    (folder.path / "figures" / "iris-folds.png").unlink()
    write_report(folder.path, rows, manifest)
    assert built.read_text().split() == ["wine", "iris"]
    assert (folder.path / "figures" / "iris-folds.png").is_file()


@FORKS
def test_a_report_process_that_dies_leaves_the_report_to_the_run(tmp_path, monkeypatch):
    log = tmp_path / "drawn.txt"
    _spy_on_drawings(monkeypatch, log)
    monkeypatch.setattr(beside_cells, "_alone", lambda: True)
    monkeypatch.setattr(beside_cells, "_serve", lambda works: os._exit(9))  # in the child
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: the report is written all the same
        result = treesvsnets.run(
            datasets=["iris", "wine"], estimators=["logreg"], folds=2, out=tmp_path, progress=False
        )
    assert (result.run_dir / "report.html").is_file()
    assert {pid for pid, *_ in _drawings(log)} == {str(os.getpid())}  # all drawn here
    assert "wine-folds.png" in {name for *_, name in _drawings(log)}


def test_cells_in_this_process_get_no_drawing_beside_them(tmp_path, monkeypatch):
    where = []
    save = rendering._save_png
    monkeypatch.setattr(
        rendering,
        "_save_png",
        lambda fig, path: where.append(threading.current_thread().name) or save(fig, path),
    )
    monkeypatch.setattr(rendering, "_can_fork", lambda figures: False)
    treesvsnets.run(
        datasets=["iris", "wine"],
        estimators=["logreg"],
        folds=2,
        out=tmp_path / "runs",
        progress=False,
        isolate=False,
        baseline=False,
    )
    assert where and set(where) == {"MainThread"}


@pytest.fixture(autouse=True)
def _forget_drawn_ahead(monkeypatch):
    monkeypatch.setattr(rendering, "_DRAWN_AHEAD", {})


@FORKS
def test_two_datasets_whose_figures_share_files_keep_the_last_ones_drawing(tmp_path, monkeypatch):
    """Rows of a run written before short names name a table by its path: 'p/x.csv' and
    'q/x.csv' share the files x.csv-*.png. The report drawn in two processes leaves the last
    dataset's drawings there, as one drawn one by one does: those of a report of it alone."""
    monkeypatch.setattr(rendering, "_alone", lambda: True)  # a thread another test left
    result = treesvsnets.run(
        datasets=["iris", "wine"],
        estimators=["logreg"],
        folds=2,
        isolate=False,
        out=tmp_path / "runs",
        progress=False,
    )
    names = {"iris": "p/x.csv", "wine": "q/x.csv"}
    manifest = RunFolder(result.run_dir).read_manifest()
    for entry in manifest.datasets:
        entry["name"] = names[entry["name"]]
    for split in manifest.splits:
        split["dataset"] = names[split["dataset"]]
    rows = result.rows.assign(dataset=result.rows["dataset"].map(names))
    both, last = tmp_path / "both", tmp_path / "last"
    both.mkdir(), last.mkdir()
    write_report(both, rows, manifest)
    manifest.datasets[:] = [e for e in manifest.datasets if e["name"] == "q/x.csv"]
    manifest.splits[:] = [s for s in manifest.splits if s["dataset"] == "q/x.csv"]
    write_report(last, rows[rows["dataset"] == "q/x.csv"], manifest)
    shared = {n: d for n, d in _digests(both / "figures").items() if n.startswith("x.csv-")}
    assert len(shared) >= 3
    assert shared == _digests(last / "figures")
