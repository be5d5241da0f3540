"""The estimator registry: (short name, task) -> EstimatorSpec.

A spec is one estimator for one task; a name stands for one idea across tasks, with a spec
for each task it does (``rf``: a classifier and a regressor; ``logreg``: a classifier only).
:func:`get` finds the spec of (name, task), :func:`versions` and :func:`tasks_of` a name's
specs and tasks, :func:`names` and :func:`all_specs` list them, and :func:`select` resolves
a run's tokens (names, families, ``all``) to names. :func:`add` and :func:`register` (a
decorator) add a name's specs, :func:`unregister` removes them. The built-ins
(ensembles.py, nets.py, baseline.py), then the installed plugins' entry points, load on
first use; none imports a heavy library at import time, so the registry is cheap to list.
The built-ins are listed in the declared :data:`BUILTIN_ORDER`, whichever module was
imported first, plugins after them. :func:`registering_from` records where a spec came from;
:func:`register` finds the seed and thread parameters in the factory's signature.
:data:`GROUPS` and :func:`group_of` say how ``treesvsnets list estimators`` groups them (the
nets by what they suit: tables, images, sequences).
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from treesvsnets.errors import ConfigError, did_you_mean, unknown_name
from treesvsnets.estimators.base import FAMILIES, EstimatorSpec, specs_per_task
from treesvsnets.estimators.capabilities import capabilities_of, declares_capabilities
from treesvsnets.tasks import TASKS

#: name -> {task: spec}, the tasks in TASKS order
_SPECS: dict[str, dict[str, EstimatorSpec]] = {}
#: The built-ins' listing order, declared here so that it never depends on which module was
#: imported first (``list estimators``, ``-e all`` and the families follow it); plugins come
#: after them, in the order they registered.
BUILTIN_ORDER = (
    "rf",
    "bagging",
    "adaboost",
    "gb",
    "hgb",
    "xgboost",
    "lightgbm",
    "catboost",
    "stacking",
    "logreg",
    "ridge",
    "dense",
    "cnn",
    "cnn1d",
    "resnet",
    "ft_transformer",
    "mlp_plr",
    "tabm",
    "realmlp",
    "dummy",
)
_BUILTINS_IMPORTED = False
_BUILTINS_LOADED = False


def _import_builtins() -> None:
    """Import the modules that register the built-ins (once)."""
    global _BUILTINS_IMPORTED
    if not _BUILTINS_IMPORTED:
        _BUILTINS_IMPORTED = True
        from treesvsnets.estimators import baseline, ensembles, nets  # noqa: F401  (register)


def _load_builtins() -> None:
    """The built-ins, then the installed plugin packages (once), before a lookup: never from
    :func:`add`, where a built-in module imported first (as a worker imports it) would have
    let a package take the names it was about to register."""
    global _BUILTINS_LOADED
    _import_builtins()
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        from treesvsnets.estimators.plugins import load_entry_points

        load_entry_points()


def add(
    *specs: EstimatorSpec | Mapping[str, EstimatorSpec], override: bool = False
) -> EstimatorSpec:
    """Add one estimator: its spec of each task it does (one name, a spec per task), given
    one by one or as :func:`unregister` and :func:`versions` return them (by task). A name
    that is taken is refused unless ``override``, which replaces every task's version of it.
    Returns the first spec."""
    _import_builtins()  # a name taken by a built-in is refused; plugins load on a lookup
    specs = tuple(s for given in specs for s in _specs_of(given))
    if not specs:
        raise ValueError("add() takes the versions of one estimator: give at least one spec")
    name = specs[0].name
    tasks = [spec.task for spec in specs]
    if any(spec.name != name for spec in specs) or len(set(tasks)) != len(tasks):
        raise ValueError("add() takes the versions of one estimator: one name, a spec per task")
    existing = _SPECS.get(name)
    if existing is not None and not override:
        raise ConfigError(
            f"estimator name {name!r} is already registered "
            f"(from {first_version(existing).source}); pick another name or pass override=True."
        )
    _SPECS[name] = {task: spec for task in TASKS for spec in specs if spec.task == task}
    return specs[0]


def _specs_of(given: EstimatorSpec | Mapping[str, EstimatorSpec]) -> tuple[EstimatorSpec, ...]:
    return tuple(given.values()) if isinstance(given, Mapping) else (given,)


def register(
    name: str,
    *,
    family: str,
    default_params: Mapping[str, Any] | None = None,
    override: bool = False,
    **spec_fields: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register a factory function or an estimator class under ``name``.

    It builds a classifier unless ``task="regression"``; ``regressor=`` (with
    ``regressor_params=``, ``regressor_space=`` where they differ) adds the regression
    version of the same idea under the same name (see
    :func:`~treesvsnets.estimators.base.specs_per_task`).
    The harness passes each cell's seed as ``random_state`` and its thread
    budget as ``n_jobs`` when the factory names those parameters; say
    ``seed_param=``/``threads_param=`` to use other names (or ``None``).

    >>> @register("my_svm", family="other", default_params={"C": 1.0})
    ... def my_svm(C=1.0, random_state=None):
    ...     from sklearn.svm import SVC
    ...     return SVC(C=C, probability=True, random_state=random_state)
    """

    def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
        for field_name, parameter in (("seed_param", "random_state"), ("threads_param", "n_jobs")):
            if field_name not in spec_fields:
                accepted = accepts_parameter(factory, parameter)
                spec_fields[field_name] = parameter if accepted else None
        spec_fields.setdefault("source", current_source())
        _check_names(name, factory, default_params, spec_fields, "space")
        if spec_fields.get("regressor") is not None:
            _check_names(
                name,
                spec_fields["regressor"],
                spec_fields.get("regressor_params"),
                spec_fields,
                "regressor_space",
            )
        if "capabilities" not in spec_fields and declares_capabilities(factory):
            spec_fields["capabilities"] = _declared(name, factory, default_params or {})
        specs = specs_per_task(
            name=name,
            family=family,
            factory=factory,
            default_params=dict(default_params or {}),
            **spec_fields,
        )
        add(*specs, override=override)
        return factory

    return decorate


