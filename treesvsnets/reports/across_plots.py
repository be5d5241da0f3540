"""The cross-dataset figures, each drawn from an :class:`~treesvsnets.reports.aggregate.Aggregate`:
Elo with its interval, the pairwise win rates and the normalized scores as heatmaps, and Elo
against train time with its Pareto front. Each function returns a matplotlib figure (the
report saves and closes it)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from treesvsnets.reports.aggregate import ANCHOR, ANCHOR_ELO, Aggregate
from treesvsnets.reports.plots import FAMILY_STYLE, OTHER_STYLE, log_axis, pareto_front, pyplot


def _color(family: str) -> str:
    return FAMILY_STYLE.get(family, OTHER_STYLE)[0]


def elo_intervals(result: Aggregate) -> Any:
    """Each method's Elo as a dot with its 95% bootstrap interval, best at the top."""
    board = result.board.iloc[::-1]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(board) + 1.3))
    y = np.arange(len(board))
    low = (board["elo"] - board["elo_low"]).clip(lower=0).fillna(0)
    high = (board["elo_high"] - board["elo"]).clip(lower=0).fillna(0)
    for i, (method, row) in enumerate(board.iterrows()):
        ax.errorbar(
            row["elo"],
            i,
            xerr=[[low[method]], [high[method]]],
            fmt="o",
            color=_color(row["family"]),
            capsize=3,
        )
    ax.axvline(ANCHOR_ELO, color="#bbbbbb", linestyle=":", linewidth=1)
    ax.set_yticks(y, board.index, fontsize=8)
    scale = f"{ANCHOR} = 1000" if ANCHOR in result.board.index else "the ratings' mean = 1000"
    ax.set_xlabel(f"Elo ({scale}; bars: 95% bootstrap interval over datasets)")
    ax.set_title(f"Elo over {result.n_datasets} datasets", fontsize=10)
    fig.tight_layout()
    return fig


def _heatmap(frame: pd.DataFrame, title: str, label: str, cmap: str = "viridis") -> Any:
    plt = pyplot()
    rows, columns = frame.shape
    fig, ax = plt.subplots(figsize=(0.55 * columns + 3, 0.35 * rows + 1.8))
    image = ax.imshow(frame.to_numpy(dtype=float), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(np.arange(columns), frame.columns, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(np.arange(rows), frame.index, fontsize=7)
    for (i, j), value in np.ndenumerate(frame.to_numpy(dtype=float)):
        if value == value:  # not NaN
            ax.text(
                j,
                i,
                f"{value:.2f}",
                ha="center",
                va="center",
                fontsize=6,
                color="white" if value < 0.5 else "black",
            )
    fig.colorbar(image, ax=ax, label=label, shrink=0.8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def win_rate_heatmap(result: Aggregate) -> Any:
    """Row against column: the share of battles the row's method wins (best Elo first)."""
    order = list(result.board.index)
    return _heatmap(
        result.win_rates.loc[order, order],
        "win rate of the row against the column (each dataset weighing 1)",
        "win rate",
    )


def normalized_heatmap(result: Aggregate) -> Any:
    """Methods by datasets: TabArena's normalized score (1 = the dataset's best)."""
    scores = result.normalized["tabarena"][list(result.board.index)].T
    return _heatmap(
        scores, "normalized score per dataset (1 = best, 0 = median or worse)", "normalized score"
    )


def elo_vs_train_time(result: Aggregate) -> Any:
    """Elo against train seconds per 1,000 rows (log scale), the Pareto front drawn."""
    board = result.board.dropna(subset=["train_per_1k", "elo"])
    board = board[board["train_per_1k"] > 0]  # a log axis: a time of 0 has no place on it
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    if board.empty:  # no method with both a finite rating and a train time
        ax.text(0.5, 0.5, "no method has both an Elo and a train time", ha="center")
        ax.set_axis_off()
        return fig
    for method, row in board.iterrows():
        ax.scatter(row["train_per_1k"], row["elo"], color=_color(row["family"]), s=30)
        ax.annotate(
            method,
            (row["train_per_1k"], row["elo"]),
            fontsize=7,
            xytext=(4, 3),
            textcoords="offset points",
        )
    if len(board) > 1:
        front = pareto_front(board["train_per_1k"].to_numpy(), board["elo"].to_numpy())
        ax.plot(
            board["train_per_1k"].iloc[front],
            board["elo"].iloc[front],
            color="#444444",
            linewidth=1,
            linestyle="--",
            label="Pareto front",
        )
        ax.legend(fontsize=8)
    log_axis(ax)
    ax.set_xlabel("train seconds per 1,000 rows (median over datasets; tuned: whole search)")
    ax.set_ylabel("Elo")
    ax.set_title("Elo against train time", fontsize=10)
    fig.tight_layout()
    return fig
