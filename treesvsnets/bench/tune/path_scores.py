"""The scores of many candidate ensembles at once, for the greedy selection's path.

At each step of :func:`~treesvsnets.bench.tune.selection.greedy_selection` every model is a
candidate: its ensemble is ``(S + p_c) / size`` in float64, where ``S`` is the float64 sum of
the models chosen so far (added in pick order) and ``p_c`` the candidate's predictions. A
scorer here gives the score of each such ensemble as scikit-learn computes it for a row
(:mod:`treesvsnets.bench.cells.metrics`), without building the ``models x rows x classes``
ensembles: accuracy, balanced accuracy, macro-F1, log loss and the regression scores bit for
bit, ROC-AUC correctly rounded from exact pair counts (scikit-learn's trapezoids may differ in
the last bits). What makes it fast, exactly:

- labels (accuracy, balanced accuracy, macro-F1): a candidate adds at most ``D`` (the spread
  of all the probabilities, 1 at most) to a class, so a row whose leading class in ``S`` leads
  by more than ``D`` keeps its label whatever is added; a candidate whose own top probability
  cannot overturn the lead keeps it too. Only the other (candidate, row) pairs are computed,
  and the scores come from confusion counts, updated per candidate from the common ones.
- log loss: only the true class's probability counts, and ``log((S + p) / size)`` is
  ``log(S / size) + log1p(p / S)``: a float32 pass of the second part, with a proven error
  bound, finds the candidates that can be the best, and only those are computed in float64.
  The regression scores likewise, from the residual ``y - S / size - p / size``.
- ROC-AUC (one-vs-rest for each class present, its macro mean for three classes or more):
  a row's sum with any candidate lies between ``S`` plus the least and the most any
  candidate gives that row; two rows of opposite classes whose ranges do not meet keep their
  order whatever is added, so the Mann-Whitney count of their pairs is computed once per
  step, and each candidate sorts only the contested rows (in float32, again in float64 for a
  candidate where float32 rounding made a positive and a negative equal). With three classes
  or more, the classes are scored side by side on the thread budget the selection is given
  (NumPy's sorts and loops let go of the GIL); the scores are the same on any number.
- models with the very same predictions are scored once (in ``selection``).

A candidate that cannot be the best may get NaN (never chosen). :data:`MARGIN` absorbs the
float64 rounding of sums of at most a few thousand probabilities.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: how much more than a candidate can add a lead must be to be safe from float64 rounding
MARGIN = 1e-9
#: scores this close (relative) count as tied; the selection takes the lowest index among them
TIE = 1e-12
#: (candidate, row) pairs computed at once (bounds the memory of the gathered probabilities)
CHUNK = 1 << 17
#: items sorted in one block of rows by :func:`mann_whitney` (its buffers stay in the cache)
BLOCK = 1 << 17
#: above this share of contested rows, ROC-AUC sorts every row rather than gather them
CROWDED = 0.75
#: (model, row) pairs transposed at once by :func:`class_major`
TRANSPOSED = 1 << 12

#: the scores of every candidate: (the chosen models' float64 sum, the size with one more)
PathScorer = Callable[[np.ndarray, int], np.ndarray]


def contenders(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The candidates whose score can be the best (higher is better; each candidate's lies
    in [low, high]): those whose ``high`` reaches the best ``low`` or ties with it."""
    floor = low.max()
    return np.flatnonzero(high >= floor - 2 * TIE * abs(floor))


def label_scores(tp: np.ndarray, said: np.ndarray, true: np.ndarray, column: str) -> np.ndarray:
    """Each candidate's score ``column`` from its confusion counts, as scikit-learn computes
    it: ``tp`` (candidates x classes) right predictions, ``said`` predictions and ``true`` the
    rows of each class."""
    if column == "accuracy":
        return tp.sum(axis=1) / true.sum()
    if column == "balanced_accuracy":  # the mean recall of the classes present
        recall = np.ascontiguousarray(tp[:, true > 0] / true[true > 0])
        return recall.mean(axis=1)  # contiguous rows: summed in the order of a 1-d mean
    if column == "f1_macro":  # 2 tp / (true + said) over every class; 0 where both are 0
        both = 1.0 * true[None, :] + said
        f1 = np.zeros(both.shape)
        np.divide(2.0 * tp, both, out=f1, where=both > 0)
        return f1.mean(axis=1)
    raise ValueError(f"no classification score named {column!r}")


