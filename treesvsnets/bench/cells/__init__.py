"""Stage 1, a cell: fit and score one cell (or a fold group) on its split plan's folds, timed
and measured (cell.py); what a cell is and what it fits on (inputs.py); the split plans
(splits.py), the scores (metrics.py), the clocks and memory (measure.py), what a fitted
estimator reports of itself, as plain values (facts.py), the machine and library versions
(environment.py). Imports no later stage.
"""
