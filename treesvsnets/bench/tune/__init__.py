"""Stage 2, tuning: the search (search.py: Optuna ask-and-tell, the budget) and one trial
fitted and scored as a cell is (trial.py). Imports the cells stage only.
"""
