"""``python -m treesvsnets``: the same command as the ``treesvsnets`` console script."""

from treesvsnets.cli import entry

entry()
