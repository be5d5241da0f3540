"""One hyperparameter search: an estimator's trials on one outer fold, drawn by Optuna.

:class:`Search` is one (dataset, estimator, seed, fold)'s search (``ask``, ``tell``,
``restore``, ``best``); :class:`Budget` its trials and/or seconds. The harness owns
execution, isolation and storage; Optuna owns only the sampling, through its ask-and-tell
API (``study.ask`` / ``study.tell``) on an in-memory study. The run's store is the search's
memory: a resumed run tells the study every stored trial again (``study.add_trial``,
through :meth:`Search.restore`), so the sampler sees them and none is rerun.

- Trial 0 is the estimator's defaults (no values drawn). Trial n >= 1 draws from the space
  with a sampler seeded by (seed, dataset, estimator, fold, n): the random sampler's trial n
  is the same config whatever ran before it, in whichever order, so a resumed search is the
  search an uninterrupted run makes. The grid (each range's points, every combination once)
  is walked in an order shuffled once per search, so it resumes exactly too; TPE is as
  reproducible as the order in which trials finish.
- The budget is a number of trials and/or a time in seconds (the sum of the finished trials'
  own seconds); no trial starts once it is spent, and those in flight finish.
- The selection reads ``val_score`` only: the best trial is the best validation score, ties
  to the lowest trial number (so the defaults win a tie, and tuned >= default on validation).
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

from treesvsnets.estimators.space import SearchSpace
from treesvsnets.tasks import Metric

#: the trials a time budget alone may start at most (a guard, never reached in practice)
MAX_TRIALS = 100_000


@dataclass(frozen=True)
class Budget:
    trials: int | None = None  # trial 0 included
    seconds: float | None = None

    def describe(self) -> str:
        parts = []
        if self.trials is not None:
            parts.append(f"{self.trials} trials")
        if self.seconds is not None:
            parts.append(f"{self.seconds:g} s")
        return " or ".join(parts)


def trial_seed(seed: int, dataset: str, estimator: str, fold: int, trial: int) -> int:
    """The sampler seed of one trial: stable across processes and Python versions."""
    return zlib.crc32(f"{seed}|{dataset}|{estimator}|{fold}|{trial}".encode())


def _sampler(kind: str, seed: int) -> Any:
    import optuna

    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


@dataclass
class Search:
    """The trials of one (dataset, estimator, seed, fold), asked from and told to Optuna."""

    dataset: str
    estimator: str
    seed: int
    fold: int
    space: SearchSpace
    metric: Metric
    sampler: str = "random"
    budget: Budget = field(default_factory=Budget)
    defaults: dict[str, Any] = field(default_factory=dict)  # the estimator's resolved params
    finished: dict[int, dict[str, Any]] = field(default_factory=dict)  # trial -> its row
    running: dict[int, Any] = field(default_factory=dict)  # trial -> Optuna's trial (or None)

    def __post_init__(self) -> None:
        import optuna

        optuna.logging.get_logger("optuna").setLevel(optuna.logging.WARNING)
        direction = "maximize" if self.metric.higher_is_better else "minimize"
        self._distributions = self.space.optuna()
        self.study = optuna.create_study(
            direction=direction, sampler=optuna.samplers.RandomSampler(seed=self.seed)
        )

    # -- budget -----------------------------------------------------------------------------
    @property
    def max_trials(self) -> int:
        limit = self.budget.trials if self.budget.trials is not None else MAX_TRIALS
        if self.sampler == "grid":  # every grid point once, after the defaults
            limit = min(limit, self.space.grid_size() + 1)
        return limit

    @property
    def seconds_spent(self) -> float:
        return sum(row.get("seconds") or 0.0 for row in self.finished.values())

    def _spent(self) -> bool:
        if len(self.finished) + len(self.running) >= self.max_trials:
            return True
        return self.budget.seconds is not None and self.seconds_spent >= self.budget.seconds

    @property
    def done(self) -> bool:
        """No trial will start, and none is running."""
        return not self.running and (self._spent() or self._next_number() is None)

    def _next_number(self) -> int | None:
        taken = self.finished.keys() | self.running.keys()
        return next((n for n in range(self.max_trials) if n not in taken), None)

    # -- ask and tell -----------------------------------------------------------------------
    def ask(self) -> tuple[int, dict[str, Any]] | None:
        """The next trial's number and drawn values ({} for trial 0), or None when the budget
        allows no more."""
        number = self._next_number()
        if number is None or self._spent():
            return None
        if number == 0:
            self.running[0] = None
            return 0, {}
        if self.sampler == "grid":
            self.running[number] = None
            return number, self._grid_point(number)
        self.study.sampler = _sampler(
            self.sampler, trial_seed(self.seed, self.dataset, self.estimator, self.fold, number)
        )
        trial = self.study.ask(self._distributions)
        self.running[number] = trial
        return number, dict(trial.params)

    def tell(self, row: dict[str, Any]) -> None:
        """A finished trial's row (any status): recorded, and told to the sampler."""
        number = int(row["trial"])
        trial = self.running.pop(number, None)
        self.finished[number] = dict(row)
        value = self.value(row)
        if trial is not None:
            import optuna
            from optuna.trial import TrialState

            # the sampler is only for asking: the grid's after_trial would call study.stop(),
            # which Optuna allows only inside study.optimize
            self.study.sampler = optuna.samplers.RandomSampler(seed=self.seed)
            if value is None:
                self.study.tell(trial, state=TrialState.FAIL)
            else:
                self.study.tell(trial, value)
        else:  # trial 0, or a trial of an earlier session of this run (resume)
            sampled = json.loads(row.get("params") or "{}") if number else self._default_values()
            self._add(sampled, value)

    def restore(self, rows: list[dict[str, Any]]) -> None:
        """The stored trials of an interrupted run, told again in trial order."""
        for row in sorted(rows, key=lambda r: int(r["trial"])):
            self.tell(row)

    def _grid_point(self, number: int) -> dict[str, Any]:
        """Trial n >= 1 of a grid search: the (n-1)-th point of the grid in an order shuffled
        once per search (seeded), so every point is tried once, in the same order however the
        trials are run or resumed."""
        if not hasattr(self, "_grid"):
            import itertools

            import numpy as np

            grid = self.space.grid()
            points = list(itertools.product(*grid.values()))
            seed = trial_seed(self.seed, self.dataset, self.estimator, self.fold, 0)
            order = np.random.default_rng(seed).permutation(len(points))
            self._grid = [dict(zip(grid, points[i], strict=True)) for i in order]
        return dict(self._grid[number - 1])

    def value(self, row: dict[str, Any]) -> float | None:
        """A finished trial's validation score; None for a failed one (or a non-finite score)."""
        value = row.get("val_score")
        ok = row.get("status") == "ok" and value is not None and math.isfinite(value)
        return float(value) if ok else None

    def _default_values(self) -> dict[str, Any]:
        """The defaults, as far as the space can express them (what TPE learns from)."""
        return {
            name: self.defaults[name]
            for name, dist in self.space.distributions.items()
            if name in self.defaults and dist.contains(self.defaults[name])
        }

    def _add(self, sampled: dict[str, Any], value: float | None) -> None:
        import optuna
        from optuna.trial import TrialState

        distributions = {k: v for k, v in self._distributions.items() if k in sampled}
        params = {k: v for k, v in sampled.items() if k in distributions}
        state = TrialState.COMPLETE if value is not None else TrialState.FAIL
        try:
            trial = optuna.trial.create_trial(
                params=params, distributions=distributions, value=value, state=state
            )
        except ValueError:  # a stored value outside today's space (an edited space file)
            trial = optuna.trial.create_trial(params={}, distributions={}, value=value, state=state)
        self.study.add_trial(trial)

    # -- the outcome ------------------------------------------------------------------------
    def best(self) -> dict[str, Any] | None:
        """The finished trial with the best validation score (ties: the lowest number), or
        None when no trial succeeded. Reads ``val_score`` only."""
        scored = [(n, self.value(row)) for n, row in self.finished.items()]
        scored = [(n, value) for n, value in scored if value is not None]
        if not scored:
            return None
        sign = -1.0 if self.metric.higher_is_better else 1.0
        number = min(scored, key=lambda item: (sign * item[1], item[0]))[0]
        return self.finished[number]

    @property
    def key(self) -> tuple[str, str, int, int]:
        return (self.dataset, self.estimator, self.seed, self.fold)
