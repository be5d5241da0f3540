"""Search spaces: the hyperparameter distributions an estimator is tuned over.

A space is a plain mapping from a parameter name to a distribution, in a form that reads the
same in Python (a plugin's registration), in a TOML config (``[spaces.rf]``) and in a
``--space FILE.toml``:

- ``{float = [low, high]}``, with ``log = true`` for a log-uniform range;
- ``{int = [low, high]}``, with ``log = true`` and/or ``step = k``;
- ``{choice = [a, b, ...]}``, or a bare list ``[a, b, ...]``: one of the values (numbers,
  strings, booleans; the string ``"None"`` stands for Python's None, which TOML lacks).

A name is an estimator parameter (``n_estimators``), a nested one (``estimator__max_depth``
for AdaBoost's base tree), or a name the spec's ``space_params`` turns into parameters (the
nets' ``width`` and ``depth`` become ``hidden_units``). This module imports nothing heavy:
Optuna is imported only by :meth:`Distribution.to_optuna`.

:class:`Distribution` is one parameter's (a float or int range, log or stepped, or a choice:
its Optuna distribution, its grid points, ``contains``, ``describe``); :class:`SearchSpace`
an estimator's distributions and how sampled values become parameters (``params``), with the
corners that reach every bound and the grid. :func:`parse_space` and
:func:`parse_distribution` read the form above, refusing a malformed one in one sentence that
names where it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from treesvsnets.errors import ConfigError

#: a choice may hold these (what Optuna's categorical distribution and JSON both keep)
_SCALARS = (type(None), bool, int, float, str)
#: the points of a numeric range that the grid sampler tries
GRID_POINTS = 5
#: the form, for error messages and docs
FORM = (
    "{float = [low, high]} or {int = [low, high]} (optionally log = true, step = k), "
    "or {choice = [values]}"
)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Distribution:
    """One parameter's distribution: ``kind`` is float, int or choice."""

    kind: str
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    step: int | float | None = None
    choices: tuple[Any, ...] = ()

    def to_optuna(self) -> Any:
        import optuna.distributions as d

        if self.kind == "choice":
            return d.CategoricalDistribution(self.choices)
        if self.kind == "int":
            return d.IntDistribution(
                int(self.low), int(self.high), log=self.log, step=self.step or 1
            )
        return d.FloatDistribution(self.low, self.high, log=self.log, step=self.step)

    def grid(self, points: int = GRID_POINTS) -> list[Any]:
        """The values a grid search tries: every choice, or ``points`` spread over the range
        (log-spaced for a log range; every integer when there are no more than ``points``)."""
        if self.kind == "choice":
            return list(self.choices)
        low, high = self.low, self.high
        if self.kind == "int" and (high - low) // (self.step or 1) + 1 <= points:
            return list(range(int(low), int(high) + 1, int(self.step or 1)))
        if self.log:
            values = [
                math.exp(math.log(low) + i * (math.log(high) - math.log(low)) / (points - 1))
                for i in range(points)
            ]
        else:
            values = [low + i * (high - low) / (points - 1) for i in range(points)]
        if self.kind == "int":
            return sorted({int(round(v)) for v in values})
        return [float(f"{v:.6g}") for v in values]

    def contains(self, value: Any) -> bool:
        if self.kind == "choice":
            return any(value is c or (type(value) is type(c) and value == c) for c in self.choices)
        if not _number(value) or (self.kind == "int" and not float(value).is_integer()):
            return False
        return self.low <= value <= self.high

    def extremes(self) -> list[Any]:
        """The values that bound it (each choice; a range's two ends), to check against the
        estimator before any trial runs."""
        return list(self.choices) if self.kind == "choice" else [self.low, self.high]

    def describe(self) -> str:
        if self.kind == "choice":
            return "{" + ", ".join(_show(c) for c in self.choices) + "}"
        extra = " log" if self.log else ""
        extra += f" step {self.step}" if self.step else ""
        return f"{self.kind} [{_show(self.low)}, {_show(self.high)}]{extra}"


