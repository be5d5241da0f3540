"""The parts a report is made of (:class:`ReportContent`, :class:`DatasetSection`,
:class:`Subsection`, :class:`Figure`), filled by :mod:`.content` and :mod:`.tuning_section`,
rendered by :mod:`.markdown` and :mod:`.html`; and where a figure's PNG file goes in the run
folder (:func:`save_figure`: ``RUN_DIR/figures/NAME.png``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from treesvsnets.reports import rendering
from treesvsnets.results.folder import file_safe

FIGURES_DIR = "figures"


@dataclass
class Figure:
    caption: str
    path: Path  # relative to the run folder


@dataclass
class Subsection:
    """A part of a dataset's section (the tuning results): sentences, tables, figures."""

    title: str
    paragraphs: list[str]
    tables: list[tuple[str, pd.DataFrame]]  # (what it shows, display strings)
    sentences: list[str]
    figures: list[Figure] = field(default_factory=list)


@dataclass
class DatasetSection:
    name: str
    description: str
    notes: list[str]
    table: pd.DataFrame  # display strings, one row per estimator
    statistics: list[str]
    figures: list[Figure] = field(default_factory=list)
    columns: pd.DataFrame | None = None  # a table file's columns: how each was read
    subsections: list[Subsection] = field(default_factory=list)


@dataclass
class ReportContent:
    title: str
    header: list[str]  # one line each: what was run, where, with what
    legend: str
    datasets: list[DatasetSection]
    across: list[str]  # statistics across datasets
    across_figures: list[Figure]
    failed: list[str]
    board: pd.DataFrame  # the leaderboard it was built from (summary.csv writes it as it is)
    after_board: pd.DataFrame | None = None  # a tuned run's leaderboard after tuning
    verdict: str = ""  # the answer across datasets, in words (2 or more datasets)
    across_table: pd.DataFrame | None = None  # the methods across datasets (display strings)
    across_legend: str = ""  # what the methods' board's columns mean, the imputation rule
    combined: list[str] = field(default_factory=list)  # a combined report's runs and warnings


def slug(name: str) -> str:
    """A file-name-safe form of a dataset or estimator name (a run written before tables went
    by short names named them by their path: its file's name). A name that is not safe as it
    is gets a short digest of itself too, so two names that make the same safe form ('my
    data', 'my_data'; 'vin é', 'vin ü') do not share their figures' files."""
    short = Path(name).name if "/" in name and Path(name).suffix else name
    safe = file_safe(short)
    if safe == short:
        return safe
    digest = hashlib.blake2b(short.encode("utf-8"), digest_size=3).hexdigest()
    return f"{safe}-{digest}"


def save_figure(draw: Callable[[], Any], run_dir: Path, name: str) -> Path:
    """Write the figure ``draw()`` builds as ``RUN_DIR/figures/NAME.png`` (now, or with the
    others at the end of :func:`~treesvsnets.reports.rendering.rendered_together`); returns
    its path relative to the run folder."""
    relative = Path(FIGURES_DIR) / f"{name}.png"
    (run_dir / FIGURES_DIR).mkdir(exist_ok=True)
    rendering.render(draw, run_dir / relative)
    return relative