class Labels:
    """Accuracy, balanced accuracy or macro-F1 of each candidate (any number of classes)."""

    def __init__(self, predictions: np.ndarray, y: np.ndarray, column: str):
        self.p, self.y, self.column = predictions, y, column
        self.n_classes = predictions.shape[2]
        self.own = predictions.argmax(axis=2)  # each model's own labels: the singles'
        self.top = np.take_along_axis(predictions, self.own[:, :, None], axis=2)[:, :, 0]
        self.spread = float(self.top.max()) - float(predictions.min())
        self.true = np.bincount(y, minlength=self.n_classes)

    def _counts(self, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Confusion counts (right, said) per class of one row of labels."""
        said = np.bincount(predicted, minlength=self.n_classes)
        return np.bincount(predicted[predicted == self.y], minlength=self.n_classes), said

    def _exact(self, total: np.ndarray, size: int, models: np.ndarray, rows: np.ndarray):
        """The labels of the (model, row) pairs' ensembles, computed as they are defined."""
        by_row = self.p.reshape(-1, self.n_classes)
        sums = by_row[models * len(total) + rows] + total[rows]
        return np.divide(sums, size, out=sums).argmax(axis=1)

    def _moved(self, counts: np.ndarray, models: np.ndarray, labels: np.ndarray, step: int):
        """Add ``step`` to each (model, label)'s count (``counts``: models x classes)."""
        flat = np.bincount(models * self.n_classes + labels, minlength=counts.size)
        counts += step * flat.reshape(counts.shape)

    def __call__(self, total: np.ndarray, size: int) -> np.ndarray:
        n_models, k = len(self.p), self.n_classes
        if size == 1:  # no chosen sum: each candidate alone
            flat = (np.arange(n_models)[:, None] * k + self.own).ravel()
            said = np.bincount(flat, minlength=n_models * k).reshape(n_models, k)
            right = flat[(self.own == self.y[None, :]).ravel()]
            tp = np.bincount(right, minlength=n_models * k).reshape(n_models, k)
            return label_scores(tp, said, self.true, self.column)
        leader = total.argmax(axis=1)
        lead = total[np.arange(len(total)), leader] - np.where(
            np.arange(k)[None, :] == leader[:, None], -np.inf, total
        ).max(axis=1)
        tp, said = self._counts(leader)
        tp, said = np.tile(tp, (n_models, 1)), np.tile(said, (n_models, 1))
        rows = np.flatnonzero(lead <= self.spread + MARGIN)  # the others are settled
        # a candidate keeps the leader where its own top probability minus the leader's is
        # below the lead (float32, with room for its rounding: 1e-5 (1 + lead))
        room = (lead[rows] - MARGIN - 1e-5 * (1 + lead[rows])).astype(np.float32)
        unsafe = self.top[:, rows] - self.p[:, rows, leader[rows]] >= room
        pairs = np.flatnonzero(unsafe)
        for start in range(0, len(pairs), CHUNK):
            models, r = np.divmod(pairs[start : start + CHUNK], len(rows))
            r = rows[r]
            new, old, truth = self._exact(total, size, models, r), leader[r], self.y[r]
            moved = new != old
            models, new, old, truth = models[moved], new[moved], old[moved], truth[moved]
            self._moved(said, models, new, 1)
            self._moved(said, models, old, -1)
            self._moved(tp, models[new == truth], new[new == truth], 1)
            self._moved(tp, models[old == truth], old[old == truth], -1)
        return label_scores(tp, said, self.true, self.column)


def log_loss_of(true_probability: np.ndarray) -> np.ndarray:
    """Log loss of each row of the true class's probabilities (float64), as scikit-learn's
    ``log_loss`` computes it: clipped to [eps, 1 - eps], ``-mean(log)``."""
    eps = np.finfo(np.float64).eps
    return -np.log(np.clip(true_probability, eps, 1 - eps)).mean(axis=1)


class LogLoss:
    """Log loss of each candidate. Where the chosen sum ``S`` of a row's true-class
    probability is above ``size`` eps (the clipping cannot act), its loss splits as
    ``log(S / size) + log1p(p / S)``: the first part is common, the second a float32 pass,
    whose error is within a bound proportional to it; the rows below are computed in
    float64 for every candidate. The candidates whose bounds reach the best are computed
    exactly (float64, as scikit-learn does); the others cannot be the best (NaN)."""

    def __init__(self, predictions: np.ndarray, y: np.ndarray):
        self.true = np.take_along_axis(predictions, y[None, :, None], axis=2)[:, :, 0]
        self.y, self.rough = y, self.true.astype(np.float32)
        self.screen = float(self.true.min()) >= 0

    def __call__(self, total: np.ndarray, size: int) -> np.ndarray:
        total = total[np.arange(len(total)), self.y]  # the true class's column
        n_models, n_rows = self.true.shape
        regular = total > size * 1e-15
        if not self.screen or not regular.any():
            return log_loss_of((total[None, :] + self.true) / size)
        low = np.flatnonzero(~regular)
        below = np.zeros(n_models)
        if len(low):  # their losses, summed
            below = -log_loss_of((total[low][None, :] + self.true[:, low]) / size) * len(low)
        ratio = (1.0 / total[regular]).astype(np.float32)
        part = np.multiply(self.rough if not len(low) else self.rough[:, regular], ratio)
        part = np.log1p(part, out=part).sum(axis=1).astype(np.float64)
        common = np.log(total[regular] / size).sum()
        approx = -(common + part + below) / n_rows
        # float32: the ratio and product round twice (2^-24 relative each: at most 1.5 x
        # 2^-23 of log1p), numpy's log1p within 4 units in the last place, the pairwise sum
        # within 2^-19 relative: |error| <= 2^-18 of the part; 4 times that here, and the
        # float64 rounding of everything (1e-13 relative, 1e-15 a row for the upper clip)
        bound = (2.0**-16 * part + 1e-13 * (abs(common) + part + np.abs(below))) / n_rows
        bound += 1e-15
        models = contenders(-(approx + bound), -(approx - bound))  # lower is better
        scores = np.full(n_models, np.nan)
        scores[models] = log_loss_of((total[None, :] + self.true[models]) / size)
        return scores


def mann_whitney(values: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Mann-Whitney count of each row of ``values`` (rows x items, float64 or float32,
    none negative): the (positive, negative) item pairs where the positive is higher, ties
    counting half, exact (integers and halves); and the tied pairs. Each row is sorted
    once, on keys that put the item's label in the lowest bit of its value's bits (the
    order of non-negative floats), so that negatives come first among equal values. Rows
    go in blocks of about :data:`BLOCK` items through buffers made once (in the cache)."""
    n_rows, n_items = values.shape
    n_pos = int(positive.sum())
    unsigned = np.dtype(f"uint{8 * values.dtype.itemsize}").type
    bits, side = values.view(unsigned), positive.astype(unsigned)
    places = np.arange(n_items, dtype=unsigned if n_items < 1 << 15 else np.uint64)
    per = max(1, min(n_rows, BLOCK // max(n_items, 1)))
    keys, work = np.empty((per, n_items), unsigned), np.empty((per, n_items), unsigned)
    mixed = np.empty((per, max(n_items - 1, 0)), dtype=bool)
    below_or_tied, ties = np.empty(n_rows), np.zeros(n_rows)
    for start in range(0, n_rows, per):
        rows = slice(start, min(start + per, n_rows))
        k, w, m = keys[: rows.stop - start], work[: rows.stop - start], mixed[: rows.stop - start]
        np.left_shift(bits[rows], unsigned(1), out=k)
        k |= side
        k.sort(axis=1)
        np.bitwise_and(k, unsigned(1), out=w)  # the labels in sorted order
        below_or_tied[rows] = np.einsum("ij,j->i", w, places)
        # a tie of a negative and a positive leaves two neighbours differing in the label
        # bit only; the rows with one are looked at closely
        np.bitwise_xor(k[:, 1:], k[:, :-1], out=w[:, :-1])
        np.equal(w[:, :-1], unsigned(1), out=m)
        tied_rows = np.flatnonzero(m.any(axis=1))
        if len(tied_rows):
            ties[start + tied_rows] = _ties(k[tied_rows], unsigned)
    below_or_tied -= n_pos * (n_pos - 1) / 2
    return below_or_tied - ties / 2, ties


def _ties(keys: np.ndarray, unsigned: type) -> np.ndarray:
    """The tied (positive, negative) pairs of each row of sorted ``keys``."""
    tied = np.zeros(keys.shape, dtype=bool)  # an item's value equals the next one's
    np.equal(keys[:, 1:] >> unsigned(1), keys[:, :-1] >> unsigned(1), out=tied[:, :-1])
    return _tied_pairs(tied, keys & unsigned(1))


def _tied_pairs(tied: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Per row, the (positive, negative) pairs of equal values: each run of ``tied`` items
    (and the item after it) is a group of equal values, sum npos x nneg over the groups.
    Sparse: ties are few."""
    at = np.flatnonzero(tied)  # (the last column is never tied: no run spans two rows)
    pairs = np.zeros(len(tied))
    if len(at) == 0:
        return pairs
    starts = np.ones(len(at), dtype=bool)
    starts[1:] = at[1:] != at[:-1] + 1
    run = np.cumsum(starts) - 1
    ends = np.ones(len(at), dtype=bool)
    ends[:-1] = starts[1:]
    items = np.concatenate([at, at[ends] + 1])  # each run's items: its positions and one more
    runs = np.concatenate([run, run[ends]])
    n_runs = int(run[-1]) + 1
    positives = np.bincount(runs, weights=label.ravel()[items].astype(np.float64), minlength=n_runs)
    sizes = np.bincount(runs, minlength=n_runs)
    row_of_run = at[starts] // tied.shape[1]
    np.add.at(pairs, row_of_run, positives * (sizes - positives))
    return pairs


def _settle(low: np.ndarray, high: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, int]:
    """Which rows' intervals [low, high] (+- :data:`MARGIN`) meet an interval of a row of
    the other side (positive or not): the contested rows; and the Mann-Whitney count of the
    (positive, negative) pairs with a row not contested, whose order is that of ``low``.
    In the order of the low ends, a row meets the other side exactly when an earlier row of
    that side reaches its low end, or the next one starts before its high end: two running
    extremes, no search."""
    order = np.argsort(low)
    lows, highs, sides = low[order], high[order], positive[order]
    near = np.zeros(len(low), dtype=bool)  # in the order of the low ends
    for mine in (sides, ~sides):
        others = np.flatnonzero(~mine)  # the other side's places
        if len(others) == 0:
            continue
        reach = np.maximum.accumulate(highs[others])  # the most they reach, up to each
        before = np.cumsum(~mine)[mine]  # the other side's rows before each of mine
        reached = reach[np.maximum(before - 1, 0)] >= lows[mine] - MARGIN
        starts = lows[others[np.minimum(before, len(others) - 1)]] <= highs[mine] + MARGIN
        near[mine] = ((before > 0) & reached) | ((before < len(others)) & starts)
    # a settled row's low end equals no low end of the other side: counts by position
    negatives_before = np.cumsum(~sides) - ~sides
    contested_after = np.cumsum((sides & near)[::-1])[::-1] - (sides & near)
    count = int(negatives_before[sides & ~near].sum() + contested_after[~sides & ~near].sum())
    unsorted = np.empty_like(near)
    unsorted[order] = near
    return unsorted, count


def class_major(predictions: np.ndarray) -> np.ndarray:
    """``predictions`` (models x rows x classes) as classes x models x rows, each class's
    slab contiguous: transposed in blocks of rows that stay in the cache (about twice as
    fast as copying each class's strided column)."""
    n_models, n_rows, n_classes = predictions.shape
    flat = predictions.reshape(-1, n_classes)
    out = np.empty((n_classes, n_models * n_rows), dtype=predictions.dtype)
    for start in range(0, len(flat), TRANSPOSED):
        out[:, start : start + TRANSPOSED] = flat[start : start + TRANSPOSED].T
    return out.reshape(n_classes, n_models, n_rows)


class RocAuc:
    """ROC-AUC of each candidate: of the positive class's probability with two classes,
    else the mean over the classes present of each one against the rest. In a step, row i
    of a candidate lies in [S_i + low_i, S_i + high_i] (the least and most any candidate
    gives it, times ``size``): two rows of opposite sides whose intervals do not meet keep
    their order for every candidate, so their pairs are counted once (on ``S + low``).
    The classes are scored on up to ``threads`` threads."""

    def __init__(self, predictions: np.ndarray, y: np.ndarray, threads: int = 1):
        if float(predictions.min()) < 0:
            raise ValueError("ROC-AUC selection needs probabilities (none negative)")
        n_classes = predictions.shape[2]
        present = np.unique(y)
        self.classes = [1] if n_classes == 2 else list(present)
        self.y, self.defined, self.n_models = y, len(present) > 1, len(predictions)
        self.threads = max(1, min(int(threads), len(self.classes)))
        if len(self.classes) == 1:  # one column: a strided copy of it beats transposing all
            self.columns = {c: np.ascontiguousarray(predictions[:, :, c]) for c in self.classes}
        else:
            by_class = class_major(predictions)
            self.columns = {c: by_class[c] for c in self.classes}
        self.low = {c: p.min(axis=0).astype(np.float64) for c, p in self.columns.items()}
        self.high = {c: p.max(axis=0).astype(np.float64) for c, p in self.columns.items()}

    def _one(self, total: np.ndarray, size: int, column: int) -> np.ndarray:
        positive, candidates = self.y == column, self.columns[column]
        n_pos = int(positive.sum())
        if size == 1:  # each candidate alone: its own probabilities
            return mann_whitney(candidates, positive)[0] / (n_pos * (len(self.y) - n_pos))
        chosen = total[:, column]
        low, high = chosen + self.low[column], chosen + self.high[column]
        near, counts = _settle(low, high, positive)
        rows = np.flatnonzero(near)
        if len(rows) == 0:  # every pair settled: the same for every candidate
            return np.full(len(candidates), counts / (n_pos * (len(self.y) - n_pos)))
        if len(rows) > CROWDED * len(chosen):  # sorting every row costs less than gathering
            counts = 0
        else:
            chosen, candidates, positive = chosen[rows], candidates[:, rows], positive[rows]
        return (counts + self._contested(chosen, candidates, positive, size)) / (
            n_pos * (len(self.y) - n_pos)
        )

    @staticmethod
    def _contested(chosen, candidates, positive, size: int) -> np.ndarray:
        """The Mann-Whitney counts of the candidates' ensembles on the contested rows. Their
        sums are sorted in float32 (faster): rounding keeps the order of unequal values or
        makes them equal, and sums at least a float32 step apart stay apart when divided by
        ``size`` in float64. A candidate with a tie (positive, negative) in float32 is
        counted again on its float64 ensembles, so the counts are exact (on any rows: every
        row, when most are contested, gives the whole count)."""
        per = max(1, min(len(candidates), BLOCK // max(len(chosen), 1)))
        rough = np.empty((per, len(chosen)), dtype=np.float32)  # in blocks: in the cache
        counts = np.empty(len(candidates))
        for start in range(0, len(candidates), per):
            block = candidates[start : start + per]
            np.add(chosen, block, out=rough[: len(block)], dtype=np.float64, casting="same_kind")
            found, ties = mann_whitney(rough[: len(block)], positive)
            again = np.flatnonzero(ties)
            if len(again):
                found[again] = mann_whitney((chosen + block[again]) / size, positive)[0]
            counts[start : start + len(block)] = found
        return counts

    def __call__(self, total: np.ndarray, size: int) -> np.ndarray:
        if not self.defined:
            return np.full(self.n_models, np.nan)
        if self.threads == 1:
            per_class = [self._one(total, size, column) for column in self.classes]
        else:
            with ThreadPoolExecutor(self.threads) as pool:
                per_class = list(pool.map(lambda c: self._one(total, size, c), self.classes))
        return np.stack(per_class, axis=1).mean(axis=1)  # one class: itself


def regression_scores(predicted: np.ndarray, y: np.ndarray, column: str) -> np.ndarray:
    """Each row of ``predicted`` values' score ``column`` against ``y``, as scikit-learn's."""
    residual = y[None, :] - predicted
    if column == "rmse":
        return np.sqrt((residual**2).mean(axis=1))
    if column == "mae":
        return np.abs(residual).mean(axis=1)
    if column == "r2":
        total = ((y - y.mean()) ** 2).sum()
        if total > 0:
            return 1 - (residual**2).sum(axis=1) / total
        return np.full(len(predicted), np.nan)
    raise ValueError(f"no regression score named {column!r}")


class Regression:
    """RMSE, MAE or R² of each candidate. The residual ``y - (S + p) / size`` is
    ``b - p / size`` with ``b = y - S / size``: a float32 pass of that, within a bound
    proportional to the residuals and to ``p / size``, finds the candidates that can be the
    best, and only those are computed in float64 (as scikit-learn does)."""

    def __init__(self, predictions: np.ndarray, y: np.ndarray, column: str):
        self.p, self.y, self.column = predictions, y, column
        self.rough = predictions.astype(np.float32)
        wide = predictions.astype(np.float64)
        self.squares, self.sizes = (wide**2).sum(axis=1), np.abs(wide).sum(axis=1)
        self.spread = ((y - y.mean()) ** 2).sum()

    def _bounds(self, total: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Each candidate's score lies in [low, high] (higher is better)."""
        base = (self.y - total / size).astype(np.float32)
        residual = np.multiply(self.rough, np.float32(1 / size))
        np.subtract(base, residual, out=residual)
        n_rows, u = len(self.y), 2.0**-24
        # per row the float32 residual (b, p, 1 / size, the product and the difference
        # rounded) is within 2u |r| + 4u |p| / size of the real one, the float64 one within
        # 2^-50 (|y| + |r| + |p| / size), the float32 sums within 23u: so the squares' sum is
        # within 4u A + 8u sqrt(A sum p^2) / size (the absolute values': 2u A + 4u sum |p| /
        # size) and the float64 rounding: bound with 64u, and 2^-48 for the latter
        if self.column == "mae":
            approx = np.abs(residual, out=residual).sum(axis=1).astype(np.float64)
            bound = 64 * u * (approx + self.sizes / size) + 2.0**-48 * np.abs(self.y).sum()
            return -(approx + bound) / n_rows, -(approx - bound) / n_rows
        approx = np.square(residual, out=residual).sum(axis=1).astype(np.float64)
        bound = 64 * u * (approx + np.sqrt(2 * approx * self.squares) / size)
        bound += 2.0**-48 * np.sqrt(2 * approx * (self.y**2).sum())
        worst, best = approx + bound, np.maximum(approx - bound, 0.0)
        if self.column == "rmse":
            return -np.sqrt(worst / n_rows), -np.sqrt(best / n_rows)
        return 1 - worst / self.spread, 1 - best / self.spread

    def __call__(self, total: np.ndarray, size: int) -> np.ndarray:
        if size == 1 or self.spread == 0:
            return regression_scores((total + self.p) / size, self.y, self.column)
        models = contenders(*self._bounds(total, size))
        scores = np.full(len(self.p), np.nan)
        scores[models] = regression_scores((total + self.p[models]) / size, self.y, self.column)
        return scores


def path_scorer(
    predictions: np.ndarray, y: np.ndarray, column: str, threads: int = 1
) -> PathScorer:
    """The scorer of ``column`` for candidates ``predictions`` (float32, models first;
    probabilities with classes last, or values) of rows labelled ``y``, on up to ``threads``
    threads (ROC-AUC's classes; the other scores are fast on one)."""
    if predictions.ndim == 2:
        return Regression(predictions, y, column)
    if column == "log_loss":
        return LogLoss(predictions, y)
    if column == "roc_auc":
        return RocAuc(predictions, y, threads)
    return Labels(predictions, y, column)
