"""What an estimator can do, declared on its class as scikit-learn's tags are.

An estimator class says what it can do with a ``__treesvsnets_capabilities__(self)``
method returning names from :data:`CAPABILITIES` (it may depend on the instance's
parameters: a net with a convolutional architecture needs images). Where a class declares
nothing, :func:`capabilities_of` reads what its API shows: ``predict_proba`` (where scikit-learn
makes it available on this instance), a thread parameter, ``fit(..., validation_data=...)``,
a ``fit_together`` classmethod. ``treesvsnets check module:Class`` uses them, and
:func:`~treesvsnets.estimators.registry.register` takes a declaring class's capabilities
when none are given.

    class MyNet(ClassifierMixin, BaseEstimator):
        def __treesvsnets_capabilities__(self):
            return {"predict_proba", "early_stopping", "needs_images"}
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

CAPABILITIES = (
    "predict_proba",  # has predict_proba, so log loss can be computed
    "argmax_predict",  # predict is classes_[argmax(predict_proba)]: one call gives both
    "multithreaded",  # uses more than one thread when given a thread budget
    "early_stopping",  # can use the harness's inner validation slice
    "needs_images",  # needs a dataset with an image shape (CNNs)
    "needs_sequences",  # needs a dataset with a sequence shape (channels, length) (1-D CNNs)
    "native_categorical",  # takes a table's categories as codes (n_categorical last columns)
    "uses_gpu",  # trains on CUDA when one is available
    "fold_parallel",  # its class has fit_together(estimators, data): --fold-parallel groups folds
)

DECLARATION = "__treesvsnets_capabilities__"


#: the parameter a cell passes an estimator for each capability that needs one
PARAMETERS = {
    "needs_images": "image_shape",
    "needs_sequences": "sequence_shape",
    "native_categorical": "n_categorical",
    "uses_gpu": "device",
}


def check_can_act_on(factory: Any, capabilities: frozenset[str], owner: str) -> None:
    """Refuse, in one sentence naming the capability, one that ``factory`` cannot act on:
    a parameter a cell passes for it that its signature does not take (one taking
    ``**kwargs`` takes any), for a class ``early_stopping`` without ``fit(...,
    validation_data=)`` or ``fold_parallel`` without a ``fit_together`` classmethod (every
    cell failed on it, with a TypeError naming a parameter, not the capability)."""
    from treesvsnets.errors import ConfigError

    def takes(function: Any, name: str) -> bool:
        try:
            parameters = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):
            return True  # nothing to read: the cell will tell
        return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)

    label = getattr(factory, "__name__", type(factory).__name__)
    lacking = [
        f"{capability} (a cell passes it {parameter}=)"
        for capability, parameter in PARAMETERS.items()
        if capability in capabilities and not takes(factory, parameter)
    ]
    if isinstance(factory, type):
        if "early_stopping" in capabilities and not takes(factory.fit, "validation_data"):
            lacking.append("early_stopping (a cell calls fit(X, y, validation_data=...))")
        if "fold_parallel" in capabilities and not callable(getattr(factory, "fit_together", None)):
            lacking.append("fold_parallel (a fit_together(estimators, data) classmethod)")
    if lacking:
        raise ConfigError(
            f"{owner} declares {'; '.join(lacking)}, which {label} does not take or have; "
            "drop the capability or give it that."
        )


def declares_capabilities(factory: Any) -> bool:
    """Whether ``factory`` (a class, or an instance) declares its own capabilities."""
    return callable(getattr(factory, DECLARATION, None))


def checked(names: Any, owner: str) -> frozenset[str]:
    """``names`` as a frozenset, refused with one sentence naming ``owner`` if it is not a
    collection of capability names or one is unknown."""
    from treesvsnets.errors import ConfigError

    if isinstance(names, str) or not isinstance(names, Iterable):
        raise ConfigError(
            f"{owner} must declare its capabilities as a set of names, got {names!r}."
        )
    found = frozenset(names)
    unknown = found - set(CAPABILITIES)
    if unknown:
        raise ConfigError(
            f"{owner} declares unknown capabilities {sorted(map(str, unknown))}; "
            f"choose from: {', '.join(CAPABILITIES)}."
        )
    return found


def capabilities_of(estimator: Any) -> frozenset[str]:
    """The capabilities ``estimator`` (an instance) declares, else those its API shows."""
    if declares_capabilities(estimator):
        owner = type(estimator).__name__
        try:
            declared = getattr(estimator, DECLARATION)()
        except Exception as exc:  # noqa: BLE001 - the user's code may raise anything
            from treesvsnets.errors import ConfigError

            raise ConfigError(
                f"{owner}.{DECLARATION}() failed ({type(exc).__name__}: {exc})."
            ) from None
        return checked(declared, owner)
    shown = set()
    if hasattr(estimator, "predict_proba"):  # False where available_if hides it (SVC)
        shown.add("predict_proba")
    params = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
    if "n_jobs" in params or "thread_count" in params:
        shown.add("multithreaded")
    try:
        if "validation_data" in inspect.signature(estimator.fit).parameters:
            shown.add("early_stopping")
    except (AttributeError, TypeError, ValueError):
        pass
    if callable(getattr(type(estimator), "fit_together", None)):
        shown.add("fold_parallel")
    return frozenset(shown)
