"""The Pareto front the accuracy-vs-time plot highlights."""

import numpy as np

from treesvsnets.reports.plots import pareto_front


def test_pareto_front_keeps_what_nothing_beats_on_both_time_and_accuracy():
    times = np.array([1.0, 2.0, 3.0, 0.5, 2.0])
    accuracies = np.array([0.90, 0.95, 0.93, 0.80, 0.94])
    # (3.0, 0.93) is slower and worse than (2.0, 0.95); (2.0, 0.94) ties on time, loses on accuracy
    assert pareto_front(times, accuracies).tolist() == [3, 0, 1]


def test_one_point_is_its_own_front():
    assert pareto_front(np.array([1.0]), np.array([0.5])).tolist() == [0]
