"""A report's figures are rendered in two processes where the machine allows, and the files
are the same as when they are drawn one after another, even when the child fails."""

from __future__ import annotations

import functools
import hashlib
import os
import sys

import pytest

from treesvsnets.reports import plots, rendering

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or (os.cpu_count() or 1) < 2, reason="renders in one process here"
)


def _figure(i, made):
    """Figure i, as a report's plot function builds one."""
    fig, ax = plots.pyplot().subplots(figsize=(4, 3), layout="constrained")
    ax.plot(range(10), [x * (i + 1) for x in range(10)], label=f"line {i}")
    ax.set_title(f"figure {i}")
    ax.legend()
    made.append(fig)
    return fig


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.png")}


def _render(folder, together, n=5, hand_over_at=None):
    folder.mkdir()
    made = []
    drawings = [(functools.partial(_figure, i, made), folder / f"f{i}.png") for i in range(n)]
    if together:
        with rendering.rendered_together():
            for i, (draw, path) in enumerate(drawings):
                if i == hand_over_at:
                    rendering.hand_over()  # a child draws those so far; this process goes on
                rendering.render(draw, path)
            assert not made  # queued or handed over, none drawn here yet
    else:
        for draw, path in drawings:
            rendering.render(draw, path)
    plt = plots.pyplot()
    assert not any(plt.fignum_exists(fig.number) for fig in made)  # each closed
    return _digests(folder)


def test_figures_rendered_in_two_processes_are_those_drawn_one_by_one(tmp_path, monkeypatch):
    monkeypatch.setattr(rendering, "_alone", lambda: True)  # a thread another test left
    one_by_one = _render(tmp_path / "serial", together=False)
    assert len(one_by_one) == 5
    assert _render(tmp_path / "together", together=True) == one_by_one


@pytest.mark.parametrize(("n", "hand_over_at", "forks"), [(5, None, [1]), (6, 3, [1, 1])])
def test_what_a_failing_child_did_not_draw_is_drawn_here(
    tmp_path, monkeypatch, n, hand_over_at, forks
):
    """The end's child, or also a hand-over's: what a child failed to draw is drawn here."""
    monkeypatch.setattr(rendering, "_alone", lambda: True)  # a thread another test left
    parent = os.getpid()
    draw = rendering._draw

    def fails_in_a_child(queue):
        if os.getpid() != parent:
            raise RuntimeError("the child breaks")
        draw(queue)

    monkeypatch.setattr(rendering, "_draw", fails_in_a_child)
    expected = _render(tmp_path / "serial", together=False, n=n)
    forked = _counting_forks(monkeypatch)
    together = _render(tmp_path / "together", together=True, n=n, hand_over_at=hand_over_at)
    assert together == expected
    assert forked == forks  # it did fork, and the parent drew what the children did not


def test_beside_another_thread_the_figures_are_drawn_here_without_a_fork(tmp_path, monkeypatch):
    """A fork beside a thread that holds a lock (halfway through an import) would leave the
    child waiting on it: with another thread alive, no fork."""
    import threading

    expected = _render(tmp_path / "serial", together=False)

    def no_fork():
        raise AssertionError("forked beside another thread")

    monkeypatch.setattr(os, "fork", no_fork)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert _render(tmp_path / "together", together=True) == expected
    finally:
        release.set()
        other.join()


def test_a_fork_that_fails_draws_every_figure_here(tmp_path, monkeypatch):
    expected = _render(tmp_path / "serial", together=False)

    def fails():
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", fails)
    assert _render(tmp_path / "together", together=True) == expected


def _counting_forks(monkeypatch):
    forked = []
    fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forked.append(1) or fork())
    return forked


