"""The work a plan becomes: one unit per cell (or per fold group), or a tuning feed.

:func:`jobs` lists a run's units of work, costliest first when several run at once, each
carrying its cell, the requests that rebuild its dataset and split plan on a worker, its
limits and the identity of its row; :func:`tuning_feed` orders a tuned run's defaults,
searches and refits; :func:`threads_per_cell` divides the cores among the ``--jobs`` cells
running at once (with Dask, each worker divides its own; a user's ``--threads`` that
oversubscribes the cores is a warning). :class:`RunContext` is what listing the work needs
besides the plan: the run's id and folder, the thread budget, whether nets print their
epochs, the cells a resumed run already has, and the tables' cleaned copies.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from treesvsnets.bench.cells.inputs import Cell, cell_identity
from treesvsnets.bench.cells.measure import cpu_count
from treesvsnets.bench.plan.checks import search_space
from treesvsnets.bench.plan.jobs import (
    CellJob,
    DatasetRequest,
    FoldGroupJob,
    Job,
    Limits,
    SplitPlanRequest,
)
from treesvsnets.bench.plan.planning import CellKey, RunPlan
from treesvsnets.errors import TreesVsNetsWarning
from treesvsnets.estimators.base import BASELINE_FAMILY
from treesvsnets.results.row import BLEND, DEFAULT, TUNED, TUNED_ENSEMBLED


def threads_per_cell(*, jobs: int, threads: int | None, scheduler: str | None) -> int | None:
    """The thread budget of each cell: the cores shared among the ``jobs`` cells running at
    once (``threads``: the user's own budget; with a Dask ``scheduler``, decided per worker)."""
    cores = cpu_count()
    if threads is not None:
        if scheduler is None and jobs * threads > cores:
            warnings.warn(
                f"{jobs} jobs x {threads} threads = {jobs * threads} threads on {cores} "
                "cores: the cells will compete for cores and their timings will be slower "
                "than alone.",
                TreesVsNetsWarning,
                stacklevel=3,
            )
        return threads
    if scheduler is not None:
        return None  # each Dask worker divides its own cores among its threads
    return max(1, cores // jobs)


@dataclass(frozen=True)
class RunContext:
    """What listing a run's work needs besides its plan: the run's id and folder, each
    cell's thread budget (None: decided where it runs), whether nets print their epochs,
    the cells already stored (a resumed run skips them), and where each table's cleaned
    copy lies (a worker loads it rather than the file)."""

    run_id: str
    run_dir: Path
    threads: int | None = None
    verbose: bool = False
    skip: frozenset[CellKey] = frozenset()
    #: dataset name -> its cleaned copy's path, which workers load (tables only)
    tables: Mapping[str, str] = field(default_factory=dict)


def jobs(prepared: RunPlan, context: RunContext) -> list[Job]:
    """One job per (dataset, seed, estimator, fold) not in ``skip``, in that order when cells
    run one at a time; costliest first when several run at once (see
    EstimatorSpec.relative_cost). With ``fold_parallel``, the folds of an estimator that can
    train them together become one job. Each job carries its row's identity."""
    config, skip = prepared.config, context.skip
    limits = Limits(seconds=config.timeout, memory_mb=config.memory_limit_mb)
    parallel = None if config.scheduler else config.jobs
    planned: list[CellJob] = []
    costs: dict[CellKey, float] = {}
    for dataset, split_plan in prepared.split_plans:
        data_request = DatasetRequest.of(
            dataset, config.data_dir, config.subsample, context.tables.get(dataset.name)
        )
        plan_request = SplitPlanRequest.of(prepared.recipe, split_plan)
        for spec in prepared.specs_for(dataset):
            for fold in range(split_plan.n_folds):
                cell = Cell(
                    dataset=dataset.name,
                    estimator=spec.name,
                    seed=split_plan.seed,
                    fold=fold,
                    threads=spec.thread_budget(context.threads),
                    params=config.params.get(spec.name, {}),
                    device=config.device,
                    # the baseline stays the floor: the most frequent class, never reweighed
                    class_weight=None if spec.family == BASELINE_FAMILY else config.class_weight,
                    resample="none" if spec.family == BASELINE_FAMILY else config.resample,
                    verbose=context.verbose,
                )
                if (*cell.key, DEFAULT) in skip:
                    continue
                identity = cell_identity(
                    cell,
                    spec,
                    dataset,
                    split_plan,
                    run_id=context.run_id,
                    jobs=parallel,
                    time_limit_s=limits.seconds,
                    memory_limit_mb=limits.memory_mb,
                )
                planned.append(
                    CellJob(
                        cell, data_request, plan_request, identity, limits, str(context.run_dir)
                    )
                )
                costs[cell.key] = spec.relative_cost * dataset.n_samples
    grouped: list[Job] = list(planned)
    if config.fold_parallel:
        together = {spec.name for spec in prepared.specs if "fold_parallel" in spec.capabilities}
        grouped = _group_folds(planned, together)
    if config.jobs > 1 or config.scheduler is not None:
        # costliest first (a stable sort: ties keep their order)
        grouped.sort(key=lambda job: -sum(costs[member.key] for member in job.members))
    return grouped


def _group_folds(jobs: list[CellJob], estimators: set[str]) -> list[Job]:
    """Each listed estimator's cells of one (dataset, seed) as one FoldGroupJob, in place of
    its first cell; the other cells as they are."""
    groups: dict[tuple[str, str, int], list[CellJob]] = {}
    slots: list[CellJob | list[CellJob]] = []
    for job in jobs:
        if job.cell.estimator not in estimators:
            slots.append(job)
            continue
        key = (job.cell.dataset, job.cell.estimator, job.cell.seed)
        if key not in groups:
            groups[key] = []
            slots.append(groups[key])
        groups[key].append(job)
    return [
        slot
        if isinstance(slot, CellJob)
        else FoldGroupJob(tuple(slot))
        if len(slot) > 1
        else slot[0]
        for slot in slots
    ]


def _in_blend(members: tuple[str, ...] | None, spec: Any) -> bool:
    """Whether ``spec``'s trials are candidates of the run's blend (None: the run has none;
    (): each fold's best tree ensemble and best net, so every tree ensemble and net)."""
    if members is None:
        return False
    return spec.name in members if members else spec.family in ("ensemble", "deep")


def tuning_feed(
    prepared: RunPlan,
    context: RunContext,
    stored_trials: list[dict[str, Any]],
    listener: Any = None,
) -> Any:
    """A tuned run's feed: each cell's default job (unless stored), then its search (unless
    its tuned row, and with ``ensemble`` its tuned+ensembled row, are stored), the search told
    the trials an earlier session stored."""
    from treesvsnets.bench.plan.feed import TuningFeed
    from treesvsnets.bench.tune.search import Budget, Search
    from treesvsnets.tasks import primary

    config, skip = prepared.config, context.skip
    budget = Budget(trials=config.tune, seconds=config.tune_time)
    by_search: dict[tuple, list[dict[str, Any]]] = {}
    for row in stored_trials:
        key = (row["dataset"], row["estimator"], int(row["seed"]), int(row["fold"]))
        by_search.setdefault(key, []).append(row)
    datasets = {dataset.name: dataset for dataset in prepared.datasets}
    specs = {
        (dataset.name, spec.name): spec
        for dataset in prepared.datasets
        for spec in prepared.specs_for(dataset)
    }
    items: list[Any] = []
    blended: dict[tuple[str, int, int], list[Any]] = {}  # a fold's searches a blend may pool
    for job in jobs(prepared, replace(context, skip=frozenset())):
        cell = job.cell
        spec = specs[(cell.dataset, cell.estimator)]
        default = None if (*cell.key, DEFAULT) in skip else job
        space = search_space(config, spec)
        slot = None
        ends = (TUNED, TUNED_ENSEMBLED) if config.ensemble else (TUNED,)
        wanted = tuple(end for end in ends if (*cell.key, end) not in skip)
        fold = (cell.dataset, cell.seed, cell.fold)
        pooled = (
            _in_blend(prepared.blend, spec)
            and (cell.dataset, BLEND, *fold[1:], TUNED_ENSEMBLED) not in skip
        )
        if space and (wanted or pooled):
            search = Search(
                cell.dataset,
                cell.estimator,
                cell.seed,
                cell.fold,
                space,
                primary(datasets[cell.dataset].task, config.metric),
                sampler=config.sampler,
                budget=budget,
                defaults=spec.resolve_params(
                    cell.params, seed=cell.seed, threads=cell.threads or 1
                ),
            )
            search.restore(by_search.get(search.key, []))
            steps = config.ensemble_size if config.ensemble else None
            slot = TuningFeed.slot(search, job, config.tune_cv, steps, wanted)
            if pooled:
                blended.setdefault(fold, []).append(slot)
        items.append((default, slot))
    for slots in blended.values():
        items.append((None, TuningFeed.blend(slots, prepared.blend or (), config.ensemble_size)))
    return TuningFeed(items, listener)
