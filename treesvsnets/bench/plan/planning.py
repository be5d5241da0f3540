"""A run's plan: everything it needs that can be checked before any folder or model exists
(estimators, datasets, split plans, what is left out where).

:func:`prepare` resolves a config and runs the checks of :mod:`.checks`; the
:class:`RunPlan` it returns writes the manifest and the notes of the run's first lines;
:mod:`.work` lists the units of work it becomes.

:func:`prepare` loads the plugins, selects the estimators (plus ``dummy`` unless
``baseline = false``) with a spec per task each, makes each table's TableOptions once, finds
the dataset infos, loads the data, runs the checks, and builds the SplitRecipe once and a
split plan per (dataset, seed); it creates nothing. :meth:`RunPlan.specs_for` gives each
estimator's spec for a dataset's task; :meth:`RunPlan.manifest` is a new run's Manifest;
:meth:`RunPlan.check_resumable` refuses a resume whose data no longer gives the recorded
split plans; ``notes`` is what the run's first lines say.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from treesvsnets import datasets as dataset_registry
from treesvsnets.bench.cells.environment import describe_environment
from treesvsnets.bench.cells.splits import SplitPlan, SplitRecipe
from treesvsnets.bench.plan import copies
from treesvsnets.bench.plan.checks import (
    blend_members,
    check_for_datasets,
    check_param_names,
    check_resampling,
    check_suite_estimators,
    check_tasks,
    installed,
    search_space,
    skips,
    with_spaces,
)
from treesvsnets.bench.plan.resumable import estimators_changed
from treesvsnets.config import RunConfig
from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.names import run_names
from treesvsnets.datasets.table_options import TableOptions
from treesvsnets.errors import ConfigError, TreesVsNetsError, concerning
from treesvsnets.estimators import registry
from treesvsnets.estimators.base import BASELINE, BASELINE_FAMILY
from treesvsnets.estimators.plugins import load_plugin
from treesvsnets.results.folder import Manifest
from treesvsnets.results.row import BLEND
from treesvsnets.suites import describe_suite

#: a cell's key: (dataset, estimator, seed, fold, tuning)
CellKey = tuple[str, str, int, int, str]


@dataclass
class RunPlan:
    """Everything a run needs that can be checked before any folder or model exists."""

    config: RunConfig
    specs: list  # each estimator's spec of every task it does, by estimator (then task)
    datasets: list[Dataset]
    split_plans: list[tuple[Dataset, SplitPlan]]  # one per (dataset, seed)
    uses_gpu: bool
    skipped: dict[str, dict[str, str]]  # dataset -> {estimator left out there: why}
    infos: list  # DatasetInfo of each dataset, in config order (what a worker loads from)
    recipe: SplitRecipe  # how every split plan was made (what a worker rebuilds them with)
    #: dataset -> how its table file is read (None: not a table), made once, here
    table_options: dict[str, TableOptions | None]
    #: a table's name in the run -> its file's path as given (the manifest records both)
    paths: dict[str, str] = field(default_factory=dict)
    #: each dataset as loaded, with what it was read from (what its cleaned copy records)
    loaded: list[copies.Loaded] = field(default_factory=list)
    #: ``-e blend``: its members (() : each fold's best tree ensemble and best net); None: none
    blend: tuple[str, ...] | None = None

    def write_copies(self, run_dir: Path) -> dict[str, str]:
        """Each table's cleaned copy in the run folder, which the workers load: dataset
        name -> the copy's path (see :mod:`.copies`)."""
        return copies.write_copies(self.loaded, run_dir)

    def specs_for(self, dataset: Dataset) -> list:
        """The specs that run on ``dataset``: each estimator's version for its task (those
        without one, and those left out, do not run there)."""
        left_out = self.skipped.get(dataset.name, {})
        return [s for s in self.specs if s.task == dataset.task and s.name not in left_out]

    def specs_by_task(self) -> list:
        """Each estimator once per task it runs on (what the manifest records)."""
        found: dict[tuple[str, str], Any] = {}
        for dataset in self.datasets:
            for spec in self.specs_for(dataset):
                found.setdefault((spec.name, spec.task), spec)
        return list(found.values())

    def manifest(self, run_id: str) -> Manifest:
        """A new run's manifest: what it runs, on what, with which split plans, where."""
        config = self.config
        return Manifest(
            run_id=run_id,
            config=config.to_dict(),
            working_dir=os.getcwd(),
            estimators=self.estimator_entries(),
            datasets=[
                describe_dataset(
                    dataset, self.table_options.get(dataset.name), self.paths.get(dataset.name)
                )
                for dataset in self.datasets
            ],
            suite=describe_suite(config.suite) if config.suite else None,
            splits=[split_plan.describe() for _, split_plan in self.split_plans],
            skipped=[
                {"dataset": dataset, "estimator": name, "reason": reason}
                for dataset, left_out in self.skipped.items()
                for name, reason in left_out.items()
            ],
            environment=describe_environment(with_gpu=self.uses_gpu),
        )

    def estimator_entries(self) -> list[dict[str, Any]]:
        """What the manifest records of each estimator (each task's version)."""
        config = self.config
        return [
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
        ]

    def check_resumable(self, manifest: Manifest, where: Path) -> None:
        """Refuse to resume a run whose data no longer gives the split plans it recorded, or
        whose estimators are no longer those it recorded (a plugin edited, a package
        installed since): the run would mix two models under one name."""
        recorded = {split["hash"] for split in manifest.splits}
        for dataset, split_plan in self.split_plans:
            if split_plan.hash not in recorded:
                raise ConfigError(
                    f"cannot resume {str(where)!r}: the split plan of {dataset.name!r} (seed "
                    f"{split_plan.seed}) differs from the run's; its data has changed."
                )
        changed = estimators_changed(manifest.estimators, self.estimator_entries())
        if changed is not None:
            raise ConfigError(
                f"cannot resume {str(where)!r}: {changed}; its cells would mix two models "
                "under one name. Put it back as it was, or start a new run."
            )

    @property
    def notes(self) -> tuple[str, ...]:
        """What the user should know before the first cell: how tables were read, what was
        left out."""
        tables = [
            data_note(dataset, self.paths.get(dataset.name, dataset.name), self.config.subsample)
            for dataset in self.datasets
            if dataset.cleaning
        ]
        skips = []
        for dataset, left_out in self.skipped.items():
            by_reason: dict[str, list[str]] = {}
            for name, reason in left_out.items():
                by_reason.setdefault(reason, []).append(name)
            skips += [
                f"not run on {dataset!r}: {', '.join(names)} ({reason})"
                for reason, names in by_reason.items()
            ]
        published = [
            f"dataset {dataset.name!r}: its {split_plan.n_folds} published folds are its split "
            f"plan (--folds {self.config.folds} and --protocol {self.config.protocol} do not "
            "apply to it)"
            for dataset, split_plan in self.split_plans
            if split_plan.predefined
            and split_plan.seed == self.config.seeds[0]
            and (split_plan.n_folds, split_plan.protocol) != (self.config.folds, "kfold")
        ]
        not_tuned = (
            [f"not tuned (no search space): {', '.join(untuned(self))}"]
            if self.config.tuning and untuned(self)
            else []
        )
        return (*tables, *published, *skips, *not_tuned, *small_grids(self))


