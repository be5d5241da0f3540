"""Across datasets: who wins overall, by how much, and how sure, as TabArena's leaderboard
counts it (its ``bencheval``) and as Grinsztajn et al. (2022) normalise.

Everything starts from :func:`error_table`, one row per (method, dataset, seed, fold): a
*method* is an estimator under one protocol, ``"rf (default)"`` or ``"rf (tuned)"``; its
*error* is the task's metric turned so that lower is better (RMSE, log loss as they are; 1 −
accuracy, 1 − ROC-AUC, 1 − R²), each task on its own metric, so a run with both tasks
aggregates both, a family's task-bound estimators as one method (``logreg/ridge``:
:mod:`.methods`). The baseline (dummy) is not a method of the board: it fills failures.

**Failures** are never dropped silently: a method's failed cell (error, timeout, out of memory,
crash) takes the baseline's error on the same dataset, seed and fold, or, in a run without a
baseline, the worst error any method had there; the cell is *imputed* and each table says
which share of a method's cells were. A method with nothing but imputed cells is dropped from
the tables and named in :attr:`Aggregate.dropped`. A method that never ran on a dataset (an
image net on a table, runs with different estimators) is *absent* there, not imputed: it meets
the others only where it ran.

- **Elo** (:func:`elo`): a Bradley-Terry fit by maximum likelihood over battles (every pair of
  methods on the same dataset and split; the lower error wins, a tie, to rounding, is half a
  win each), each battle weighing 1 / (that dataset's splits); scikit-learn's
  ``LogisticRegression`` without intercept and with almost no penalty (C = 1e6; the bootstrap's
  refits maximise the same likelihood by Newton's method, all rounds at once), scaled so that
  P(A beats B) = 1 / (1 + 10^((R_B − R_A) / 400)) and shifted so that ``rf (default)`` is
  exactly 1000 (the ratings' mean is 1000 when the board has no ``rf (default)``). A 95%
  interval from 200 bootstrap rounds that resample datasets. ``elo_bounded``: False where no
  finite maximum exists (:mod:`.separation`), the number then set by the penalty.
- **Win rates** (:func:`win_rates`): per pair, the share of splits one beats the other (ties
  half) on each dataset, averaged over the datasets both ran on, and over its opponents.
- **Average rank** (ties averaged) of each method's mean error per dataset.
- **Normalized score**: TabArena's 1 − clip((err − best) / max(median − best, 1e-5), 0, 1)
  per dataset (best and median over the board's methods), and Grinsztajn's form, 1 at the best
  and 0 at the 90% quantile of the errors (the 10% quantile of the scores) for classification
  or their median for regression, clipped to [0, 1].
- **Improvability**: 1 − best_err / err per dataset (0 for the best), averaged (a bootstrap
  interval over datasets).
- **Seconds per 1,000 rows** to train (a tuned method counts its whole search, every trial,
  plus the refit) and to predict, the median over datasets of each dataset's mean.

:func:`aggregate` returns all of it as :class:`Aggregate` (DataFrames a notebook can plot);
the per-dataset tables (errors, normalized scores, improvability, times) are :mod:`.scores`'."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from treesvsnets.estimators.base import BASELINE_FAMILY
from treesvsnets.reports.methods import error_of, method_name, task_counterparts
from treesvsnets.reports.scores import dataset_errors, improvability, normalized_scores, per_1k_rows
from treesvsnets.reports.separation import anchored, bounded, groups
from treesvsnets.results.row import DEFAULT
from treesvsnets.tasks import primary, task_of

#: the method whose rating is fixed at 1000 (TabArena's anchor)
ANCHOR = "rf (default)"
ANCHOR_ELO = 1000.0
#: Elo's scale: a 400-point gap is 10-to-1 odds
SCALE = 400.0
#: bootstrap rounds (datasets resampled) for every interval here
ROUNDS = 200
#: the Bradley-Terry fit's inverse penalty: almost none, yet finite where one method beats
#: another everywhere (there the unpenalised maximum runs off to infinity)
BT_C = 1e6
#: Newton's steps at most for the bootstrap's refits (a handful reach the maximum)
NEWTON_STEPS = 50
#: the share of each interval's tails
TAIL = 0.025


def error_table(
    rows: pd.DataFrame, metric: str | None = None, join_tasks: bool = True
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """One row per (method, dataset, seed, fold) with its ``error`` (each task judged by
    ``primary(task, metric)``: the run's ``metric`` setting where it fits the task, else the
    task's default), ``imputed``, ``task``, ``family``, ``train_s``, ``predict_s``,
    ``n_train``, ``n_test``; the methods dropped because every one of their cells failed; and
    those without that score in any cell (ROC-AUC or log loss of a model without
    probabilities), which did not fail: a cell without the score is absent, not imputed.
    ``join_tasks``: a family's task-bound estimators are one method (``logreg/ridge``:
    :func:`~treesvsnets.reports.methods.task_counterparts`)."""
    columns = ["method", "estimator", "family", "dataset", "task", "seed", "fold", "error"]
    if rows.empty:
        return pd.DataFrame(columns=[*columns, "imputed"]), [], []
    frame = rows.reset_index(drop=True)  # rows of several runs may repeat an index
    frame["task"] = _column(frame, "task", None).map(task_of)
    frame["error"] = np.nan
    for task, part in frame.groupby("task", sort=False):
        judged = primary(task, metric)
        frame.loc[part.index, "error"] = error_of(judged, part[judged.column]).to_numpy()
    frame["tuning"] = _column(frame, "tuning", DEFAULT).fillna(DEFAULT)
    if join_tasks and (joined := task_counterparts(frame)):
        keys = zip(frame["estimator"], frame["tuning"], strict=True)
        frame["estimator"] = [joined.get(key, key[0]) for key in keys]
    frame["method"] = [
        method_name(e, t) for e, t in zip(frame["estimator"], frame["tuning"], strict=True)
    ]
    frame["n_val"] = _column(frame, "n_val", 0)
    frame["ok"] = frame["status"] == "ok"
    unscored = frame["ok"] & frame["error"].isna()
    gone = sorted(set(frame.loc[unscored, "method"]) - set(frame.loc[~unscored, "method"]))
    frame = frame[~unscored]
    frame["train_s"] = pd.to_numeric(frame["fit_seconds"], errors="coerce") + pd.to_numeric(
        _column(frame, "tuning_seconds", 0.0), errors="coerce"
    ).fillna(0.0)
    baseline = frame["family"] == BASELINE_FAMILY
    filled = _impute(frame[~baseline], frame[baseline & frame["ok"]])
    kept = filled.groupby("method")["imputed"].transform("all")
    dropped = sorted(filled.loc[kept, "method"].unique())
    extra = ["imputed", "train_s", "predict_seconds", "n_train", "n_val", "n_test"]
    table = filled.loc[~kept, [*columns, *extra]].rename(columns={"predict_seconds": "predict_s"})
    return table.reset_index(drop=True), dropped, gone


def _column(frame: pd.DataFrame, name: str, default: object) -> pd.Series:
    """``frame[name]``, or ``default`` on every row where rows of older runs lack it."""
    return frame[name] if name in frame else pd.Series(default, index=frame.index, dtype=object)


def _impute(methods: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Failed cells take the baseline's error on their (dataset, seed, fold), else the worst
    error of any method there; ``imputed`` marks them (a cell with neither stays out)."""
    unit = ["dataset", "seed", "fold"]
    methods = methods.copy()
    methods["imputed"] = ~methods["ok"]
    fill = baseline.groupby(unit)["error"].mean()
    worst = methods[methods["ok"]].groupby(unit)["error"].max()
    fill = fill.combine_first(worst)
    keys = pd.MultiIndex.from_frame(methods[unit])
    imputed = methods["imputed"].to_numpy()
    methods.loc[imputed, "error"] = fill.reindex(keys[imputed]).to_numpy()
    return methods[methods["error"].notna()]


