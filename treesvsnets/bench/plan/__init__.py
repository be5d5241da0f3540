"""Stage 3, the plan: everything a user can get wrong checked before any work (checks.py), the
RunPlan and the manifest (planning.py), the work a plan becomes, its thread budget and a
tuned run's feed (work.py), the units of work that carry the cells and trials and run
themselves (jobs.py), and the feed that hands them out in order (feed.py). Imports the
cells and tune stages only.
"""
