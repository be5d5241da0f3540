"""What a report says, built once from a run's rows and manifest; markdown.py and html.py only
render it. Building it also draws the figures (PNG files in the run folder's ``figures/``).

:func:`build_content` makes the :class:`~treesvsnets.reports.layout.ReportContent`: the
header, each dataset's section (its leaderboard, notes, statistics and figures), what holds
across datasets, and the failed cells. A tuned run's leaderboards, statistics and figures
read its default rows; the leaderboards of the default rows and after tuning are each built
once, and each dataset gets a section on tuning (:mod:`.tuning_section`).

The manifest is the typed :class:`~treesvsnets.results.folder.Manifest`, read by attribute (a
field renamed there fails here); its entries (config, environment, each dataset, estimator
and split) are the dicts the harness recorded, read with ``.get`` where an older run may lack
a key."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from treesvsnets.estimators.base import BASELINE_FAMILY
from treesvsnets.reports import plots, tuning
from treesvsnets.reports.across_section import across_section
from treesvsnets.reports.baseline import not_better_sentences
from treesvsnets.reports.curves import curve_figures
from treesvsnets.reports.divergence import divergence_sentences
from treesvsnets.reports.header import combined_lines, header_lines, legend
from treesvsnets.reports.layout import (
    DatasetSection,
    Figure,
    ReportContent,
    save_figure,
    slug,
)
from treesvsnets.reports.leaderboard import display_table, judged_by, leaderboard
from treesvsnets.reports.rendering import drawn_ahead, hand_over
from treesvsnets.reports.stats import compare_on_folds
from treesvsnets.reports.tuning_section import tuning_section
from treesvsnets.results.folder import Manifest
from treesvsnets.tasks import REGRESSION, task_of


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
    return figures + curve_figures(rows, best_of_family, dataset, metric.label, run_dir, key)


def _dataset_section(
    dataset: str,
    info: dict[str, Any],
    boards: tuple[pd.DataFrame, pd.DataFrame | None],
    rows: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    manifest: Manifest,
    run_dir: Path | None,
) -> DatasetSection:
    """One dataset's section: its description, the warnings about it, its leaderboard,
    statistics, figures, columns and (a tuned run) default against tuned. ``boards`` are
    the run's leaderboards with defaults and after tuning (None: not tuned); ``rows`` the
    default rows, every row, and the trials."""
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
            f"{skip['estimator']} was not run here: it {skip['reason']}"
            for skip in manifest.skipped
            if skip["dataset"] == dataset
        ],
        table=display_table(part),
        statistics=_pairwise_sentences(its_rows, part, dataset),
        figures=(_figures(its_rows, part, dataset, info, run_dir) if run_dir else []),
        columns=column_table(info),
        subsections=[tuned] if tuned is not None else [],
    )


def _failed_lines(rows: pd.DataFrame, trials: pd.DataFrame) -> list[str]:
    """One line per failed cell (its status and error), and one for the failed trials."""
    failed_rows = rows[rows["status"] != "ok"] if not rows.empty else rows
    failed = [
        f"{row['dataset']} / {row['estimator']}"
        + (f" ({row['tuning']})" if row.get("tuning") not in (None, tuning.DEFAULT) else "")
        + f" seed {row['seed']} fold {row['fold']}: **{row['status']}**: {row['error']}"
        for _, row in failed_rows.iterrows()
    ]
    if len(trials):
        bad = trials[trials["status"] != "ok"]
        if len(bad):
            failed.append(
                f"{len(bad)} of {len(trials)} trials failed (their searches went on): "
                + "; ".join(
                    f"{status} x{count}" for status, count in bad["status"].value_counts().items()
                )
                + f"; first: {bad.iloc[0]['estimator']} trial {bad.iloc[0]['trial']}: "
                f"{bad.iloc[0]['error']}"
            )
    return failed


@dataclass(frozen=True)
class _Boards:
    """What every dataset's section reads: the default rows, every row, the trials, the
    leaderboards with defaults and after tuning (None: not tuned), each dataset's entry."""

    rows: pd.DataFrame
    all_rows: pd.DataFrame
    trials: pd.DataFrame
    board: pd.DataFrame
    after_board: pd.DataFrame | None
    described: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, rows: pd.DataFrame, manifest: Manifest, trials: pd.DataFrame | None) -> _Boards:
        defaults, tuned_rows = tuning.split_tuning(rows)
        return cls(
            rows=defaults,
            all_rows=rows,
            trials=trials if trials is not None else pd.DataFrame(),
            board=leaderboard(defaults, manifest.metric),
            after_board=(
                leaderboard(tuning.after_tuning(rows), manifest.metric) if len(tuned_rows) else None
            ),
            described={entry["name"]: entry for entry in manifest.datasets},
        )

    def section(self, dataset: str, manifest: Manifest, run_dir: Path | None) -> DatasetSection:
        return _dataset_section(
            dataset,
            self.described.get(dataset, {}),
            (self.board, self.after_board),
            (self.rows, self.all_rows, self.trials),
            manifest,
            run_dir,
        )