def _units(table: pd.DataFrame) -> pd.DataFrame:
    """The errors as (dataset, seed, fold) rows by method columns (NaN where absent)."""
    return table.pivot_table(
        index=["dataset", "seed", "fold"], columns="method", values="error", aggfunc="mean"
    )


TIE_TOLERANCE = 1e-9  #: scores this close (relative) tie a battle: reruns differ so


def dataset_wins(table: pd.DataFrame) -> tuple[list[str], list[str], np.ndarray]:
    """(methods, datasets, W) with ``W[d, a, b]`` = the share of dataset d's splits on which
    method a beat method b (ties half; 0 where they never met): each battle weighs 1 / (the
    dataset's splits), so ``W[d, a, b] + W[d, b, a]`` is the share of its splits on which
    both ran."""
    wide = _units(table)
    methods = list(wide.columns)
    datasets = list(wide.index.get_level_values("dataset").unique())
    wins = np.zeros((len(datasets), len(methods), len(methods)))
    for d, dataset in enumerate(datasets):
        errors = wide.xs(dataset, level="dataset").to_numpy()  # splits x methods
        a, b = errors[:, :, None], errors[:, None, :]
        met = ~(np.isnan(a) | np.isnan(b))
        tied = np.isclose(a, b, rtol=TIE_TOLERANCE, atol=0.0)  # an RMSE's 16th digit: a tie
        score = np.where(met, ((a < b) & ~tied) + 0.5 * tied, 0.0)
        n_splits = len(errors)
        wins[d] = score.sum(axis=0) / n_splits
        np.fill_diagonal(wins[d], 0.0)
    return methods, datasets, wins


