"""What a tuned run adds to its report: default against tuned, the verdict after tuning, and
Grinsztajn's anytime curves.

A tuned run's rows come in pairs per fold (``tuning`` = default, tuned) and its trials are in
the store's ``trials`` table. Everything here reads the test-fold scores of trials only to
draw the curves, the way Grinsztajn et al. (2022) do: for a budget of b trials, the trial with
the best *validation* score among the first b, and its test score, averaged over random
reorderings of the trials (trial 0, the defaults, always first).

:func:`split_tuning` parts the default rows from the tuned; :func:`after_tuning` gives the
leaderboard's rows after tuning; :func:`default_vs_tuned` compares each tuned estimator's
default and tuned scores (the corrected t-test, trials, tuning seconds, best params);
:func:`verdict` sets the best trees against the best net before and after tuning;
:func:`anytime_curves` draws the curves above, by trials or by seconds; :func:`tuned_points`
gives the Pareto plot with tuning's time; :func:`tuning_lines` is what the terminal says.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from treesvsnets.estimators.base import BASELINE_FAMILY
from treesvsnets.reports.stats import paired_fold_test
from treesvsnets.results.row import DEFAULT, TUNED, TUNED_ENSEMBLED
from treesvsnets.tasks import Metric, primary

#: how many random reorderings of a search's trials the anytime curve averages over
REORDERINGS = 100


def split_tuning(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the default rows, the tuned rows); rows stored before tuning existed are defaults.
    The tuned+ensembled rows are in neither (:mod:`treesvsnets.reports.ensembles`)."""
    if rows.empty or "tuning" not in rows:
        return rows, rows.iloc[0:0]
    tuned = rows["tuning"] == TUNED
    return rows[~tuned & (rows["tuning"] != TUNED_ENSEMBLED)], rows[tuned]


