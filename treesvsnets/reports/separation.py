"""Which Elo ratings have a finite value: a Bradley-Terry likelihood has a finite maximum only
when the methods cannot be split into two groups one of which won every battle between them
(Zermelo's condition: the graph "a won at least once against b", a tie counting both ways, is
strongly connected). Where a run splits so (a method that lost every battle on every dataset,
a failed method filled with the baseline's error), the gap between the groups runs off to
infinity and only the fit's tiny penalty keeps it finite: the number means "every battle",
not a size. :func:`groups` finds the groups, :func:`bounded` the methods whose rating is
finite against the anchor."""

from __future__ import annotations

import numpy as np


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