def _bradley_terry(wins: np.ndarray) -> np.ndarray:
    """Log10-strengths × 400 from pooled win weights ``wins[a, b]`` (a over b), fitted by
    scikit-learn's logistic regression without intercept: one design row per met pair and
    outcome, weighted by the wins."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    n = len(wins)
    a, b = np.triu_indices(n, 1)
    met = (wins[a, b] + wins[b, a]) > 0
    a, b = a[met], b[met]
    if len(a) == 0:
        return np.zeros(n)
    X = np.zeros((len(a), n))
    X[np.arange(len(a)), a] = math.log(10)
    X[np.arange(len(a)), b] = -math.log(10)
    # each met pair twice: "a beat b" weighted by a's wins, "b beat a" by b's
    X = np.vstack([X, X])
    y = np.concatenate([np.ones(len(a)), np.zeros(len(a))])
    weight = np.concatenate([wins[a, b], wins[b, a]])
    # Newton steps on a handful of parameters: converged in a few iterations, to 1e-10
    model = LogisticRegression(
        fit_intercept=False, C=BT_C, tol=1e-10, max_iter=100, solver="newton-cholesky"
    )
    # a method that beats every other on every dataset has no finite strength but for the
    # penalty: Newton's line search may then give up and hand over to lbfgs, saying so in a
    # ConvergenceWarning about the solver, not about the ratings (the penalty bounds them)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=weight)
    return SCALE * model.coef_[0]


def _bradley_terry_loss(wins: np.ndarray, t: np.ndarray) -> np.ndarray:
    """:func:`_bradley_terry`'s penalised negative log-likelihood of each round's ratings
    ``t`` (rounds x methods, in units of :data:`SCALE`) on its ``wins``."""
    from scipy.special import log_expit

    gap = math.log(10) * (t[:, :, None] - t[:, None, :])  # gap[r, a, b]: a's edge over b
    return -(wins * log_expit(gap)).sum(axis=(1, 2)) + (t * t).sum(axis=1) / (2 * BT_C)


def _bradley_terry_refits(wins: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The maximum of :func:`_bradley_terry`'s penalised likelihood for each round of
    ``wins`` (rounds x methods x methods) at once, by Newton's method from ``start`` (the
    full data's ratings): each step solves every round's small system together, halved
    for a round where the full step would lower its likelihood (far from the maximum, where
    one method beats another everywhere); the likelihood is concave, so a few steps reach
    its maximum (the gradient within 1e-9), a few milliseconds for 200 rounds."""
    from scipy.special import expit

    ln10 = math.log(10)
    t = np.repeat((start / SCALE)[None, :], len(wins), axis=0)
    eye = np.eye(wins.shape[1])
    met = wins + wins.transpose(0, 2, 1)
    for _ in range(NEWTON_STEPS):
        gap = ln10 * (t[:, :, None] - t[:, None, :])
        pull = ln10 * wins * expit(-gap)  # d(loss)/d(gap) of each won battle, negated
        grad = pull.sum(axis=1) - pull.sum(axis=2) + t / BT_C
        if np.abs(grad).max() <= 1e-9:
            break
        link = ln10**2 * met * expit(gap) * expit(-gap)  # each pair's curvature
        hessian = eye * (link.sum(axis=2) + 1 / BT_C)[:, :, None] - link
        step = np.linalg.solve(hessian, grad[:, :, None])[:, :, 0]
        now, share = _bradley_terry_loss(wins, t), np.ones(len(t))
        for _ in range(40):  # halve the step of each round whose loss would rise
            moved = t - share[:, None] * step
            rose = _bradley_terry_loss(wins, moved) > now + 1e-12 * np.abs(now)
            if not rose.any():
                break
            share[rose] /= 2
        t = moved
    return SCALE * t


