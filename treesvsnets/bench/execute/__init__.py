"""Stage 4, execution: the executors (executors.py: in this process, worker processes, Dask),
the worker processes with their limits (isolation.py, worker.py), Dask (dask.py) and the
progress lines (progress.py). Imports the earlier stages only; bench/run.py composes the
four.
"""
