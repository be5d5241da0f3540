"""One dataset's section of a report (:func:`dataset_section`): its description, the
warnings about it, its leaderboard, the pairwise statistics, its figures, how its table's
columns were read and (a tuned run) default against tuned. It reads only that dataset's part
of the run (:class:`SectionSettings`: what it needs of the manifest), so that a section built
while later cells ran is the section the report would build
(:func:`treesvsnets.reports.content.draw_dataset_ahead`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from treesvsnets.estimators.base import BASELINE_FAMILY
from treesvsnets.reports import plots
from treesvsnets.reports.baseline import not_better_sentences
from treesvsnets.reports.curves import curve_figures
from treesvsnets.reports.divergence import divergence_sentences
from treesvsnets.reports.layout import DatasetSection, Figure, save_figure, slug
from treesvsnets.reports.leaderboard import display_table, judged_by
from treesvsnets.reports.stats import compare_on_folds
from treesvsnets.reports.tuning_section import tuning_section
from treesvsnets.results.folder import Manifest
from treesvsnets.tasks import REGRESSION, task_of


@dataclass(frozen=True)
class SectionSettings:
    """What a dataset's section reads of the manifest: the run's metric and config, the
    dataset's split plans and the estimators skipped on it."""

    metric: str | None
    config: dict[str, Any]
    splits: list[dict[str, Any]]
    skipped: list[dict[str, Any]]

    @classmethod
    def of(cls, manifest: Manifest, dataset: str) -> SectionSettings:
        return cls(
            manifest.metric,
            manifest.config,
            [split for split in manifest.splits if split["dataset"] == dataset],
            [skip for skip in manifest.skipped if skip["dataset"] == dataset],
        )


def _data_notes(described: dict[str, Any], splits: list[dict[str, Any]]) -> list[str]:
    """The table's file, what loading did to it, and test rows that also appear in
    training."""
    notes = [f"file: `{described['path']}`"] if described.get("path") else []
    if described.get("cleaning"):
        steps = "; ".join(
            f"{key.replace('_', ' ')}: {value}" for key, value in described["cleaning"].items()
        )
        notes.append(f"data preparation: {steps}")
    seen = sum(sum(s.get("test_rows_seen_in_train", [])) for s in splits)
    if seen:
        tested = sum(sum(s.get("test_sizes", [])) for s in splits)
        notes.append(
            f"**{seen} of {tested} test rows have features identical to a training row** "
            "(duplicates across the split inflate accuracy)"
        )
    return notes


def column_table(described: dict[str, Any]) -> pd.DataFrame | None:
    """How each column of a table file was read (the manifest's ``columns``), for the report."""
    readings = described.get("columns")
    if not readings:
        return None

    def remarks(reading: dict[str, Any]) -> str:
        said = []
        if reading.get("unparsed"):
            examples = ", ".join(repr(v) for v in reading.get("unparsed_examples", []))
            said.append(f"{reading['unparsed']} unparsed -> missing (e.g. {examples})")
        for kept, variants in (reading.get("merged") or {}).items():
            said.append(f"merged {', '.join(repr(v) for v in variants)} into {kept!r}")
        if reading.get("kind") == "dropped" or reading.get("note", "").startswith("parsed"):
            said.append(reading.get("note", ""))
        return "; ".join(s for s in said if s)

    return pd.DataFrame(
        {
            "column": [r["name"] for r in readings],
            "read as": [r.get("read_as", "") for r in readings],
            "type": [r.get("kind", "") for r in readings],
            "missing": [str(r.get("missing", "")) for r in readings],
            "placeholders": [str(r.get("placeholders", "") or "") for r in readings],
            "encoding": [r.get("encoding", "") for r in readings],
            "remarks": [remarks(r) for r in readings],
        }
    )


def _pairwise_sentences(rows: pd.DataFrame, board: pd.DataFrame, dataset: str) -> list[str]:
    """The best estimator against every other, and the best tree ensemble against the best net,
    on the dataset's score."""
    metric = judged_by(board)
    ranked = board.dropna(subset=[metric.column])
    if len(ranked) < 2:
        return []
    best = ranked.iloc[0]["estimator"]
    pairs = [(best, other) for other in ranked["estimator"].iloc[1:]]
    by_family = ranked.groupby("family")["estimator"].first()
    if {"ensemble", "deep"} <= set(by_family.index):
        duel = (by_family["ensemble"], by_family["deep"])
        if best not in duel:
            pairs.insert(0, duel)
    sentences = []
    for a, b in pairs:
        test = compare_on_folds(rows, dataset, a, b, metric)
        if test is not None:
            sentences.append(test.sentence())
    return sentences


