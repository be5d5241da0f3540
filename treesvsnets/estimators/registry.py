"""The estimator registry: short names -> EstimatorSpec.

Built-ins register themselves when ``treesvsnets.estimators.ensembles`` is
imported; that module imports no heavy library at import time, so the registry
is cheap to list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from treesvsnets.errors import ConfigError, unknown_name
from treesvsnets.estimators.base import FAMILIES, EstimatorSpec

_SPECS: dict[str, EstimatorSpec] = {}
_BUILTINS_LOADED = False


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        from treesvsnets.estimators import ensembles, nets  # noqa: F401  (register on import)


def add(spec: EstimatorSpec, *, override: bool = False) -> EstimatorSpec:
    """Add ``spec`` to the registry; refuse a name that is taken unless ``override``."""
    _load_builtins()
    existing = _SPECS.get(spec.name)
    if existing is not None and not override:
        raise ConfigError(
            f"estimator name {spec.name!r} is already registered (from {existing.source}); "
            "pick another name or pass override=True."
        )
    _SPECS[spec.name] = spec
    return spec


def register(
    name: str,
    *,
    family: str,
    default_params: Mapping[str, Any] | None = None,
    override: bool = False,
    **spec_fields: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register a factory function or an estimator class under ``name``.

    >>> @register("my_svm", family="other", seed_param=None, threads_param=None)
    ... def my_svm(**params):
    ...     from sklearn.svm import SVC
    ...     return SVC(probability=True, **params)
    """

    def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
        spec = EstimatorSpec(
            name=name,
            family=family,
            factory=factory,
            default_params=dict(default_params or {}),
            **spec_fields,
        )
        add(spec, override=override)
        return factory

    return decorate


def unregister(name: str) -> EstimatorSpec:
    """Remove ``name`` from the registry and return its spec."""
    _load_builtins()
    try:
        return _SPECS.pop(name)
    except KeyError:
        raise unknown_name("estimator", name, _SPECS) from None


def get(name: str) -> EstimatorSpec:
    """The spec registered under ``name``; a clear error with the choices if none is."""
    _load_builtins()
    try:
        return _SPECS[name]
    except KeyError:
        raise unknown_name("estimator", name, _SPECS) from None


def all_specs() -> list[EstimatorSpec]:
    """Every registered spec, in registration order."""
    _load_builtins()
    return list(_SPECS.values())


def select(tokens: Iterable[str]) -> list[EstimatorSpec]:
    """Resolve CLI/config tokens to specs: a name, a family (``ensemble``), or ``all``.

    Order follows the tokens; a spec named twice is kept once.
    """
    _load_builtins()
    chosen: dict[str, EstimatorSpec] = {}
    for token in tokens:
        if token == "all":
            matches = list(_SPECS.values())
        elif token in _SPECS:
            matches = [_SPECS[token]]
        elif token in FAMILIES:
            matches = [spec for spec in _SPECS.values() if spec.family == token]
            if not matches:
                raise ConfigError(f"no registered estimator is in the family {token!r}.")
        else:
            families = {spec.family for spec in _SPECS.values()}
            raise unknown_name("estimator", token, [*_SPECS, *families, "all"])
        for spec in matches:
            chosen.setdefault(spec.name, spec)
    return list(chosen.values())