def test_figures_handed_over_early_are_those_drawn_one_by_one(tmp_path, monkeypatch):
    """A child takes the figures queued before the hand-over (a report's datasets') while
    the rest are queued (its statistics' figures), drawn at the end in two processes."""
    monkeypatch.setattr(rendering, "_alone", lambda: True)  # a thread another test left
    expected = _render(tmp_path / "serial", together=False, n=8)
    forked = _counting_forks(monkeypatch)
    assert _render(tmp_path / "together", together=True, n=8, hand_over_at=4) == expected
    assert forked == [1, 1]  # the hand-over's child, and the end's


def test_a_file_drawn_again_after_the_hand_over_keeps_the_later_drawing(tmp_path, monkeypatch):
    """Two drawings of one file: the last one's pixels, as one after another."""
    monkeypatch.setattr(rendering, "_alone", lambda: True)  # a thread another test left
    made = []
    serial, together = tmp_path / "serial.png", tmp_path / "together.png"
    rendering.render(functools.partial(_figure, 7, made), serial)
    with rendering.rendered_together():
        rendering.render(functools.partial(_figure, 1, made), together)
        rendering.render(functools.partial(_figure, 2, made), tmp_path / "other.png")
        rendering.hand_over()
        rendering.render(functools.partial(_figure, 7, made), together)
    assert together.read_bytes() == serial.read_bytes()


def test_a_file_handed_over_twice_is_drawn_by_one_process_the_later_drawing(tmp_path, monkeypatch):
    """Two hand-overs with a drawing of the same file: the second child does not get it (two
    children would write it at once); it is drawn after the first, the last drawing's."""
    monkeypatch.setattr(rendering, "_alone", lambda: True)  # a thread another test left
    made = []
    serial, together = tmp_path / "serial.png", tmp_path / "together.png"
    rendering.render(functools.partial(_figure, 7, made), serial)
    forked = _counting_forks(monkeypatch)
    groups = []  # the files of each group of drawings made
    init = rendering._Shared.__init__

    def recorded(self, drawings):
        groups.append(sorted(path.name for _, path in drawings))
        init(self, drawings)

    monkeypatch.setattr(rendering._Shared, "__init__", recorded)
    with rendering.rendered_together():
        rendering.render(functools.partial(_figure, 1, made), together)
        rendering.render(functools.partial(_figure, 2, made), tmp_path / "a.png")
        rendering.hand_over()
        rendering.render(functools.partial(_figure, 7, made), together)
        rendering.render(functools.partial(_figure, 3, made), tmp_path / "b.png")
        rendering.render(functools.partial(_figure, 4, made), tmp_path / "c.png")
        rendering.hand_over()  # b and c only
    assert forked == [1, 1]  # each hand-over's child; the file drawn again is drawn here
    assert groups[:2] == [["a.png", "together.png"], ["b.png", "c.png"]]
    assert together.read_bytes() == serial.read_bytes()
    assert {p.name for p in tmp_path.glob("*.png")} == {"serial.png", "together.png", "a.png",
                                                         "b.png", "c.png"}  # fmt: skip


def test_a_report_that_fails_after_the_hand_over_leaves_no_child_drawing(tmp_path, monkeypatch):
    """The child is stopped and reaped, and its files (perhaps half written) removed."""
    monkeypatch.setattr(rendering, "_alone", lambda: True)  # a thread another test left
    made = []
    paths = [tmp_path / f"f{i}.png" for i in range(3)]
    with pytest.raises(RuntimeError, match="the statistics break"):
        with rendering.rendered_together():
            for i, path in enumerate(paths):
                rendering.render(functools.partial(_figure, i, made), path)
            rendering.hand_over()
            (handed,) = rendering._HANDED.get()
            raise RuntimeError("the statistics break")
    with pytest.raises(ChildProcessError):  # reaped: no such child any more
        os.waitpid(handed.pid, os.WNOHANG)
    assert not any(path.exists() for path in paths)


