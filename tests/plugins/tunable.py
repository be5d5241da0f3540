"""A plugin whose estimators declare search spaces, for the tuning tests: ``moody`` fails in
a known way per value of ``mood``; ``slow_logreg`` is a real, slow-enough linear model."""

from tests.helpers.estimators import MoodyEstimator, SlowLogisticRegression
from treesvsnets.estimators import EstimatorSpec, add

add(
    EstimatorSpec(
        name="moody",
        family="other",
        factory=MoodyEstimator,
        threads_param=None,
        space={"mood": {"choice": ["fine", "raises", "hangs", "exits"]}},
    )
)
add(
    EstimatorSpec(
        name="slow_logreg",
        family="linear",
        factory=SlowLogisticRegression,
        threads_param=None,
        space={"C": {"float": [1e-3, 1e2], "log": True}},
    )
)
