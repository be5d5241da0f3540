"""EstimatorSpec: everything the harness needs to know about one estimator.

A spec is a recipe, not a fitted model: a factory plus the parameters the
harness passes to it. The factory imports its library lazily, so listing the
registry never pays for importing xgboost, lightgbm or torch.

A spec (:class:`EstimatorSpec`) is one estimator for one task: its name, family (one of
:data:`FAMILIES`), factory, default parameters, per-fold preprocessing, the names of its seed
and thread parameters, capabilities, source, ``task`` (what the factory builds) and
``relative_cost`` (which only orders cells, costliest first, when several run at once).
:func:`specs_per_task` turns one declaration (a classifier with ``regressor=``,
``regressor_params=``, ``regressor_space=``) into a spec per task; the registry stores
each. ``build`` makes one cell's estimator; ``check_params`` refuses bad parameter names and
values before any training. ``space`` and ``space_params`` make ``search_space`` (what
``--tune`` searches), and ``with_space`` puts the user's (``[spaces.NAME]``, ``--space``) in
its place. ``requires`` names the package of an optional estimator, installed by the extra
of that name (catboost); ``installed`` and ``install_hint`` say whether it is there and how
to get it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from treesvsnets.errors import ConfigError, did_you_mean
from treesvsnets.estimators.capabilities import check_can_act_on, checked
from treesvsnets.estimators.space import SearchSpace, parse_space
from treesvsnets.tasks import CLASSIFICATION, REGRESSION, TASKS

#: the family of the floor every result is read against (reports/baseline.py tests against it)
BASELINE_FAMILY = "baseline"
#: the nets' family: its estimators may load a deep-learning library (torch) in a worker
DEEP_FAMILY = "deep"
FAMILIES = ("ensemble", "linear", DEEP_FAMILY, BASELINE_FAMILY, "other")
#: what ``-e`` reads as a family or every estimator: no estimator's name
RESERVED = (*FAMILIES, "all")
#: the estimator every run adds unless told not to
BASELINE = "dummy"


@dataclass(frozen=True)
class EstimatorSpec:
    """How to build one estimator for one cell.

    ``factory(**params)`` returns a scikit-learn compatible estimator for ``task`` (a
    classifier by default). A spec is one estimator for one task: one name stands for one
    idea across tasks, and the registry holds a spec per (name, task) (see
    :func:`specs_per_task`, which declares a classifier with its regression twin). The
    harness adds the cell's seed under ``seed_param`` and its thread budget
    under ``threads_param`` (either may be ``None`` when the estimator has no
    such parameter; its threads are then limited with threadpoolctl only).
    ``preprocessing`` names the per-fold transformer fitted on the training
    fold before the estimator sees the data (see ``datasets.preprocessing``).
    """

    name: str
    family: str
    factory: Callable[..., Any]
    default_params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    preprocessing: str = "none"
    seed_param: str | None = "random_state"
    threads_param: str | None = "n_jobs"
    capabilities: frozenset[str] = frozenset()
    source: str = "builtin"
    #: rough fit seconds of 5-fold digits on 2 cores; only orders cells when several run at
    #: once (the costliest start first, so no core idles at the end of the run)
    relative_cost: float = 1.0
    task: str = CLASSIFICATION  # what ``factory`` builds
    #: the distributions ``--tune`` searches (see :mod:`.space` for the form); empty: the
    #: estimator is not tuned (its default rows only)
    space: Mapping[str, Any] | None = None
    #: turns one trial's sampled values into parameters (the nets' width and depth ->
    #: hidden_units); a module-level function, so that the spec pickles
    space_params: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    #: the package an optional estimator imports, installed by the extra of the same name
    #: (``pip install 'treesvsnets[catboost]'``); None: it needs only the core install
    requires: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or self.name in RESERVED:
            raise ConfigError(
                f"an estimator is registered under the name {self.name!r}; a name is a "
                f"non-empty string other than {', '.join(RESERVED)} (which -e reads as a family "
                "or every estimator)."
            )
        if any(mark in self.name for mark in ("/", "\\", "\0")) or self.name in (".", ".."):
            raise ConfigError(
                f"an estimator is registered under the name {self.name!r}; a name is part of "
                "the file names a run writes in its folder (trials/<dataset>/<name>/...), so it "
                "cannot hold '/', '\\' or a NUL, nor be '.' or '..'."
            )
        self._check_fields()
        if not callable(self.factory):
            raise ConfigError(
                f"estimator {self.name!r} is registered with {self.factory!r}, which cannot "
                "build it: give a function or an estimator class."
            )
        if self.family not in FAMILIES:
            raise ConfigError(
                f"estimator {self.name!r} has family {self.family!r}; "
                f"choose from: {', '.join(FAMILIES)}."
            )
        if self.task not in TASKS:
            raise ConfigError(
                f"estimator {self.name!r} has task {self.task!r}; choose from: {', '.join(TASKS)}."
            )
        object.__setattr__(
            self, "capabilities", checked(self.capabilities, f"estimator {self.name!r}")
        )
        check_can_act_on(self.factory, self.capabilities, f"estimator {self.name!r}")
        object.__setattr__(self, "default_params", dict(self.default_params))
        # a malformed search space is refused here, when the estimator is declared
        parse_space(self.space, f"the search space of estimator {self.name!r}")

    def _check_fields(self) -> None:
        """Refuse, at registration, a preprocessing that does not exist, a cost that is no
        number, and parameter names that are not strings."""
        from treesvsnets.datasets.preprocessing import PREPROCESSORS

        where = f"estimator {self.name!r}"
        if self.preprocessing not in PREPROCESSORS:
            raise ConfigError(
                f"{where} has preprocessing {self.preprocessing!r}; choose from: "
                f"{', '.join(PREPROCESSORS)}."
            )
        cost = self.relative_cost
        if isinstance(cost, bool) or not isinstance(cost, int | float) or not cost >= 0:
            raise ConfigError(f"{where} has relative_cost {cost!r}; give a number of 0 or more.")
        for field_name in ("seed_param", "threads_param"):
            if not isinstance(getattr(self, field_name), str | None):
                raise ConfigError(
                    f"{where} has {field_name} {getattr(self, field_name)!r}; give a parameter "
                    "name or None."
                )

    @property
    def search_space(self) -> SearchSpace:
        """The space ``--tune`` searches (empty when the estimator declares none)."""
        return parse_space(
            self.space, f"the search space of estimator {self.name!r}", self.space_params
        )

    def with_space(self, raw: Mapping[str, Any]) -> EstimatorSpec:
        """This spec with the user's space (``[spaces.NAME]``, ``--space``) in place of its own."""
        parse_space(raw, f"the search space of estimator {self.name!r}", self.space_params)
        return replace(self, space=dict(raw))

    @property
    def installed(self) -> bool:
        """Whether the package the estimator needs (``requires``) can be imported here."""
        if self.requires is None:
            return True
        from importlib.util import find_spec

        return find_spec(self.requires) is not None

    @property
    def install_hint(self) -> str:
        """How to install what the estimator needs, in a few words: a built-in's extra, or
        (a plugin's) the package itself."""
        if self.source == "builtin":
            return f"pip install 'treesvsnets[{self.requires}]'"
        return f"pip install {self.requires} (or the package that provides it)"

    @property
    def uses_threads(self) -> bool:
        """Whether a thread budget above 1 can help: it declares ``multithreaded`` or takes one."""
        return "multithreaded" in self.capabilities or self.threads_param is not None

    def thread_budget(self, offered: int | None) -> int | None:
        """The threads one cell of this estimator gets out of ``offered``.

        ``None`` (a Dask worker decides) passes through. A single-threaded estimator gets 1:
        more would only reach the BLAS under it, where small problems run slower threaded
        (logistic regression on digits: 0.3 s per fold with 2 OpenBLAS threads, 0.025 s with 1).
        """
        return offered if self.uses_threads else 1

    def resolve_params(
        self, overrides: Mapping[str, Any] | None = None, *, seed: int, threads: int
    ) -> dict[str, Any]:
        """The exact parameters one cell's estimator is built with (and recorded with)."""
        params = dict(self.default_params)
        if self.seed_param:
            params[self.seed_param] = seed
        if self.threads_param:
            params[self.threads_param] = threads
        params.update(overrides or {})
        return params

    def build(self, overrides: Mapping[str, Any] | None = None, *, seed: int, threads: int) -> Any:
        """A fresh, unfitted estimator for one cell.

        Keys with ``__`` (``rf__n_estimators`` for a stacking member) are set
        with ``set_params`` after construction, as scikit-learn nests them.
        """
        params = self.resolve_params(overrides, seed=seed, threads=threads)
        nested = {key: value for key, value in params.items() if "__" in key}
        flat = {key: value for key, value in params.items() if "__" not in key}
        estimator = self.factory(**flat)
        if nested:
            estimator.set_params(**nested)
        return estimator

    def check_params(self, overrides: Mapping[str, Any]) -> None:
        """Refuse, before any training, parameter names the estimator does not have and
        values it would refuse at fit time (see :func:`validate_params`)."""
        if not overrides:
            return
        known = set(self.default_params) | {self.seed_param, self.threads_param}
        unknown = [key for key in overrides if key not in known]
        if unknown:
            try:
                known |= set(self.build(seed=0, threads=1).get_params(deep=True))
            except Exception as exc:  # noqa: BLE001 - the user's class may raise anything
                message = " ".join(str(exc).split()) or "no message"
                raise ConfigError(
                    f"estimator {self.name!r} cannot be built to check the parameters "
                    f"{', '.join(map(repr, unknown))} ({type(exc).__name__}: {message})."
                ) from None
        for key in unknown:
            if key not in known:
                choices = sorted(k for k in known if k)
                hint = did_you_mean(key, choices)
                raise ConfigError(
                    f"estimator {self.name!r} has no parameter {key!r}; "
                    f"its parameters are: {', '.join(choices)}.{hint}"
                )
        try:
            validate_params(self.build(overrides, seed=0, threads=1))
        except ConfigError as exc:
            raise ConfigError(f"estimator {self.name!r}: {exc}") from None
        except (ValueError, TypeError) as exc:  # scikit-learn's InvalidParameterError is both
            message = " ".join(str(exc).split())
            fixed = re.search(r"got multiple values for (?:keyword )?argument '(\w+)'", message)
            if fixed:  # TorchNet.__init__() got multiple values for argument 'architecture'
                message = (
                    f"{fixed.group(1)!r} is set by the estimator itself (it is what "
                    f"{self.name!r} is), not a parameter to give"
                )
            ending = "" if message.endswith((".", "?", "!")) else "."
            raise ConfigError(f"estimator {self.name!r}: {message}{ending}") from None
        except Exception:  # noqa: BLE001 - not a parameter problem: its cells record it
            return


