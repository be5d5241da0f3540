"""The report's figures (matplotlib, Agg backend: no display needed).

Each function takes result rows or a leaderboard and returns a Figure; the
caller saves it (PNG beside report.md, embedded in report.html): the task's score against
fit time with its Pareto front, the per-fold scores, learning curves, a confusion matrix (or
predicted against actual and residuals, for regression) and the critical-difference diagram;
a tuned run's figures are in :mod:`.tuning_plots`, those across datasets in
:mod:`.across_plots`.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from treesvsnets.estimators.base import BASELINE_FAMILY
from treesvsnets.tasks import ACCURACY, Metric

#: one colour and marker per family, so ensembles and nets are told apart at a glance
FAMILY_STYLE = {
    "ensemble": ("#1b9e77", "o"),
    "linear": ("#7570b3", "s"),
    "deep": ("#d95f02", "^"),
}
OTHER_STYLE = ("#666666", "D")


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def log_axis(ax: Any, which: str = "x") -> None:
    """Put ``ax``'s x (or y) axis on a log scale labelled in plain numbers (0.01, 0.1, 1, 10;
    0.2, 0.3 where it spans less than a decade), the ticks labelled where matplotlib labels
    them. Its own labels are mathtext (10^{-2}), whose layout is most of a figure's drawing:
    a score-against-time plot took 0.26 s to draw with them, 0.16 s without."""
    from matplotlib.ticker import LogFormatter

    class PlainLogFormatter(LogFormatter):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return f"{x:g}" if super().__call__(x, pos) else ""

    getattr(ax, f"set_{which}scale")("log")
    axis = getattr(ax, f"{which}axis")
    axis.set_major_formatter(PlainLogFormatter())
    axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False))


def close(fig: Any) -> None:
    """Free a figure once it is saved (pyplot keeps every open figure alive)."""
    pyplot().close(fig)


def pareto_front(
    times: np.ndarray, scores: np.ndarray, higher_is_better: bool = True
) -> np.ndarray:
    """Indices of the points no other point beats on both time (lower) and score (higher
    accuracy, or lower RMSE with ``higher_is_better=False``), ordered by time."""
    gains = scores if higher_is_better else -np.asarray(scores)
    order = np.lexsort((-gains, times))
    front, best = [], -np.inf
    for index in order:
        if gains[index] > best:
            front.append(index)
            best = gains[index]
    return np.asarray(front, dtype=int)


def draw_pareto_front(
    ax: Any, times: np.ndarray, scores: np.ndarray, higher_is_better: bool = True
) -> np.ndarray:
    """Draw the Pareto front of (time, score) points as a dashed step line on ``ax``; its
    points' indices (:func:`pareto_front`)."""
    front = pareto_front(times, scores, higher_is_better)
    ax.step(
        np.asarray(times)[front],
        np.asarray(scores)[front],
        where="post",
        color="black",
        alpha=0.4,
        linestyle="--",
        label="Pareto front",
    )
    return front


def _floor(ax: Any, baseline: pd.Series, models: np.ndarray) -> None:
    """The baseline's score as a dotted floor line. When it lies far outside every model's
    (digits: 0.10 against 0.82-0.99; an RMSE twice the models'), the axis keeps to the
    models and a note says where the floor is, so the models' differences stay readable."""
    if baseline.empty:
        return
    name, value = str(baseline.index[0]), float(baseline.iloc[0])
    label = f"{name} baseline ({value:.4g})"
    if len(models):
        low, high = float(np.min(models)), float(np.max(models))
        spread = max(high - low, 0.02 * max(abs(high), 1e-12))
        if low - value > 2 * spread or value - high > 2 * spread:
            side = "below" if value < low else "above"
            ax.set_ylim(low - 0.3 * spread, high + 0.3 * spread)
            ax.annotate(
                f"{label} lies {side} this axis",
                xy=(0.01, 0.01),
                xycoords="axes fraction",
                fontsize=8,
                color="#444444",
            )
            return
    ax.axhline(value, color="#444444", linestyle=":", linewidth=1.2, label=label)


