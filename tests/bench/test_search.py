"""A search on one fold: Optuna's ask-and-tell, the budget, the selection, and the trial that
fits and scores a config without the outer test fold."""

import json

import numpy as np
import pytest

from treesvsnets.bench.cells.inputs import Cell
from treesvsnets.bench.tune.search import Budget, Search
from treesvsnets.bench.tune.trial import run_trial, scoring_splits
from treesvsnets.estimators import registry
from treesvsnets.estimators.space import parse_space
from treesvsnets.tasks import ACCURACY, RMSE

SPACE = parse_space({"C": {"float": [1e-3, 1e3], "log": True}, "kind": ["a", "b"]}, "test")


def _search(**kwargs) -> Search:
    fields = {"sampler": "random", "budget": Budget(trials=6)}
    fields.update(kwargs)
    return Search("wine", "logreg", 0, 1, SPACE, ACCURACY, **fields)


def _row(number: int, sampled: dict, val: float | None, test: float = 0.5, seconds=1.0, **more):
    return {
        "trial": number,
        "params": json.dumps(sampled),
        "val_score": val,
        "test_score": test,
        "seconds": seconds,
        "status": "ok" if val is not None else "error",
        **more,
    }


def _run_all(search: Search, score=lambda number, sampled: 0.5 + number / 100) -> list:
    drawn = []
    while (asked := search.ask()) is not None:
        number, sampled = asked
        drawn.append((number, sampled))
        search.tell(_row(number, sampled, score(number, sampled)))
    return drawn


def test_trial_0_is_the_defaults_and_the_budget_counts_it():
    drawn = _run_all(_search())
    assert drawn[0] == (0, {}) and len(drawn) == 6
    assert all(set(sampled) == {"C", "kind"} for _, sampled in drawn[1:])
    assert _search().ask() == (0, {})


def test_the_random_samplers_trial_n_does_not_depend_on_what_ran_before():
    """What makes a resumed search equal to an uninterrupted one: trial n draws the same
    config whether trials 0..n-1 ran here, ran in another order, or were restored."""
    whole = dict(_run_all(_search()))
    interrupted = _search()
    first = [interrupted.ask() for _ in range(3)]  # 0, 1, 2 in flight; 1 finishes
    interrupted.tell(_row(1, first[1][1], 0.7))
    resumed = _search()
    resumed.restore([_row(1, first[1][1], 0.7)])
    rest = dict(_run_all(resumed))
    assert sorted(rest) == [0, 2, 3, 4, 5]  # the lost trials again, then the rest
    assert {**rest, 1: first[1][1]} == whole


def test_the_selection_reads_the_validation_score_only():
    search = _search()
    drawn = _run_all(search, score=lambda n, s: [0.8, 0.9, 0.7, 0.9, 0.6, 0.85][n])
    assert search.best()["trial"] == 1  # 0.9 twice: the lower number wins the tie
    shuffled = _search()
    rng = np.random.default_rng(0)
    for (number, sampled), test in zip(drawn, rng.permutation(6), strict=True):
        shuffled.tell(_row(number, sampled, [0.8, 0.9, 0.7, 0.9, 0.6, 0.85][number], test=test))
    assert shuffled.best()["trial"] == 1


def test_defaults_win_a_tie_so_tuned_is_never_worse_on_validation():
    search = _search()
    _run_all(search, score=lambda n, s: 0.9)
    assert search.best()["trial"] == 0


def test_lower_is_better_for_rmse_and_failed_trials_are_never_chosen():
    search = Search("diabetes", "ridge", 0, 0, SPACE, RMSE, budget=Budget(trials=4))
    _run_all(search, score=lambda n, s: [50.0, None, 40.0, 45.0][n])
    assert search.best()["trial"] == 2
    failing = _search(budget=Budget(trials=3))
    _run_all(failing, score=lambda n, s: None)
    assert failing.best() is None and failing.done


def test_a_time_budget_stops_asking_once_the_trials_seconds_reach_it():
    search = _search(budget=Budget(seconds=2.5))
    drawn = _run_all(search)  # each trial takes 1.0 s: the third one spends the budget
    assert [number for number, _ in drawn] == [0, 1, 2]
    assert search.seconds_spent == 3.0 and search.done


