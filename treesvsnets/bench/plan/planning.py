"""A run's plan: everything it needs that can be checked before any folder or model exists
(estimators, datasets, split plans, what is left out where), and the tasks it becomes.

:func:`prepare` resolves and checks a config; :meth:`RunPlan.tasks` lists the tasks
(one per cell, or one per fold group) that the executors run.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from treesvsnets import datasets as dataset_registry
from treesvsnets.bench.cells.cell import Cell, cell_identity
from treesvsnets.bench.cells.environment import describe_environment
from treesvsnets.bench.cells.measure import cpu_count
from treesvsnets.bench.cells.splits import SplitPlan, make_split_plan
from treesvsnets.bench.plan.tasks import (
    CellTask,
    DatasetRequest,
    FoldGroupTask,
    Limits,
    SplitPlanRequest,
    Task,
)
from treesvsnets.config import DEFAULT_ESTIMATORS, RunConfig
from treesvsnets.datasets.base import Dataset
from treesvsnets.errors import ConfigError, TreesVsNetsWarning, unknown_name
from treesvsnets.estimators import registry
from treesvsnets.estimators.base import BASELINE, BASELINE_FAMILY
from treesvsnets.estimators.plugins import load_plugin
from treesvsnets.results.folder import Manifest
from treesvsnets.results.row import DEFAULT, TUNED

#: a cell's key: (dataset, estimator, seed, fold, tuning)
CellKey = tuple[str, str, int, int, str]


def _only_run_estimators(names: Any, specs: list, where: str) -> None:
    """Refuse a name (of ``[params.NAME]``, ``[spaces.NAME]``) that is not one of the run's
    estimators, with a did-you-mean."""
    chosen = {spec.name: spec for spec in specs}
    for name in names:
        if name not in chosen:
            raise unknown_name("estimator", name, chosen, where=where)


def _check_param_names(config: RunConfig, specs: list) -> None:
    _only_run_estimators(
        config.params, specs, "params (parameters given for an estimator not in this run)"
    )


def _check_params(config: RunConfig, specs: list, datasets: list[Dataset]) -> None:
    """Each estimator's parameters, checked against the version (classifier, regressor) of
    every task it runs on."""
    tasks = list(dict.fromkeys(dataset.task for dataset in datasets))
    for spec in specs:
        overrides = config.params.get(spec.name)
        for task in tasks:
            if overrides and task in spec.tasks:
                spec.for_task(task).check_params(overrides)


def _with_spaces(config: RunConfig, specs: list) -> list:
    """The run's estimators with the user's search spaces (``[spaces.NAME]``, ``--space``)
    in place of their own; a space for an estimator not in the run is refused."""
    _only_run_estimators(
        config.spaces, specs, "spaces (a search space given for an estimator not in this run)"
    )
    return [
        spec.with_space(config.spaces[spec.name]) if spec.name in config.spaces else spec
        for spec in specs
    ]


def search_space(config: RunConfig, spec: Any) -> Any:
    """What a tuned run searches for ``spec`` (built for its task): its space less the
    parameters the user fixed with ``--param``."""
    from treesvsnets.estimators.space import SearchSpace

    space = spec.search_space
    fixed = config.params.get(spec.name, {})
    kept = {name: dist for name, dist in space.distributions.items() if name not in fixed}
    return SearchSpace(kept, space.to_params)


def _check_spaces(config: RunConfig, specs: list, datasets: list[Dataset]) -> None:
    """Every bound of every search space in use, built into its estimator and checked as a
    parameter is (an unknown name, a value the estimator refuses), before any trial runs."""
    tasks = list(dict.fromkeys(dataset.task for dataset in datasets))
    for spec in specs:
        for task in tasks:
            if task not in spec.tasks:
                continue
            built = spec.for_task(task)
            space = search_space(config, built)
            for corner in space.corners():
                try:
                    params = space.params(corner)
                    built.check_params({**config.params.get(spec.name, {}), **params})
                except ConfigError as exc:
                    raise ConfigError(
                        f"the search space of estimator {spec.name!r} does not fit it: {exc}"
                    ) from None
                except Exception as exc:  # noqa: BLE001 - a space_params of a plugin
                    raise ConfigError(
                        f"the search space of estimator {spec.name!r} could not be turned into "
                        f"parameters ({type(exc).__name__}: {exc})."
                    ) from None


def _named(config: RunConfig) -> set[str]:
    """The estimators the user named one by one (not through the default, a family or all)."""
    return set() if config.estimators == DEFAULT_ESTIMATORS else set(config.estimators)


def _installed(config: RunConfig, specs: list) -> tuple[list, list]:
    """The estimators whose packages are installed, and those left out for want of theirs.

    An optional estimator (``requires``: CatBoost's extra) named by the user without its
    package is refused with one sentence; from a family or ``all`` it is left out and
    listed. The default suite leaves the optional estimators out, installed or not, so
    that ``treesvsnets run`` does the same on every install (``-e catboost`` adds it)."""
    named = _named(config)
    kept, missing = [], []
    for spec in specs:
        if spec.requires is None:
            kept.append(spec)
        elif config.estimators == DEFAULT_ESTIMATORS:
            continue
        elif spec.installed:
            kept.append(spec)
        elif spec.name in named:
            raise ConfigError(
                f"estimator {spec.name!r} needs the {spec.requires} package, which is not "
                f"installed; install it with: {spec.install_hint}"
            )
        else:
            missing.append(spec)
    return kept, missing


def _counterparts(spec: Any, task: str, specs: list) -> list[str]:
    """Registered estimators of ``spec``'s family that do ``task`` (what to use instead)."""
    return [s.name for s in specs if s.family == spec.family and task in s.tasks]


def _skips(config: RunConfig, specs: list, datasets: list) -> dict[str, dict[str, str]]:
    """What is left out where, and what the user named that cannot run.

    An estimator without a version for a dataset's task (``logreg`` on regression, ``ridge``
    on classification) does not run there: refused with one sentence when the user named it
    (``-e logreg``), silently passed over when it came with the default, a family or ``all``
    (``-e linear`` picks logreg or ridge per dataset). An estimator that needs images (or
    sequences) on a dataset without that shape is refused when named, else left out of that
    dataset and listed here (the default suite has ``cnn``, and ``treesvsnets run -d
    table.csv`` must work)."""
    named = _named(config)
    skips: dict[str, dict[str, str]] = {}
    for dataset in datasets:
        for spec in specs:
            if dataset.task not in spec.tasks:
                if spec.name in named:
                    instead = _counterparts(spec, dataset.task, registry.all_specs())
                    raise ConfigError(
                        f"estimator {spec.name!r} has no {dataset.task} version, and dataset "
                        f"{dataset.name!r} is a {dataset.task} dataset"
                        + (
                            f"; its {spec.family} estimator for {dataset.task} is "
                            + " or ".join(repr(name) for name in instead)
                            + f" (-e {spec.family} picks the right one per dataset)."
                            if instead
                            else "; leave it out for this dataset."
                        )
                    )
            elif (need := missing_shape(spec.capabilities, dataset)) is not None:
                what, where = need
                if spec.name in named:
                    raise ConfigError(
                        f"estimator {spec.name!r} needs {what}, but dataset {dataset.name!r} "
                        f"has no {what[:-1]} shape; run it on {where} or leave it out."
                    )
                skips.setdefault(dataset.name, {})[spec.name] = f"needs {what}"
    return skips


def missing_shape(capabilities: frozenset[str], dataset: Dataset) -> tuple[str, str] | None:
    """(what, where to find it) when an estimator needs a row shape ``dataset`` lacks: images
    for a CNN, sequences for a 1-D CNN; None when nothing is missing."""
    if "needs_images" in capabilities and dataset.image_shape is None:
        return "images", "an image dataset (digits, mnist, fashion_mnist)"
    if "needs_sequences" in capabilities and dataset.sequence_shape is None:
        return "sequences", "mnist1d, or a table declaring shape = [channels, length]"
    return None


def _check_tasks(config: RunConfig, datasets: list[Dataset]) -> None:
    """Settings that do not fit a dataset's task: --task on a built-in dataset of the other
    task, --class-weight on regression."""
    from treesvsnets.datasets.tables import looks_like_table
    from treesvsnets.tasks import REGRESSION

    for dataset in datasets:
        if config.task and config.task != dataset.task and not looks_like_table(dataset.name):
            raise ConfigError(
                f"task {config.task!r} does not apply to dataset {dataset.name!r}, a built-in "
                f"{dataset.task} dataset; task chooses how a table file's target is read."
            )
        if config.class_weight and dataset.task == REGRESSION:
            raise ConfigError(
                f"class_weight {config.class_weight!r} weighs classes, but dataset "
                f"{dataset.name!r} is a regression dataset (its target is a number); drop "
                "--class-weight, or run the regression datasets apart."
            )


@dataclass
class RunPlan:
    """Everything a run needs that can be checked before any folder or model exists."""

    config: RunConfig
    specs: list
    datasets: list[Dataset]
    split_plans: list[tuple[Dataset, SplitPlan]]  # one per (dataset, seed)
    uses_gpu: bool
    skipped: dict[str, dict[str, str]]  # dataset -> {estimator left out there: why}
    infos: list  # DatasetInfo of each dataset, in config order (what a worker loads from)

    def specs_for(self, dataset: Dataset) -> list:
        """The estimators that run on ``dataset``, each built for its task (those without a
        version for the task, and those left out, do not)."""
        left_out = self.skipped.get(dataset.name, {})
        return [
            spec.for_task(dataset.task)
            for spec in self.specs
            if spec.name not in left_out and dataset.task in spec.tasks
        ]

    def specs_by_task(self) -> list:
        """Each estimator once per task it runs on (what the manifest records)."""
        found: dict[tuple[str, str], Any] = {}
        for dataset in self.datasets:
            for spec in self.specs_for(dataset):
                found.setdefault((spec.name, spec.task), spec)
        return list(found.values())

    @property
    def total(self) -> int:
        """The run's cells: one per (dataset, seed, estimator, fold), and a tuned one beside
        each of a tuned estimator."""
        return sum(
            split_plan.n_folds
            * (2 if self.config.tuning and search_space(self.config, spec) else 1)
            for dataset, split_plan in self.split_plans
            for spec in self.specs_for(dataset)
        )

    def manifest(self, run_id: str) -> Manifest:
        """A new run's manifest: what it runs, on what, with which split plans, where."""
        config = self.config
        return Manifest(
            run_id=run_id,
            config=config.to_dict(),
            estimators=[
                {
                    "name": spec.name,
                    "family": spec.family,
                    "task": spec.task,
                    "description": spec.description,
                    "preprocessing": spec.preprocessing,
                    "params": {**spec.default_params, **config.params.get(spec.name, {})},
                    "seed_param": spec.seed_param,
                    "threads_param": spec.threads_param,
                    "source": spec.source,
                    **({"space": search_space(config, spec).to_dict()} if config.tuning else {}),
                }
                for spec in self.specs_by_task()
            ],
            datasets=[describe_dataset(config, dataset) for dataset in self.datasets],
            splits=[split_plan.describe() for _, split_plan in self.split_plans],
            skipped=[
                {"dataset": dataset, "estimator": name, "reason": reason}
                for dataset, left_out in self.skipped.items()
                for name, reason in left_out.items()
            ],
            environment=describe_environment(with_gpu=self.uses_gpu),
        )

    def check_resumable(self, manifest: Manifest, where: Path) -> None:
        """Refuse to resume a run whose data no longer gives the split plans it recorded."""
        recorded = {split["hash"] for split in manifest.splits}
        for dataset, split_plan in self.split_plans:
            if split_plan.hash not in recorded:
                raise ConfigError(
                    f"cannot resume {str(where)!r}: the split plan of {dataset.name!r} (seed "
                    f"{split_plan.seed}) differs from the run's; its data has changed."
                )

    @property
    def notes(self) -> tuple[str, ...]:
        """What the user should know before the first cell: how tables were read, what was
        left out."""
        tables = [data_note(dataset) for dataset in self.datasets if dataset.cleaning]
        skips = []
        for dataset, left_out in self.skipped.items():
            by_reason: dict[str, list[str]] = {}
            for name, reason in left_out.items():
                by_reason.setdefault(reason, []).append(name)
            skips += [
                f"not run on {dataset!r}: {', '.join(names)} ({reason})"
                for reason, names in by_reason.items()
            ]
        not_tuned = (
            [f"not tuned (no search space): {', '.join(untuned(self))}"]
            if self.config.tuning and untuned(self)
            else []
        )
        return (*tables, *skips, *not_tuned)


def prepare(config: RunConfig, resolved: Callable[[list, list], None] | None = None) -> RunPlan:
    """Resolve and check everything a user can get wrong before doing any work.

    ``resolved(specs, infos)`` is called once the estimators and dataset names are known and
    checked, before the datasets are loaded (the run starts its workers there)."""
    for plugin in config.plugins:
        load_plugin(plugin)
    specs, not_installed = _installed(config, registry.select(config.estimators))
    if config.baseline and not any(spec.family == BASELINE_FAMILY for spec in specs):
        specs.append(registry.get(BASELINE))
    _check_param_names(config, specs)
    specs = _with_spaces(config, specs)
    infos = [  # an unknown name fails before anything is loaded
        dataset_registry.info(name, config.table_options(name)) for name in config.datasets
    ]
    if resolved is not None:
        resolved(specs, infos)
    loaded = []
    for name in config.datasets:
        dataset = dataset_registry.load(name, config.data_dir, config.table_options(name))
        loaded.append(dataset.subsample(config.subsample) if config.subsample else dataset)
    _check_tasks(config, loaded)
    skipped = _skips(config, specs, loaded)
    for dataset in loaded:
        for spec in not_installed:
            reason = f"the {spec.requires} package is not installed: {spec.install_hint}"
            skipped.setdefault(dataset.name, {})[spec.name] = reason
    _check_params(config, [s for s in specs if s.name in config.params], loaded)
    if config.tuning:
        _check_spaces(config, specs, loaded)
    for dataset in loaded:
        left_out = skipped.get(dataset.name, {})
        if not any(s.name not in left_out and dataset.task in s.tasks for s in specs):
            raise ConfigError(
                f"no estimator of this run does {dataset.task}, the task of dataset "
                f"{dataset.name!r}; add one (e.g. -e ensemble)."
            )
    uses_gpu = any("uses_gpu" in spec.capabilities for spec in specs)
    if config.device != "auto" and uses_gpu:
        from treesvsnets.estimators.torch.devices import resolve_device

        resolve_device(config.device)  # --device cuda without CUDA: one sentence, no folder
    split_plans = [
        (
            dataset,
            make_split_plan(
                dataset,
                config.folds,
                seed,
                protocol=config.protocol,
                test_size=config.test_size,
                validation_fraction=config.validation_fraction,
                target_bins=config.target_bins,
            ),
        )
        for dataset in loaded
        for seed in config.seeds
    ]
    return RunPlan(config, specs, loaded, split_plans, uses_gpu, skipped, infos)


def threads_per_cell(config: RunConfig) -> int | None:
    """The thread budget of each cell: the cores shared among the cells running at once."""
    cores = cpu_count()
    if config.threads is not None:
        if config.scheduler is None and config.jobs * config.threads > cores:
            warnings.warn(
                f"{config.jobs} jobs x {config.threads} threads = "
                f"{config.jobs * config.threads} threads on {cores} cores: the cells will "
                "compete for cores and their timings will be slower than alone.",
                TreesVsNetsWarning,
                stacklevel=3,
            )
        return config.threads
    if config.scheduler is not None:
        return None  # each Dask worker divides its own cores among its threads
    return max(1, cores // config.jobs)


def dataset_request(config: RunConfig, dataset: Dataset) -> DatasetRequest:
    data_dir = None if config.data_dir is None else str(Path(config.data_dir).resolve())
    return DatasetRequest(dataset.name, dataset.fingerprint, data_dir, config.subsample)


def split_plan_request(config: RunConfig, split_plan: SplitPlan) -> SplitPlanRequest:
    return SplitPlanRequest(
        config.folds,
        split_plan.seed,
        config.protocol,
        config.test_size,
        config.validation_fraction,
        split_plan.hash,
        split_plan.target_bins,
    )


def tasks(
    prepared: RunPlan,
    run_id: str,
    run_dir: Path,
    threads: int | None,
    verbose: bool,
    skip: set[CellKey],
) -> list[Task]:
    """One task per (dataset, seed, estimator, fold) not in ``skip``, in that order when cells
    run one at a time; costliest first when several run at once (see
    EstimatorSpec.relative_cost). With ``fold_parallel``, the folds of an estimator that can
    train them together become one task. Each task carries its row's identity."""
    config = prepared.config
    limits = Limits(seconds=config.timeout, memory_mb=config.memory_limit_mb)
    jobs = None if config.scheduler else config.jobs
    planned: list[CellTask] = []
    costs: dict[CellKey, float] = {}
    for dataset, split_plan in prepared.split_plans:
        data_request = dataset_request(config, dataset)
        plan_request = split_plan_request(config, split_plan)
        for spec in prepared.specs_for(dataset):
            for fold in range(split_plan.n_folds):
                cell = Cell(
                    dataset=dataset.name,
                    estimator=spec.name,
                    seed=split_plan.seed,
                    fold=fold,
                    threads=spec.thread_budget(threads),
                    params=config.params.get(spec.name, {}),
                    device=config.device,
                    # the baseline stays the floor: the most frequent class, never reweighed
                    class_weight=None if spec.family == BASELINE_FAMILY else config.class_weight,
                    verbose=verbose,
                )
                if (*cell.key, DEFAULT) in skip:
                    continue
                identity = cell_identity(
                    cell,
                    spec,
                    dataset,
                    split_plan,
                    run_id=run_id,
                    jobs=jobs,
                    time_limit_s=limits.seconds,
                    memory_limit_mb=limits.memory_mb,
                )
                planned.append(
                    CellTask(cell, data_request, plan_request, identity, limits, str(run_dir))
                )
                costs[cell.key] = spec.relative_cost * dataset.n_samples
    grouped: list[Task] = list(planned)
    if config.fold_parallel:
        together = {spec.name for spec in prepared.specs if "fold_parallel" in spec.capabilities}
        grouped = _group_folds(planned, together)
    if config.jobs > 1 or config.scheduler is not None:
        # costliest first (a stable sort: ties keep their order)
        grouped.sort(key=lambda task: -sum(costs[member.key] for member in task.members))
    return grouped


def _group_folds(tasks: list[CellTask], estimators: set[str]) -> list[Task]:
    """Each listed estimator's cells of one (dataset, seed) as one FoldGroupTask, in place of
    its first cell; the other cells as they are."""
    groups: dict[tuple[str, str, int], list[CellTask]] = {}
    slots: list[CellTask | list[CellTask]] = []
    for task in tasks:
        if task.cell.estimator not in estimators:
            slots.append(task)
            continue
        key = (task.cell.dataset, task.cell.estimator, task.cell.seed)
        if key not in groups:
            groups[key] = []
            slots.append(groups[key])
        groups[key].append(task)
    return [
        slot
        if isinstance(slot, CellTask)
        else FoldGroupTask(tuple(slot))
        if len(slot) > 1
        else slot[0]
        for slot in slots
    ]


def data_note(dataset: Dataset) -> str:
    """One line on how a table was read: its target, what cleaning removed, what the columns
    became."""
    cleaning = dataset.cleaning
    removed = [
        f"{cleaning[key]} {what}"
        for key, what in (
            ("duplicate_rows_removed", "duplicate rows"),
            ("rows_without_target_dropped", "rows without a target"),
            ("rows_with_missing_values_dropped", "rows with missing values"),
        )
        if cleaning.get(key)
    ]
    kinds = Counter(reading.kind for reading in dataset.columns if reading.used)
    dropped = [f"{r.name} ({r.note.split(':')[0]})" for r in dataset.columns if not r.used]
    columns = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    return (
        f"table {dataset.name!r}: target {cleaning.get('target')}, "
        f"{cleaning.get('task', dataset.task)}; "
        f"{cleaning.get('rows_used')} of {cleaning.get('rows_read')} rows used"
        + (f" ({', '.join(removed)} removed)" if removed else "")
        + (f"; columns: {columns}" if columns else "")
        + (f"; dropped: {', '.join(dropped)}" if dropped else "")
        + f"; treesvsnets inspect {dataset.name} shows each column"
    )


def describe_dataset(config: RunConfig, dataset: Dataset) -> dict[str, Any]:
    """The manifest's entry for ``dataset``: its summary, and a table's reading options."""
    options = config.table_options(dataset.name)
    return {**dataset.describe(), **({"table_options": options.describe()} if options else {})}


def tuning_feed(
    prepared: RunPlan,
    run_id: str,
    run_dir: Path,
    threads: int | None,
    verbose: bool,
    skip: set[CellKey],
    stored_trials: list[dict[str, Any]],
    listener: Any = None,
) -> Any:
    """A tuned run's feed: each cell's default task (unless stored), then its search (unless
    its tuned row is stored), the search told the trials an earlier session stored."""
    from treesvsnets.bench.plan.feed import TuningFeed
    from treesvsnets.bench.tune.search import Budget, Search
    from treesvsnets.tasks import primary

    config = prepared.config
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
    items = []
    for task in tasks(prepared, run_id, run_dir, threads, verbose, set()):
        cell = task.cell
        spec = specs[(cell.dataset, cell.estimator)]
        default = None if (*cell.key, DEFAULT) in skip else task
        space = search_space(config, spec)
        slot = None
        if space and (*cell.key, TUNED) not in skip:
            search = Search(
                cell.dataset,
                cell.estimator,
                cell.seed,
                cell.fold,
                space,
                primary(datasets[cell.dataset].task),
                sampler=config.sampler,
                budget=budget,
                defaults=spec.resolve_params(
                    cell.params, seed=cell.seed, threads=cell.threads or 1
                ),
            )
            search.restore(by_search.get(search.key, []))
            slot = TuningFeed.slot(search, task, config.tune_cv)
        items.append((default, slot))
    return TuningFeed(items, listener)


def untuned(prepared: RunPlan) -> list[str]:
    """The run's estimators that declare no search space (their default rows only)."""
    return [
        spec.name
        for spec in prepared.specs
        if not any(search_space(prepared.config, spec.for_task(task)) for task in spec.tasks)
    ]
