"""Rendering a report's figures to PNG, the report's costliest step (about 0.2 s a figure,
most of it matplotlib laying out and rasterising text), in two processes where the machine
allows.

Inside :func:`rendered_together` a saved figure (:func:`render`) is queued, not drawn; when the
block ends, the queue is rendered: on Linux with 2 or more cores, a forked child draws every
other figure while this process draws the rest (the child inherits the figures, nothing is
pickled, and leaves with ``os._exit``, so none of the parent's exit handlers runs twice).
Whatever the child did not write (it failed, or took longer than :data:`CHILD_SECONDS`) is
drawn here, so the files are the same either way, byte for byte. Elsewhere (macOS, Windows,
one core, one figure) the figures are drawn one after another.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import signal
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: the resolution of every figure
DPI = 110
#: zlib's level for the PNG files: 3 writes them about a third faster than matplotlib's
#: default, for files about 8% larger (the same pixels)
PNG_COMPRESSION = 3
#: how long the child may draw its half before this process draws it instead
CHILD_SECONDS = 120.0

_QUEUE: contextvars.ContextVar[list[tuple[Any, Path]] | None] = contextvars.ContextVar(
    "queue", default=None
)


def render(fig: Any, path: Path) -> None:
    """Write ``fig`` to ``path`` and close it: now, or when the enclosing
    :func:`rendered_together` ends."""
    queue = _QUEUE.get()
    if queue is not None:
        queue.append((fig, path))
        return
    try:
        _draw([(fig, path)])
    finally:
        _close([(fig, path)])


@contextlib.contextmanager
def rendered_together() -> Iterator[None]:
    """Queue the figures saved inside the block and render them all when it ends."""
    queue: list[tuple[Any, Path]] = []
    token = _QUEUE.set(queue)
    try:
        yield
    finally:
        _QUEUE.reset(token)
    try:
        _draw_in_two(queue) if _can_fork(len(queue)) else _draw(queue)
    finally:
        _close(queue)


def _close(queue: list[tuple[Any, Path]]) -> None:
    """Free the figures (pyplot keeps every open figure alive)."""
    from treesvsnets.reports import plots

    for fig, _ in queue:
        plots.close(fig)


def _can_fork(figures: int) -> bool:
    return figures >= 2 and sys.platform == "linux" and (os.cpu_count() or 1) >= 2


def _draw(queue: list[tuple[Any, Path]]) -> None:
    for fig, path in queue:
        fig.savefig(path, dpi=DPI, pil_kwargs={"compress_level": PNG_COMPRESSION})


def _draw_in_two(queue: list[tuple[Any, Path]]) -> None:
    """Half the queue in a forked child, half here; then whatever the child did not write."""
    theirs, ours = queue[1::2], queue[0::2]
    for _, path in theirs:
        path.unlink(missing_ok=True)  # a file left by an earlier report is not the child's
    with warnings.catch_warnings():  # Python 3.12+ warns of fork beside threads: the child
        warnings.simplefilter("ignore", DeprecationWarning)  # only draws, then _exit()s
        pid = os.fork()
    if pid == 0:  # the child: draw, then leave without the parent's exit handlers
        code = 1
        try:
            _draw(theirs)
            code = 0
        finally:
            os._exit(code)
    _draw(ours)
    if not _child_done(pid):
        for _, path in theirs:
            path.unlink(missing_ok=True)  # it may have been half written
    _draw([(fig, path) for fig, path in theirs if not path.is_file()])


def _child_done(pid: int) -> bool:
    """Whether the child exited cleanly within :data:`CHILD_SECONDS` (else it is killed)."""
    deadline = time.monotonic() + CHILD_SECONDS
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) == 0
        time.sleep(0.005)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return False