def specs_per_task(
    *,
    regressor: Callable[..., Any] | None = None,
    regressor_params: Mapping[str, Any] | None = None,
    regressor_space: Mapping[str, Any] | None = None,
    **fields: Any,
) -> tuple[EstimatorSpec, ...]:
    """The specs one declaration makes: ``EstimatorSpec(**fields)`` (a classifier unless
    ``task=`` says otherwise) and, with ``regressor=``, its regression twin of the same name,
    built by ``regressor(**regressor_params)`` (``default_params`` when None), searching
    ``regressor_space`` (``space`` when None), without ``predict_proba`` or ``argmax_predict``."""
    spec = EstimatorSpec(**fields)
    if regressor is None:
        if regressor_params is not None or regressor_space is not None:
            raise ConfigError(
                f"estimator {spec.name!r}: regressor_params= and regressor_space= go with "
                "regressor=, the factory of its regression version."
            )
        return (spec,)
    if spec.task != CLASSIFICATION:
        raise ConfigError(
            f"estimator {spec.name!r}: a regressor= goes with a classifier's factory; "
            "register a regression-only estimator with task='regression'."
        )
    params = spec.default_params if regressor_params is None else regressor_params
    twin = replace(
        spec,
        factory=regressor,
        default_params=dict(params),
        task=REGRESSION,
        capabilities=spec.capabilities - {"predict_proba", "argmax_predict"},
        space=spec.space if regressor_space is None else regressor_space,
    )
    return spec, twin


def validate_params(estimator: Any) -> None:
    """Check an unfitted estimator's parameter values the way its ``fit`` would, without
    fitting: scikit-learn's declared parameter constraints (``_validate_params``, which names
    the parameter, the allowed range and the value given), then the same for every estimator
    nested in it (a stacking member, a bagged tree); an estimator of ours checks itself with
    ``validate_params()``. Estimators that declare neither (XGBoost, LightGBM) check their
    values when their cell fits, and a bad one fails those cells."""
    if callable(getattr(estimator, "validate_params", None)):
        estimator.validate_params()
    elif hasattr(estimator, "_parameter_constraints") and hasattr(estimator, "_validate_params"):
        estimator._validate_params()
    if not hasattr(estimator, "get_params"):
        return
    for value in estimator.get_params(deep=False).values():
        nested = value if isinstance(value, list | tuple) else [value]
        for item in nested:
            member = item[-1] if isinstance(item, tuple) and item else item
            if hasattr(member, "get_params") and not isinstance(member, type):
                validate_params(member)
