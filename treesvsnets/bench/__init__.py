"""The harness: split plans, cells and the jobs that carry them, executors, and whole runs."""
