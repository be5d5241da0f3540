"""A run asked to stop: SIGTERM as Ctrl-C, and the wrap-up a signal waits for."""

import gc
import os
import signal

import pytest

from treesvsnets.errors import Terminated
from treesvsnets.stopping import signals_held, sigterm_as_interrupt


def test_sigterm_raises_terminated_inside_and_finds_its_old_handler_after():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated), sigterm_as_interrupt():
        signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_a_held_signal_acts_when_the_block_ends(number):
    done = []
    with pytest.raises(KeyboardInterrupt), sigterm_as_interrupt():
        with signals_held():
            signal.raise_signal(number)
            done.append("the rest of the block")
        done.append("after the block")
    assert done == ["the rest of the block"]


def test_every_signal_in_the_block_waits_for_its_end():
    """Ctrl-C pressed again and again while a run's folder is written: it is written whole."""
    done = []
    with pytest.raises(KeyboardInterrupt), signals_held():
        for _ in range(3):
            signal.raise_signal(signal.SIGINT)
            done.append("still here")
    assert done == ["still here"] * 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_blocks_own_error_goes_before_a_held_signal():
    with pytest.raises(ValueError), signals_held():
        signal.raise_signal(signal.SIGINT)
        raise ValueError("the export failed")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


_ARMED: list[bool] = []


def _signal_during_fork():
    """An after-fork hook of this process that sends it SIGTERM (once armed): a signal that
    comes while a child is forked."""
    if _ARMED:
        _ARMED.clear()
        signal.raise_signal(signal.SIGTERM)


@pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="no os.register_at_fork here")
def test_a_signal_during_the_fork_of_the_report_process_stops_the_run():
    """Python runs a handler that came during ``os.fork`` in an after-fork hook, which ignores
    what it raises: the run used to go on to its end. Now the fork holds the signal until it
    returns, and the child it made is stopped."""
    import psutil

    from treesvsnets.beside_cells import _ReportProcess

    if not _REGISTERED:
        os.register_at_fork(after_in_parent=_signal_during_fork)
        _REGISTERED.append(True)
    before = {child.pid for child in psutil.Process().children()}
    try:
        with pytest.raises(Terminated), sigterm_as_interrupt():
            _ARMED.append(True)
            _ReportProcess.start()  # the process beside a run's cells, as the run forks it
            gc.collect()  # the run would go on to its cells here
        assert not _ARMED  # the fork happened, and the signal with it
    finally:
        _ARMED.clear()  # no later fork of the tests meets it
    gc.collect()  # what start made and lost is finalized: its child stopped
    left = {c.pid for c in psutil.Process().children() if c.status() != psutil.STATUS_ZOMBIE}
    assert left <= before


_REGISTERED: list[bool] = []
