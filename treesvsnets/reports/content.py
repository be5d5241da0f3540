"""What a report says, built once from a run's rows and manifest; markdown.py and html.py only
render it. Building it also draws the figures (PNG files in the run folder's ``figures/``).

:func:`build_content` makes the :class:`~treesvsnets.reports.layout.ReportContent`: the
header, each dataset's section (:mod:`.dataset_section`: its leaderboard, notes, statistics
and figures), what holds across datasets, and the failed cells. A tuned run's leaderboards,
statistics and figures read its default rows; the leaderboards of the default rows and after
tuning are each built once, and each dataset gets a section on tuning (:mod:`.tuning_section`).

A dataset's section built while later cells ran (:func:`draw_dataset_ahead`) is kept in this
process with its building's key, and the report takes it instead of building it again when
its inputs, the dataset's part of the run, are equal and its figures are still in their files.

The manifest is the typed :class:`~treesvsnets.results.folder.Manifest`, read by attribute (a
field renamed there fails here); its entries (config, environment, each dataset, estimator
and split) are the dicts the harness recorded, read with ``.get`` where an older run may lack
a key."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from treesvsnets.reports import tuning
from treesvsnets.reports.across_section import across_section
from treesvsnets.reports.dataset_section import SectionSettings, dataset_section
from treesvsnets.reports.header import combined_lines, header_lines, legend
from treesvsnets.reports.layout import DatasetSection, ReportContent, slug
from treesvsnets.reports.leaderboard import leaderboard
from treesvsnets.reports.rendering import drawing_key, drawn_ahead, hand_over
from treesvsnets.results.folder import Manifest


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
        """The dataset's section: the one built ahead from equal inputs, or built now."""
        build = self.building(dataset, manifest, run_dir)
        return _built_ahead(build) or build()

    def building(
        self, dataset: str, manifest: Manifest, run_dir: Path | None
    ) -> partial[DatasetSection]:
        """The section's building, on the dataset's part of every input (labels reset: the
        rows read ahead and the same rows cut from the whole run's are then equal)."""

        def part(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            if frame is None or "dataset" not in frame:
                return frame
            return frame[frame["dataset"] == dataset].reset_index(drop=True)

        return partial(
            dataset_section,
            dataset,
            self.described.get(dataset, {}),
            (part(self.board), part(self.after_board)),
            (part(self.rows), part(self.all_rows), part(self.trials)),
            SectionSettings.of(manifest, dataset),
            run_dir,
        )


#: the sections built ahead in this process (:func:`draw_dataset_ahead`), of one run folder,
#: by their folder and dataset, each with its building's key (:func:`.rendering.drawing_key`)
_AHEAD: dict[tuple[Path, str], tuple[str, DatasetSection]] = {}
_AHEAD_LOCK = threading.Lock()


def _built_ahead(build: partial[DatasetSection]) -> DatasetSection | None:
    """The section built ahead from equal inputs, each of its figures still in its file;
    None when there is none."""
    dataset, run_dir = build.args[0], build.args[-1]
    with _AHEAD_LOCK:
        key, section = _AHEAD.pop((run_dir, dataset), (None, None))
    if section is None or key != drawing_key(build):
        return None
    figures = [*section.figures, *(f for sub in section.subsections for f in sub.figures)]
    return section if all((run_dir / figure.path).is_file() for figure in figures) else None


def draw_dataset_ahead(
    rows: pd.DataFrame, manifest: Manifest, run_dir: Path, trials: pd.DataFrame | None = None
) -> None:
    """Draw the figures of the datasets in ``rows`` (every row of each) now, one by one: a
    run draws a finished dataset's while later cells run, and its report keeps each file
    it would draw alike (:func:`~treesvsnets.reports.rendering.drawn_ahead`)."""
    boards = _Boards.of(rows, manifest, trials)
    with drawn_ahead():
        for dataset in boards.board["dataset"].unique():
            build = boards.building(str(dataset), manifest, run_dir)
            key, section = drawing_key(build), build()
            with _AHEAD_LOCK:  # its figures drawn: the report takes it as it is
                if any(folder != run_dir for folder, _ in _AHEAD):
                    _AHEAD.clear()  # another run's, never taken (it was stopped)
                if key is not None:
                    _AHEAD[run_dir, str(dataset)] = (key, section)


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
        header=header_lines(manifest, all_rows),
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
