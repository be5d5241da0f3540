"""The trivial baseline of every run: ``dummy`` always says the training fold's most frequent
class, and gives each class its training frequency as probability (so its log loss is that of
the class prior); on a regression dataset it always says the training fold's mean (so its R²
is about 0). A model that does not beat it has learned nothing from the features; the
report and the run's last lines say so (:mod:`treesvsnets.reports.baseline`).

It is ``dummy``, of family ``baseline``: scikit-learn's DummyClassifier (strategy ``prior``)
and DummyRegressor (``mean``). Every run adds it unless ``baseline = false``
(``--no-baseline``).
"""

from __future__ import annotations

from typing import Any

from treesvsnets.estimators.base import BASELINE, BASELINE_FAMILY
from treesvsnets.estimators.registry import register


def _dummy_regressor(**params: Any) -> Any:
    from sklearn.dummy import DummyRegressor

    return DummyRegressor(**params)


@register(
    BASELINE,
    relative_cost=0.01,
    family=BASELINE_FAMILY,
    default_params={"strategy": "prior"},
    regressor=_dummy_regressor,
    regressor_params={"strategy": "mean"},
    description="DummyClassifier (scikit-learn): the most frequent class, the class prior as "
    "probabilities (regression: DummyRegressor, the training mean); the floor every result is "
    "read against",
    seed_param=None,
    threads_param=None,
    capabilities=frozenset({"predict_proba"}),
)
def dummy(**params: Any) -> Any:
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(**params)
