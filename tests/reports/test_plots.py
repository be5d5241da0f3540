"""The report's figures: the Pareto front the accuracy-vs-time plot highlights, learning curves, the
critical-difference diagram."""

import numpy as np

from treesvsnets.reports.plots import pareto_front


def test_pareto_front_keeps_what_nothing_beats_on_both_time_and_accuracy():
    times = np.array([1.0, 2.0, 3.0, 0.5, 2.0])
    accuracies = np.array([0.90, 0.95, 0.93, 0.80, 0.94])
    # (3.0, 0.93) is slower and worse than (2.0, 0.95); (2.0, 0.94) ties on time, loses on accuracy
    assert pareto_front(times, accuracies).tolist() == [3, 0, 1]


def test_one_point_is_its_own_front():
    assert pareto_front(np.array([1.0]), np.array([0.5])).tolist() == [0]


def test_learning_curves_show_the_validation_score_a_net_trained_in_its_own_loop_records():
    """realmlp on a regression records only ``val_rmse`` per epoch: its panel shows that
    score under its name, with a legend and no warning; the project's loop shows R²."""
    import json
    import warnings

    import pandas as pd

    from treesvsnets.reports import plots

    def row(estimator, fold, records):
        return {"estimator": estimator, "fold": fold, "seed": 0, "status": "ok",
                "history": json.dumps(records)}  # fmt: skip

    rows = pd.DataFrame(
        [row("realmlp", f, [{"epoch": e, "val_rmse": 60.0 - e} for e in (1, 2, 3)]) for f in (0, 1)]
        + [
            row(
                "dense",
                0,
                [
                    {"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.2 / e, "val_r2": 0.1 * e}
                    for e in (1, 2)
                ],
            )
        ]  # fmt: skip
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "No artists with labels found to put..."
        fig = plots.learning_curves(rows, "diabetes")
    try:
        realmlp_loss, realmlp_score, dense_loss, dense_score = fig.axes[:4]
        assert realmlp_score.get_title() == "realmlp: validation RMSE"
        assert [list(line.get_ydata()) for line in realmlp_score.lines] == [[59, 58, 57]] * 2
        assert realmlp_score.get_legend() is not None and not realmlp_loss.lines
        assert dense_score.get_title() == "dense: validation R²"
        assert dense_loss.get_legend() is not None and len(dense_loss.lines) == 2
    finally:
        plots.close(fig)


def test_the_critical_difference_diagram_is_the_same_file_whatever_order_its_bars_come_in(
    monkeypatch,
):
    """scikit-posthocs draws a bar through its estimators in the order of a set of names,
    which Python's hash seed changes from run to run; the report's file must not change.
    Here each bar comes in three orders, as three hash seeds could give it."""
    import hashlib
    import io

    import pandas as pd
    from scikit_posthocs import _plotting as drawing

    from treesvsnets.reports import plots
    from treesvsnets.reports.stats import rank_test

    rng = np.random.default_rng(0)
    names = ["rf", "xgboost", "lightgbm", "hgb", "logreg", "dummy"]
    # six datasets on which the first five are close and the dummy far behind: a long bar
    scores = pd.DataFrame(
        [[0.9 + 0.01 * rng.standard_normal() for _ in names[:-1]] + [0.5] for _ in range(6)],
        columns=names,
    )
    ranks = rank_test(scores)
    found = drawing._find_maximal_cliques
    digests = set()
    for turn in (0, 1, 2):

        def in_another_order(adjacency, turn=turn):
            bars = [sorted(bar) for bar in found(adjacency)]
            return [bar[turn:] + bar[:turn] for bar in bars]

        monkeypatch.setattr(drawing, "_find_maximal_cliques", in_another_order)
        fig = plots.critical_difference(ranks)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        plots.close(fig)
        digests.add(hashlib.sha256(buffer.getvalue()).hexdigest())
    assert max(len(bar) for bar in found(ranks.pairwise_p > 0.05)) >= 3  # an order to change
    assert len(digests) == 1


def test_long_class_labels_are_cut_so_the_confusion_matrix_keeps_its_room():
    """penguins-raw's species ("Adelie Penguin (Pygoscelis adeliae)"): the matrix shrank to
    60 px, its labels cut off, and matplotlib warned that the layout collapsed."""
    import warnings

    from treesvsnets.reports.plots import close, confusion_matrix, short_labels

    species = [
        "Adelie Penguin (Pygoscelis adeliae)",
        "Chinstrap penguin (Pygoscelis antarctica)",
        "Gentoo penguin (Pygoscelis papua)",
    ]
    assert short_labels(species) == [
        "Adelie Penguin (P…",
        "Chinstrap penguin…",
        "Gentoo penguin (P…",
    ]
    alike = ["a very long class name 1", "a very long class name 2"]
    assert short_labels(alike) == alike  # cut, they would read the same
    assert short_labels(["setosa", "virginica"]) == ["setosa", "virginica"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = confusion_matrix(np.array([[151, 1, 0], [0, 68, 0], [1, 0, 123]]), species, "rf")
        fig.canvas.draw()
    labels = [label.get_text() for label in fig.axes[0].get_xticklabels()]
    close(fig)
    assert labels == short_labels(species)