def _estimators(config: RunConfig) -> tuple[list, list, tuple[str, ...] | None]:
    """The run's specs (every task's version of each estimator named, a family's or all's,
    plus the baseline), those left out for want of their package, and the blend's members
    (``blend`` names no registered estimator: :func:`~.checks.blend_members`)."""
    with concerning("estimators"):
        names = registry.select([name for name in config.estimators if name != BLEND])
    chosen = [spec for name in names for spec in registry.versions(name).values()]
    specs, not_installed = installed(config, chosen)
    if config.baseline and not any(spec.family == BASELINE_FAMILY for spec in specs):
        specs += registry.versions(BASELINE).values()
    with concerning("params"):
        check_param_names(config, specs)
    with concerning("spaces"):
        specs = with_spaces(config, specs)
    with concerning("params"):
        return specs, not_installed, blend_members(config, specs)


def prepare(
    config: RunConfig,
    resolved: Callable[[list, list], None] | None = None,
    recorded: dict[str, str] | None = None,
    reuse_from: Path | None = None,
) -> RunPlan:
    """Resolve and check everything a user can get wrong before doing any work.

    ``resolved(specs, infos)`` is called once the estimators and dataset names are known and
    checked, before the datasets are loaded (the run starts its workers there). The specs
    are every task's version of each estimator; a dataset's cells get its task's. A table
    goes by a short name (:func:`~treesvsnets.datasets.names.run_names`), or by the one
    ``recorded`` in the manifest of the run being resumed (its path as given -> name), whose
    folder ``reuse_from`` holds the tables' cleaned copies (loaded instead of their files
    while those are unchanged)."""
    for plugin in config.plugins:
        with concerning("plugins"):
            load_plugin(plugin)
    if recorded is None:  # a resumed run's suite was checked when it began (its file may be gone)
        check_suite_estimators(config)
    specs, not_installed, blend = _estimators(config)
    given = {name: config.table_options(name) for name in config.datasets}
    names = run_names(config.datasets, given, recorded)
    table_options = {
        names[name]: None if options is None else replace(options, name=names[name])
        for name, options in given.items()
    }
    with concerning("datasets"):  # an unknown name fails before anything is loaded
        infos = [
            dataset_registry.info(name, table_options[names[name]]) for name in config.datasets
        ]
    if resolved is not None:
        resolved(specs, infos)
    per_class = config.folds if config.protocol == "kfold" else 2
    read = copies.load_all(
        infos, config.data_dir, table_options, config.subsample, reuse_from, per_class
    )
    loaded = [item.dataset for item in read]
    paths = {names[name]: name for name, options in given.items() if options is not None}
    check_tasks(config, loaded, tables=set(paths))
    skipped = skips(config, specs, loaded)
    for dataset in loaded:
        for spec in not_installed:
            reason = f"the {spec.requires} package is not installed: {spec.install_hint}"
            skipped.setdefault(dataset.name, {})[spec.name] = reason
    check_for_datasets(config, specs, loaded, skipped)
    uses_gpu = any("uses_gpu" in spec.capabilities for spec in specs)
    if config.device != "auto" and uses_gpu:
        from treesvsnets.estimators.torch.devices import resolve_device

        with concerning("device"):  # --device cuda without CUDA: one sentence, no folder
            resolve_device(config.device)
    recipe = SplitRecipe(
        n_folds=config.folds,
        protocol=config.protocol,
        test_size=config.test_size,
        validation_fraction=config.validation_fraction,
        target_bins=config.target_bins,
    )
    split_plans = _split_plans(recipe, loaded, config.seeds, paths)
    plan = RunPlan(
        config=config,
        specs=specs,
        datasets=loaded,
        split_plans=split_plans,
        uses_gpu=uses_gpu,
        skipped=skipped,
        infos=infos,
        recipe=recipe,
        table_options=table_options,
        paths=paths,
        loaded=read,
        blend=blend,
    )
    with concerning("resample"):
        check_resampling(config, split_plans, plan.specs_for)
    return plan


