"""A run draws a finished dataset's figures while later datasets' cells run; the report keeps
each file it would draw alike, and its files are those a report drawn from scratch writes."""

from __future__ import annotations

import functools
import hashlib
import shutil
import threading

import pandas as pd
import pytest

import treesvsnets
from treesvsnets.reports import plots, rendering
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


def test_a_run_draws_finished_datasets_ahead_and_its_report_equals_one_drawn_anew(
    tmp_path, monkeypatch
):
    where = []
    save = rendering._save_png

    def spy(fig, path):
        where.append((threading.current_thread().name, path.name))
        return save(fig, path)

    monkeypatch.setattr(rendering, "_save_png", spy)
    monkeypatch.setattr(rendering, "_can_fork", lambda figures: False)  # every drawing seen here
    result = treesvsnets.run(
        datasets=["iris", "wine", "breast_cancer"],
        estimators=["logreg"],
        folds=3,
        out=tmp_path / "runs",
        progress=False,
    )
    ahead = {name for thread, name in where if thread != "MainThread"}
    at_the_end = [name for thread, name in where if thread == "MainThread"]
    assert {"iris-folds.png", "wine-folds.png", "iris-pareto.png"} <= ahead  # while cells ran
    assert not any(name.startswith("breast_cancer") for name in ahead)  # the last: at the end
    assert not ahead & set(at_the_end)  # none drawn twice
    assert "breast_cancer-folds.png" in at_the_end

    anew = tmp_path / "anew"
    shutil.copytree(result.run_dir, anew)
    shutil.rmtree(anew / "figures")
    folder = RunFolder(anew)
    write_report(anew, folder.rows(), folder.read_manifest())
    assert _digests(anew / "figures") == _digests(result.run_dir / "figures")


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
