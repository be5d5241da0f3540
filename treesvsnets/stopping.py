"""How a run stops when it is asked to: SIGTERM as Ctrl-C, and a wrap-up no signal cuts short.

* :func:`sigterm_as_interrupt`: inside it, SIGTERM (a scheduler ending the job, ``kill``)
  raises :class:`~treesvsnets.errors.Terminated`, a ``KeyboardInterrupt``, so the run stops
  as it does on Ctrl-C: finished cells kept, the folder readable, the command's exit code 143.
  The API holds it over a whole run, its report included; the harness over its cells.
* :func:`signals_held`: inside it, SIGINT and SIGTERM wait for the block's end (the run's
  rows exported and its manifest written: a second or less), then the first acts as it
  would have, so a run's folder is never left half written, however often Ctrl-C is
  pressed (SIGKILL still ends the process).
* :func:`signals_blocked`: the same around a fork, done by the kernel: Python would run a
  handler that came during ``os.fork`` inside an after-fork hook, which ignores what it
  raises (the run went on to its end); the child, which inherits the block, lifts it with
  :func:`unblock_signals` once its own handlers are set.

They do nothing outside the main thread, where Python runs no signal handler.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from treesvsnets.errors import Terminated

#: the signals that ask a run to stop
STOPPING = (signal.SIGINT, signal.SIGTERM)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the block as Ctrl-C does (with :class:`Terminated`)."""
    if not _in_main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Terminated(f"received signal {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM that come inside the block wait for its end, where the first acts
    (an exception of the block's own goes first). Handlers, not the kernel's mask: a signal
    the kernel hands to another thread is held too."""
    previous = {number: signal.getsignal(number) for number in STOPPING}
    previous = {number: handler for number, handler in previous.items() if handler is not None}
    if not _in_main_thread() or not previous:
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: object) -> None:
        caught.append(signum)

    _install(dict.fromkeys(previous, hold))
    try:
        yield
    finally:
        _install(previous)
    if caught:
        signal.raise_signal(caught[0])  # to the handler it would have met


def _install(handlers: dict) -> None:
    for number, handler in handlers.items():
        signal.signal(number, handler)


@contextmanager
def signals_blocked() -> Iterator[None]:
    """SIGINT and SIGTERM left pending by the kernel inside the block (around a fork, in a
    process with no other thread), delivered at its end."""
    if not hasattr(signal, "pthread_sigmask") or not _in_main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def unblock_signals() -> None:
    """In a child forked inside :func:`signals_blocked`, once its handlers are set: the
    signals it is sent from now on reach them."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)
