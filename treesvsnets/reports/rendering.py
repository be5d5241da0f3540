"""Drawing a report's figures to PNG, the report's costliest step (building each matplotlib
figure, laying out and rasterising its text, compressing the file), in two processes where
the machine allows.

A figure is handed over as a *drawing*: a function without arguments that builds it
(``functools.partial(plots.fold_scores, rows, dataset, order, metric)``). Inside
:func:`rendered_together` a drawing (:func:`render`) is queued, not run; when the block ends,
the queue is run: on Linux with 2 or more cores and no other thread in this process (a
thread holding a lock at the fork, the import lock halfway through an import, would leave
the child waiting on it), a forked child and this process draw the queue together, each
taking the next figure nobody has taken (:class:`_Shared`; the child inherits what the
drawings read, nothing is pickled, and leaves with ``os._exit``, so none of the parent's
exit handlers runs twice). Whatever the child did not write (it failed, or took longer than
:data:`CHILD_SECONDS`) is drawn here, so the files are the same either way, byte for byte.
Elsewhere (macOS, Windows, one core, another thread, a fork refused, one figure) the
drawings run one after another, as they do outside the block. Inside the block,
:func:`hand_over` gives the drawings queued so far to a child at once, so that it draws them
while this process goes on computing (a report's statistics); at the block's end this
process takes its share of what the child has not begun, draws the rest with a second
child, and waits for both.

A figure can also be drawn *ahead* (:func:`drawn_ahead`): a run draws a finished dataset's
figures while later cells run, and the report, when it comes, keeps each file whose drawing
is the same (the same function on equal arguments: :func:`drawing_key`) instead of drawing
it again. Equal arguments draw the same pixels, so the report's files are those it would
draw itself; a drawing that differs in anything (more rows, another order) is drawn again.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import io
import mmap
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from treesvsnets.child_processes import (
    die_with_parent,
    kill_and_reap,
    two_cores_on_linux,
    wait_for,
)
from treesvsnets.stopping import signals_blocked, signals_held, unblock_signals

#: the resolution of every figure
DPI = 110
#: zlib's level for the PNG files: 3 writes them about a third faster than matplotlib's
#: default, for files about 8% larger (the same pixels)
PNG_COMPRESSION = 3
#: how long a child may go on drawing before it is killed and this process draws what it left
CHILD_SECONDS = 120.0

#: a figure to draw: the function that builds it, and its PNG file
Drawing = tuple[Callable[[], Any], Path]

_QUEUE: contextvars.ContextVar[list[Drawing] | None] = contextvars.ContextVar("queue", default=None)
#: the drawings :func:`hand_over` gave a child in the enclosing block
_HANDED: contextvars.ContextVar[list[_Shared] | None] = contextvars.ContextVar(
    "handed", default=None
)
#: inside :func:`drawn_ahead`: each file drawn is remembered with its drawing's key
_AHEAD: contextvars.ContextVar[bool] = contextvars.ContextVar("ahead", default=False)
#: the files drawn ahead in this process, each with the key of the drawing that wrote it
_DRAWN_AHEAD: dict[Path, str] = {}
_DRAWN_LOCK = threading.Lock()


def render(draw: Callable[[], Any], path: Path) -> None:
    """Build the figure ``draw()`` returns and write it to ``path``: now, or when the
    enclosing :func:`rendered_together` ends; not at all when the same drawing already
    wrote it ahead (:func:`drawn_ahead`)."""
    if _already_drawn(draw, path):
        return
    queue = _QUEUE.get()
    if queue is None:
        _draw([(draw, path)])
    else:
        queue.append((draw, path))


@contextlib.contextmanager
def drawn_ahead() -> Iterator[None]:
    """Draw the figures rendered inside the block now, one by one, and remember each file
    with its drawing's key, so that a later report keeps the files it would draw alike."""
    token = _AHEAD.set(True)
    try:
        yield
    finally:
        _AHEAD.reset(token)


def _already_drawn(draw: Callable[[], Any], path: Path) -> bool:
    with _DRAWN_LOCK:
        known = _DRAWN_AHEAD.get(path)
    return known is not None and path.is_file() and known == drawing_key(draw)