def _check_names(
    name: str,
    factory: Any,
    default_params: Mapping[str, Any] | None,
    fields: Mapping[str, Any],
    space: str,
) -> None:
    """Refuse, at registration, a default parameter, ``seed_param``, ``threads_param`` or a
    parameter of the search space (``fields[space]``) that ``factory``'s signature does not
    take (one taking ``**kwargs`` takes any): every cell (or trial) would fail on it, one by
    one, and a space's only under --tune. A space turned into parameters by ``space_params``
    has names of its own."""
    try:
        taken = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return
    if any(parameter.kind is parameter.VAR_KEYWORD for parameter in taken.values()):
        return
    given = [("default_params", key) for key in default_params or {} if "__" not in key]
    given += [(key, fields.get(key)) for key in ("seed_param", "threads_param")]
    searched = fields.get(space)
    if isinstance(searched, Mapping) and fields.get("space_params") is None:  # else its own names
        given += [(space, key) for key in searched if "__" not in str(key)]
    for field_name, parameter in given:
        if isinstance(parameter, str) and parameter not in taken:
            choices = [key for key in taken if key != "self"]
            raise ConfigError(
                f"estimator {name!r} has {field_name} {parameter!r}, which "
                f"{getattr(factory, '__name__', factory)} does not take; its parameters are: "
                f"{', '.join(choices) or '(none)'}.{did_you_mean(parameter, choices)}"
            )


def _declared(name: str, factory: Any, params: Mapping[str, Any]) -> frozenset[str]:
    """The capabilities an estimator class declares, read from an instance with ``params``."""
    try:
        instance = factory(**params)
    except Exception as exc:  # noqa: BLE001 - the user's class may raise anything
        raise ConfigError(
            f"estimator {name!r}: {getattr(factory, '__name__', factory)}(**default_params) "
            f"failed ({type(exc).__name__}: {exc}), so its declared capabilities cannot be read; "
            "pass capabilities= to register."
        ) from None
    return capabilities_of(instance)


def accepts_parameter(factory: Callable[..., Any], parameter: str) -> bool:
    """Whether ``factory`` (a function or a class) names ``parameter`` in its signature."""
    try:
        return parameter in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False


