"""Write a run folder's reports: report.md (+ figures/*.png), report.html, summary.csv.

:func:`write_report` draws the figures and writes every file (a tuned run's summary.csv holds
the leaderboard after tuning below the defaults'); :func:`preload` imports what it needs, so
a run can load it while its cells run, and :func:`draw_ahead` draws a finished dataset's
figures while later cells run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from treesvsnets.results.folder import Manifest, RunFolder

SUMMARY_FILENAME = "summary.csv"


@dataclass(frozen=True)
class ReportFiles:
    markdown: Path
    html: Path
    summary: Path


def preload() -> None:
    """Import what :func:`write_report` needs (matplotlib with its Agg backend, SciPy's
    statistics, scikit-learn's logistic regression for the Elo ratings across datasets, the
    report modules), so a caller can do it while something else runs; the run does it while
    its cells run."""
    from scipy import stats  # noqa: F401
    from sklearn import linear_model  # noqa: F401

    from treesvsnets.reports import content, html, markdown, plots  # noqa: F401

    plots.pyplot()


def draw_ahead(
    run_dir: Path, rows: pd.DataFrame, manifest: Manifest, trials: pd.DataFrame | None = None
) -> None:
    """Draw the figures of the finished datasets in ``rows`` into ``run_dir`` now (a run does
    it while later cells run); :func:`write_report` keeps each file it would draw alike."""
    from treesvsnets.reports.content import draw_dataset_ahead

    draw_dataset_ahead(rows, manifest, Path(run_dir), trials)


def write_report(
    run_dir: Path, rows: pd.DataFrame, manifest: Manifest, trials: pd.DataFrame | None = None
) -> ReportFiles:
    """Draw the figures and write every report file of ``run_dir`` from its rows and manifest
    (and ``trials``: by default the folder's own; a combined report's are its runs')."""
    from treesvsnets.reports.content import build_content
    from treesvsnets.reports.html import HTML_FILENAME, render_html
    from treesvsnets.reports.markdown import REPORT_FILENAME, render_markdown
    from treesvsnets.reports.rendering import rendered_together

    run_dir = Path(run_dir)
    folder = RunFolder(run_dir)
    if trials is None and folder.store_path.is_file():
        trials = folder.trials()
    with rendered_together():  # the figures drawn in two processes where it can
        content = build_content(rows, manifest, run_dir, trials)
    files = ReportFiles(
        run_dir / REPORT_FILENAME, run_dir / HTML_FILENAME, run_dir / SUMMARY_FILENAME
    )
    files.markdown.write_text(render_markdown(content), encoding="utf-8")
    files.html.write_text(render_html(content, run_dir), encoding="utf-8")
    summary = content.board.assign(tuning="default")
    if content.after_board is not None:  # a tuned run: the leaderboard after tuning below it
        after = content.after_board.assign(tuning="after tuning")
        summary = pd.concat([summary, after], ignore_index=True)
    summary.to_csv(files.summary, index=False)
    return files