def after_tuning(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of the leaderboard after tuning: each estimator's tuned rows, or its default
    rows when it was not tuned (the baseline, an estimator without a search space)."""
    defaults, tuned = split_tuning(rows)
    tuned_keys = set(zip(tuned["dataset"], tuned["estimator"], strict=True))
    kept = [
        (dataset, estimator) not in tuned_keys
        for dataset, estimator in zip(defaults["dataset"], defaults["estimator"], strict=True)
    ]
    return pd.concat([tuned, defaults[kept]], ignore_index=True)


def default_vs_tuned(rows: pd.DataFrame, dataset: str, metric: str | None = None) -> pd.DataFrame:
    """One row per tuned estimator on ``dataset``: its default and tuned scores (means over
    folds, by the score judged by under the run's ``metric`` setting), the corrected t-test
    between them, tuning seconds per fold, trials, and the best params of each fold."""
    part = rows[(rows["dataset"] == dataset) & (rows["status"] == "ok")]
    defaults, tuned = split_tuning(part)
    if tuned.empty:
        return pd.DataFrame()
    judged = primary(tuned["task"].iloc[0], metric)
    column = judged.column
    entries = []
    for estimator, after in tuned.groupby("estimator", sort=False):
        before = defaults[defaults["estimator"] == estimator]
        test = paired_fold_test(after, before, column)
        difference = None if test is None else test[0]
        entries.append(
            {
                "estimator": estimator,
                "family": after["family"].iloc[0],
                "default": before[column].mean(),
                "tuned": after[column].mean(),
                "difference": difference
                if difference is not None
                else after[column].mean() - before[column].mean(),
                "p": None if test is None else test[2],
                "trials per fold": after["n_trials"].mean(),
                "tuning s per fold": after["tuning_seconds"].mean(),
                "best params": " | ".join(
                    f"fold {int(r.fold) + 1}: "
                    + (
                        _params(r.best_params)
                        if pd.notna(r.best_trial)
                        else "no trial succeeded (the defaults)"
                    )
                    for r in after.sort_values(["seed", "fold"]).itertuples()
                ),
            }
        )
    frame = pd.DataFrame(entries)
    ascending = not judged.higher_is_better
    return frame.sort_values("tuned", ascending=ascending, kind="stable").reset_index(drop=True)


def _params(text: Any) -> str:
    try:
        values = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return str(text)
    if not values:
        return "the defaults"
    return ", ".join(f"{k}={_short(v)}" for k, v in values.items())


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def display_comparison(frame: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """The default-vs-tuned table as report strings."""
    if frame.empty:
        return frame

    def p_words(p: Any) -> str:
        if p is None or p != p:
            return "n/a"
        return f"{p:.2g}" + (" (likely real)" if p < 0.05 else "")

    return pd.DataFrame(
        {
            "estimator": frame["estimator"],
            "family": frame["family"],
            f"default {metric.label}": [metric.show(v) for v in frame["default"]],
            f"tuned {metric.label}": [metric.show(v) for v in frame["tuned"]],
            "difference": [
                metric.show(metric.improvement(v), signed=True) for v in frame["difference"]
            ],
            "p (corrected t-test)": [p_words(p) for p in frame["p"]],
            "trials": [f"{v:.0f}" for v in frame["trials per fold"]],
            "tuning s / fold": [f"{v:.1f}" for v in frame["tuning s per fold"]],
            "best params": frame["best params"],
        }
    )


def tuning_lines(rows: pd.DataFrame, dataset: str, metric: str | None = None) -> list[str]:
    """What the terminal says of tuning on ``dataset``: each tuned estimator's default ->
    tuned score (with the test's p), then the verdict (by the run's ``metric`` setting)."""
    from treesvsnets.reports.leaderboard import leaderboard

    comparison = default_vs_tuned(rows, dataset, metric)
    if comparison.empty:
        return []
    judged = primary(rows.loc[rows["dataset"] == dataset, "task"].iloc[0], metric)
    lines = [
        f"{entry['estimator']}: default {judged.show(entry['default'])} -> tuned "
        f"{judged.show(entry['tuned'])} "
        f"({judged.show(judged.improvement(entry['difference']), signed=True)}"
        + (f", p = {entry['p']:.2g}" if pd.notna(entry["p"]) else "")
        + f"; {entry['trials per fold']:.0f} trials, {entry['tuning s per fold']:.1f} s of "
        "search per fold)"
        for _, entry in comparison.iterrows()
    ]
    part = rows[rows["dataset"] == dataset]
    defaults, _ = split_tuning(part)
    return lines + verdict(
        leaderboard(defaults, metric), leaderboard(after_tuning(part), metric), dataset
    )


def _best_of(board: pd.DataFrame, family: str, metric: Metric) -> pd.Series | None:
    part = board[(board["family"] == family)].dropna(subset=[metric.column])
    if part.empty:
        return None
    order = part[metric.column].rank(ascending=not metric.higher_is_better, method="first")
    return part.loc[order.idxmin()]


def verdict(
    default_board: pd.DataFrame,
    tuned_board: pd.DataFrame,
    dataset: str,
    steps: tuple[str, str, str] = ("with defaults", "after tuning", "tuning"),
) -> list[str]:
    """Trees against nets before and after tuning: the best ensemble against the best net,
    with defaults and tuned, and whether the winner changed. A family without a tuned row
    competes with its default. Both boards are ranked by the same score (their ``metric``).
    ``steps`` names the two boards and what changed between them (the same sentences say
    what ensembling changed, from the boards after tuning and after ensembling)."""
    from treesvsnets.reports.leaderboard import judged_by

    sentences = []
    if default_board.empty:
        return sentences
    metric = judged_by(default_board)
    before = default_board[default_board["dataset"] == dataset]
    after = pd.concat(
        [
            tuned_board[tuned_board["dataset"] == dataset],
            before[~before["estimator"].isin(tuned_board["estimator"])],
        ]
    )
    winners = []
    for label, board in ((steps[0], before), (steps[1], after)):
        tree, net = _best_of(board, "ensemble", metric), _best_of(board, "deep", metric)
        if tree is None or net is None:
            return []
        first, second = (
            (tree, net)
            if metric.better(tree[metric.column], net[metric.column])
            or tree[metric.column] == net[metric.column]
            else (net, tree)
        )
        winners.append(first["family"])
        sentences.append(
            f"{label}: {first['estimator']} ({metric.show(first[metric.column])}) beats "
            f"{second['estimator']} ({metric.show(second[metric.column])}), the best "
            f"{'trees' if first['family'] == 'ensemble' else 'net'} ahead"
        )
    changed = winners[0] != winners[1]
    sentences.append(
        f"the verdict (trees vs nets) changed with {steps[2]}"
        if changed
        else f"the verdict (trees vs nets) is the same with and without {steps[2]}"
    )
    return sentences


def anytime_curves(
    trials: pd.DataFrame, dataset: str, by: str = "trials", reorderings: int = REORDERINGS
) -> dict[str, pd.DataFrame]:
    """Per estimator, the test score of the best-by-validation trial against the budget,
    averaged over ``reorderings`` random orders of each search's trials (trial 0 first) and
    then over its searches (folds, seeds). ``by`` is ``"trials"`` (budget b = the first b
    trials) or ``"seconds"`` (the trials finished within t seconds, their own times summed).
    The scores are those the trials were scored by (their ``metric``, the run's choice).
    Returns {estimator: frame with columns budget, score, family}."""
    part = trials[(trials["dataset"] == dataset) & (trials["status"] == "ok")].dropna(
        subset=["val_score", "test_score"]
    )
    if part.empty:
        return {}
    metric = primary(part["task"].iloc[0], part["metric"].iloc[0] if "metric" in part else None)
    sign = 1.0 if metric.higher_is_better else -1.0
    curves: dict[str, pd.DataFrame] = {}
    for estimator, searches in part.groupby("estimator", sort=False):
        per_search = []
        for _, search in searches.groupby(["seed", "fold"]):
            search = search.sort_values("trial")
            per_search.append(
                _search_curve(
                    search["val_score"].to_numpy(float) * sign,
                    search["test_score"].to_numpy(float),
                    search["seconds"].fillna(0).to_numpy(float),
                    search["trial"].to_numpy(int),
                    by,
                    reorderings,
                )
            )
        if by == "trials":
            length = min(len(curve) for curve in per_search)
            budget = np.arange(1, length + 1)
            score = np.mean([curve[:length] for curve in per_search], axis=0)
        else:
            grid = np.unique(np.concatenate([c[0] for c in per_search]))
            score = np.mean([_step_at(c[0], c[1], grid) for c in per_search], axis=0)
            keep = ~np.isnan(score)
            budget, score = grid[keep], score[keep]
        curves[str(estimator)] = pd.DataFrame({"budget": budget, "score": score})
    return curves


def _search_curve(
    gains: np.ndarray,
    tests: np.ndarray,
    seconds: np.ndarray,
    numbers: np.ndarray,
    by: str,
    reorderings: int,
) -> Any:
    """One search's curve, averaged over reorderings: by trials, an array over b; by
    seconds, (times, scores) of the averaged step function."""
    rng = np.random.default_rng(0)
    first = np.flatnonzero(numbers == 0)
    rest = np.flatnonzero(numbers != 0)
    orders = []
    for _ in range(reorderings):
        orders.append(np.concatenate([first, rng.permutation(rest)]))
    if by == "trials":
        curves = []
        for order in orders:
            best_gain, best_test, curve = -np.inf, np.nan, []
            for index in order:
                if gains[index] > best_gain:  # a tie keeps the earlier trial
                    best_gain, best_test = gains[index], tests[index]
                curve.append(best_test)
            curves.append(curve)
        return np.mean(curves, axis=0)
    times = np.unique(np.concatenate([np.cumsum(seconds[order]) for order in orders]))
    steps = []
    for order in orders:
        ends = np.cumsum(seconds[order])
        best_gain, best_test, values = -np.inf, np.nan, []
        for index in order:
            if gains[index] > best_gain:
                best_gain, best_test = gains[index], tests[index]
            values.append(best_test)
        steps.append(_step_at(ends, np.asarray(values), times))
    return times, np.nanmean(np.asarray(steps), axis=0) if steps else np.array([])


def _step_at(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """A step function (value ``values[i]`` from ``times[i]`` on) read at ``at``; NaN before
    its first step."""
    index = np.searchsorted(times, at, side="right") - 1
    out = np.full(len(at), np.nan)
    inside = index >= 0
    out[inside] = np.asarray(values)[index[inside]]
    return out


def families(rows: pd.DataFrame) -> dict[str, str]:
    """Estimator -> family, from the result rows."""
    return dict(zip(rows["estimator"], rows["family"], strict=False))


def tuned_points(rows: pd.DataFrame, dataset: str, metric: str | None = None) -> pd.DataFrame:
    """Per estimator on ``dataset``: the default's score (by the run's ``metric`` setting) and
    fit time, the tuned score, and the total time of tuning (the search plus the refit), means
    per fold."""
    part = rows[(rows["dataset"] == dataset) & (rows["status"] == "ok")]
    part = part[part["family"] != BASELINE_FAMILY]
    if part.empty:
        return pd.DataFrame()
    judged = primary(part["task"].iloc[0], metric)
    defaults, tuned = split_tuning(part)
    entries = []
    for estimator, before in defaults.groupby("estimator", sort=False):
        after = tuned[tuned["estimator"] == estimator]
        entries.append(
            {
                "estimator": estimator,
                "family": before["family"].iloc[0],
                "default": before[judged.column].mean(),
                "default_seconds": before["fit_seconds"].mean(),
                "tuned": after[judged.column].mean() if len(after) else np.nan,
                "tuned_seconds": (after["tuning_seconds"] + after["fit_seconds"]).mean()
                if len(after)
                else np.nan,
            }
        )
    return pd.DataFrame(entries)


__all__ = [
    "DEFAULT",
    "TUNED",
    "anytime_curves",
    "default_vs_tuned",
    "display_comparison",
    "split_tuning",
    "tuned_points",
    "verdict",
]
