"""The project's own estimator classes pass scikit-learn's own checks (``check_estimator``),
a suite nobody here wrote: fitted-state checks, feature-count checks, sample weights, odd
array-likes, sparse input, one class, one sample, learning on easy data.

Each class runs with settings under which it learns the checks' small data sets in a few
seconds (a net with the epochs it needs, CatBoost with enough trees): a check that needs
learning gets a setting that learns, not a skip. The checks that cannot hold are listed in
:data:`EXPECTED`, each with its reason, and scikit-learn reports them as expected failures
(xfail), so one that starts passing shows as XPASS.

The CNNs (``cnn``, ``cnn1d``) are left out: they need rows shaped as images or sequences,
which the checks' tables of 2 to 10 columns are not; ``treesvsnets check`` runs the
project's own contract on them with digits.
"""

from __future__ import annotations

import importlib.util

import pytest
import sklearn
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from treesvsnets.estimators.catboost_adapter import (  # imports catboost only to fit
    CatBoostClassifierModel,
    CatBoostRegressorModel,
)
from treesvsnets.estimators.realmlp_adapter import RealMLPClassifierModel, RealMLPRegressorModel
from treesvsnets.estimators.stacking import PooledStackingClassifier, PooledStackingRegressor
from treesvsnets.estimators.torch.classifier import TorchClassifier
from treesvsnets.estimators.torch.regressor import TorchRegressor
from treesvsnets.estimators.xgboost_labels import LabelledXGBClassifier

#: CatBoost is an optional extra: without it, its two classes are left out (the others run)
HAS_CATBOOST = importlib.util.find_spec("catboost") is not None
#: so is pytabkit (realmlp's extra); its classes import it only to fit
HAS_PYTABKIT = importlib.util.find_spec("pytabkit") is not None

if tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (1, 6):
    pytest.skip("expected_failed_checks needs scikit-learn 1.6", allow_module_level=True)

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

#: each net small and quick, with the epochs it needs to learn the checks' data; dense runs
#: with the fast tests, the table nets (a few seconds of checks each) with the slow ones
NETS = {
    "dense": {"hidden_units": (32,)},
    "resnet": {"n_blocks": 1, "d_block": 32},
    "mlp_plr": {"n_blocks": 1, "d_block": 32},
    "tabm": {"n_blocks": 1, "d_block": 32, "ensemble_size": 4},
    "ft_transformer": {"n_blocks": 1, "d_block": 16, "attention_heads": 2},
}
NET_TRAINING = {"epochs": 40, "batch_size": 32, "lr": 3e-3, "threads": 1, "random_state": 0}

FLOAT32 = (
    "the nets compute in float32, and a batch's size changes how torch blocks its sums: a "
    "row's output in a batch of 20 and in a batch of 1 can differ by more than the check's 1e-7"
)
WEIGHTS_NOT_ROWS = (
    "CatBoost's sample weights scale each row's gradient, but its quantization (borders from "
    "the rows as given) and its ordered boosting see a repeated row twice: not the same model"
)
OBJECTIVE = (
    "XGBoost's own fit sets its objective parameter to multi:softprob for more than two "
    "classes (XGBClassifier does the same)"
)
XGB_WEIGHTS_NOT_ROWS = (
    "XGBoost's sample weights scale each row's gradient and hessian, but its histogram's "
    "quantiles are sketched from the rows as given: a repeated row is not its weight of 2"
)
EXPECTED: dict[str, dict[str, str]] = {
    **{
        f"{name}:{architecture}": {"check_methods_subset_invariance": FLOAT32}
        for name in ("TorchClassifier", "TorchRegressor")
        for architecture in ("resnet", "mlp_plr", "tabm", "ft_transformer")
    },
    **{
        name: {"check_methods_subset_invariance": FLOAT32}
        for name in ("RealMLPClassifierModel", "RealMLPRegressorModel")
    },
    "LabelledXGBClassifier": {
        "check_sample_weight_equivalence_on_dense_data": XGB_WEIGHTS_NOT_ROWS,
        "check_sample_weight_equivalence_on_sparse_data": XGB_WEIGHTS_NOT_ROWS,
        "check_estimators_overwrite_params": OBJECTIVE,
        "check_dont_overwrite_parameters": OBJECTIVE,
        "check_classifiers_multilabel_output_format_predict": (
            "XGBoost predicts several labels per row as floats; this class leaves them to it"
        ),
    },
    "CatBoostClassifierModel": {"check_sample_weight_equivalence_on_dense_data": WEIGHTS_NOT_ROWS},
    "CatBoostRegressorModel": {"check_sample_weight_equivalence_on_dense_data": WEIGHTS_NOT_ROWS},
}


def _nets(architectures) -> list:
    return [
        cls(architecture, **NETS[architecture], **NET_TRAINING)
        for architecture in architectures
        for cls in (TorchClassifier, TorchRegressor)
    ]


def _others() -> list:
    trees = {"iterations": 100, "thread_count": 1, "random_seed": 0, "device": "cpu"}
    catboost = [CatBoostClassifierModel(**trees), CatBoostRegressorModel(**trees)]
    return [
        *(catboost if HAS_CATBOOST else []),
        PooledStackingClassifier(
            [("lr", LogisticRegression()), ("tree", DecisionTreeClassifier(random_state=0))]
        ),
        PooledStackingRegressor(
            [("ridge", Ridge()), ("tree", DecisionTreeRegressor(random_state=0))]
        ),
        LabelledXGBClassifier(n_estimators=20, n_jobs=1, random_state=0),
    ]


def _expected(estimator) -> dict[str, str]:
    name = type(estimator).__name__
    architecture = getattr(estimator, "architecture", None)
    return {**EXPECTED.get(name, {}), **EXPECTED.get(f"{name}:{architecture}", {})}


@parametrize_with_checks([*_nets(["dense"]), *_others()], expected_failed_checks=_expected)
def test_scikit_learns_own_checks(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(
    _nets(["resnet", "mlp_plr", "tabm", "ft_transformer"]), expected_failed_checks=_expected
)
def test_scikit_learns_own_checks_on_the_table_nets(estimator, check):
    check(estimator)


#: RealMLP with 32 epochs (its full 256 take minutes over the checks)
REALMLP = {"n_epochs": 32, "threads": 1, "random_state": 0, "device": "cpu"}


@pytest.mark.slow  # about 90 seconds
@pytest.mark.skipif(not HAS_PYTABKIT, reason="pytabkit (the pytabkit extra) is not installed")
@parametrize_with_checks(
    [RealMLPClassifierModel(**REALMLP), RealMLPRegressorModel(**REALMLP)],
    expected_failed_checks=_expected,
)
def test_scikit_learns_own_checks_on_realmlp(estimator, check):
    check(estimator)
