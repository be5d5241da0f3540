"""The built-in classical estimators: tree ensembles, stacking and the linear baselines.

Each name stands for one idea across tasks: it registers the classifier and (through
``regressor=``) the regressor of the same library and defaults, a spec for each task.
The linear baselines differ by task: ``logreg`` classifies, ``ridge`` regresses.

Each factory imports its library inside the function, so importing this module
(and listing the registry) stays cheap. Default parameters are the ones a
practitioner would write; they are stored in the spec, shown by
``treesvsnets list estimators`` and recorded on every result row.

The names: ``rf``, ``bagging``, ``adaboost``, ``gb``, ``hgb``, ``xgboost``, ``lightgbm``,
``catboost`` (optional, the catboost extra; :mod:`.catboost_adapter`) and ``stacking`` (rf,
bagging, adaboost and gb, their fits pooled by :mod:`.stacking`), each with its library's
regressor; ``logreg`` (classification only) and ``ridge`` (RidgeCV on standard-scaled
features, regression only).
"""

from __future__ import annotations

from typing import Any

from treesvsnets.estimators.registry import register

_PROBA = frozenset({"predict_proba"})
_PROBA_THREADED = frozenset({"predict_proba", "multithreaded"})
#: the classifiers whose predict is, in their library's own code, the class of the largest
#: predict_proba column (the forests and bagging; xgboost's default objectives, where
#: argmax([1 - p, p]) is p > 0.5 exactly in float32; lightgbm's built-in objectives)
_ARGMAX_THREADED = _PROBA_THREADED | {"argmax_predict"}


# Search spaces (``--tune``), after the published ones, with the ensembles' sizes capped so that a
# trial fits in seconds on a laptop: Grinsztajn et al. 2022 (tabular-benchmark's random-search
# spaces for RF, GBT, HGBT, XGBoost), TabZilla (XGBoost, LightGBM, the MLP) and TabArena (RF's
# max_features and min_samples_leaf, LightGBM's num_leaves and min_child_samples). The form is
# estimators/space.py's.
_RF_REGRESSOR_SPACE = {
    "n_estimators": {"int": [50, 500], "log": True},
    "max_depth": {"choice": [None, 4, 8, 16, 32]},
    "max_features": {"choice": ["sqrt", "log2", 0.5, 0.75, 1.0]},
    "min_samples_leaf": {"int": [1, 40], "log": True},
    "bootstrap": {"choice": [True, False]},
}
_RF_SPACE = {**_RF_REGRESSOR_SPACE, "criterion": {"choice": ["gini", "entropy"]}}
_BAGGING_SPACE = {
    "n_estimators": {"int": [10, 200], "log": True},
    "max_samples": {"float": [0.3, 1.0]},
    "max_features": {"float": [0.3, 1.0]},
    "bootstrap": {"choice": [True, False]},
    "estimator__max_depth": {"choice": [None, 4, 8, 16]},
}
#: the base tree's depth matters most: on digits depth-4 trees reach 0.97, stumps 0.82
_ADABOOST_SPACE = {
    "n_estimators": {"int": [50, 500], "log": True},
    "learning_rate": {"float": [0.01, 2.0], "log": True},
    "estimator__max_depth": {"int": [1, 8]},
}
_GB_SPACE = {
    "n_estimators": {"int": [50, 500], "log": True},
    "learning_rate": {"float": [0.01, 0.3], "log": True},
    "max_depth": {"int": [2, 6]},
    "subsample": {"float": [0.5, 1.0]},
    "min_samples_leaf": {"int": [1, 50], "log": True},
}
_HGB_SPACE = {
    "max_iter": {"int": [50, 500], "log": True},
    "learning_rate": {"float": [0.01, 0.3], "log": True},
    "max_leaf_nodes": {"int": [8, 128], "log": True},
    "min_samples_leaf": {"int": [5, 100], "log": True},
    "l2_regularization": {"float": [1e-6, 10.0], "log": True},
    "max_features": {"float": [0.4, 1.0]},
}
_XGBOOST_SPACE = {
    "n_estimators": {"int": [50, 1000], "log": True},
    "learning_rate": {"float": [1e-3, 0.7], "log": True},
    "max_depth": {"int": [1, 11]},
    "min_child_weight": {"float": [1.0, 100.0], "log": True},
    "subsample": {"float": [0.5, 1.0]},
    "colsample_bytree": {"float": [0.5, 1.0]},
    "colsample_bylevel": {"float": [0.5, 1.0]},
    "gamma": {"float": [1e-8, 7.0], "log": True},
    "reg_lambda": {"float": [1.0, 4.0], "log": True},
    "reg_alpha": {"float": [1e-8, 100.0], "log": True},
}
_LIGHTGBM_SPACE = {
    "n_estimators": {"int": [50, 1000], "log": True},
    "learning_rate": {"float": [5e-3, 0.3], "log": True},
    "num_leaves": {"int": [8, 255], "log": True},
    "min_child_samples": {"int": [2, 60], "log": True},
    "colsample_bytree": {"float": [0.4, 1.0]},
    "reg_lambda": {"float": [1e-8, 10.0], "log": True},
}


