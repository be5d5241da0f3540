"""Reports: leaderboards and rendered summaries of a run's rows, read from what a run left
(:mod:`treesvsnets.results`); nothing here imports the harness.

- report.py: writes report.md, report.html, the figures and summary.csv; content.py: what a
  report says, built once; dataset_section.py: one dataset's section; layout.py: the parts
  it is made of; markdown.py and html.py: its two renderings; tuning_section.py: a tuned
  run's part of each dataset's section;
- leaderboard.py: the per-dataset leaderboards; stats.py: the corrected t-test, bootstrap
  intervals, Friedman and Nemenyi; baseline.py: each estimator against the baseline;
  divergence.py: the nets whose training diverged; tuning.py: default against tuned and the
  anytime curves; plots.py: a dataset's figures, tuning_plots.py a tuned run's,
  across_plots.py those across datasets;
- terminal.py: what a finished run prints; compare.py: run against run.
"""
