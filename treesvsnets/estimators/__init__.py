"""The common estimator interface: specs, the registry and the built-ins."""

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
