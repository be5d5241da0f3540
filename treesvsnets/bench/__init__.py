"""The harness: split plans, cells and the jobs that carry them, executors, and whole runs.

Four stage folders, each importing only the ones before it (tests/test_layout.py checks it):
cells/ (stage 1: one cell fitted, scored, timed and measured; the split plans), tune/ (stage
2: a search and its trials), plan/ (stage 3: the checks, the RunPlan and manifest, the jobs
and their feed) and execute/ (stage 4: the executors, worker processes and their limits,
Dask, the progress lines). run.py composes them into a run. Nothing here imports the
reports.
"""