#: TabArena's and TabZilla's CatBoost space (learning rate, depth, L2, bagging temperature,
#: one-hot cut-off), iterations capped at 1000 (CatBoost's default) for a laptop
_CATBOOST_SPACE = {
    "iterations": {"int": [100, 1000], "log": True},
    "learning_rate": {"float": [0.01, 0.3], "log": True},
    "depth": {"int": [4, 8]},
    "l2_leaf_reg": {"float": [1.0, 10.0], "log": True},
    "bagging_temperature": {"float": [0.0, 1.0]},
    "one_hot_max_size": {"choice": [2, 10]},
}


def _ridge_alpha(sampled: dict[str, Any]) -> dict[str, Any]:
    """A tuned ridge is RidgeCV with the one alpha the trial drew (its default picks among
    three by leave-one-out)."""
    params = dict(sampled)
    if "alpha" in params:
        params["alphas"] = [params.pop("alpha")]  # a list: RidgeCV fails on a 1-tuple
    return params


def _random_forest_regressor(**params: Any) -> Any:
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(**params)


def _bagging_regressor(**params: Any) -> Any:
    from sklearn.ensemble import BaggingRegressor
    from sklearn.tree import DecisionTreeRegressor

    return BaggingRegressor(estimator=DecisionTreeRegressor(), **params)


def _adaboost_regressor(**params: Any) -> Any:
    """AdaBoost.R2 over depth-3 trees (scikit-learn's own default for the regressor: a stump
    has too little to say about a quantity)."""
    from sklearn.ensemble import AdaBoostRegressor
    from sklearn.tree import DecisionTreeRegressor

    return AdaBoostRegressor(estimator=DecisionTreeRegressor(max_depth=3), **params)


def _gradient_boosting_regressor(**params: Any) -> Any:
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(**params)


def _hist_gradient_boosting_regressor(**params: Any) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(**params)


def _xgboost_regressor(**params: Any) -> Any:
    from xgboost import XGBRegressor

    return XGBRegressor(**params)


def _lightgbm_regressor(**params: Any) -> Any:
    from lightgbm import LGBMRegressor

    return LGBMRegressor(**params)


@register(
    "rf",
    space=_RF_SPACE,
    regressor_space=_RF_REGRESSOR_SPACE,
    regressor=_random_forest_regressor,
    relative_cost=1.0,
    seed_param="random_state",
    threads_param="n_jobs",
    family="ensemble",
    default_params={"n_estimators": 100},
    description="RandomForestClassifier / RandomForestRegressor (scikit-learn)",
    capabilities=_ARGMAX_THREADED,
)
def random_forest(**params: Any) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(**params)