def test_a_grid_search_tries_each_point_once_then_stops():
    search = _search(sampler="grid", budget=Budget(trials=100))
    drawn = _run_all(search)
    assert len(drawn) == SPACE.grid_size() + 1  # the defaults, then every point
    points = {(s["C"], s["kind"]) for _, s in drawn[1:]}
    assert len(points) == SPACE.grid_size()


def test_tpe_draws_inside_the_space():
    drawn = _run_all(_search(sampler="tpe", budget=Budget(trials=15)))
    assert all(1e-3 <= s["C"] <= 1e3 and s["kind"] in "ab" for _, s in drawn[1:])


class _Recorder:
    """Wraps logistic regression and records every row it is given (wine's rows are
    unique, so a row tells where it came from)."""

    seen: dict[str, list] = {"fit": [], "predict": []}

    def __init__(self, C=1.0, random_state=None):
        self.C, self.random_state = C, random_state

    def get_params(self, deep=True):
        return {"C": self.C, "random_state": self.random_state}

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegression

        _Recorder.seen["fit"].append(np.asarray(X).copy())
        self.model_ = LogisticRegression(C=self.C, max_iter=2000).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        _Recorder.seen["predict"].append(np.asarray(X).copy())
        return self.model_.predict(X)


def _rows_of(dataset, indices):
    return {tuple(row) for row in dataset.rows(indices)}


@pytest.mark.parametrize("tune_cv", [0, 3])
def test_no_outer_test_row_reaches_a_trials_fit_or_its_validation_score(
    register_spec, wine, wine_plan, tune_cv
):
    spec = register_spec("recorder", _Recorder, space={"C": {"float": [0.01, 10], "log": True}})
    _Recorder.seen = {"fit": [], "predict": []}
    fold = wine_plan.folds[1]
    test_rows = _rows_of(wine, fold.test)
    assert len(test_rows) == len(fold.test)  # unique rows: each one is recognisable
    trial = run_trial(
        Cell("wine", "recorder", 0, 1, params={"C": 0.5}),
        spec,
        wine,
        wine_plan,
        run_id="r",
        trial=3,
        sampler="random",
        sampled='{"C": 0.5}',
        tune_cv=tune_cv,
    )
    assert trial.status == "ok", trial.error
    splits = scoring_splits(spec, wine, wine_plan, 1, tune_cv)
    fits, predictions = _Recorder.seen["fit"], _Recorder.seen["predict"]
    assert len(fits) == len(splits) and len(predictions) == 2 * len(splits)
    for fitted, scored, (fit_rows, val_rows, _) in zip(
        fits, predictions[0::2], splits, strict=True
    ):
        assert not {tuple(r) for r in fitted} & test_rows
        assert not {tuple(r) for r in scored} & test_rows
        assert {tuple(r) for r in fitted} == _rows_of(wine, fit_rows)
        assert {tuple(r) for r in scored} == _rows_of(wine, val_rows)
        assert _rows_of(wine, val_rows) <= _rows_of(wine, fold.train)
    # the test fold is predicted only after each validation score, for the curves
    assert all({tuple(r) for r in p} == test_rows for p in predictions[1::2])
    assert 0 <= trial.val_score <= 1 and 0 <= trial.test_score <= 1
    if tune_cv == 0:  # the slice is the one the nets early-stop on
        assert _rows_of(wine, splits[0][1]) == _rows_of(wine, fold.val)


def test_a_trial_that_raises_is_a_row_not_an_exception(wine, wine_plan):
    spec = registry.get("logreg", "classification")
    trial = run_trial(
        Cell("wine", "logreg", 0, 0, params={"C": -1.0}),
        spec,
        wine,
        wine_plan,
        run_id="r",
        trial=1,
        sampler="random",
        sampled='{"C": -1.0}',
    )
    assert trial.status == "error" and "C" in trial.error
    assert trial.val_score is None and trial.test_score is None
