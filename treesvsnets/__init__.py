"""treesvsnets: classical ensembles vs PyTorch nets, on the same folds, with honest timings.

The public API, each name loaded on first use (a module ``__getattr__``): :func:`run` and
:func:`resume` (:mod:`treesvsnets.api`), ``inspect_table`` (a table's profile), ``compare_runs``
(run against run), ``aggregate`` (the tables across datasets: Elo, win rates, normalized
scores...), ``check_estimator`` (the contract on an estimator), ``RunConfig``,
``TorchClassifier`` and ``TorchRegressor`` (the nets as scikit-learn estimators) and
``TreesVsNetsError``. Importing the package is cheap; the harness (and scikit-learn) load on
first use:

    >>> import treesvsnets
    >>> result = treesvsnets.run(datasets=["iris"], estimators=["rf", "logreg"], folds=3)
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = [
    "RunConfig",
    "TorchClassifier",
    "TorchRegressor",
    "TreesVsNetsError",
    "__version__",
    "aggregate",
    "check_estimator",
    "compare_runs",
    "inspect_table",
    "resume",
    "run",
]


def __getattr__(name: str) -> Any:
    if name in ("run", "resume"):
        from treesvsnets import api

        return getattr(api, name)
    if name == "compare_runs":
        from treesvsnets.reports.compare import compare_runs

        return compare_runs
    if name == "aggregate":
        from treesvsnets.reports.aggregate import aggregate

        return aggregate
    if name == "check_estimator":
        from treesvsnets.plugin_checks import check_estimator

        return check_estimator
    if name == "inspect_table":
        from treesvsnets.datasets.profile import inspect_table

        return inspect_table
    if name == "RunConfig":
        from treesvsnets.config import RunConfig

        return RunConfig
    if name in ("TorchClassifier", "TorchRegressor"):  # torch loads here, not at import
        from treesvsnets.estimators import torch as nets

        return getattr(nets, name)
    if name == "TreesVsNetsError":
        from treesvsnets.errors import TreesVsNetsError

        return TreesVsNetsError
    raise AttributeError(f"module 'treesvsnets' has no attribute {name!r}")
