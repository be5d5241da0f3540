"""The trivial baseline in every run, and the sentence that names a model not better than it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

import treesvsnets
from tests.helpers.cli import cli
from tests.helpers.tables import write_table
from treesvsnets.reports.baseline import compare_to_baseline, not_better_sentences


def _random_labels(tmp_path, n=300, seed=0):
    """Features with no relation to the label: nothing can beat always saying 'no'."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": rng.choice(["x", "y", "z"], n),
            "label": rng.choice(["no", "yes"], n, p=[0.6, 0.4]),
        }
    )
    return write_table(frame, tmp_path / "noise.csv")


def test_every_run_has_the_baseline_and_a_model_that_learned_beats_it(tmp_path):
    result = treesvsnets.run(
        datasets=["iris"], estimators=["logreg"], folds=3, out=tmp_path, progress=False
    )
    rows = result.rows
    assert set(rows["estimator"]) == {"logreg", "dummy"}
    dummy = rows[rows["estimator"] == "dummy"]
    assert (dummy["family"] == "baseline").all() and (dummy["status"] == "ok").all()
    assert dummy["accuracy"].max() < 0.4 and dummy["log_loss"].notna().all()  # iris: 1/3 each
    assert [e["name"] for e in result.manifest["estimators"]] == ["logreg", "dummy"]
    (comparison,) = compare_to_baseline(rows)
    assert comparison.estimator == "logreg" and comparison.baseline == "dummy"
    assert comparison.better and comparison.p_value < 0.05
    assert not_better_sentences(rows) == []
    summary = pd.read_csv(result.run_dir / "summary.csv")
    assert summary.set_index("estimator").loc["logreg", "vs_baseline"].startswith("better (p=")


def test_on_random_labels_the_run_and_the_report_name_the_models_not_better(tmp_path):
    path = _random_labels(tmp_path)
    done = cli("run", "-d", path, "-e", "rf", "-e", "logreg", "--folds", "5", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    warnings = [line for line in lines if " than the dummy baseline on " in line]
    assert {w.split()[2] for w in warnings} == {"rf", "logreg"}
    for warning in warnings:
        assert warning.startswith("treesvsnets: warning: ")
        assert (
            "is not significantly better than" in warning
            or "is significantly less accurate than" in warning
        )
        assert "than the dummy baseline on noise: accuracy " in warning  # the file's stem
        assert "Nadeau-Bengio corrected t-test" in warning and warning.endswith(").")
    assert lines[-1].startswith("results: ") and lines[-2] in warnings  # the run's last lines
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    report = (run_dir / "report.md").read_text()
    for warning in warnings:
        assert f"**{warning.removeprefix('treesvsnets: warning: ')}**" in report
    assert "NOT better" in report or "WORSE" in report
    html = (run_dir / "report.html").read_text()
    assert "than the dummy baseline on" in html
    rows = pd.read_csv(run_dir / "results.csv")
    assert set(rows["estimator"]) == {"rf", "logreg", "dummy"}


def test_no_baseline_leaves_it_out_and_resume_keeps_the_choice(tmp_path):
    done = cli(
        "run", "-d", "iris", "-e", "logreg", "--folds", "2", "--no-baseline", "--out", tmp_path
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (run_dir,) = tmp_path.iterdir()
    rows = pd.read_csv(run_dir / "results.csv")
    assert set(rows["estimator"]) == {"logreg"}
    assert json.loads((run_dir / "manifest.json").read_text())["config"]["baseline"] is False
    assert "vs baseline" not in (run_dir / "report.md").read_text()
    again = cli("run", "--resume", run_dir, "--no-baseline")
    assert again.returncode == 2
    assert "leave out --no-baseline" in again.stderr


def test_the_baseline_is_never_class_weighted(tmp_path):
    path = _random_labels(tmp_path)
    result = treesvsnets.run(
        datasets=[str(path)],
        estimators=["logreg"],
        folds=3,
        class_weight="balanced",
        out=tmp_path,
        progress=False,
    )
    rows = result.rows.set_index("estimator")
    assert set(rows.loc["dummy", "class_weight"]) == {"none"}
    assert set(rows.loc["logreg", "class_weight"]) == {"balanced"}
    # always the majority class 'no': accuracy is its share of each test fold
    assert rows.loc["dummy", "balanced_accuracy"].tolist() == [0.5] * 3


def test_a_holdout_run_compares_without_a_test_and_flags_only_a_model_not_above(tmp_path):
    path = _random_labels(tmp_path, n=400, seed=3)
    result = treesvsnets.run(
        datasets=[str(path)],
        estimators=["rf"],
        protocol="holdout",
        out=tmp_path,
        progress=False,
    )
    (comparison,) = compare_to_baseline(result.rows)
    assert np.isnan(comparison.p_value) and comparison.n_folds == 1
    assert comparison.better == (comparison.score > comparison.baseline_score)
    if not comparison.better:
        assert "on a single split" in comparison.sentence()


def test_a_run_recorded_before_the_baseline_resumes_without_one():
    from treesvsnets.config import RunConfig

    config = RunConfig(datasets=("iris",), estimators=("logreg",))
    assert RunConfig.from_dict(config.to_dict()).baseline is True
    recorded = {k: v for k, v in config.to_dict().items() if k != "baseline"}
    assert RunConfig.from_dict(recorded).baseline is False


def test_estimators_above_the_baseline_untold_for_want_of_folds_share_one_sentence(tmp_path):
    """diabetes on 2 folds: every regressor had its own "not significantly better" warning, a
    good R² too, and they drowned the warnings that say something."""
    rows = treesvsnets.run(datasets=["diabetes"], estimators=["ridge", "gb"], folds=2,
                           isolate=False, progress=False, out=tmp_path).rows  # fmt: skip
    comparisons = {c.estimator: c for c in compare_to_baseline(rows)}
    assert all(c.underpowered for c in comparisons.values())  # above dummy, p > 0.05
    (sentence,) = not_better_sentences(rows)
    assert (
        sentence.startswith("2 estimators score better than the dummy baseline on diabetes (RMSE ")
        and ", lower is better) but are not significantly better over 2 folds" in sentence
    )
    for name, c in comparisons.items():
        assert f"{name} {c.metric.show(c.score)} (p = {c.p_value:.3g})" in sentence
    alone = rows[rows["estimator"] != "gb"]  # one such estimator keeps its own sentence
    assert not_better_sentences(alone) == [comparisons["ridge"].sentence()]