def _show(value: Any) -> str:
    return "None" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def parse_distribution(raw: Any, where: str) -> Distribution:
    """A distribution from its documented form; one sentence naming ``where`` when it is not."""

    def bad(why: str) -> ConfigError:
        return ConfigError(f"{where}: {why}; write {FORM}, got {raw!r}.")

    if isinstance(raw, Distribution):
        return raw
    if isinstance(raw, list | tuple):
        raw = {"choice": list(raw)}
    if not isinstance(raw, Mapping):
        raise bad("a distribution must be a table (fix a single value with --param instead)")
    kinds = [kind for kind in ("float", "int", "choice") if kind in raw]
    unknown = set(raw) - {"float", "int", "choice", "log", "step"}
    if len(kinds) != 1 or unknown:
        what = (
            f"unknown key(s) {', '.join(sorted(map(str, unknown)))}"
            if unknown
            else ("exactly one of float, int or choice is needed")
        )
        raise bad(what)
    kind = kinds[0]
    if kind == "choice":
        choices = raw["choice"]
        if "log" in raw or "step" in raw:
            raise bad("a choice takes no log or step")
        if not isinstance(choices, list | tuple) or not choices:
            raise bad("a choice needs a non-empty list of values")
        values = tuple(None if c == "None" else c for c in choices)
        if not all(isinstance(c, _SCALARS) for c in values):
            raise bad('a choice\'s values must be numbers, strings, booleans or "None"')
        if len(set(map(repr, values))) != len(values):
            raise bad("a choice's values must not repeat")
        return Distribution("choice", choices=values)
    bounds = raw[kind]
    if not (isinstance(bounds, list | tuple) and len(bounds) == 2 and all(map(_number, bounds))):
        raise bad(f"{kind} needs [low, high], two numbers")
    low, high = bounds
    if not all(math.isfinite(b) for b in bounds):  # optuna's OverflowError, mid-run
        raise bad(f"{kind} needs finite bounds")
    if kind == "int" and not all(float(b).is_integer() for b in bounds):
        raise bad("an int range needs whole-number bounds")
    if not low < high:
        raise bad("low must be below high")
    log = raw.get("log", False)
    if not isinstance(log, bool):
        raise bad("log must be true or false")
    if log and low <= 0:
        raise bad("a log range needs low > 0")
    step = raw.get("step")
    if step is not None:
        if not _number(step) or step <= 0 or (kind == "int" and not float(step).is_integer()):
            raise bad("step must be a positive number (a whole number for an int range)")
        if log:
            raise bad("a log range takes no step")
    if kind == "int":
        return Distribution("int", int(low), int(high), log, int(step) if step else None)
    return Distribution("float", float(low), float(high), log, step)


#: turns sampled values into the estimator's parameters (``width``, ``depth`` -> hidden_units)
SpaceParams = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class SearchSpace:
    """An estimator's distributions, and how sampled values become its parameters."""

    distributions: Mapping[str, Distribution]
    to_params: SpaceParams | None = None

    def __bool__(self) -> bool:
        return bool(self.distributions)

    def params(self, sampled: Mapping[str, Any]) -> dict[str, Any]:
        """The estimator parameters of one trial's sampled values (none for the defaults;
        ``to_params`` must also take a part of its names: those fixed by ``--param`` are not
        drawn)."""
        values = dict(sampled)
        if not values or self.to_params is None:
            return values
        return self.to_params(values)

    def without(self, fixed: Mapping[str, Any]) -> SearchSpace:
        """This space less the names ``fixed`` gives a value (``--param``), and less those
        that only make fixed parameters (dense's width and depth make hidden_units:
        `--param dense.hidden_units=[64]` was tuned to four layers of 208)."""
        corner = next(iter(self.corners()), {})

        def makes(name: str) -> set[str]:
            try:
                return set(self.params({name: corner[name]}))
            except Exception:  # noqa: BLE001 - a plugin's to_params may need every name
                return {name}

        kept = {
            name: dist
            for name, dist in self.distributions.items()
            if name not in fixed and not makes(name) <= set(fixed)
        }
        return SearchSpace(kept, self.to_params)

    def optuna(self) -> dict[str, Any]:
        return {name: dist.to_optuna() for name, dist in self.distributions.items()}

    def grid(self) -> dict[str, list[Any]]:
        return {name: dist.grid() for name, dist in self.distributions.items()}

    def grid_size(self) -> int:
        return math.prod(len(values) for values in self.grid().values())

    def corners(self) -> list[dict[str, Any]]:
        """A few points that together reach every bound of every distribution (each
        distribution's i-th extreme, the last one repeated), to check before any trial."""
        extremes = {name: dist.extremes() for name, dist in self.distributions.items()}
        count = max((len(values) for values in extremes.values()), default=0)
        return [
            {name: values[min(i, len(values) - 1)] for name, values in extremes.items()}
            for i in range(count)
        ]

    def describe(self) -> str:
        return ", ".join(f"{name} {dist.describe()}" for name, dist in self.distributions.items())

    def to_dict(self) -> dict[str, str]:
        return {name: dist.describe() for name, dist in self.distributions.items()}


def parse_space(
    raw: Mapping[str, Any] | SearchSpace | None, where: str, to_params: SpaceParams | None = None
) -> SearchSpace:
    """A SearchSpace from ``{name: distribution}`` (see the module's docstring)."""
    if isinstance(raw, SearchSpace):
        return raw
    if raw is None:
        return SearchSpace({}, to_params)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a table of parameter = distribution, got {raw!r}.")
    distributions = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}: a parameter name must be text, got {name!r}.")
        distributions[name] = parse_distribution(value, f"{where}, parameter {name!r}")
    return SearchSpace(distributions, to_params)
