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