def drawing_key(draw: Callable[[], Any]) -> str | None:
    """What identifies a drawing: its function and its arguments' values, hashed (None when
    they cannot be: such a drawing is always drawn). A table's values and labels count, not
    how pandas lays it out in memory: one dataset's rows read ahead, and the same
    rows cut from the whole run's (their row labels reset), have the same key."""
    if not isinstance(draw, functools.partial):
        return None
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo: equal values give equal bytes, shared objects or not
    try:
        pickler.dump(
            (
                f"{draw.func.__module__}.{draw.func.__qualname__}",
                _values(draw.args),
                _values(sorted(draw.keywords.items())),
            )
        )
    except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
        return None
    return hashlib.blake2b(buffer.getvalue(), digest_size=16).hexdigest()


def _values(item: Any) -> Any:
    """``item`` with its tables as their columns' names, types and values."""
    import pandas as pd

    if isinstance(item, pd.DataFrame):
        return (
            "DataFrame",
            _values(item.index.tolist()),
            [str(name) for name in item.columns],
            [
                (str(item.dtypes.iloc[i]), _values(item.iloc[:, i].tolist()))
                for i in range(item.shape[1])
            ],
        )
    if isinstance(item, pd.Series):
        values = (str(item.name), str(item.dtype), _values(item.tolist()))
        return ("Series", _values(item.index.tolist()), *values)
    if isinstance(item, (list, tuple)):
        return [type(item).__name__, *(_values(value) for value in item)]
    if isinstance(item, dict):
        return ["dict", *((_values(key), _values(value)) for key, value in item.items())]
    return item


@contextlib.contextmanager
def rendered_together() -> Iterator[None]:
    """Queue the figures rendered inside the block and draw them all when it ends."""
    queue: list[Drawing] = []
    handed: list[_Shared] = []
    tokens = _QUEUE.set(queue), _HANDED.set(handed)
    try:
        yield
    except BaseException:  # the report failed or was stopped: no child is left drawing
        for shared in handed:
            shared.abandon()
        raise
    finally:
        _QUEUE.reset(tokens[0])
        _HANDED.reset(tokens[1])
    fresh, later = _apart_from(handed, queue)  # later: after the child that holds the file
    rest = _Shared(_last_of_each_file(fresh))
    every = [*handed, rest]
    try:
        if _can_fork(len(rest.drawings)):
            rest.fork()
        for shared in every:  # whichever process is free takes the next figure
            shared.draw()
    except BaseException:  # a drawing failed here, or Ctrl-C: no child goes on alone
        for shared in every:
            shared.abandon()
        raise
    for shared in every:
        shared.reap()
    for shared in every:
        _draw(shared.unwritten())
    _draw(later)


def hand_over() -> None:
    """Inside :func:`rendered_together`, where it may fork: a child starts drawing the
    figures queued so far while this process goes on; when the block ends, this process
    draws those the child has not begun, waits for it and draws whatever it did not write."""
    queue, handed = _QUEUE.get(), _HANDED.get()
    if queue is None or handed is None:
        return
    # a file an earlier child holds is drawn again after it, here: never by two at once
    fresh, later = _apart_from(handed, queue)
    if not _can_fork(len(fresh)):
        return
    shared = _Shared(_last_of_each_file(fresh))
    try:
        forked = shared.fork()
    except BaseException:  # Ctrl-C as it forked: the child it made is stopped
        shared.abandon()
        raise
    if forked:
        queue[:] = later
        handed.append(shared)


def _apart_from(handed: list[_Shared], queue: list[Drawing]) -> tuple[list[Drawing], ...]:
    """The drawings in ``queue`` of files no child in ``handed`` holds, and the others
    (drawn once those children are done, so the last drawing of a file is what stays)."""
    theirs = {path for shared in handed for _, path in shared.drawings}
    return (
        [(draw, path) for draw, path in queue if path not in theirs],
        [(draw, path) for draw, path in queue if path in theirs],
    )


def _can_fork(figures: int) -> bool:
    """Two figures or more, on Linux, with two cores this process may use, and no other
    thread: a thread that holds a lock at the fork (the import lock, halfway through an
    import) would leave the child waiting on it forever."""
    return figures >= 2 and two_cores_on_linux() and _alone()


def _alone() -> bool:
    return threading.active_count() == 1


def _draw(queue: list[Drawing]) -> None:
    """Build, write and close each figure (pyplot keeps every open figure alive)."""
    from treesvsnets.reports import plots

    ahead = _AHEAD.get()
    for draw, path in queue:
        fig = draw()
        try:
            _save_png(fig, path)
        finally:
            plots.close(fig)
        if ahead and (key := drawing_key(draw)) is not None:
            with _DRAWN_LOCK:
                _DRAWN_AHEAD[path] = key


