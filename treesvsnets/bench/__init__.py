"""The harness: split plans, the cell runner, the results store and whole runs."""