def _slow_figure(i, made, log):
    """Figure i, noting which process drew it; slow enough that neither process can take
    every figure before the other starts."""
    import time

    time.sleep(0.05)
    with open(log, "a") as out:
        out.write(f"{os.getpid()}\n")
    return _figure(i, made)


def test_the_child_and_this_process_share_the_figures_the_child_has_not_begun(
    tmp_path, monkeypatch
):
    """Handed over to a child, the figures are drawn by both processes once this one is
    free: each figure once, the same bytes as one by one."""
    monkeypatch.setattr(rendering, "_alone", lambda: True)  # a thread another test left
    made, log = [], tmp_path / "who.txt"
    paths = [tmp_path / f"f{i}.png" for i in range(6)]
    expected = {}
    for i, path in enumerate(paths):
        rendering.render(functools.partial(_figure, i, made), path)
        expected[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        path.unlink()
    with rendering.rendered_together():
        for i, path in enumerate(paths):
            rendering.render(functools.partial(_slow_figure, i, made, log), path)
        rendering.hand_over()
    drawers = log.read_text().split()
    assert len(drawers) == 6  # each figure drawn once
    assert str(os.getpid()) in drawers and len(set(drawers)) == 2  # here and in the child
    assert _digests(tmp_path) == expected


def test_where_there_is_no_fork_the_figures_are_drawn_here_without_a_fork_context(
    tmp_path, monkeypatch
):
    """Windows has no fork (nor its multiprocessing context): the queue is drawn here."""
    import multiprocessing

    expected = _render(tmp_path / "serial", together=False)

    def no_fork_context(method=None):
        raise ValueError(f"cannot find context for {method!r}")

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(multiprocessing, "get_context", no_fork_context)
    monkeypatch.setattr(os, "fork", no_fork_context)
    assert _render(tmp_path / "together", together=True, hand_over_at=2) == expected


def test_a_figure_stopped_while_it_is_written_leaves_no_file(tmp_path, monkeypatch):
    """Ctrl-C or SIGTERM while a PNG is written: neither a truncated file under the figure's
    name (a run's folder showed a 0-byte PNG) nor the part written beside it is left."""
    from PIL import Image

    save = Image.Image.save

    def stopped_halfway(self, fp, *args, **kwargs):
        with open(fp, "wb") as file:
            file.write(b"\x89PNG\r\n")  # the first bytes, then the signal
        raise KeyboardInterrupt

    path = tmp_path / "f0.png"
    path.write_bytes(b"the figure of an earlier report")
    monkeypatch.setattr(Image.Image, "save", stopped_halfway)
    with pytest.raises(KeyboardInterrupt):
        rendering.render(functools.partial(_figure, 0, []), path)
    assert path.read_bytes() == b"the figure of an earlier report"  # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["f0.png"]
    monkeypatch.setattr(Image.Image, "save", save)
    rendering.render(functools.partial(_figure, 0, []), path)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_a_child_killed_while_it_writes_a_figure_leaves_no_part_of_it(tmp_path, monkeypatch):
    """A drawing child killed halfway through a file (out of memory, SIGKILL): the part it
    wrote beside the figure is removed, and the figure is drawn here, whole."""
    import signal

    from PIL import Image

    monkeypatch.setattr(rendering, "_alone", lambda: True)  # a thread another test left
    parent = os.getpid()
    save = Image.Image.save

    def killed_in_a_child(self, fp, *args, **kwargs):
        if os.getpid() != parent:
            with open(fp, "wb") as file:
                file.write(b"\x89PNG\r\n")
            os.kill(os.getpid(), signal.SIGKILL)
        return save(self, fp, *args, **kwargs)

    expected = _render(tmp_path / "serial", together=False)
    monkeypatch.setattr(Image.Image, "save", killed_in_a_child)
    forked = _counting_forks(monkeypatch)
    assert _render(tmp_path / "together", together=True) == expected
    assert forked == [1]
    assert sorted(p.name for p in (tmp_path / "together").iterdir()) == sorted(expected)
