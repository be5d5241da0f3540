"""realmlp: pytabkit's RealMLP-TD behind the estimator contract, for both tasks, on real small
data; the real CLI writes its rows; a run without pytabkit stops with one sentence."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
import torch

from tests.helpers.cli import cli
from tests.helpers.devices import requires_cuda
from tests.helpers.tables import house_prices, write_table
from treesvsnets.bench.plan import planning
from treesvsnets.config import RunConfig
from treesvsnets.errors import ConfigError
from treesvsnets.estimators import get

pytest.importorskip("pytabkit", reason="pytabkit (the pytabkit extra) is not installed")

from treesvsnets.estimators.realmlp_adapter import (  # noqa: E402
    RealMLPClassifierModel,
    RealMLPRegressorModel,
)

#: short training, so each fit takes a second or less
QUICK = {"n_epochs": 16, "threads": 1, "device": "cpu"}


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return X, y


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_contract_check_passes_for_both_tasks(task):
    """The project's contract (treesvsnets check's checks), on iris and diabetes as the
    command picks them, with 16 epochs instead of 256 so that it takes seconds."""
    from treesvsnets.bench.cells.inputs import Cell, build
    from treesvsnets.datasets import load
    from treesvsnets.estimators.contract import CheckData, run_checks

    spec = get("realmlp", task)
    dataset = load("iris" if task == "classification" else "diabetes")

    def make():
        return build(spec, Cell(dataset.name, "realmlp", 0, 0, params=QUICK), dataset)[0]

    data = CheckData(dataset.X, dataset.y, {"validation_data": None}, dataset.name, task)
    results = run_checks(make, data)
    assert results and all(r.status == "pass" for r in results), [
        (r.name, r.message) for r in results if not r.passed
    ]


def test_its_defaults_are_realmlp_tds():
    """The classes' defaults and the specs' (which ``list estimators`` shows and rows record)
    are the values pytabkit declares for RealMLP-TD."""
    from pytabkit.models.sklearn.default_params import DefaultParams

    for model, task, td in (
        (RealMLPClassifierModel(), "classification", DefaultParams.RealMLP_TD_CLASS),
        (RealMLPRegressorModel(), "regression", DefaultParams.RealMLP_TD_REG),
    ):
        for source in (model.get_params(), get("realmlp", task).default_params):
            compared = [name for name, value in source.items() if name in td and value is not None]
            assert {"n_epochs", "hidden_sizes", "p_drop", "wd"} <= set(compared)
            for name in compared:
                expected = tuple(td[name]) if name == "hidden_sizes" else td[name]
                assert source[name] == expected, (task, name)
        assert get("realmlp", task).default_params["lr"] == td["lr"]


def test_the_validation_slice_chooses_the_epoch_and_early_stopping_stops(cancer):
    X, y = cancer
    model = RealMLPClassifierModel(
        **{**QUICK, "n_epochs": 64},
        use_early_stopping=True,
        early_stopping_additive_patience=4,
        early_stopping_multiplicative_patience=1.0,
        random_state=0,
    ).fit(X[:400], y[:400], validation_data=(X[400:480], y[400:480]))
    assert model.n_val_ == 80 and model.device_ == "cpu"
    assert len(model.history_) == model.n_epochs_ < 64, "early stopping never stopped"
    assert model.n_epochs_ == model.best_epoch_ + 5  # stops once epoch > 1 * best + 4
    assert "early stopping" in model.stop_reason_
    best = [record["epoch"] for record in model.history_ if record.get("best")]
    assert best == [model.best_epoch_]
    scores = [record["val_accuracy"] for record in model.history_]
    assert scores[model.best_epoch_ - 1] == max(scores)  # the best epoch's weights are kept
    assert (model.predict(X[480:]) == y[480:]).mean() > 0.9


def test_without_a_slice_nothing_is_held_out(cancer):
    X, y = cancer
    model = RealMLPClassifierModel(**QUICK, random_state=0).fit(X[:300], y[:300])
    assert model.n_val_ == 0 and model.best_epoch_ is None and model.n_epochs_ == 16
    assert model.history_ == []  # no validation: no scores, every row trained on


def test_category_codes_reach_realmlp_as_categories(cancer):
    X, y = cancer
    codes = np.c_[(X[:, 5] > np.median(X[:, 5])), np.digitize(X[:, 6], [0.02, 0.05, 0.1])]
    Xc = np.c_[X[:, :4], codes].astype(float)
    test = Xc[460:].copy()
    test[:, -1] = -1  # a category the training fold never had
    model = RealMLPClassifierModel(**QUICK, n_categorical=2, random_state=0)
    model.fit(Xc[:400], y[:400], validation_data=(Xc[400:460], y[400:460]))
    infos = model.model_.x_converter_.tensor_infos
    assert infos["x_cont"].get_n_features() == 4 and infos["x_cat"].get_n_features() == 2
    assert infos["x_cat"].get_cat_sizes().tolist() == [3, 5]  # each with missing/unknown
    assert np.isfinite(model.predict_proba(test)).all()
    with pytest.raises(ConfigError, match="must hold category codes"):
        model.predict(np.c_[X[:5, :4], np.full((5, 2), 0.5)])


def test_threads_are_a_budget_put_back_after_fit_and_predict(cancer, monkeypatch):
    X, y = cancer
    before = torch.get_num_threads()
    seen = []
    from pytabkit.models.alg_interfaces import nn_interfaces

    fit = nn_interfaces.NNAlgInterface.fit
    monkeypatch.setattr(
        nn_interfaces.NNAlgInterface,
        "fit",
        lambda self, *a, **k: (seen.append(torch.get_num_threads()), fit(self, *a, **k))[1],
    )
    model = RealMLPClassifierModel(**{**QUICK, "threads": 1}).fit(X[:200], y[:200])
    model.predict(X[200:260])
    assert seen == [1] and torch.get_num_threads() == before
    with pytest.raises(ValueError):
        RealMLPClassifierModel(**QUICK).fit(np.full((50, 3), np.nan), np.arange(50) % 2)
    assert torch.get_num_threads() == before


def test_a_fit_prints_nothing_and_warns_nothing(cancer, capfd, recwarn):
    X, y = cancer
    RealMLPRegressorModel(**QUICK, random_state=0).fit(X[:300], X[:300, 0] * 3 + y[:300])
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert [str(w.message) for w in recwarn] == []


@requires_cuda
def test_it_trains_on_cuda_when_asked_and_predicts_on_the_cpus_rows(cancer):
    X, y = cancer
    model = RealMLPClassifierModel(**{**QUICK, "device": "cuda"}, random_state=0)
    model.fit(X[:400], y[:400], validation_data=(X[400:480], y[400:480]))
    assert model.device_ == "cuda:0" and model.best_epoch_ is not None
    assert (model.predict(X[480:]) == y[480:]).mean() > 0.9
    auto = RealMLPRegressorModel(**{**QUICK, "device": "auto"}, random_state=0)
    assert auto.fit(X[:300], y[:300].astype(float)).device_ == "cuda:0"


def test_bad_values_are_refused_before_any_fit():
    spec = get("realmlp", "classification")
    for params, says in (
        ({"n_epochs": 0}, r"'n_epochs' parameter .* must be an int in the range \[1, inf\)"),
        ({"act": "tanh"}, "'act' parameter of RealMLPClassifierModel must be a str among"),
        (
            {"p_drop": 1.0},
            r"'p_drop' parameter .* must be a float in the range \[0.0, 1.0\). Got 1.0",
        ),
        ({"hidden_sizes": [256.5]}, "hidden_sizes must be a list of whole layer widths"),
        ({"device": "tpu"}, "device must be one of auto, cpu, cuda"),
    ):
        with pytest.raises(ConfigError, match=says):
            spec.check_params(params)


def test_the_search_space_is_its_authors(cancer):
    classifier, regressor = get("realmlp", "classification"), get("realmlp", "regression")
    assert "ls_eps" in classifier.search_space.distributions
    assert "ls_eps" not in regressor.search_space.distributions  # label smoothing classifies
    params = classifier.search_space.params({"hidden_layers": "64x5", "lr": 0.1})
    assert params == {"hidden_sizes": (64,) * 5, "lr": 0.1}


@pytest.mark.slow  # a long scenario (torch and pytabkit in the worker): .ci/run's slow pass
def test_the_cli_writes_its_rows_with_its_epochs(tmp_path):
    done = cli(
        "run", "-d", "iris", "-e", "realmlp", "--folds", "2", "--param", "n_epochs=16",
        "--out", tmp_path, "-q",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (run_dir,) = [path for path in tmp_path.iterdir() if path.is_dir()]
    with sqlite3.connect(run_dir / "results.sqlite") as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("select * from results where estimator='realmlp'")]
    assert len(rows) == 2 and {r["status"] for r in rows} == {"ok"}
    for row in rows:
        assert row["family"] == "deep" and row["n_val"] > 0 and row["accuracy"] > 0.6
        history = json.loads(row["history"])
        assert len(history) <= 16 and sum(bool(r.get("best")) for r in history) == 1
        assert json.loads(row["params"])["threads"] == row["threads"]
    assert (run_dir / "report.html").exists()


@pytest.mark.slow  # about 35 seconds on a busy 2-core machine
def test_a_messy_regression_table_with_categories_through_the_cli(tmp_path):
    """house_prices: numbers as text, dates, a 40-valued and a 3-valued category. realmlp gets
    the categories as codes (RealMLP one-hots city and embeds district) and unscaled numbers."""
    table = write_table(house_prices(), tmp_path / "houses.csv")
    done = cli(
        "run", "-d", table, "-e", "realmlp", "--param", "n_epochs=64", "--folds", "2",
        "--no-baseline", "--out", tmp_path / "runs", "-q",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (run_dir,) = list((tmp_path / "runs").iterdir())
    with sqlite3.connect(run_dir / "results.sqlite") as db:
        rows = db.execute("select status, task, preprocessing, r2, history from results").fetchall()
    assert len(rows) == 2
    for status, task, preprocessing, r2, history in rows:
        assert (status, task) == ("ok", "regression")
        assert preprocessing == "impute+dates+codes+none"
        assert r2 > 0.5
        assert "val_rmse" in json.loads(history)[0]


def test_named_without_pytabkit_it_stops_with_the_install_command(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pytabkit" else real(name)
    )
    with pytest.raises(ConfigError) as caught:
        planning.prepare(RunConfig(datasets=("iris",), estimators=("realmlp",)))
    assert str(caught.value) == (
        "estimator 'realmlp' needs the pytabkit package, which is not installed; "
        "install it with: pip install 'treesvsnets[pytabkit]'"
    )
    plan = planning.prepare(RunConfig(datasets=("iris",), estimators=("deep",)))
    assert "realmlp" not in {spec.name for spec in plan.specs}


@pytest.mark.slow
def test_on_breast_cancer_it_keeps_up_with_dense(tmp_path):
    """Five folds of breast_cancer with its defaults: realmlp within 0.015 of dense's mean
    accuracy, or better."""
    import treesvsnets

    result = treesvsnets.run(
        datasets=["breast_cancer"], estimators=["realmlp", "dense"], folds=5, out=tmp_path,
        progress=False, baseline=False,
    )  # fmt: skip
    rows = result.rows
    assert set(rows["status"]) == {"ok"}, rows["error"].tolist()
    means = rows.groupby("estimator")["accuracy"].mean()
    print(f"breast_cancer 5-fold accuracy: {means.to_dict()}")
    assert means["realmlp"] >= means["dense"] - 0.015, means.to_dict()
