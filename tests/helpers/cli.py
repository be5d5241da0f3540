"""Run the real ``treesvsnets`` command in a subprocess, as a user would.

:func:`cli` runs it in a process forked from a server that has already imported what the
command imports (:mod:`tests.helpers.forkserver`), where it can: the same entry point,
arguments, working directory, environment, streams and exit code as ``python -m treesvsnets``
in a new interpreter, without paying its imports again for each of the tests' commands.
Where it cannot, and in :func:`cli_in_background`, the command starts as a new interpreter.
"""

from __future__ import annotations

import signal
import subprocess
import sys

from tests.helpers.forkserver import run_command


def cli(*args, cwd=None, env=None, timeout=600) -> subprocess.CompletedProcess:
    argv = [str(arg) for arg in args]
    done = run_command(argv, cwd, env, timeout)
    if done is not None:
        return done
    return subprocess.run(
        [sys.executable, "-m", "treesvsnets", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def cli_in_background(*args, cwd=None) -> subprocess.Popen:
    """The command started and left running (stderr and stdout piped), to be signalled.

    Ctrl-C is a signal the command must hear: a shell that starts a job in the background
    without job control makes it (and its children) ignore SIGINT, and Python then never
    raises KeyboardInterrupt, so the child gets SIGINT's default back before it starts."""
    return subprocess.Popen(
        [sys.executable, "-m", "treesvsnets", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
