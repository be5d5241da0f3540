"""What a cell (or a tuning trial) records of a failure: whether an exception is the
estimator's to record (:func:`its_own_failure`) and its one line (:func:`one_line`)."""

from __future__ import annotations

import signal

#: a row's error (and its list of warnings) is cut to this many characters
MAX_MESSAGE = 500


def one_line(exc: BaseException) -> str:
    """An exception as one line of at most 500 characters, for a row's ``error``."""
    if isinstance(exc, SystemExit):
        return f"SystemExit: the estimator called sys.exit({exc.code!r})"
    try:
        said = str(exc)
    except Exception:  # noqa: BLE001 - an estimator's exception whose __str__ fails
        said = "(its message could not be read)"
    text = f"{type(exc).__name__}: {said}".strip().rstrip(":").splitlines()  # ': ' no message
    message = " ".join(line.strip() for line in text)
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


def its_own_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is the estimator's failure, to record: any exception the harness never
    raises in a cell (SystemExit from ``sys.exit``, asyncio's CancelledError...), and a
    KeyboardInterrupt where Ctrl-C is ignored (a worker: only the estimator raises it)."""
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    return not isinstance(exc, GeneratorExit) and (
        not isinstance(exc, KeyboardInterrupt) or ignored
    )