def _split_plans(
    recipe: SplitRecipe, loaded: list[Dataset], seeds: tuple[int, ...], paths: dict[str, str]
) -> list[tuple[Dataset, SplitPlan]]:
    """One split plan per (dataset, seed); a table that cannot be split (a class smaller than
    the folds) is refused naming its file, as its short name alone would not say where."""
    plans = []
    for dataset in loaded:
        try:
            plans += [(dataset, recipe.plan(dataset, seed)) for seed in seeds]
        except TreesVsNetsError as exc:
            if dataset.name not in paths:
                raise
            raise type(exc)(f"data file {paths[dataset.name]!r}: {exc}") from None
    return plans


def data_note(dataset: Dataset, path: str, subsample: int | None = None) -> str:
    """One line on how a table (read from ``path``) was read: its target, what cleaning
    removed, what the columns became (and the rows ``--subsample`` keeps of those used)."""
    from treesvsnets.datasets.summary_rows import rows_removed

    cleaning = dataset.cleaning
    kept = subsample is not None and subsample < (cleaning.get("rows_used") or 0)
    removed = rows_removed(cleaning)
    kinds = Counter(reading.kind for reading in dataset.columns if reading.used)
    dropped = [f"{r.name} ({r.note.split(':')[0]})" for r in dataset.columns if not r.used]
    declared = cleaning.get("columns_dropped_by_definition")  # a built-in real table's
    dropped += [f"{name} (by its definition)" for name in declared or ()]
    columns = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    unread = [  # values a column's kind could not read: missing now, and imputed per fold
        f"{r.name!r} {r.unparsed}"
        + (f" (e.g. {r.unparsed_examples[0]!r})" if r.unparsed_examples else "")
        for r in dataset.columns
        if r.used and r.unparsed
    ]
    return (
        f"table {dataset.name!r}: target {cleaning.get('target')}, "
        f"{cleaning.get('task', dataset.task)}; "
        f"{cleaning.get('rows_used')} of {cleaning.get('rows_read')} rows used"
        + (f" ({', '.join(removed)} removed)" if removed else "")
        + (
            f"; {cleaning['duplicate_rows_kept']} rows repeat an earlier one, too many for "
            "copies: kept as repeated observations"
            if cleaning.get("duplicate_rows_kept")
            else ""
        )
        + (f", {cleaning['row_cap']}" if cleaning.get("row_cap") else "")
        + (f", of which --subsample keeps {subsample} (stratified)" if kept else "")
        + "".join(
            f"; {word!r} in the target read as a class ({cleaning[key]} rows{why}; "
            f"null_tokens = [...] with {word!r} reads it as missing)"
            for word, key, why in (
                ("None", "target_none_as_class", ""),
                ("NA", "target_na_as_class", ": the other labels are two-letter codes"),
            )
            if cleaning.get(key)
        )
        + (f"; columns: {columns}" if columns else "")
        + (
            "; suspected leakage, check before trusting any score: "
            + ", ".join(cleaning["columns_finer_than_target"])
            + " (each value goes with a single class)"
            if cleaning.get("columns_finer_than_target")
            else ""
        )
        + (f"; dropped: {', '.join(dropped)}" if dropped else "")
        + (f"; values unread, now missing: {', '.join(unread)}" if unread else "")
        + _far_targets(cleaning.get("target_far_values"))
        + (
            "; docs/data.md describes this built-in table"
            if declared is not None
            else f"; treesvsnets inspect {path} shows each column"
        )
    )