#: The source recorded for specs registered while a plugin is being imported.
_SOURCE: contextvars.ContextVar[str] = contextvars.ContextVar("source", default="builtin")


def current_source() -> str:
    return _SOURCE.get()


@contextlib.contextmanager
def registering_from(source: str) -> Iterator[None]:
    """Record ``source`` (a plugin file, module or package) on everything registered inside."""
    token = _SOURCE.set(source)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def unregister(name: str) -> dict[str, EstimatorSpec]:
    """Remove ``name`` from the registry (every task's version) and return its specs by task."""
    _load_builtins()
    try:
        return _SPECS.pop(name)
    except KeyError:
        raise unknown_name("estimator", name, _SPECS) from None


def versions(name: str) -> dict[str, EstimatorSpec]:
    """The specs registered under ``name``, by task (in TASKS order); a clear error with the
    choices if none is."""
    _load_builtins()
    try:
        return dict(_SPECS[name])
    except KeyError:
        raise unknown_name("estimator", name, _SPECS) from None


def tasks_of(name: str) -> tuple[str, ...]:
    """The tasks ``name`` has a version for."""
    return tuple(versions(name))


def get(name: str, task: str) -> EstimatorSpec:
    """The spec of ``name`` for ``task``; a clear error if the name is unknown or has no
    version for the task."""
    found = versions(name)
    if task not in found:
        raise ConfigError(f"estimator {name!r} has no {task} version.")
    return found[task]


def names() -> list[str]:
    """Every registered name: the built-ins in BUILTIN_ORDER, then the others as registered."""
    _load_builtins()
    rank = {name: i for i, name in enumerate(BUILTIN_ORDER)}
    source = {name: first_version(found).source for name, found in _SPECS.items()}
    builtin = [name for name in _SPECS if source[name] == "builtin"]
    builtin.sort(key=lambda name: rank.get(name, len(rank)))  # stable: unlisted keep order
    return builtin + [name for name in _SPECS if source[name] != "builtin"]


def all_specs() -> list[EstimatorSpec]:
    """Every registered spec, by name in :func:`names` order, then by task."""
    return [spec for name in names() for spec in _SPECS[name].values()]


def first_version(found: Mapping[str, EstimatorSpec]) -> EstimatorSpec:
    """An estimator's first version among ``found`` (its specs by task, as :func:`versions`
    gives them): its classifier, where it has one; what it is listed and chosen by (name,
    family, source, group)."""
    return next(iter(found.values()))


#: how ``list estimators`` groups the registry: the nets by what they suit
GROUPS = {
    "ensemble": "Tree ensembles",
    "linear": "Linear models",
    "deep:tables": "Nets for tables",
    "deep:images": "Nets for images",
    "deep:sequences": "Nets for sequences",
    "baseline": "Baseline",
    "other": "Other",
}


def group_of(spec: EstimatorSpec) -> str:
    """The key of :data:`GROUPS` ``spec`` is listed under: its family, and for a net what its
    capabilities say it suits (images, sequences, else tables)."""
    if spec.family != "deep":
        return spec.family
    if "needs_images" in spec.capabilities:
        return "deep:images"
    if "needs_sequences" in spec.capabilities:
        return "deep:sequences"
    return "deep:tables"


def select(tokens: Iterable[str]) -> list[str]:
    """Resolve CLI/config tokens to estimator names: a name, a family (``ensemble``), or
    ``all``.

    Order follows the tokens (a family's and all's names in :func:`names` order); a name
    given twice is kept once.
    """
    everything = names()
    chosen: dict[str, None] = {}
    for token in tokens:
        if token == "all":
            matches = everything
        elif token in _SPECS:
            matches = [token]
        elif token in FAMILIES:
            matches = [name for name in everything if first_version(_SPECS[name]).family == token]
            if not matches:
                raise ConfigError(f"no registered estimator is in the family {token!r}.")
        else:
            families = {first_version(found).family for found in _SPECS.values()}
            raise unknown_name("estimator", token, [*_SPECS, *families, "all"])
        chosen.update(dict.fromkeys(matches))
    return list(chosen)
