"""Run the real ``treesvsnets`` command in a subprocess, as a user would."""

from __future__ import annotations

import subprocess
import sys


def cli(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "treesvsnets", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


def cli_in_background(*args, cwd=None) -> subprocess.Popen:
    """The command started and left running (stderr and stdout piped), to be signalled.

    Ctrl-C is a signal the command must hear: a shell that starts a job in the background
    without job control makes it (and its children) ignore SIGINT, and Python then never
    raises KeyboardInterrupt, so the child gets SIGINT's default back before it starts."""
    import signal

    return subprocess.Popen(
        [sys.executable, "-m", "treesvsnets", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