def _split_baseline(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the models, the baseline's rows)."""
    is_floor = frame["family"] == BASELINE_FAMILY
    return frame[~is_floor], frame[is_floor]


def score_vs_fit_time(board: pd.DataFrame, dataset: str, metric: Metric = ACCURACY) -> Any:
    """Mean score (accuracy, RMSE) against mean fit time (log axis), Pareto front drawn, one
    style per family; the baseline is a floor line, not a point (it would always be the
    fastest)."""
    plt = pyplot()
    column = metric.column
    done, floor = _split_baseline(board.dropna(subset=[column, "fit_seconds"]))
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    for family, part in done.groupby("family"):
        colour, marker = FAMILY_STYLE.get(family, OTHER_STYLE)
        ax.scatter(part["fit_seconds"], part[column], c=colour, marker=marker, s=60, label=family)
    for _, entry in done.iterrows():
        ax.annotate(
            entry["estimator"],
            (entry["fit_seconds"], entry[column]),
            textcoords="offset points",
            xytext=(5, 4),
            fontsize=8,
        )
    if len(done):
        front = done.iloc[
            draw_pareto_front(
                ax, done["fit_seconds"].to_numpy(), done[column].to_numpy(), metric.higher_is_better
            )
        ]
        ax.scatter(
            front["fit_seconds"],
            front[column],
            s=200,
            facecolors="none",
            edgecolors="black",
            linewidths=1.2,
            alpha=0.6,
        )
    time_axes(
        ax,
        metric,
        "mean fit time per fold (s, log scale)",
        f"{dataset}: {metric.label} vs fit time",
    )
    _floor(ax, floor.set_index("estimator")[column], done[column].to_numpy())
    if ax.get_legend_handles_labels()[0]:  # nothing to label when every cell failed
        ax.legend(fontsize=8, loc="best")
    return fig


def time_axes(ax: Any, metric: Metric, xlabel: str, title: str) -> None:
    """A score-against-time plot's axes: log time, the score's direction said, a light grid."""
    log_axis(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(
        f"mean {metric.label}" + ("" if metric.higher_is_better else " (lower is better)")
    )
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.margins(x=0.15, y=0.1)


def fold_scores(
    rows: pd.DataFrame, dataset: str, order: list[str], metric: Metric = ACCURACY
) -> Any:
    """Per-fold score of each estimator: a box and every fold as a dot; the baseline's mean
    as a floor line."""
    plt = pyplot()
    column = metric.column
    ok, floor = _split_baseline(rows[(rows["status"] == "ok") & rows["estimator"].isin(order)])
    names = [name for name in order if name in set(ok["estimator"])]
    fig, ax = plt.subplots(figsize=(max(5, 0.8 * len(names) + 2), 4), layout="constrained")
    data = [ok.loc[ok["estimator"] == name, column].to_numpy(dtype=float) for name in names]
    if names:
        ax.boxplot(data, tick_labels=names, widths=0.5, showfliers=False)
        rng = np.random.default_rng(0)
        for position, values in enumerate(data, start=1):
            family = ok.loc[ok["estimator"] == names[position - 1], "family"].iloc[0]
            colour, marker = FAMILY_STYLE.get(family, OTHER_STYLE)
            jitter = rng.uniform(-0.12, 0.12, len(values))
            ax.scatter(position + jitter, values, c=colour, marker=marker, s=18, alpha=0.8)
    _floor(ax, floor.groupby("estimator")[column].mean(), ok[column].to_numpy(dtype=float))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best")
    ax.set_ylabel(f"{metric.label} per fold")
    ax.set_title(f"{dataset}: {metric.label} on each test fold")
    ax.tick_params(axis="x", rotation=30)
    ax.grid(axis="y", alpha=0.3)
    return fig


def _with_history(rows: pd.DataFrame) -> pd.DataFrame:
    """The cells whose learning curves are drawn: those that ended well with a history (a
    net that diverged keeps its history in its row, but failed)."""
    if "history" not in rows:
        return rows.iloc[:0]
    return rows[rows["history"].notna() & (rows["status"] == "ok")]


def has_history(rows: pd.DataFrame) -> bool:
    """Whether :func:`learning_curves` has a net to draw."""
    return not _with_history(rows).empty


#: how the learning curves name a validation score a net records each epoch
_SCORE_NAMES = {"val_r2": "R²", "val_accuracy": "accuracy", "val_rmse": "RMSE"}


def _validation_score(history: pd.DataFrame) -> str | None:
    """The validation score an epoch's record holds: R² or accuracy from the project's loop,
    or what a net trained in its own loop reports (realmlp's ``val_rmse``, say)."""
    for score in _SCORE_NAMES:
        if score in history:
            return score
    others = [c for c in history.columns if c.startswith("val_") and c != "val_loss"]
    return others[0] if others else None


def _score_name(score: str | None) -> str:
    if score is None:
        return "score"
    return _SCORE_NAMES.get(score, score.removeprefix("val_").replace("_", " "))


def learning_curves(rows: pd.DataFrame, dataset: str) -> Any:
    """Train/validation loss and validation accuracy (regression: R²) per epoch, one line per
    fold, per net."""
    plt = pyplot()
    with_history = _with_history(rows)
    names = list(dict.fromkeys(with_history["estimator"]))
    fig, axes = plt.subplots(
        len(names), 2, figsize=(10, 3 * len(names)), squeeze=False, layout="constrained"
    )
    for (loss_ax, acc_ax), name in zip(axes, names, strict=True):
        its_rows = with_history[with_history["estimator"] == name]
        histories = [pd.DataFrame(json.loads(text)) for text in its_rows["history"]]
        score = next((s for h in histories if (s := _validation_score(h)) is not None), None)
        for (_, row), history in zip(its_rows.iterrows(), histories, strict=True):
            label = f"fold {row['fold']}" + (f" seed {row['seed']}" if row["seed"] else "")
            # a net trained in its own loop (realmlp) reports its validation score only
            color = None
            for column, style in (("train_loss", "-"), ("val_loss", "--")):
                if column in history:
                    shown = {"label": label} if color is None else {"color": color}
                    drawn = loss_ax.plot(history["epoch"], history[column], ls=style, **shown)
                    color = drawn[0].get_color()
            if score in history:
                shown = {"label": label} if color is None else {"color": color}
                acc_ax.plot(history["epoch"], history[score], **shown)
        loss_ax.set_title(f"{name}: loss (solid train, dashed validation)")
        loss_ax.set_xlabel("epoch")
        log_axis(loss_ax, "y")
        acc_ax.set_title(f"{name}: validation {_score_name(score)}")
        acc_ax.set_xlabel("epoch")
        for ax in (loss_ax, acc_ax):
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
                break
        if not loss_ax.lines:
            loss_ax.text(
                0.5,
                0.5,
                "no loss reported (its own training loop)",
                ha="center",
                transform=loss_ax.transAxes,
            )
        for ax in (loss_ax, acc_ax):
            ax.grid(alpha=0.3)
    fig.suptitle(f"{dataset}: learning curves")
    return fig


def pooled_predictions(rows: pd.DataFrame, estimator: str) -> pd.DataFrame | None:
    """The (true, predicted) pairs an estimator's successful regression cells kept, pooled."""
    cells = rows[(rows["estimator"] == estimator) & (rows["status"] == "ok")]
    if "predictions" not in cells:
        return None
    parts = [pd.DataFrame(json.loads(kept)) for kept in cells["predictions"].dropna()]
    return pd.concat(parts, ignore_index=True) if parts else None


def predicted_vs_actual(pairs: dict[str, pd.DataFrame], dataset: str) -> Any:
    """Per estimator: predicted against actual (the diagonal is a perfect model), and the
    residual (actual - predicted) against the prediction, test folds pooled."""
    plt = pyplot()
    fig, axes = plt.subplots(
        len(pairs), 2, figsize=(9, 3.6 * len(pairs)), squeeze=False, layout="constrained"
    )
    for (scatter_ax, residual_ax), (name, found) in zip(axes, pairs.items(), strict=True):
        true, pred = found["true"].to_numpy(), found["pred"].to_numpy()
        scatter_ax.scatter(true, pred, s=8, alpha=0.5, color="#1b9e77")
        low, high = float(min(true.min(), pred.min())), float(max(true.max(), pred.max()))
        scatter_ax.plot([low, high], [low, high], color="black", linewidth=1, alpha=0.6)
        scatter_ax.set_xlabel("actual")
        scatter_ax.set_ylabel("predicted")
        scatter_ax.set_title(f"{name}: predicted vs actual")
        residual_ax.scatter(pred, true - pred, s=8, alpha=0.5, color="#d95f02")
        residual_ax.axhline(0, color="black", linewidth=1, alpha=0.6)
        residual_ax.set_xlabel("predicted")
        residual_ax.set_ylabel("residual (actual - predicted)")
        residual_ax.set_title(f"{name}: residuals")
        for ax in (scatter_ax, residual_ax):
            ax.grid(alpha=0.3)
    fig.suptitle(f"{dataset}: test-fold predictions")
    return fig


def summed_confusion(rows: pd.DataFrame, estimator: str) -> np.ndarray | None:
    """The confusion matrices of an estimator's successful cells, added up."""
    cells = rows[(rows["estimator"] == estimator) & (rows["status"] == "ok")]
    matrices = [np.array(json.loads(m)) for m in cells["confusion"].dropna()]
    return sum(matrices) if matrices else None


#: a class label on a confusion matrix's axes is cut to this many characters (long labels
#: left the matrix no room: penguins-raw's "Adelie Penguin (Pygoscelis adeliae)")
LABEL_CHARACTERS = 18


def short_labels(names: list[str], width: int = LABEL_CHARACTERS) -> list[str]:
    """``names`` cut to ``width`` characters with an ellipsis, longer where that would make two
    alike (the whole names, at worst)."""
    names = [str(name) for name in names]
    longest = max((len(name) for name in names), default=0)
    while width < longest:
        cut = [name if len(name) <= width else name[: width - 1] + "…" for name in names]
        if len(set(cut)) == len(cut):
            return cut
        width += 8
    return names


def confusion_matrix(matrix: np.ndarray, class_names: list[str], title: str) -> Any:
    """A confusion matrix (counts summed over folds), rows true, columns predicted."""
    from sklearn.metrics import ConfusionMatrixDisplay

    plt = pyplot()
    size = min(9.0, 2.5 + 0.45 * len(class_names))
    fig, ax = plt.subplots(figsize=(size, size * 0.85), layout="constrained")
    ConfusionMatrixDisplay(matrix, display_labels=short_labels(class_names)).plot(
        ax=ax, colorbar=False, xticks_rotation=45, values_format="d"
    )
    ax.set_title(title, fontsize=10)
    return fig


def critical_difference(rank_test: Any) -> Any:
    """The critical-difference diagram (average ranks; bars join estimators not told apart)."""
    import scikit_posthocs

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rank_test.average_ranks) + 1.5))
    drawn = scikit_posthocs.critical_difference_diagram(
        pd.Series(rank_test.average_ranks), rank_test.pairwise_p, ax=ax
    )
    for line in (line for bar in drawn["crossbars"] for line in bar):
        # a bar's points come in the order of a set of names, which changes with the hash
        # seed: left to right, the file is the same in every run
        x, y = line.get_data()
        order = np.argsort(x, kind="stable")
        line.set_data(np.asarray(x)[order], np.asarray(y)[order])
    ax.set_title(
        f"average rank over {rank_test.n_datasets} datasets (Friedman p = "
        f"{rank_test.p_value:.3g}; bars: Nemenyi p ≥ 0.05)",
        fontsize=9,
    )
    fig.tight_layout()
    return fig
