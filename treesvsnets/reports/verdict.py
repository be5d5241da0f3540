"""The answer in words: one paragraph saying which family is ahead across the datasets, by how
much and how sure, where the answer differs, and what tuning (and ensembling the trials, with
``--ensemble``) changed.

Every clause is computed from an :class:`~treesvsnets.reports.aggregate.Aggregate`, never
taken from a template that could say more than the numbers: the two sides are the best method
(by Elo) of the two families compared (tree ensembles against nets when both ran, otherwise the
two best families present); the gap is their Elo difference with its bootstrap interval, and it
is called a lead only when that interval excludes 0 and the datasets are at least
:data:`MIN_DATASETS` (below that a bootstrap over datasets has too few distinct resamples for
its interval to mean anything: with 2 datasets half the rounds draw one dataset twice, so an
interval that excludes 0 only says both datasets agree); the win rate is theirs head to head.
When a method of a third family (a linear model, say) is ahead of both, the paragraph says so.
The answer is then read again on each part of the datasets (by task, by size, with or without
categorical columns, tables against images and sequences): a part is named when its winner
differs from the overall one, or when the two are even there.

:func:`verdict` returns the paragraph; :class:`DatasetFacts` is what it knows of each dataset
(its task, rows, kind, categorical columns), from the run's manifest or the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from treesvsnets.reports.aggregate import Aggregate, dataset_wins, pairwise_win_rates
from treesvsnets.results.row import TUNED, TUNED_ENSEMBLED

#: how a family is named in the paragraph
FAMILY_WORDS = {
    "ensemble": "tree ensembles",
    "deep": "nets",
    "linear": "linear models",
    "other": "other models",
}
#: the families the question is about, in the order the paragraph names them
QUESTION = ("ensemble", "deep")
#: below this many datasets an interval that includes 0 is said to be too wide to decide
FEW_DATASETS = 10
#: below this many datasets no interval is read as a lead, even one that excludes 0: a
#: bootstrap over 2 to 4 datasets has a handful of distinct resamples (3 for 2 datasets), and
#: its 95% interval excludes 0 as soon as each dataset points the same way
MIN_DATASETS = 5
#: the size parts: a dataset's rows below SMALL_ROWS, or at least
SMALL_ROWS = 2_000


@dataclass(frozen=True)
class DatasetFacts:
    """What the paragraph says of one dataset: its task, rows, kind (``table``, ``image`` or
    ``sequence``) and whether it has categorical columns."""

    task: str
    rows: int
    kind: str = "table"
    categorical: bool = False

    def parts(self) -> dict[str, str]:
        """The part of each split of the datasets this one falls in."""
        parts = {
            "task": f"{self.task} datasets",
            "size": f"datasets under {SMALL_ROWS:,} rows"
            if self.rows < SMALL_ROWS
            else f"datasets of {SMALL_ROWS:,} rows or more",
            "kind": "tables" if self.kind == "table" else "images and sequences",
        }
        if self.kind == "table":
            parts["categorical"] = (
                "tables with categorical columns"
                if self.categorical
                else "tables without categorical columns"
            )
        return parts


def facts_from_rows(rows: pd.DataFrame) -> dict[str, DatasetFacts]:
    """What the rows alone say of each dataset: its task and rows (train + val + test)."""
    facts = {}
    for dataset, part in rows.groupby("dataset", sort=False):
        first = part.iloc[0]
        size = sum(int(first.get(c) or 0) for c in ("n_train", "n_val", "n_test"))
        facts[str(dataset)] = DatasetFacts(task=str(first.get("task")), rows=size)
    return facts


def _sides(board: pd.DataFrame) -> tuple[str, str] | None:
    """The best method of each of the two families compared (tree ensembles and nets when
    both are on ``board``, else its two best families), best first by Elo. Each family is
    represented by its methods that ran on the most datasets: a net that only ran on the
    image sets is rated on those alone, and must not speak for the family on every table."""
    families = list(dict.fromkeys(board["family"]))  # in Elo order
    compared = [f for f in QUESTION if f in families]
    if len(compared) < 2:
        compared = families[:2]
    if len(compared) < 2:
        return None
    best = []
    for family in compared:
        members = board[board["family"] == family]
        widest = members[members["datasets"] == members["datasets"].max()]
        best.append(widest.index[0])  # the board is in Elo order
    first, second = best
    return (
        (first, second) if board.loc[first, "elo"] >= board.loc[second, "elo"] else (second, first)
    )


def _narrower(result: Aggregate, a: str, b: str) -> list[str]:
    """The methods that ran on fewer datasets than the two compared, said as such."""
    board = result.board
    fewer = board[board["datasets"] < min(board.loc[a, "datasets"], board.loc[b, "datasets"])]
    if fewer.empty:
        return []
    listed = ", ".join(
        f"{method} ({int(row['datasets'])} of {result.n_datasets}, Elo {row['elo']:.0f}"
        + ("" if row["elo_bounded"] else ", unbounded: no finite size")
        + ")"
        for method, row in fewer.iterrows()
    )
    return [f"Rated only where they ran, so not set against the others on every dataset: {listed}."]


def _family(result: Aggregate, method: str) -> str:
    family = result.board.loc[method, "family"]
    return FAMILY_WORDS.get(family, family)


def _head_to_head(result: Aggregate, a: str, b: str, datasets: list[str] | None = None) -> float:
    """The win rate of ``a`` against ``b`` over ``datasets`` (all), each weighing 1, from the
    per-dataset wins the aggregate counted once."""
    methods, names, wins = result.wins or dataset_wins(result.table)
    if datasets is not None:
        wins = wins[[names.index(d) for d in datasets if d in names]]
    rates = pairwise_win_rates(methods, wins)
    return float(rates.loc[a, b]) if a in rates.index and b in rates.index else float("nan")


def _gap(result: Aggregate, a: str, b: str) -> tuple[float, float, float]:
    """The Elo gap of ``a`` over ``b`` with its 95% interval's ends in whole points, as the
    verdict says them: an end within half a point of 0 is 0, so whether the interval
    excludes 0 is not decided by rounding noise (-0.0002 read 'includes', +0.0002 'excludes')."""
    gap, low, high = result.elo.gap(a, b)
    if np.isnan(low):
        return gap, low, high
    return gap, float(round(low)), float(round(high))


def _met_on(result: Aggregate, a: str, b: str) -> list[str]:
    """The datasets on which both ``a`` and ``b`` ran (a classifier and a regressor of one
    family split its datasets between them)."""
    table = result.table
    on = [set(table.loc[table["method"] == method, "dataset"]) for method in (a, b)]
    return sorted(on[0] & on[1])


def _lead(result: Aggregate, a: str, b: str) -> str:
    gap, low, high = _gap(result, a, b)
    n = len(_met_on(result, a, b))  # what the pair's answer rests on
    on = f"these {n} datasets" if n != 1 else "this one dataset"
    rate = _head_to_head(result, a, b)
    across = (
        f"Across {n} dataset{'s' if n != 1 else ''}"
        if n == result.n_datasets
        else f"On the {n} of {result.n_datasets} datasets both ran"
    )
    bounded = result.board.loc[a, "elo_group"] == result.board.loc[b, "elo_group"]
    head = (
        f"{across}, the best of the {_family(result, a)}, "
        f"{a}, rates {result.board.loc[a, 'elo']:.0f} Elo against {result.board.loc[b, 'elo']:.0f} "
        f"for the best of the {_family(result, b)}, {b}: "
        + (
            f"a gap of {gap:.0f} points"
            if bounded
            else "a gap without a finite size, as every battle between their groups went one "
            f"way (the {gap:.0f} points are the fit's penalty at work)"
        )
    )
    if not bounded and not np.isnan(low):  # its interval is the penalty's too: no size
        sure = (
            f"; {n} dataset{'s are' if n != 1 else ' is'} too few to make a verdict of it: "
            "read it as these datasets' answer."
            if n < MIN_DATASETS
            else f": the {_family(result, a)} are ahead."
        )
    elif np.isnan(low):
        sure = (
            " (one dataset: no interval). With a single dataset this is that dataset's answer, "
            "not a verdict."
        )
    elif low > 0 and n < MIN_DATASETS:
        sure = (
            f" (95% interval {low:.0f} to {high:.0f}): {a} leads on {on}, but "
            f"{n} dataset{'s are' if n != 1 else ' is'} too few for the interval to separate "
            "the families; read it as "
            "these datasets' answer, not a verdict."
        )
    elif low > 0:
        sure = (
            f" (95% interval {low:.0f} to {high:.0f}, which excludes 0): the "
            f"{_family(result, a)} are ahead."
        )
    else:
        sure = (
            f" (95% interval {low:.0f} to {high:.0f}, which includes 0): the two cannot be told "
            "apart here"
        )
        sure += (
            f"; {n} dataset{'s are' if n != 1 else ' is'} too few for the interval to separate "
            "them."
            if n < FEW_DATASETS
            else "."
        )
    return f"{head}{sure} {a} wins {rate:.0%} of their battles (each dataset weighing 1)."


def _differences(result: Aggregate, a: str, b: str, facts: Mapping[str, DatasetFacts]) -> list[str]:
    """The parts of the datasets on which ``b`` beats ``a`` head to head (the overall answer
    reversed), and the parts that agree, in words."""
    datasets = sorted(set(result.table["dataset"]))
    splits: dict[str, dict[str, list[str]]] = {}
    for dataset in datasets:
        if dataset in facts:
            for split, part in facts[dataset].parts().items():
                splits.setdefault(split, {}).setdefault(part, []).append(dataset)
    reversed_parts, even, agreeing, unmet = [], [], [], []
    for by_part in splits.values():
        if len(by_part) < 2:
            continue  # every dataset falls in one part: nothing to contrast
        for part, members in by_part.items():
            rate = _head_to_head(result, a, b, members)
            if np.isnan(rate):
                unmet.append(part)
                continue
            n = len(members)
            words = f"{part} ({n} dataset{'s' if n != 1 else ''}: {a} wins {rate:.0%})"
            (reversed_parts if rate < 0.5 else even if rate == 0.5 else agreeing).append(words)
    said = [f"It reverses on {'; '.join(reversed_parts)}."] if reversed_parts else []
    said += [f"The two are even on {'; '.join(even)}."] if even else []
    if agreeing and not said:
        where = "on the parts where both ran" if unmet else "on every part of the datasets"
        said.append(f"The answer holds {where}: {'; '.join(agreeing)}.")
    if unmet:  # "holds on every part" was said of parts they never met on
        said.append(f"{a} and {b} did not meet on {', '.join(unmet)}: no answer there.")
    return said


def _imputed(result: Aggregate, a: str, b: str) -> list[str]:
    """What share of each side's cells failed and took the baseline's error: a side most of
    whose cells timed out is rated on its failures (its board row says so; the paragraph
    did not)."""
    shares = [(m, float(result.board.loc[m, "imputed"])) for m in (a, b)]
    said = [f"{share:.0%} of {m}'s cells" for m, share in shares if share > 0]
    if not said:
        return []
    return [
        "Part of this rests on failed cells, which count as the baseline's error: "
        f"{' and '.join(said)}."
    ]


def _ahead_of_both(result: Aggregate, a: str, b: str) -> list[str]:
    """The best method of a third family, when it rates above both sides (among the methods
    that ran on as many datasets as the sides did), with its gap over the better side."""
    board = result.board
    wide = board[board["datasets"] >= min(board.loc[a, "datasets"], board.loc[b, "datasets"])]
    top = wide.index[0]  # the board is in Elo order
    if top in (a, b) or board.loc[top, "family"] in set(board.loc[[a, b], "family"]):
        return []
    gap, low, high = _gap(result, top, a)
    if np.isnan(low):
        interval = ""
    elif result.n_datasets < MIN_DATASETS:  # too few datasets to read the interval (as _lead)
        interval = f" (95% interval {low:.0f} to {high:.0f}, on too few datasets to tell)"
    else:
        reads = "excludes" if low > 0 else "includes"
        interval = f" (95% interval {low:.0f} to {high:.0f}, which {reads} 0)"
    return [
        f"Both are behind the best of the {_family(result, top)}, {top}, at "
        f"{board.loc[top, 'elo']:.0f} Elo: {gap:.0f} points above {a}{interval}."
    ]


def _without(result: Aggregate, a: str, b: str, protocols: tuple[str, ...], step: str) -> list[str]:
    """What ``step`` changed: the same comparison among the methods of other protocols than
    ``protocols`` (tuning: the defaults alone; ensembling: the defaults and tuned)."""
    board = result.board
    left_out = board.index.str.endswith(tuple(f"({protocol})" for protocol in protocols))
    before = _sides(board[~left_out]) if left_out.any() else None
    if before is None:
        return []
    da, db = before
    gap, low, high = _gap(result, da, db)
    if board.loc[da, "family"] != board.loc[a, "family"]:
        change = f"{step} reverses the answer"
    elif (da, db) == (a, b):
        change = f"{step} did not change the best of either family"
    else:
        overall = result.elo.gap(a, b)[0]
        change = f"{step} {'widens' if overall > gap else 'narrows'} the gap"
    among = "With defaults only" if step == "tuning" else "Without ensembling"
    return [f"{among}, {da} against {db}: {gap:.0f} Elo ({low:.0f} to {high:.0f}); {change}."]


def verdict(result: Aggregate, facts: Mapping[str, DatasetFacts] | None = None) -> str:
    """One paragraph answering "trees or nets?" from ``result`` (see the module's docstring);
    ``facts`` (each dataset's task, rows, kind...) let it say where the answer differs."""
    sides = _sides(result.board)
    if sides is None:
        families = ", ".join(sorted(set(result.board["family"]))) or "none"
        return (
            f"Only one family of methods ran ({families}), so there is no verdict between "
            "families to give."
        )
    a, b = sides
    sentences = [_lead(result, a, b), *_imputed(result, a, b), *_ahead_of_both(result, a, b)]
    if result.n_datasets > 1:
        sentences += _differences(result, a, b, facts or facts_from_rows(result.table))
    sentences += _without(result, a, b, (TUNED, TUNED_ENSEMBLED), "tuning")
    sentences += _without(result, a, b, (TUNED_ENSEMBLED,), "ensembling")
    sentences += _narrower(result, a, b)
    if result.dropped:
        sentences.append(f"Not rated, every cell failed: {', '.join(result.dropped)}.")
    if result.unscored:
        sentences.append(
            f"Not rated, no cell has the score the run is judged by (a model without "
            f"probabilities has no ROC-AUC or log loss): {', '.join(result.unscored)}."
        )
    return " ".join(sentences)
