"""Which Elo ratings have a finite value: a Bradley-Terry likelihood has a finite maximum only
when the methods cannot be split into two groups one of which won every battle between them
(Zermelo's condition: the graph "a won at least once against b", a tie counting both ways, is
strongly connected). Where a run splits so (a method that lost every battle on every dataset,
a failed method filled with the baseline's error), the gap between the groups runs off to
infinity and only the fit's tiny penalty keeps it finite: the number means "every battle",
not a size. :func:`groups` finds the groups, :func:`bounded` the methods whose rating is
finite against the anchor."""

from __future__ import annotations

import math

import numpy as np

#: an interval's end this far from its rating comes from resamples in which the method won
#: (or lost) every battle it had: a rating without a finite maximum
FAR_END = 800.0


def groups(wins: np.ndarray) -> np.ndarray:
    """Per method, its group: the methods between which every rating gap is finite (a strongly
    connected component of "won at least once against"); ``wins[a, b]`` is a's pooled win
    weight over b."""
    from scipy.sparse.csgraph import connected_components

    if len(wins) == 0:
        return np.zeros(0, dtype=int)
    return connected_components(wins > 0, directed=True, connection="strong")[1]


def bounded(labels: np.ndarray, anchor: int | None) -> np.ndarray:
    """Per method: whether its rating is finite against method ``anchor`` (without an anchor,
    against the largest group), from :func:`groups`' ``labels``."""
    if len(labels) == 0:
        return np.zeros(0, dtype=bool)
    if anchor is None:
        anchor = int(np.argmax(np.bincount(labels)[labels]))  # a member of the largest group
    return labels == labels[anchor]


def anchored(
    ratings: np.ndarray, anchor: int | None, present: np.ndarray, wins: np.ndarray, at: float
) -> np.ndarray:
    """``ratings`` shifted so method ``anchor`` is at ``at``; without it (or where it did not
    battle), so that the mean of the ``present`` methods of the largest group is (``wins``:
    the pooled wins the ratings were fitted on). A method that won or lost every battle has
    a rating only the fit's penalty keeps finite: in the mean, it moved every other's."""
    if anchor is not None and present[anchor]:
        return ratings - ratings[anchor] + at
    if not present.any():  # no method battled (one method alone): no rating
        return np.full(len(ratings), np.nan)
    finite = present & bounded(groups(wins), None)
    return ratings - ratings[finite if finite.any() else present].mean() + at


def interval_words(value: float, low: float, high: float, signed: bool = False) -> str:
    """The 95% interval of a rating (or of a gap, ``signed``) in words: each end more than
    :data:`FAR_END` from ``value`` is 'unbounded' (its number is the penalty's, not a size);
    empty where there is no interval."""
    if math.isnan(low) or math.isnan(high):
        return ""

    def end(bound: float) -> str:
        if abs(bound - value) > FAR_END:
            return "unbounded"
        return f"{round(bound):+d}" if signed else f"{bound:.0f}"

    return f"{end(low)} to {end(high)}"