def _save_png(fig: Any, path: Path) -> None:
    """The figure as a 256-colour PNG: a plot has few colours, and a palette image is about a
    quarter of the RGBA file matplotlib writes (a report of 8 datasets: 2.8 MB of figures
    became 0.8 MB), for the same time (the canvas is drawn once, then quantized and
    encoded instead of encoded as RGBA). It is written beside its file, then put in its
    place: a drawing stopped halfway (Ctrl-C, SIGTERM) leaves no truncated PNG under the
    figure's name."""
    import numpy as np
    from PIL import Image

    fig.set_dpi(DPI)
    fig.canvas.draw()
    pixels = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("RGB")
    palette = pixels.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    partial = _partial(path, os.getpid())
    try:
        palette.save(partial, format="PNG", compress_level=PNG_COMPRESSION)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _partial(path: Path, pid: int) -> Path:
    """Where process ``pid`` writes ``path`` before moving it in place."""
    return path.with_name(f".{path.name}.{pid}.partial")


def _last_of_each_file(queue: list[Drawing]) -> list[Drawing]:
    """Two drawings of one file (two datasets whose names make the same slug) are one: the
    last, as when they are drawn one after another."""
    return list({path: (draw, path) for draw, path in queue}.values())


class _Shared:
    """Drawings this process and a forked child draw together: each process takes the next
    one nobody has taken, so whichever is free draws it (a child handed a report's datasets
    draws them while this process computes the statistics, then both draw what is left),
    and marks it written once its file is whole. Which drawing is taken or written lives in
    memory both processes see (an anonymous shared map, with a lock made before the fork).
    Without a child (:meth:`fork` not called, or refused) this process draws them all."""

    FREE, TAKEN, WRITTEN = 0, 1, 2

    def __init__(self, drawings: list[Drawing]) -> None:
        self.drawings = drawings
        self.pid: int | None = None
        self._state = mmap.mmap(-1, max(1, len(drawings)))
        #: this process's alone until :meth:`fork` makes one both processes see
        self._lock: Any = threading.Lock()

    def fork(self) -> bool:
        """Start a child drawing (Linux: see :func:`_can_fork`); False when no child could be
        made (no memory or process left). The child leaves with ``os._exit``, without the
        parent's exit handlers."""
        with signals_blocked():  # Ctrl-C now: after the fork, with the child known
            try:
                self._lock = multiprocessing.get_context("fork").Lock()
                pid = os.fork()
            except (OSError, ImportError):  # ImportError: no working sem_open (no /dev/shm)
                return False
            if pid == 0:  # the child: draw, then leave
                code = 1
                try:
                    unblock_signals()  # the handlers it inherits end it through os._exit
                    die_with_parent()  # no orphan goes on drawing into the run's folder
                    self.draw()
                    code = 0
                finally:
                    os._exit(code)
            self.pid = pid
            return True

    def draw(self) -> None:
        """Draw the next drawing nobody has taken, until none is left."""
        while (index := self._take()) is not None:
            _draw([self.drawings[index]])
            self._state[index] = self.WRITTEN

    def _take(self) -> int | None:
        with self._lock:
            index = self._state.find(bytes([self.FREE]), 0, len(self.drawings))
            if index < 0:
                return None
            self._state[index] = self.TAKEN
            return index

    def unwritten(self) -> list[Drawing]:
        """What neither process wrote whole (the child failed, or overran its time)."""
        return [d for i, d in enumerate(self.drawings) if self._state[i] != self.WRITTEN]

    def reap(self) -> None:
        """Wait for the child; a file it began and did not finish is removed when it did not
        exit cleanly (it is drawn again here)."""
        if self.pid is not None and not _child_done(self.pid):
            for index, (_, path) in enumerate(self.drawings):
                if self._state[index] == self.TAKEN:
                    path.unlink(missing_ok=True)
                    _partial(path, self.pid).unlink(missing_ok=True)

    def abandon(self) -> None:
        """Stop the child now, and remove every file it may have (half) written (Ctrl-C
        again meanwhile waits: a few milliseconds)."""
        with signals_held():
            if self.pid is not None:
                kill_and_reap(self.pid)
            for _, path in self.drawings:
                path.unlink(missing_ok=True)
                if self.pid is not None:
                    _partial(path, self.pid).unlink(missing_ok=True)


def _child_done(pid: int) -> bool:
    """Whether the child exited cleanly within :data:`CHILD_SECONDS` (else it is killed)."""
    return wait_for(pid, CHILD_SECONDS) == 0
