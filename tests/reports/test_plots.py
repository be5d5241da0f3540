"""The Pareto front the accuracy-vs-time plot highlights."""

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