def _figures(
    rows: pd.DataFrame, board: pd.DataFrame, dataset: str, described: dict, run_dir: Path
) -> list[Figure]:
    # labels reset: a figure drawn ahead from this dataset's rows alone has the same
    # arguments as the report's, cut from every dataset's rows (rendering.drawing_key)
    rows, board = rows.reset_index(drop=True), board.reset_index(drop=True)
    key = slug(dataset)
    order = board["estimator"].tolist()
    metric = judged_by(board)
    label = metric.label
    figures = [
        Figure(
            f"{label[0].upper() + label[1:]} against fit time; the dashed line is the Pareto "
            f"front (nothing is both faster and better), the dotted line the baseline's "
            f"{label} (or a note where it lies outside the axis).",
            save_figure(
                partial(plots.score_vs_fit_time, board, dataset, metric), run_dir, f"{key}-pareto"
            ),
        ),
        Figure(
            f"{label[0].upper() + label[1:]} on each test fold; the dotted line is the "
            "baseline's mean.",
            save_figure(
                partial(plots.fold_scores, rows, dataset, order, metric), run_dir, f"{key}-folds"
            ),
        ),
    ]
    if plots.has_history(rows):
        figures.append(
            Figure(
                "Learning curves of the nets, one line per fold.",
                save_figure(
                    partial(plots.learning_curves, rows, dataset), run_dir, f"{key}-learning"
                ),
            )
        )
    ranked = board.dropna(subset=[metric.column])
    learned = ranked[ranked["family"] != BASELINE_FAMILY]  # the baseline's is one column/value
    best_of_family = learned.groupby("family", sort=False)["estimator"].first()
    if board["task"].iloc[0] == REGRESSION:
        pairs = {
            f"{best} (best {family})": found
            for family, best in best_of_family.items()
            if (found := plots.pooled_predictions(rows, best)) is not None
        }
        if pairs:
            figures.append(
                Figure(
                    "Predicted against actual (the diagonal is perfect) and residuals, for "
                    "the best estimator of each family, test folds pooled (at most 500 "
                    "rows per fold).",
                    save_figure(
                        partial(plots.predicted_vs_actual, pairs, dataset),
                        run_dir,
                        f"{key}-residuals",
                    ),
                )
            )
        return figures
    class_names = described.get("class_names") or []
    for family, best in best_of_family.items():
        matrix = plots.summed_confusion(rows, best)
        if matrix is None or len(class_names) != len(matrix):
            continue
        figures.append(
            Figure(
                f"Confusion matrix of {best}, the best {family} estimator by {metric.label} "
                "(test folds added up; rows true, columns predicted).",
                save_figure(
                    partial(plots.confusion_matrix, matrix, class_names, f"{dataset}: {best}"),
                    run_dir,
                    f"{key}-confusion-{slug(best)}",
                ),
            )
        )
    ranked_by_family = learned.groupby("family", sort=False)["estimator"].agg(list)
    return figures + curve_figures(rows, ranked_by_family, dataset, metric.label, run_dir, key)


def dataset_section(
    dataset: str,
    info: dict[str, Any],
    boards: tuple[pd.DataFrame, pd.DataFrame | None],
    rows: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    manifest: SectionSettings,
    run_dir: Path | None,
) -> DatasetSection:
    """One dataset's section: its description, the warnings about it, its leaderboard,
    statistics, figures, columns and (a tuned run) default against tuned. ``boards`` are
    the run's leaderboards with defaults and after tuning (None: not tuned); ``rows`` the
    default rows, every row, and the trials; ``manifest`` what the section reads of it."""
    board, after_board = boards
    defaults, all_rows, trials = rows
    part = board[board["dataset"] == dataset]
    its_splits = [s for s in manifest.splits if s["dataset"] == dataset]
    hashes = ", ".join(f"seed {s['seed']}: `{s['hash']}`" for s in its_splits)
    its_rows = defaults[defaults["dataset"] == dataset]
    warnings = [
        *not_better_sentences(its_rows, metric=manifest.metric),
        *divergence_sentences(all_rows, dataset),
    ]
    tuned = (
        tuning_section(
            all_rows,
            trials,
            dataset,
            (part, after_board[after_board["dataset"] == dataset]),
            manifest.config,
            run_dir,
        )
        if after_board is not None
        else None
    )
    return DatasetSection(
        name=dataset,
        description=(
            f"{info.get('n_samples', '?')} samples, {info.get('n_features', '?')} "
            f"features, {_target_words(info)}; fingerprint "
            f"`{info.get('fingerprint', '?')}`; split hashes: {hashes or '?'}"
        ),
        notes=[f"**{sentence}**" for sentence in warnings]
        + _data_notes(info, its_splits)
        + [
            f"{skip['estimator']} was not run here ({skip['reason']})"
            for skip in manifest.skipped
            if skip["dataset"] == dataset
        ],
        table=display_table(part),
        statistics=_pairwise_sentences(its_rows, part, dataset),
        figures=(_figures(its_rows, part, dataset, info, run_dir) if run_dir else []),
        columns=column_table(info),
        subsections=[tuned] if tuned is not None else [],
    )


def _target_words(info: dict[str, Any]) -> str:
    """'10 classes', or a regression target in a few numbers."""
    if task_of(info.get("task")) != REGRESSION:
        return f"{info.get('n_classes', '?')} classes"
    target = info.get("target") or {}
    if not target:
        return "regression"
    return (
        f"regression target: mean {target['mean']:.4g}, sd {target['std']:.4g}, "
        f"range {target['min']:.4g} to {target['max']:.4g}"
    )
