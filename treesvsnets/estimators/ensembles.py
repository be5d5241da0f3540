"""The built-in classical estimators: tree ensembles, stacking and a linear baseline.

Each factory imports its library inside the function, so importing this module
(and listing the registry) stays cheap. Default parameters are the ones a
practitioner would write; they are stored in the spec, shown by
``treesvsnets list estimators`` and recorded on every result row.
"""

from __future__ import annotations

from typing import Any

from treesvsnets.estimators.registry import register

_PROBA = frozenset({"predict_proba"})
_PROBA_THREADED = frozenset({"predict_proba", "multithreaded"})


@register(
    "rf",
    relative_cost=1.0,
    seed_param="random_state",
    threads_param="n_jobs",
    family="ensemble",
    default_params={"n_estimators": 100},
    description="RandomForestClassifier (scikit-learn)",
    capabilities=_PROBA_THREADED,
)
def random_forest(**params: Any) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(**params)


@register(
    "bagging",
    relative_cost=2.6,
    seed_param="random_state",
    threads_param="n_jobs",
    family="ensemble",
    default_params={"n_estimators": 50},
    description="BaggingClassifier of full decision trees (scikit-learn)",
    capabilities=_PROBA_THREADED,
)
def bagging(**params: Any) -> Any:
    from sklearn.ensemble import BaggingClassifier
    from sklearn.tree import DecisionTreeClassifier

    return BaggingClassifier(estimator=DecisionTreeClassifier(), **params)


@register(
    "adaboost",
    relative_cost=1.5,
    seed_param="random_state",
    family="ensemble",
    default_params={"n_estimators": 100, "learning_rate": 1.0},
    description="AdaBoostClassifier (SAMME) of decision stumps (scikit-learn)",
    threads_param=None,
    capabilities=_PROBA,
)
def adaboost(**params: Any) -> Any:
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.tree import DecisionTreeClassifier

    return AdaBoostClassifier(estimator=DecisionTreeClassifier(max_depth=1), **params)


@register(
    "gb",
    relative_cost=26,
    seed_param="random_state",
    family="ensemble",
    default_params={"n_estimators": 100, "learning_rate": 0.1, "max_depth": 3},
    description="GradientBoostingClassifier (scikit-learn, single-threaded)",
    threads_param=None,
    capabilities=_PROBA,
)
def gradient_boosting(**params: Any) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(**params)


@register(
    "hgb",
    relative_cost=7,
    seed_param="random_state",
    family="ensemble",
    # early_stopping is off so that nothing is silently held out of the training fold.
    default_params={"max_iter": 100, "learning_rate": 0.1, "early_stopping": False},
    description="HistGradientBoostingClassifier (scikit-learn, OpenMP threads)",
    threads_param=None,
    capabilities=_PROBA_THREADED,
)
def hist_gradient_boosting(**params: Any) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**params)


@register(
    "xgboost",
    relative_cost=0.9,
    seed_param="random_state",
    threads_param="n_jobs",
    family="ensemble",
    default_params={"n_estimators": 100, "learning_rate": 0.3, "tree_method": "hist"},
    description="XGBClassifier (XGBoost)",
    capabilities=_PROBA_THREADED,
)
def xgboost(**params: Any) -> Any:
    from xgboost import XGBClassifier

    return XGBClassifier(**params)


@register(
    "lightgbm",
    relative_cost=1.7,
    seed_param="random_state",
    threads_param="n_jobs",
    family="ensemble",
    default_params={"n_estimators": 100, "learning_rate": 0.1, "verbose": -1},
    description="LGBMClassifier (LightGBM)",
    capabilities=_PROBA_THREADED,
)
def lightgbm(**params: Any) -> Any:
    from lightgbm import LGBMClassifier

    return LGBMClassifier(**params)


#: The members of the stacking ensemble, built from their own registry entries.
STACKING_MEMBERS = ("rf", "bagging", "adaboost", "gb")


@register(
    "stacking",
    relative_cost=90,
    family="ensemble",
    default_params={"cv": 5, "final_C": 1.0},
    description="StackingClassifier: rf + bagging + adaboost + gb -> LogisticRegression "
    "(all member fits in one pool)",
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

    from treesvsnets.estimators.registry import get
    from treesvsnets.estimators.stacking import PooledStackingClassifier

    members = [(name, get(name).build(seed=random_state, threads=1)) for name in STACKING_MEMBERS]
    final = LogisticRegression(C=final_C, max_iter=1000)
    return PooledStackingClassifier(members, final_estimator=final, n_jobs=n_jobs, **params)


@register(
    "logreg",
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