def _interval(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The central 95% of bootstrap ``samples`` (rounds by columns), NaN-safe."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a method no round could rate: NaN
        low = np.nanquantile(samples, TAIL, axis=0)
        high = np.nanquantile(samples, 1 - TAIL, axis=0)
    return low, high


@dataclass(frozen=True)
class EloFit:
    """Ratings of ``methods``, their bootstrap samples (rounds x methods, NaN where a round did
    not draw a dataset the method ran on), for intervals on ratings and on their gaps."""

    methods: list[str]
    ratings: np.ndarray
    samples: np.ndarray
    groups: np.ndarray | None = None  # separation.groups: gaps across groups are unbounded

    @property
    def bounded(self) -> np.ndarray:
        """Whether each rating is finite against the anchor (:mod:`.separation`)."""
        labels = self.groups if self.groups is not None else np.zeros(len(self.methods), int)
        return bounded(labels, self.methods.index(ANCHOR) if ANCHOR in self.methods else None)

    def intervals(self) -> tuple[np.ndarray, np.ndarray]:
        """Each rating's 95% bootstrap interval (NaN where no round could rate it)."""
        return _interval(self.samples)

    def gap(self, a: str, b: str) -> tuple[float, float, float]:
        """Rating of ``a`` minus ``b``, and its 95% bootstrap interval."""
        i, j = self.methods.index(a), self.methods.index(b)
        low, high = _interval((self.samples[:, i] - self.samples[:, j])[:, None])
        return float(self.ratings[i] - self.ratings[j]), float(low[0]), float(high[0])


def elo_fit(table: pd.DataFrame, rounds: int = ROUNDS, seed: int = 0) -> EloFit:
    """The Bradley-Terry ratings of :func:`error_table`'s methods and ``rounds`` bootstrap
    refits over resampled datasets."""
    methods, _, wins = dataset_wins(table)
    return _elo_fit(methods, wins, rounds, seed)


def _elo_fit(methods: list[str], wins: np.ndarray, rounds: int, seed: int) -> EloFit:
    ran = wins.sum(axis=2) + wins.sum(axis=1) > 0  # datasets x methods: battled there
    fitted = _bradley_terry(wins.sum(axis=0))
    pooled = wins.sum(axis=0)
    anchor = methods.index(ANCHOR) if ANCHOR in methods else None
    ratings = anchored(fitted, anchor, ran.any(axis=0), pooled, ANCHOR_ELO)
    rng = np.random.default_rng(seed)
    samples = np.full((rounds, len(methods)), np.nan)
    n_datasets = len(wins)
    if n_datasets > 1 and rounds:
        counts = np.stack(  # each round's draw of datasets, as many times as drawn
            [
                np.bincount(rng.integers(0, n_datasets, n_datasets), minlength=n_datasets)
                for _ in range(rounds)
            ]
        )
        drawn_wins = np.tensordot(counts, wins, axes=1)
        refitted = _bradley_terry_refits(drawn_wins, fitted)
        for r, drawn in enumerate(counts):
            present = (ran * drawn[:, None]).sum(axis=0) > 0
            found = anchored(refitted[r], anchor, present, drawn_wins[r], ANCHOR_ELO)
            samples[r, present] = found[present]
    return EloFit(methods, ratings, samples, groups(pooled))


def win_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Method by method: the row's win rate against the column, each dataset both ran on
    weighing 1 (NaN where they never met)."""
    methods, _, wins = dataset_wins(table)
    return pairwise_win_rates(methods, wins)


def pairwise_win_rates(methods: list[str], wins: np.ndarray) -> pd.DataFrame:
    """Per dataset, a's wins over the battles a and b had there (whatever share of the splits
    both ran on); then the mean over the datasets where they met."""
    met = wins + wins.transpose(0, 2, 1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a pair that never met: NaN
        rate = np.nanmean(np.where(met > 0, wins / met, np.nan), axis=0)
    return pd.DataFrame(rate, index=methods, columns=methods)


def _bootstrap_mean(per_dataset: pd.DataFrame, rounds: int, seed: int) -> pd.DataFrame:
    """Each method's mean over datasets, with the 95% interval of that mean over datasets
    resampled (``rounds`` rounds)."""
    values = per_dataset.to_numpy()
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(values), (rounds, len(values)))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample where a method is absent
        means = np.nanmean(values[draws], axis=1)  # rounds x methods
    low, high = _interval(means)
    return pd.DataFrame(
        {"mean": per_dataset.mean(axis=0), "low": low, "high": high}, index=per_dataset.columns
    )


@dataclass(frozen=True)
class Aggregate:
    """The cross-dataset tables of a set of result rows (see the module's docstring)."""

    table: pd.DataFrame  # error_table: one row per (method, dataset, seed, fold)
    board: pd.DataFrame  # one row per method, best Elo first
    win_rates: pd.DataFrame  # method by method
    normalized: dict[str, pd.DataFrame]  # "tabarena", "grinsztajn": datasets by methods
    improvability: pd.DataFrame  # datasets by methods
    elo: EloFit
    dropped: list[str] = field(default_factory=list)  # every cell failed
    unscored: list[str] = field(default_factory=list)  # no cell has the judged score
    wins: tuple[list[str], list[str], np.ndarray] | None = None  # dataset_wins(table)

    @property
    def n_datasets(self) -> int:
        return int(self.table["dataset"].nunique())

    @property
    def errors(self) -> pd.DataFrame:
        """Each method's mean error per dataset: datasets by methods."""
        return dataset_errors(self.table) if len(self.table) else pd.DataFrame()

    @property
    def ranks(self) -> pd.DataFrame:
        """Each method's rank per dataset (1 = the lowest error, ties averaged)."""
        return self.errors.rank(axis=1, method="average")

    @property
    def times(self) -> pd.DataFrame:
        """Train and predict seconds per 1,000 rows per method (median over datasets)."""
        return self.board.reindex(columns=["train_per_1k", "predict_per_1k"])


def aggregate(
    rows: pd.DataFrame | str | Path | Sequence[str | Path],
    metric: str | None = None,
    *,
    rounds: int = ROUNDS,
    seed: int = 0,
    join_tasks: bool = True,
) -> Aggregate:
    """Every cross-dataset table of ``rows``: result rows (a DataFrame), or the rows of one
    or several run folders, joined as ``report RUN_DIR...`` joins them (:mod:`.combine`: other
    split hashes of a shared dataset refused, a cell in two runs counted once); each task
    judged by ``metric`` where it fits the task (a run's ``--metric``: the run folders' own by
    default), else by the task's default; ``join_tasks``: see :func:`error_table`. The many
    small fits run on one BLAS thread: more only wait on each other."""
    from threadpoolctl import threadpool_limits

    if not isinstance(rows, pd.DataFrame):
        from treesvsnets.reports.combine import combine_runs

        joined = combine_runs([rows] if isinstance(rows, str | Path) else list(rows), metric)
        rows, metric = joined.rows, joined.manifest.metric
    with threadpool_limits(limits=1):
        return _aggregate(rows, metric, rounds, seed, join_tasks)


def _aggregate(
    rows: pd.DataFrame, metric: str | None, rounds: int, seed: int, join_tasks: bool
) -> Aggregate:
    table, dropped, unscored = error_table(rows, metric, join_tasks)
    if table.empty:  # every cell failed, or only the baseline ran: nothing to rate
        none, no_fit = pd.DataFrame(), EloFit([], np.zeros(0), np.zeros((0, 0)))
        return Aggregate(table, none, none, {}, none, no_fit, dropped, unscored)
    methods, datasets, wins = dataset_wins(table)  # once: Elo, win rates, the verdict read it
    fit = _elo_fit(methods, wins, rounds, seed)
    errors = dataset_errors(table)
    tasks = table.groupby("dataset")["task"].first().to_dict()
    normalized = normalized_scores(errors, tasks)
    gaps = improvability(errors)
    rates = pairwise_win_rates(methods, wins)
    low, high = fit.intervals()
    facts = table.groupby("method").agg(
        family=("family", "first"),
        estimator=("estimator", "first"),
        datasets=("dataset", "nunique"),
        imputed=("imputed", "mean"),
    )
    board = pd.DataFrame(
        {"elo": fit.ratings, "elo_low": low, "elo_high": high}, index=fit.methods
    ).join(facts)
    board["elo_group"], board["elo_bounded"] = fit.groups, fit.bounded
    board["win_rate"] = rates.mean(axis=1, skipna=True)
    board["average_rank"] = errors.rank(axis=1, method="average").mean(axis=0)
    board["normalized"] = normalized["tabarena"].mean(axis=0)
    board["normalized_grinsztajn"] = normalized["grinsztajn"].mean(axis=0)
    improv = _bootstrap_mean(gaps, rounds, seed)
    board = board.join(
        improv.add_prefix("improvability_").rename(columns={"improvability_mean": "improvability"})
    )
    board = board.join(per_1k_rows(table))
    board.index.name = "method"
    board = board.sort_values("elo", ascending=False)
    wins_of = (methods, datasets, wins)
    return Aggregate(table, board, rates, normalized, gaps, fit, dropped, unscored, wins_of)
