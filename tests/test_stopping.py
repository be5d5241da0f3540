"""A run asked to stop: SIGTERM as Ctrl-C, and the wrap-up a signal waits for."""

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


def test_a_second_signal_is_not_held():
    done = []
    with pytest.raises(KeyboardInterrupt), signals_held():
        signal.raise_signal(signal.SIGINT)
        done.append("after the first")
        signal.raise_signal(signal.SIGINT)
        done.append("after the second")
    assert done == ["after the first"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_blocks_own_error_goes_before_a_held_signal():
    with pytest.raises(ValueError), signals_held():
        signal.raise_signal(signal.SIGINT)
        raise ValueError("the export failed")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
