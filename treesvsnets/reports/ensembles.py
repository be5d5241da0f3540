"""What a run with ``--ensemble`` adds to its report: the tuned+ensembled rows beside the
default and tuned ones.

A tuned+ensembled row (``tuning`` = ``tuned+ensembled``) is the greedy ensemble of one
search's trials; its ``ensemble`` column (JSON) holds the members, their weights, the
validation score and the anytime curve (the ensemble of the first b trials, selected on
validation, scored on the test fold). :func:`ensembled` picks those rows;
:func:`after_ensembling` is the leaderboard's rows once ensembled (each estimator's ensembled
rows, else its tuned, else its default); :func:`three_variants` compares an estimator's three
variants on one dataset; :func:`ensemble_curves` gives the anytime curves of the ensembles.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from treesvsnets.reports.stats import paired_fold_test
from treesvsnets.results.row import BLEND, DEFAULT, TUNED, TUNED_ENSEMBLED
from treesvsnets.tasks import Metric, primary


def ensembled(rows: pd.DataFrame) -> pd.DataFrame:
    """The tuned+ensembled rows (none in a run without ``--ensemble``)."""
    if rows.empty or "tuning" not in rows:
        return rows.iloc[0:0]
    return rows[rows["tuning"] == TUNED_ENSEMBLED]


def after_ensembling(rows: pd.DataFrame) -> pd.DataFrame:
    """Each (dataset, estimator)'s most elaborate variant: its tuned+ensembled rows, else its
    tuned rows, else its defaults (the baseline, an estimator without a search space)."""
    if rows.empty or "tuning" not in rows:
        return rows
    order = {TUNED_ENSEMBLED: 0, TUNED: 1}
    rank = rows["tuning"].map(order).fillna(2)
    best = rank.groupby([rows["dataset"], rows["estimator"]]).transform("min")
    return rows[rank == best].reset_index(drop=True)


def _members(text: object) -> int:
    try:
        return len(json.loads(text).get("members", [])) if isinstance(text, str) else 0
    except ValueError:
        return 0


def three_variants(rows: pd.DataFrame, dataset: str, metric: str | None = None) -> pd.DataFrame:
    """One row per ensembled estimator on ``dataset``: its default, tuned and tuned+ensembled
    scores (means over folds, by the run's ``metric``), the corrected t-test of ensembled
    against tuned, and the members per fold (distinct trials with a weight)."""
    part = rows[(rows["dataset"] == dataset) & (rows["status"] == "ok")]
    ensembles = ensembled(part)
    ensembles = ensembles[ensembles["estimator"] != BLEND]  # one variant: blend_sentence
    if ensembles.empty:
        return pd.DataFrame()
    judged = primary(ensembles["task"].iloc[0], metric)
    column = judged.column
    entries = []
    for estimator, after in ensembles.groupby("estimator", sort=False):
        own = part[part["estimator"] == estimator]
        tuned = own[own["tuning"] == TUNED]
        test = paired_fold_test(after, tuned, column) if len(tuned) else None
        entries.append(
            {
                "estimator": estimator,
                "family": after["family"].iloc[0],
                "default": own.loc[own["tuning"].fillna(DEFAULT) == DEFAULT, column].mean(),
                "tuned": tuned[column].mean(),
                "ensembled": after[column].mean(),
                "p": None if test is None else test[2],
                "members": after["ensemble"].map(_members).mean(),
                "trials": after["n_trials"].mean(),
            }
        )
    frame = pd.DataFrame(entries)
    ascending = not judged.higher_is_better
    return frame.sort_values("ensembled", ascending=ascending, kind="stable").reset_index(drop=True)


def display_variants(frame: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """The three-variants table as report strings."""
    if frame.empty:
        return frame
    return pd.DataFrame(
        {
            "estimator": frame["estimator"],
            "family": frame["family"],
            f"default {metric.label}": [metric.show(v) for v in frame["default"]],
            f"tuned {metric.label}": [metric.show(v) for v in frame["tuned"]],
            f"tuned+ensembled {metric.label}": [metric.show(v) for v in frame["ensembled"]],
            "p (ensembled vs tuned)": [
                "n/a" if p is None or p != p else f"{p:.2g}" for p in frame["p"]
            ],
            "members / trials": [
                f"{m:.1f} / {t:.0f}" for m, t in zip(frame["members"], frame["trials"], strict=True)
            ],
        }
    )


def ensemble_curves(rows: pd.DataFrame, dataset: str) -> dict[str, pd.DataFrame]:
    """Per ensembled estimator on ``dataset``, ``"rf (tuned+ensembled)"``: the test score of
    the ensemble of the first b trials against b (the budgets every fold reached), the mean
    over folds; read from the rows' ``ensemble`` column."""
    part = ensembled(rows[(rows["dataset"] == dataset) & (rows["status"] == "ok")])
    curves = {}
    for estimator, group in part.groupby("estimator", sort=False):
        per_fold = [
            {
                int(b): np.nan if test is None else test
                for b, _, test in json.loads(text).get("curve", [])
            }
            for text in group["ensemble"]
            if isinstance(text, str)
        ]
        budgets = sorted(set.intersection(*(set(c) for c in per_fold))) if per_fold else []
        if budgets:
            scores = [np.mean([c[b] for c in per_fold]) for b in budgets]
            curves[f"{estimator} ({TUNED_ENSEMBLED})"] = pd.DataFrame(
                {"budget": budgets, "score": scores}
            )
    return curves


def blend_sentence(rows: pd.DataFrame, dataset: str, metric: str | None = None) -> str | None:
    """Whether the models a ``blend`` pooled on ``dataset`` complement each other: its score
    against the tuned+ensembled score of each estimator it pooled (means over folds), by the
    run's ``metric``, with the weight each got (a member never chosen weighs 0: the blend is
    then the other alone); "trees and nets together" only where both a tree ensemble and a
    net weigh. None without a blend there."""
    part = ensembled(rows[(rows["dataset"] == dataset) & (rows["status"] == "ok")])
    blends = part[part["estimator"] == BLEND]
    if blends.empty:
        return None
    judged = primary(blends["task"].iloc[0], metric)
    members = sorted(
        {name for text in blends["best_params"] for name in json.loads(text).get("members", [])}
    )
    alone = {
        name: part.loc[part["estimator"] == name, judged.column].mean()
        for name in members
        if (part["estimator"] == name).any()
    }
    score = blends[judged.column].mean()
    said = ", ".join(f"{name} {judged.show(value)}" for name, value in alone.items())
    if not alone:
        return f"blend ({judged.label} {judged.show(score)}) pooled {', '.join(members)}."
    weights = _member_weights(blends, members)
    weighed = ", ".join(f"{name} {weights[name]:.2f}" for name in members)
    families = set(
        part.loc[part["estimator"].isin([n for n in members if weights[n] > 0]), "family"]
    )
    both = {"ensemble", "deep"} <= families
    best = max(alone.values()) if judged.higher_is_better else min(alone.values())
    if judged.better(score, best):
        outcome = f"{'trees and nets' if both else 'its members'} together beat the better alone"
    else:
        outcome = "together they do not beat the better of them alone"
    return (
        f"blend of {' + '.join(members)} (weights, mean over folds: {weighed}): {judged.label} "
        f"{judged.show(score)}, against each tuned+ensembled alone: {said}; {outcome} here."
    )


def _member_weights(blends: pd.DataFrame, members: list[str]) -> dict[str, float]:
    """Each member's share of the blend's weights (its trials' summed), the mean over folds:
    read from the rows' ``ensemble`` column (members ``"rf/3"``)."""
    shares = {name: [] for name in members}
    for text in blends["ensemble"]:
        kept = json.loads(text) if isinstance(text, str) else {}
        fold = dict.fromkeys(members, 0.0)
        for member, weight in zip(kept.get("members", []), kept.get("weights", []), strict=False):
            name = str(member).split("/")[0]
            fold[name] = fold.get(name, 0.0) + float(weight)
        for name in members:
            shares[name].append(fold[name])
    return {name: float(np.mean(values)) if values else 0.0 for name, values in shares.items()}
