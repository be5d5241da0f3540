"""What the executors run, handed out as it becomes ready.

A run without tuning knows all its jobs before the first one starts: :class:`JobFeed`
hands them out in order. A tuned run does not: a search's next trial is drawn once earlier
ones are told (TPE learns from them; a time budget is read from them), and its tuned cell
exists only once its search is over. :class:`TuningFeed` interleaves, for every outer fold of
every tuned estimator, the default cell, the search's trials and the tuned refit (and, with
``--ensemble``, the :class:`EnsembleJob` that weighs the trials into the tuned+ensembled
row). Executors call :meth:`JobFeed.take` whenever a worker is free and the harness calls
:meth:`JobFeed.record` with every row before the executor goes on, so trials are jobs like
cells: the same workers, limits, thread budget, executors and Dask.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from treesvsnets.bench.cells.splits import SplitPlan
from treesvsnets.bench.plan.jobs import CellJob, Job, JobRunner, Limits, TrialJob
from treesvsnets.bench.tune.search import MAX_TRIALS, Search
from treesvsnets.bench.tune.selection import STEPS
from treesvsnets.datasets.base import Dataset
from treesvsnets.results.row import (
    BLEND,
    BLEND_FAMILY,
    TUNED,
    TUNED_ENSEMBLED,
    CellIdentity,
    is_trial,
    result_row,
)


class JobFeed:
    """A fixed list of jobs, in order."""

    #: whether the jobs it gives depend on the rows recorded so far (a fixed list's do not:
    #: an executor may hand a worker its next job before the last rows are stored)
    learns = False

    def __init__(self, jobs: Iterable[Job]) -> None:
        self._pending = deque(jobs)

    def take(self) -> Job | None:
        """The next job to start, or None when none is ready now."""
        return self._pending.popleft() if self._pending else None

    def record(self, row: dict[str, Any]) -> None:
        """A row the harness has stored (a fixed list has nothing to learn from it)."""

    @property
    def exhausted(self) -> bool:
        """No job is left now, and none will come."""
        return not self._pending

    def width(self) -> int:
        """How many jobs could run at once (how many workers are worth starting)."""
        return len(self._pending)

    @property
    def cells(self) -> int:
        """The cells (result rows) still to come."""
        return sum(len(job.members) for job in self._pending)

    def cells_by_dataset(self) -> dict[str, int]:
        """The cells still to come, by dataset (what the progress bars count)."""
        return dict(Counter(m.cell.dataset for job in self._pending for m in job.members))


#: (search, the trial row just told) -> nothing; the harness prints a progress line
TrialListener = Callable[[Search, dict[str, Any]], None]


@dataclass(frozen=True)
class EnsembleJob(CellJob):
    """A tuned+ensembled row: greedy ensemble selection over successful trials' kept
    predictions (``trials``: (estimator, trial number) pairs on this cell's fold), by the
    run's ``metric``, ``steps`` steps. It fits nothing. For one search's trials its identity is
    the tuned row's, with its own ``tuning``; a ``blend`` pools the trials of several."""

    trials: tuple[tuple[str, int], ...] = ()
    metric: str = "accuracy"
    steps: int = 40
    tune_cv: int = 0  # how the trials were scored: their fits' sizes are the row's

    @property
    def wants_lean_worker(self) -> bool:
        """No: it fits nothing, so no library a worker holds weighs on what it records."""
        return False

    def execute(
        self, runner: JobRunner, dataset: Dataset, split_plan: SplitPlan
    ) -> list[dict[str, Any]]:
        """Select and score the ensemble: its row (one, in a list)."""
        from treesvsnets.bench.tune.ensemble import predictions_path, run_ensemble
        from treesvsnets.bench.tune.trial import fit_sizes
        from treesvsnets.tasks import primary

        one = len({estimator for estimator, _ in self.trials}) == 1
        dataset_name, _, seed, fold = self.cell.key
        files = {
            n if one else f"{estimator}/{n}": predictions_path(
                self.artifacts_dir or ".", dataset_name, estimator, seed, fold, n
            )
            for estimator, n in self.trials
        }
        measurement = run_ensemble(
            dataset,
            split_plan,
            self.cell.fold,
            files,
            primary(dataset.task, self.metric),
            self.steps,
            self.cell.threads or 1,
        )
        measurement.versions_hash = runner.versions_hash
        identity = self.identity
        if self.trials:  # the members' sizes (a blend's: those of its first member's fits)
            spec = runner.spec(self.trials[0][0], dataset.task)
            sizes = fit_sizes(spec, self.cell, dataset, split_plan, self.tune_cv)
            identity = replace(identity, **sizes)
        return [result_row(identity, measurement)]


class _SearchSlot:
    """One search, the default cell it refits from (its template), and the rows it ends with
    (``wanted``: tuned, and tuned+ensembled with ``--ensemble``; a resumed run wants only
    those it lacks). ``ensemble_steps``: None without ``--ensemble``, else Caruana's steps
    (the trials then keep their predictions)."""

    def __init__(
        self,
        search: Search,
        template: CellJob,
        tune_cv: int,
        ensemble_steps: int | None = None,
        wanted: tuple[str, ...] = (TUNED,),
    ) -> None:
        self.search = search
        self.template = template
        self.tune_cv = tune_cv
        self.ensemble_steps = ensemble_steps
        self.ends = list(wanted)
        self.closed = False

    def take(self) -> Job | None:
        if self.closed:
            return None
        asked = self.search.ask()
        if asked is not None:
            number, sampled = asked
            return self._trial_job(number, sampled)
        if not self.search.done:
            return None  # trials still running: the refit waits for them
        if not self.ends:  # a resumed run's search, kept for a blend that needs its trials
            self.closed = True
            return None
        end = self.ends.pop(0)
        self.closed = not self.ends
        return self._tuned_job() if end == TUNED else self._ensemble_job()

    def _trial_job(self, number: int, sampled: dict[str, Any]) -> TrialJob:
        template = self.template
        params = {**template.cell.params, **self.search.space.params(sampled)}
        return TrialJob(
            cell=replace(template.cell, params=params, verbose=False),
            dataset=template.dataset,
            plan=template.plan,
            identity=template.identity,
            limits=self._trial_limits(),
            artifacts_dir=template.artifacts_dir,
            trial=number,
            sampler=self.search.sampler if number else "default",
            sampled=json.dumps(sampled, sort_keys=True),
            tune_cv=self.tune_cv,
            metric=self.search.metric.column,
            keep_predictions=self.ensemble_steps is not None,
        )

    def _trial_limits(self) -> Limits:
        """A trial's limits: the cell's, and with ``--tune-time`` no longer than the search's
        whole budget (a trial that hangs would otherwise hold its search, and the run, forever
        where no ``--timeout`` is set; one that outlasts the whole budget has no place in it)."""
        limits, budget = self.template.limits, self.search.budget.seconds
        if budget is None or (limits.seconds is not None and limits.seconds <= budget):
            return limits
        return replace(limits, seconds=budget, seconds_from="--tune-time, the search's budget")

    def _identity(self, tuning: str) -> CellIdentity:
        """The row's identity: the default's, with the search's outcome."""
        search = self.search
        best = search.best()
        return replace(
            self.template.identity,
            tuning=tuning,
            n_trials=len(search.finished),
            tuning_seconds=search.seconds_spent,
            best_params=json.dumps(json.loads(best["params"]) if best else {}, sort_keys=True),
            best_trial=None if best is None else int(best["trial"]),
        )

    def _tuned_job(self) -> CellJob:
        """The refit of the best trial's config, exactly as the default cell is fitted; a
        search none of whose trials succeeded refits the defaults (its best_trial is empty,
        and the report says so)."""
        template = self.template
        identity = self._identity(TUNED)
        sampled = json.loads(identity.best_params)
        params = {**template.cell.params, **self.search.space.params(sampled)}
        return replace(template, cell=replace(template.cell, params=params), identity=identity)

    def _ensemble_job(self) -> EnsembleJob:
        """The greedy ensemble of the search's successful trials (never a failed one)."""
        identity = self._identity(TUNED_ENSEMBLED)
        steps = self.ensemble_steps or STEPS
        return _pooled(self.template, identity, [self.search], steps, self.tune_cv)


def _pooled(
    template: CellJob, identity: CellIdentity, searches: list[Search], steps: int, tune_cv: int
) -> EnsembleJob:
    """The greedy ensemble of the successful trials of ``searches`` (on one fold), pooled."""
    trials = tuple(
        (search.estimator, n)
        for search in searches
        for n, row in sorted(search.finished.items())
        if search.value(row) is not None
    )
    return EnsembleJob(
        cell=replace(template.cell, estimator=identity.estimator),
        dataset=template.dataset,
        plan=template.plan,
        identity=identity,
        limits=template.limits,
        artifacts_dir=template.artifacts_dir,
        trials=trials,
        metric=searches[0].metric.column,
        steps=steps,
        tune_cv=tune_cv,
    )


class _BlendSlot:
    """A ``blend`` on one fold: once the searches of its candidates on that fold are over, the
    greedy ensemble of their successful trials' kept predictions, pooled. Its members are
    those named, or the fold's best tree ensemble and best net: each the estimator of its
    family whose best trial has the best validation score (the test fold never chooses)."""

    def __init__(self, slots: list[_SearchSlot], members: tuple[str, ...], steps: int) -> None:
        self.slots = slots  # each candidate's search on this fold
        self.members = members
        self.steps = steps
        self.template = slots[0].template
        self.ends = [TUNED_ENSEMBLED]
        self.closed = False

    def take(self) -> Job | None:
        if self.closed or not all(slot.search.done for slot in self.slots):
            return None
        self.closed = True
        chosen = self._chosen()
        identity = replace(
            self.template.identity,
            estimator=BLEND,
            family=self._family(),
            preprocessing="each member's own",
            tuning=TUNED_ENSEMBLED,
            n_trials=sum(len(search.finished) for search in chosen),
            tuning_seconds=sum(search.seconds_spent for search in chosen),
            best_params=json.dumps({"members": [search.estimator for search in chosen]}),
            best_trial=None,
        )
        searches = chosen or [self.slots[0].search]
        return _pooled(self.template, identity, searches, self.steps, self.slots[0].tune_cv)

    def _family(self) -> str:
        """The families it blends, as every fold's row says them: its named members' (a blend
        of rf and logreg is 'ensemble+linear'), else a tree ensemble's and a net's."""
        if not self.members:
            return BLEND_FAMILY
        families = {s.search.estimator: s.template.identity.family for s in self.slots}
        return "+".join(dict.fromkeys(families[m] for m in self.members if m in families))

    def _chosen(self) -> list[Search]:
        """The searches whose trials the blend pools."""
        if self.members:
            return [slot.search for slot in self.slots if slot.search.estimator in self.members]
        chosen = []
        for family in ("ensemble", "deep"):
            scored = [
                (slot.search.value(best), slot.search)
                for slot in self.slots
                if slot.template.identity.family == family
                and (best := slot.search.best()) is not None
            ]
            if scored:
                metric = scored[0][1].metric
                sign = 1.0 if metric.higher_is_better else -1.0
                chosen.append(max(scored, key=lambda item: sign * item[0])[1])
        return chosen


class TuningFeed(JobFeed):
    """The default cells, each followed by its search (when its estimator is tuned)."""

    learns = True  # a search's next trial is asked once the last one's row is told

    def __init__(
        self,
        jobs: Iterable[CellJob | tuple[CellJob | None, _SearchSlot | _BlendSlot | None]],
        listener: TrialListener | None = None,
    ) -> None:
        super().__init__(())
        self._slots: list[CellJob | _SearchSlot | _BlendSlot] = []
        for item in jobs:
            parts = item if isinstance(item, tuple) else (item, None)
            self._slots.extend(part for part in parts if part is not None)
        self._searches = {
            slot.search.key: slot.search for slot in self._slots if isinstance(slot, _SearchSlot)
        }
        self._listener = listener

    #: a search's slot (its trials, then its tuned and tuned+ensembled rows), and a blend's
    slot = staticmethod(_SearchSlot)
    blend = staticmethod(_BlendSlot)

    def take(self) -> Job | None:
        """The first ready job in plan order: a default cell, a search's next trial, or a
        finished search's tuned refit."""
        index = 0
        while index < len(self._slots):
            slot = self._slots[index]
            if isinstance(slot, CellJob):
                del self._slots[index]
                return slot
            job = slot.take()
            if slot.closed:
                del self._slots[index]
            else:
                index += 1
            if job is not None:
                return job
        return None

    def record(self, row: dict[str, Any]) -> None:
        if not is_trial(row):
            return
        key = (row["dataset"], row["estimator"], int(row["seed"]), int(row["fold"]))
        search = self._searches.get(key)
        if search is not None:
            search.tell(row)
            if self._listener is not None:
                self._listener(search, row)

    @property
    def exhausted(self) -> bool:
        return not self._slots

    def width(self) -> int:
        searches = sum(isinstance(slot, _SearchSlot) for slot in self._slots)
        return len(self._slots) + searches * MAX_TRIALS if self._slots else 0

    @property
    def cells(self) -> int:
        return sum(self.cells_by_dataset().values())

    def cells_by_dataset(self) -> dict[str, int]:
        found: Counter[str] = Counter()
        for slot in self._slots:
            if isinstance(slot, CellJob):
                found[slot.cell.dataset] += 1
            elif not slot.closed:  # its tuned row, and its tuned+ensembled row
                found[slot.template.cell.dataset] += len(slot.ends)
        return dict(found)
