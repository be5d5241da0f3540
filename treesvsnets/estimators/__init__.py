"""The common estimator interface: specs, the registry and the built-ins.

- base.py: EstimatorSpec, one estimator's recipe (its factory, defaults, capabilities,
  search space); registry.py: the names and families a run selects from; capabilities.py:
  what an estimator can do; space.py: search spaces;
- the built-ins: ensembles.py (tree ensembles, stacking, the linear models), nets.py (the
  PyTorch nets), baseline.py (``dummy``), with catboost_adapter.py, stacking.py,
  architectures.py (the table nets' settings) and validation.py beside them;
- netspec.py: what the net specs share, and ``register_net``; plugins.py: estimators from a
  user's file, module or package; contract.py: the checks of ``treesvsnets check``;
- torch/: TorchClassifier and TorchRegressor, imported only when a cell builds a net.
"""

from treesvsnets.estimators.base import FAMILIES, EstimatorSpec
from treesvsnets.estimators.capabilities import CAPABILITIES, capabilities_of
from treesvsnets.estimators.netspec import register_net  # noqa: E402  (after the registry)
from treesvsnets.estimators.registry import (
    add,
    all_specs,
    get,
    register,
    select,
    tasks_of,
    unregister,
    versions,
)

__all__ = [
    "CAPABILITIES",
    "FAMILIES",
    "EstimatorSpec",
    "add",
    "capabilities_of",
    "all_specs",
    "get",
    "register",
    "register_net",
    "select",
    "tasks_of",
    "unregister",
    "versions",
]
