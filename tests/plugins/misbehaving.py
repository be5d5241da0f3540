"""A plugin whose estimators misbehave in known ways, for the CLI's isolation tests."""

from tests.helpers.estimators import (
    ExitingEstimator,
    GreedyEstimator,
    HangingEstimator,
    ProbaDummy,
    RaisingEstimator,
    SlowEstimator,
)
from treesvsnets.estimators import EstimatorSpec, add

for name, factory in {
    "hangs": HangingEstimator,
    "exits": ExitingEstimator,
    "greedy": GreedyEstimator,
    "raises": RaisingEstimator,
    "slow": SlowEstimator,
    "quick": ProbaDummy,
}.items():
    add(EstimatorSpec(name=name, family="other", factory=factory, threads_param=None))