@register(
    "bagging",
    space=_BAGGING_SPACE,
    regressor=_bagging_regressor,
    relative_cost=2.6,
    seed_param="random_state",
    threads_param="n_jobs",
    family="ensemble",
    default_params={"n_estimators": 50},
    description="BaggingClassifier / BaggingRegressor of full decision trees (scikit-learn)",
    capabilities=_ARGMAX_THREADED,
)
def bagging(**params: Any) -> Any:
    from sklearn.ensemble import BaggingClassifier
    from sklearn.tree import DecisionTreeClassifier

    return BaggingClassifier(estimator=DecisionTreeClassifier(), **params)


@register(
    "adaboost",
    space=_ADABOOST_SPACE,
    regressor=_adaboost_regressor,
    relative_cost=1.5,
    seed_param="random_state",
    family="ensemble",
    default_params={"n_estimators": 100, "learning_rate": 1.0},
    description="AdaBoostClassifier (SAMME) of decision stumps / AdaBoostRegressor (R2) of "
    "depth-3 trees (scikit-learn)",
    threads_param=None,
    capabilities=_PROBA,
)
def adaboost(**params: Any) -> Any:
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.tree import DecisionTreeClassifier

    return AdaBoostClassifier(estimator=DecisionTreeClassifier(max_depth=1), **params)


@register(
    "gb",
    space=_GB_SPACE,
    regressor=_gradient_boosting_regressor,
    relative_cost=26,
    seed_param="random_state",
    family="ensemble",
    default_params={"n_estimators": 100, "learning_rate": 0.1, "max_depth": 3},
    description="GradientBoostingClassifier / Regressor (scikit-learn, single-threaded)",
    threads_param=None,
    capabilities=_PROBA,
)
def gradient_boosting(**params: Any) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(**params)


@register(
    "hgb",
    space=_HGB_SPACE,
    regressor=_hist_gradient_boosting_regressor,
    relative_cost=7,
    seed_param="random_state",
    family="ensemble",
    # early_stopping is off so that nothing is silently held out of the training fold.
    default_params={"max_iter": 100, "learning_rate": 0.1, "early_stopping": False},
    description="HistGradientBoostingClassifier / Regressor (scikit-learn, OpenMP threads)",
    threads_param=None,
    capabilities=_PROBA_THREADED,
)
def hist_gradient_boosting(**params: Any) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**params)


@register(
    "xgboost",
    space=_XGBOOST_SPACE,
    regressor=_xgboost_regressor,
    relative_cost=0.9,
    seed_param="random_state",
    threads_param="n_jobs",
    family="ensemble",
    default_params={"n_estimators": 100, "learning_rate": 0.3, "tree_method": "hist"},
    description="XGBClassifier / XGBRegressor (XGBoost)",
    capabilities=_ARGMAX_THREADED,
)
def xgboost(**params: Any) -> Any:
    from treesvsnets.estimators.xgboost_labels import LabelledXGBClassifier

    return LabelledXGBClassifier(**params)


@register(
    "lightgbm",
    space=_LIGHTGBM_SPACE,
    regressor=_lightgbm_regressor,
    relative_cost=1.7,
    seed_param="random_state",
    threads_param="n_jobs",
    family="ensemble",
    default_params={"n_estimators": 100, "learning_rate": 0.1, "verbose": -1},
    description="LGBMClassifier / LGBMRegressor (LightGBM)",
    capabilities=_ARGMAX_THREADED,
)
def lightgbm(**params: Any) -> Any:
    from lightgbm import LGBMClassifier

    return LGBMClassifier(**params)


#: The members of the stacking ensemble, built from their own registry entries.
STACKING_MEMBERS = ("rf", "bagging", "adaboost", "gb")


def _members(random_state: int, task: str) -> list[tuple[str, Any]]:
    """The stacking members, each built from its own registry entry for ``task`` (same
    defaults, same seed, one thread each)."""
    from treesvsnets.estimators.registry import get

    return [
        (name, get(name, task).build(seed=random_state, threads=1)) for name in STACKING_MEMBERS
    ]


