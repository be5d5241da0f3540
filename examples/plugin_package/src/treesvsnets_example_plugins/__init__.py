"""Example estimators for treesvsnets, registered through an entry point."""