def _far_targets(far: dict | None) -> str:
    """The run's first line on target values far from the rest (``datasets.target.far_values``)."""
    if not far:
        return ""
    shown = ", ".join(f"{value:.6g}" for value in far["values"])
    return (
        f"; {far['count']} target value(s) 50 interquartile ranges or more from the median "
        f"({shown}): typos, or another unit? They weigh on every squared error"
    )


def describe_dataset(
    dataset: Dataset, options: TableOptions | None = None, path: str | None = None
) -> dict[str, Any]:
    """The manifest's entry for ``dataset``: its summary, and a table's file (as given) and
    reading options."""
    table = {"path": path, "table_options": options.describe()} if options else {}
    return {**dataset.describe(), **table}


def recorded_names(datasets: list[dict[str, Any]], origin: str | None = None) -> dict[str, str]:
    """A manifest's table files (their path as given; made absolute from ``origin``, the
    folder the run started in, for a config :func:`~treesvsnets.config_paths.rebased`
    there) -> the name each went by in its run: a run written before tables had short names
    records the path as the name."""
    from treesvsnets.config_paths import from_folder
    from treesvsnets.datasets.tables import looks_like_table

    paths = {
        entry.get("path") or entry["name"]: entry["name"]
        for entry in datasets
        if entry.get("path") or looks_like_table(entry["name"])
    }
    if origin is None:
        return paths
    return {from_folder(origin, path): name for path, name in paths.items()}


def untuned(prepared: RunPlan) -> list[str]:
    """The run's estimators that declare no search space for any task (their default rows
    only)."""
    tuned = {spec.name for spec in prepared.specs if search_space(prepared.config, spec)}
    return list(dict.fromkeys(s.name for s in prepared.specs if s.name not in tuned))


def small_grids(prepared: RunPlan) -> list[str]:
    """A grid search whose grid has fewer points than --tune leaves trials: its search stops
    there, a smaller budget than the others' (said, not left to the trials' counts)."""
    config = prepared.config
    if not config.tuning or config.sampler != "grid":
        return []
    sizes = {
        spec.name: space.grid_size()
        for spec in prepared.specs
        if (space := search_space(config, spec)) and space.grid_size() + 1 < config.tune
    }
    listed = ", ".join(f"{name} {size}" for name, size in sizes.items())
    return (
        [
            f"grids smaller than --tune {config.tune} (trial 0, the defaults, then each point "
            f"once): {listed} point(s); those searches stop there"
        ]
        if sizes
        else []
    )