def _stacking_regressor(*, random_state: int = 0, n_jobs: int = 1, **params: Any) -> Any:
    """StackingRegressor of the registry's rf, bagging, adaboost and gb regressors, RidgeCV on
    top, every member fit in one pool (as the classifier)."""
    from sklearn.linear_model import RidgeCV

    from treesvsnets.estimators.stacking import PooledStackingRegressor

    return PooledStackingRegressor(
        _members(random_state, "regression"), final_estimator=RidgeCV(), n_jobs=n_jobs, **params
    )


def _catboost_regressor(**params: Any) -> Any:
    from treesvsnets.estimators.catboost_adapter import CatBoostRegressorModel

    return CatBoostRegressorModel(**params)


@register(
    "catboost",
    space=_CATBOOST_SPACE,
    regressor=_catboost_regressor,
    relative_cost=8,
    seed_param="random_seed",
    threads_param="thread_count",
    family="ensemble",
    default_params={"iterations": 1000, "depth": 6, "device": "auto"},
    description="CatBoostClassifier / CatBoostRegressor (CatBoost): a table's categories "
    "passed natively (cat_features); GPU when the run's device is CUDA",
    capabilities={"predict_proba", "multithreaded", "uses_gpu", "native_categorical"},
    requires="catboost",
)
def catboost(**params: Any) -> Any:
    from treesvsnets.estimators.catboost_adapter import CatBoostClassifierModel

    return CatBoostClassifierModel(**params)


@register(
    "stacking",
    space={"final_C": {"float": [1e-3, 1e3], "log": True}},
    regressor_space={},
    relative_cost=90,
    family="ensemble",
    default_params={"cv": 5, "final_C": 1.0},
    regressor=_stacking_regressor,
    regressor_params={"cv": 5},
    description="StackingClassifier: rf + bagging + adaboost + gb -> LogisticRegression "
    "(regression: StackingRegressor -> RidgeCV; all member fits in one pool)",
    capabilities=_PROBA_THREADED,
)
def stacking(*, random_state: int = 0, n_jobs: int = 1, final_C: float = 1.0, **params: Any) -> Any:
    """Stack the registry's own rf, bagging, adaboost and gb (same defaults, same seed).

    The thread budget goes to the pool that fits every member on the whole
    training fold and on each inner fold (``PooledStackingClassifier``, equal in
    predictions to scikit-learn's ``StackingClassifier``); members get one thread
    each so the budget is not multiplied.
    """
    from sklearn.linear_model import LogisticRegression

    from treesvsnets.estimators.stacking import PooledStackingClassifier

    final = LogisticRegression(C=final_C, max_iter=1000)
    return PooledStackingClassifier(
        _members(random_state, "classification"), final_estimator=final, n_jobs=n_jobs, **params
    )


@register(
    "logreg",
    space={"C": {"float": [1e-4, 1e4], "log": True}},
    relative_cost=0.1,
    seed_param="random_state",
    family="linear",
    default_params={"C": 1.0, "max_iter": 1000},
    description="LogisticRegression (lbfgs) on standard-scaled features: the linear baseline",
    preprocessing="standard",
    threads_param=None,
    capabilities=_PROBA,
)
def logistic_regression(**params: Any) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(**params)


@register(
    "ridge",
    space={"alpha": {"float": [1e-3, 1e4], "log": True}},
    space_params=_ridge_alpha,
    relative_cost=0.1,
    family="linear",
    task="regression",
    default_params={"alphas": (0.1, 1.0, 10.0)},
    description="RidgeCV (alpha chosen by efficient leave-one-out) on standard-scaled features: "
    "the linear baseline for regression",
    preprocessing="standard",
    seed_param=None,
    threads_param=None,
)
def ridge(**params: Any) -> Any:
    from sklearn.linear_model import RidgeCV

    return RidgeCV(**params)
