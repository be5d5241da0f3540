"""A tuned run's "Default against tuned" part of each dataset's section: how the run tuned,
the comparison and the leaderboard after tuning, the verdict, the anytime curves and the
Pareto plot with tuning's time."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from treesvsnets.reports import ensembles, tuning, tuning_plots
from treesvsnets.reports.layout import Figure, Subsection, save_figure, slug
from treesvsnets.reports.leaderboard import display_table, leaderboard
from treesvsnets.tasks import primary


def _tuning_protocol(config: dict[str, Any]) -> str:
    """How the run tuned, in words: the budget, the sampler, where trials were scored."""
    budget = " or ".join(
        part
        for part in (
            f"{config['tune']} trials" if config.get("tune") else "",
            f"{config['tune_time']:g} s" if config.get("tune_time") else "",
        )
        if part
    )
    scored = (
        f"inner {config['tune_cv']}-fold CV of the training fold"
        if config.get("tune_cv")
        else "the validation slice of the training fold (the one the nets early-stop on)"
    )
    return (
        f"Each estimator with a search space was tuned in every outer fold: a budget of "
        f"{budget or '?'} per estimator per fold, sampler {config.get('sampler', 'random')}, "
        f"trial 0 the defaults, each trial fitted on the fold's fit rows and scored on "
        f"{scored}. The best trial's config was refitted as the default is and scored on the "
        "test fold, which never took part in the choice. `tuning s / fold` is the search's "
        "own time (its trials' times summed); the tuned row's fit time is the refit's."
    )


def _tuning_figures(
    rows: pd.DataFrame, trials: pd.DataFrame, dataset: str, metric: Any, run_dir: Path
) -> list[Figure]:
    """The anytime curves (by trials, by seconds) and the Pareto plot with tuning's time."""
    figures = []
    families = tuning.families(rows)
    key = slug(dataset)
    for by, words in (("trials", "the number of trials"), ("seconds", "seconds of search")):
        curves = tuning.anytime_curves(trials, dataset, by) if len(trials) else {}
        ensembled = ensembles.ensemble_curves(rows, dataset) if by == "trials" else {}
        if curves:
            curves.update(ensembled)
            families.update({name: families.get(name.split(" (")[0], "") for name in ensembled})
            figures.append(
                Figure(
                    f"The anytime curve against {words} (Grinsztajn et al.): the test "
                    f"{metric.label} of the trial with the best validation score among "
                    f"the first ones, averaged over {tuning.REORDERINGS} random orders of "
                    "each fold's trials (the defaults first) and over the folds. A trial is "
                    "fitted on the fold's fit rows, so where the curve ends need not be "
                    "the tuned row's score, which refits the best trial as the default is."
                    + (
                        " The tuned+ensembled lines are the greedy ensemble of the first b "
                        "trials in the order they were drawn (selected on validation, as the "
                        "row's ensemble is), at a few budgets, the mean over folds."
                        if ensembled
                        else ""
                    ),
                    save_figure(
                        partial(tuning_plots.anytime, curves, families, dataset, metric, by),
                        run_dir,
                        f"{key}-anytime-{by}",
                    ),
                )
            )
    points = tuning.tuned_points(rows, dataset, metric.column)
    if not points.empty:
        figures.append(
            Figure(
                f"{metric.label[0].upper() + metric.label[1:]} against time with tuning "
                "included: each default (its fit) joined by an arrow to its tuned refit "
                "(the search's time plus the refit's); the dashed line is the Pareto front.",
                save_figure(
                    partial(tuning_plots.tuning_pareto, points, dataset, metric),
                    run_dir,
                    f"{key}-tuning-pareto",
                ),
            )
        )
    return figures


def tuning_section(
    rows: pd.DataFrame,
    trials: pd.DataFrame,
    dataset: str,
    boards: tuple[pd.DataFrame, pd.DataFrame],
    config: dict[str, Any],
    run_dir: Path | None,
) -> Subsection | None:
    """Default against tuned on one dataset: the comparison, the leaderboard after tuning,
    the verdict, the anytime curves and the Pareto plot with tuning's time. ``boards`` are
    the dataset's leaderboards with defaults and after tuning."""
    comparison = tuning.default_vs_tuned(rows, dataset, config.get("metric"))
    if comparison.empty:
        return None
    metric = primary(rows.loc[rows["dataset"] == dataset, "task"].iloc[0], config.get("metric"))
    before, after = boards
    sentences = [
        f"**{sentence}**" if sentence.endswith("changed with tuning") else sentence
        for sentence in tuning.verdict(before, after, dataset)
    ]
    figures = _tuning_figures(rows, trials, dataset, metric, run_dir) if run_dir is not None else []
    tables, more = _ensemble_parts(rows, dataset, after, metric, config.get("ensemble_size"))
    return Subsection(
        title="Default against tuned",
        paragraphs=[_tuning_protocol(config)],
        tables=[
            (
                "Each tuned estimator with its defaults and tuned (means over folds; the "
                "difference is positive when tuning helped):",
                tuning.display_comparison(comparison, metric),
            ),
            (
                "The leaderboard after tuning (estimators without a search space keep their "
                "defaults):",
                display_table(after),
            ),
            *tables,
        ],
        sentences=sentences + more,
        figures=figures,
    )


def _ensemble_parts(
    rows: pd.DataFrame, dataset: str, after: pd.DataFrame, metric: Any, steps: int | None
) -> tuple[list[tuple[str, pd.DataFrame]], list[str]]:
    """With ``--ensemble``: the three variants of each tuned estimator, the leaderboard after
    ensembling, and what ensembling changed (none without tuned+ensembled rows)."""
    variants = ensembles.three_variants(rows, dataset, metric.column)
    if variants.empty:
        return [], []
    blended = ensembles.blend_sentence(rows, dataset, metric.column)
    board = leaderboard(ensembles.after_ensembling(rows[rows["dataset"] == dataset]), metric.column)
    named = ("after tuning", "after tuning and ensembling", "ensembling")
    sentences = [
        f"**{sentence}**" if sentence.endswith("changed with ensembling") else sentence
        for sentence in tuning.verdict(after, board, dataset, named)[1:]
    ]
    return [
        (
            "Each tuned estimator's three variants (tuned+ensembled: the greedy ensemble "
            f"selection of Caruana et al. over the fold's trials, {steps or 40} steps with "
            "replacement, "
            "weighted by validation predictions; its members are the trials' own models, fitted "
            "on the fit rows):",
            ensembles.display_variants(variants, metric),
        ),
        ("The leaderboard after tuning and ensembling:", display_table(board)),
    ], sentences + ([blended] if blended else [])
