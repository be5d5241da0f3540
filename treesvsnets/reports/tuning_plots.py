"""A tuned run's figures: the anytime curves (the best score so far against trials or
seconds) and the Pareto plot of score against time with tuning's time counted. Each function
returns a matplotlib figure (the report saves and closes it)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from treesvsnets.reports.plots import (
    FAMILY_STYLE,
    OTHER_STYLE,
    draw_pareto_front,
    pyplot,
    time_axes,
)
from treesvsnets.tasks import ACCURACY, Metric

_LINESTYLES = ("-", "--", "-.", ":")


def anytime(
    curves: dict[str, pd.DataFrame],
    families: dict[str, str],
    dataset: str,
    metric: Metric = ACCURACY,
    by: str = "trials",
) -> Any:
    """Grinsztajn's figure: the test score of the best-by-validation trial against the
    budget (trials, or seconds of search), one line per estimator, the trees and the nets
    in their families' colours (each estimator its own line style within a family)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    seen: dict[str, int] = {}
    for estimator, curve in curves.items():
        family = families.get(estimator, "other")
        colour, marker = FAMILY_STYLE.get(family, OTHER_STYLE)
        style = _LINESTYLES[seen.get(family, 0) % len(_LINESTYLES)]
        seen[family] = seen.get(family, 0) + 1
        drawn = "steps-post" if by == "seconds" else "default"
        ax.plot(
            curve["budget"],
            curve["score"],
            color=colour,
            linestyle=style,
            drawstyle=drawn,
            marker=marker if len(curve) <= 12 else None,
            markersize=4,
            label=f"{estimator} ({family})",
        )
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ScalarFormatter())  # 1, 10, 100: not 10^0
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(
        "trials (trial 1 = the defaults)"
        if by == "trials"
        else "seconds of search (trials' own times, summed)"
    )
    ax.set_ylabel(
        f"test {metric.label} of the best-by-validation trial"
        + ("" if metric.higher_is_better else " (lower is better)")
    )
    ax.set_title(f"{dataset}: score against tuning budget ({by})")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best")
    return fig


def tuning_pareto(points: pd.DataFrame, dataset: str, metric: Metric = ACCURACY) -> Any:
    """Score against time with tuning included: each estimator's default (fit time) and,
    joined to it by an arrow, its tuned refit (search + refit time); the Pareto front runs
    over all of them."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    xs, ys = [], []
    for _, entry in points.iterrows():
        colour, marker = FAMILY_STYLE.get(entry["family"], OTHER_STYLE)
        ax.scatter(
            entry["default_seconds"], entry["default"], c=colour, marker=marker, s=40, alpha=0.5
        )
        xs.append(entry["default_seconds"])
        ys.append(entry["default"])
        if entry["tuned"] == entry["tuned"]:  # not NaN
            ax.scatter(entry["tuned_seconds"], entry["tuned"], c=colour, marker=marker, s=70)
            ax.annotate(
                "",
                (entry["tuned_seconds"], entry["tuned"]),
                (entry["default_seconds"], entry["default"]),
                arrowprops={"arrowstyle": "->", "color": colour, "alpha": 0.6},
            )
            ax.annotate(
                f"{entry['estimator']} tuned",
                (entry["tuned_seconds"], entry["tuned"]),
                textcoords="offset points",
                xytext=(5, 4),
                fontsize=8,
            )
            xs.append(entry["tuned_seconds"])
            ys.append(entry["tuned"])
        ax.annotate(
            entry["estimator"],
            (entry["default_seconds"], entry["default"]),
            textcoords="offset points",
            xytext=(5, -10),
            fontsize=7,
            alpha=0.7,
        )
    if xs:
        times, scores = np.asarray(xs, float), np.asarray(ys, float)
        draw_pareto_front(ax, times, scores, metric.higher_is_better)
    for family, (colour, marker) in FAMILY_STYLE.items():
        if family in set(points.get("family", [])):
            ax.scatter([], [], c=colour, marker=marker, label=family)
    time_axes(
        ax,
        metric,
        "seconds per fold (default: the fit; tuned: the search and the refit, log)",
        f"{dataset}: {metric.label} against time, tuning included",
    )
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best")
    return fig