def draw_dataset_ahead(
    rows: pd.DataFrame, manifest: Manifest, run_dir: Path, trials: pd.DataFrame | None = None
) -> None:
    """Draw the figures of the datasets in ``rows`` (every row of each) now, one by one: a
    run draws a finished dataset's while later cells run, and its report keeps each file
    it would draw alike (:func:`~treesvsnets.reports.rendering.drawn_ahead`)."""
    boards = _Boards.of(rows, manifest, trials)
    with drawn_ahead():
        for dataset in boards.board["dataset"].unique():
            boards.section(str(dataset), manifest, run_dir)


def _sections(
    boards: _Boards, in_run_order: list[str], manifest: Manifest, run_dir: Path | None
) -> list[DatasetSection]:
    """Each dataset's section, in run order. The last dataset's is built first and its
    figures handed to a child at once: in a run, the others' were drawn ahead (its cells
    ended last), so the child draws while their statistics are computed here. Not where
    an earlier dataset's figures share its files (two paths with one file name, from a run
    written before short names): the last one's drawing must be the one that stays."""
    if not in_run_order:
        return []
    *earlier, last = in_run_order
    if slug(str(last)) in {slug(str(name)) for name in earlier}:
        return [boards.section(str(name), manifest, run_dir) for name in in_run_order]
    built = {last: boards.section(str(last), manifest, run_dir)}
    hand_over()
    built.update({name: boards.section(str(name), manifest, run_dir) for name in earlier})
    return [built[name] for name in in_run_order]


def build_content(
    rows: pd.DataFrame,
    manifest: Manifest,
    run_dir: Path | None = None,
    trials: pd.DataFrame | None = None,
) -> ReportContent:
    """Everything a report shows; with ``run_dir``, the figures are drawn into it. A tuned
    run's leaderboards, statistics and figures read its default rows, and each dataset gets
    a section on tuning (from the tuned rows and ``trials``)."""
    boards = _Boards.of(rows, manifest, trials)
    all_rows, trials, board = boards.all_rows, boards.trials, boards.board
    in_run_order = [name for name in boards.described if name in set(board["dataset"])]
    in_run_order += [name for name in board["dataset"].unique() if name not in boards.described]
    sections = _sections(boards, in_run_order, manifest, run_dir)
    hand_over()  # their figures drawn in a child while the statistics are computed here
    section = across_section(all_rows, manifest.datasets, manifest.metric, run_dir)
    failed = _failed_lines(all_rows, trials)
    return ReportContent(
        title=f"treesvsnets {'runs' if manifest.combined else 'run'} `{manifest.run_id}`",
        header=header_lines(manifest),
        combined=combined_lines(manifest),
        legend=legend(board, manifest.metric),
        datasets=sections,
        across=section.by_task + section.statistics if section else [],
        across_figures=section.figures if section else [],
        failed=failed,
        verdict=section.verdict if section else "",
        across_table=section.table if section else None,
        across_legend=section.legend if section else "",
        board=board,
        after_board=boards.after_board,
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
