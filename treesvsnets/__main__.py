from treesvsnets.cli import entry

entry()
