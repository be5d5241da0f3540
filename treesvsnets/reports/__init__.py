"""Reports: leaderboards and rendered summaries of a run's rows."""
