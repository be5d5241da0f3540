"""The harness: split plans, cells and the tasks that carry them, executors, and whole runs."""
