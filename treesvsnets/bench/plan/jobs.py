"""Cells as plain, picklable descriptions, and the worker-side state that runs them.

A :class:`CellJob` names its dataset, split plan and estimator, and carries the identity
of its result row as the harness built it; it carries no arrays. Whoever runs it (this
process, a worker process, a Dask worker) holds a :class:`JobRunner` that loads each
dataset and split plan once, checks that they are the ones the harness planned with
(fingerprint and split hash), and hands each job its loaded data: a job runs itself
(``execute``: a :class:`CellJob` with :func:`~treesvsnets.bench.cells.cell.run_cell`, a
:class:`FoldGroupJob` with :func:`~treesvsnets.bench.cells.cell.run_fold_group`, a
:class:`TrialJob` with :func:`~treesvsnets.bench.tune.trial.run_trial`) and says the rows of
its own failure (``failure_rows``), so nothing here switches on a job's kind.

A :class:`CellJob` is its cell, a :class:`~.requests.DatasetRequest` (name, fingerprint, data
folder, subsample, the table's cleaned copy), a :class:`~.requests.SplitPlanRequest` (the
run's SplitRecipe, the seed, the plan's hash; each request made by its ``.of()``), its
:class:`Limits` and its row's CellIdentity. A :class:`TrialJob` is a CellJob with the trial's
number, sampler, drawn values and scoring: it returns one trial row, and its failure rows are
trial rows too (the tuned+ensembled row's job is in :mod:`~treesvsnets.bench.plan.feed`,
which makes it). A :class:`FoldGroupJob`
holds the CellJobs of one estimator, dataset and seed trained together (its time limit is
the cell's times the folds). :class:`WorkerSetup` is what a worker needs first (the plugins,
the cloudpickled specs and dataset infos, ``sys.path``); :class:`JobRunner` calls the
``started`` it is given once a job's data is loaded, where the cell's clock starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from treesvsnets.bench.cells.cell import run_cell, run_fold_group
from treesvsnets.bench.cells.inputs import Cell
from treesvsnets.bench.cells.measure import reset_peak_rss
from treesvsnets.bench.cells.splits import SplitPlan
from treesvsnets.bench.plan.requests import DatasetRequest, SplitPlanRequest
from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.cleaned import load_cleaned
from treesvsnets.datasets.registry import DatasetInfo, load_from
from treesvsnets.errors import ConfigError, DatasetError, TreesVsNetsWarning
from treesvsnets.estimators.base import DEEP_FAMILY, EstimatorSpec
from treesvsnets.results.row import CellIdentity, failure_measurement, now, result_row


@dataclass(frozen=True)
class Limits:
    """Hard per-cell limits; a cell past one is stopped (it needs a worker process)."""

    seconds: float | None = None
    memory_mb: float | None = None
    #: the setting ``seconds`` comes from, as a stopped row names it
    seconds_from: str = "--timeout"


@dataclass(frozen=True)
class CellJob:
    """One unit of work: everything a worker needs except the data, which it loads once."""

    cell: Cell
    dataset: DatasetRequest
    plan: SplitPlanRequest
    identity: CellIdentity  # the start of the cell's row, as the harness built it
    limits: Limits = field(default_factory=Limits)
    artifacts_dir: str | None = None

    @property
    def run_id(self) -> str:
        return self.identity.run_id

    @property
    def key(self) -> tuple[str, str, int, int]:
        return self.cell.key

    @property
    def members(self) -> tuple[CellJob, ...]:
        """The cells this job runs: itself (a :class:`FoldGroupJob` runs several)."""
        return (self,)

    @property
    def wants_lean_worker(self) -> bool:
        """Whether the job fits a model whose memory would read wrong in a worker that holds
        a net's library it does not load itself: any estimator but a net (a tree's cell
        after a net's read torch's 600 MB as its own)."""
        return self.identity.family != DEEP_FAMILY

    def with_threads(self, threads: int) -> CellJob:
        """The job with its thread budget decided (where it runs, e.g. on a Dask worker)."""
        cell = replace(self.cell, threads=threads)
        return replace(self, cell=cell, identity=replace(self.identity, threads=threads))

    def with_table(self, table: str) -> CellJob:
        """The job reading its dataset's cleaned copy at ``table`` (a Dask worker's own)."""
        return replace(self, dataset=replace(self.dataset, table=table))

    def execute(
        self, runner: JobRunner, dataset: Dataset, split_plan: SplitPlan
    ) -> list[dict[str, Any]]:
        """Run the cell on its loaded data: its row (one, in a list)."""
        context = _cell_context(self, runner, dataset, split_plan)
        return _rows([run_cell(self.cell, identity=self.identity, **context)], runner)

    def failure_rows(
        self, status: str, error: str, *, seconds: float | None = None, **seen: Any
    ) -> list[dict[str, Any]]:
        """The rows of the cells that did not report back: each one's identity and why
        (``seen``: ``started_at``, ``peak_rss_mb``, ``traceback``, what the harness saw; a
        cell's row keeps no time for a cell that never finished, so ``seconds`` is unused)."""
        return [
            result_row(
                member.identity,
                failure_measurement(status, error, class_weight=member.cell.class_weight, **seen),
            )
            for member in self.members
        ]


@dataclass(frozen=True)
class FoldGroupJob:
    """One estimator's cells on several folds of one split plan, trained together.

    ``--fold-parallel`` groups the folds of an estimator whose spec declares the
    ``fold_parallel`` capability: one worker fits all its folds' models at once
    (as one stacked model) and returns one row per fold. Its time limit is the
    per-cell limit times the number of folds.
    """

    members: tuple[CellJob, ...]

    def __post_init__(self) -> None:
        first = self.members[0]
        if any(
            (m.cell.dataset, m.cell.estimator, m.cell.seed, m.plan)
            != (first.cell.dataset, first.cell.estimator, first.cell.seed, first.plan)
            for m in self.members
        ):
            raise ValueError("a fold group holds one estimator's cells of one split plan")

    @property
    def dataset(self) -> DatasetRequest:
        return self.members[0].dataset

    @property
    def wants_lean_worker(self) -> bool:
        return self.members[0].wants_lean_worker

    @property
    def plan(self) -> SplitPlanRequest:
        return self.members[0].plan

    @property
    def run_id(self) -> str:
        return self.members[0].run_id

    @property
    def limits(self) -> Limits:
        limits = self.members[0].limits
        if limits.seconds is None:
            return limits
        return replace(limits, seconds=limits.seconds * len(self.members))

    def with_threads(self, threads: int) -> FoldGroupJob:
        return FoldGroupJob(tuple(m.with_threads(threads) for m in self.members))

    def with_table(self, table: str) -> FoldGroupJob:
        return FoldGroupJob(tuple(m.with_table(table) for m in self.members))

    def execute(
        self, runner: JobRunner, dataset: Dataset, split_plan: SplitPlan
    ) -> list[dict[str, Any]]:
        """Fit the folds' models together and score each fold: one row per fold."""
        outcomes = run_fold_group(
            [m.cell for m in self.members],
            identities=[m.identity for m in self.members],
            **_cell_context(self.members[0], runner, dataset, split_plan),
        )
        return _rows(outcomes, runner)

    failure_rows = CellJob.failure_rows


@dataclass(frozen=True)
class TrialJob(CellJob):
    """One trial of a search on one outer fold: the cell with the trial's config in its
    params, scored on the validation slice (or inner CV). It returns one trial row, and a
    worker that dies or passes the time limit costs this trial only."""

    trial: int = 0
    sampler: str = "random"
    sampled: str = "{}"  # JSON: the values the sampler drew ({} for trial 0, the defaults)
    tune_cv: int = 0
    metric: str = "accuracy"  # the column of the score the search selects by
    keep_predictions: bool = False  # --ensemble: the trial's predictions go to the run folder

    def execute(
        self, runner: JobRunner, dataset: Dataset, split_plan: SplitPlan
    ) -> list[dict[str, Any]]:
        """Fit and score the trial: its trial row (one, in a list)."""
        from dataclasses import asdict

        from treesvsnets.bench.tune.ensemble import predictions_path
        from treesvsnets.bench.tune.trial import run_trial

        keep = None
        if self.keep_predictions and self.artifacts_dir:
            keep = predictions_path(self.artifacts_dir, *self.cell.key, self.trial)
        trial = run_trial(
            self.cell,
            runner.spec(self.cell.estimator, dataset.task),
            dataset,
            split_plan,
            run_id=self.run_id,
            trial=self.trial,
            sampler=self.sampler,
            sampled=self.sampled,
            tune_cv=self.tune_cv,
            metric=self.metric,
            keep=keep,
        )
        return [asdict(trial)]

    def failure_rows(self, status: str, error: str, **seen: Any) -> list[dict[str, Any]]:
        """The trial's row, for a trial that never reports back (a trial row keeps no memory
        reading and no traceback). Its ``seconds`` are the time it ran until the harness
        stopped it (a timed-out trial: its limit), which a time budget counts as spent."""
        return [
            {
                **self.trial_row_start(),
                "status": status,
                "error": error,
                "seconds": seen.get("seconds"),
                "started_at": seen.get("started_at"),
                "ended_at": now(),
            }
        ]

    def trial_row_start(self) -> dict[str, Any]:
        """The trial row's identity, for a trial that never reports back."""
        from treesvsnets.bench.tune.trial import trial_identity

        return trial_identity(
            self.cell,
            run_id=self.identity.run_id,
            task=self.identity.task,
            trial=self.trial,
            sampler=self.sampler,
            sampled=self.sampled,
            tune_cv=self.tune_cv,
            metric=self.metric,
        )


Job = CellJob | FoldGroupJob


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker needs before its first cell: the run's plugins, estimators and datasets.

    ``payload`` is a cloudpickle of ``{"specs": ..., "datasets": ...}``. A worker
    imports the plugins first, so estimators defined in a plugin file unpickle
    by reference to the same module there.
    """

    plugins: tuple[str, ...]
    payload: bytes
    sys_path: tuple[str, ...]
    #: the plugin files' contents as the harness imported them (a digest each): a worker set
    #: up before a file was edited does not count as set up with this
    plugin_digests: tuple[str, ...] = ()

    @classmethod
    def create(
        cls,
        specs: list[EstimatorSpec],
        datasets: list[DatasetInfo],
        plugins: tuple[str, ...] = (),
    ) -> WorkerSetup:
        import cloudpickle

        for kind, items in (("estimator", specs), ("dataset", datasets)):
            for item in items:
                try:
                    cloudpickle.dumps(item)
                except Exception as exc:  # noqa: BLE001 - any pickling failure, named
                    raise ConfigError(
                        f"{kind} {item.name!r} cannot be sent to a worker process "
                        f"({type(exc).__name__}: {exc}); define it in a module or a plugin "
                        "file, or run the cells in this process (isolate=False, --in-process)."
                    ) from None
        payload = cloudpickle.dumps({"specs": specs, "datasets": {d.name: d for d in datasets}})
        from treesvsnets.estimators.plugins import loaded_digest

        loaded = _plugins_to_load(plugins, payload)
        digests = tuple(loaded_digest(plugin) for plugin in loaded)
        return cls(
            plugins=loaded, payload=payload, sys_path=tuple(sys.path), plugin_digests=digests
        )

    def same_imports(self, other: WorkerSetup) -> bool:
        """Whether a worker set up with this imports what ``other`` needs loaded first: the
        same plugins from the same import path (its estimators and datasets may differ)."""
        return self.plugins == other.plugins and self.sys_path == other.sys_path

    @property
    def key(self) -> str:
        digest = hashlib.sha256(self.payload)
        digest.update(repr((self.plugins, self.sys_path, self.plugin_digests)).encode())
        return digest.hexdigest()[:16]


def _plugins_to_load(plugins: tuple[str, ...], payload: bytes) -> tuple[str, ...]:
    """The run's plugins, plus the plugin files loaded by hand (``load_plugin`` in a
    notebook) that the run's specs refer to.

    A worker must import a plugin file before it can unpickle what the file defines (the
    pickle names its module); files are named by absolute path, so a worker elsewhere finds
    them. A file loaded earlier in this process whose estimators this run does not use is
    left out: a torch plugin would otherwise cost every later run's workers torch's memory.
    """
    from treesvsnets.estimators.plugins import PLUGIN_MODULE_PREFIX

    wanted = [str(Path(p).resolve()) if p.endswith(".py") or "/" in p else p for p in plugins]
    for name, module in list(sys.modules.items()):
        if (
            name.startswith(PLUGIN_MODULE_PREFIX)
            and getattr(module, "__file__", None)
            and name.encode() in payload
        ):
            wanted.append(str(Path(module.__file__).resolve()))
    return tuple(dict.fromkeys(wanted))


class JobRunner:
    """Runs jobs in this process, loading each dataset and split plan at most once."""

    def __init__(
        self,
        specs: Iterable[EstimatorSpec],
        datasets: dict[str, DatasetInfo],
        *,
        loaded: dict[DatasetRequest, Dataset] | None = None,
        plans: dict[tuple[DatasetRequest, SplitPlanRequest], SplitPlan] | None = None,
    ) -> None:
        from treesvsnets.bench.cells.environment import package_versions, versions_hash

        self.specs = {(spec.name, spec.task): spec for spec in specs}
        self.datasets = datasets
        self._loaded = dict(loaded or {})
        self._plans = dict(plans or {})
        self.versions_hash = versions_hash(package_versions())

    @classmethod
    def from_setup(cls, setup: WorkerSetup) -> JobRunner:
        """The runner of a worker process: same import path, plugins, then estimators (a
        plugin file loaded by an earlier setup is imported again only if it was edited:
        :func:`~treesvsnets.estimators.plugins.load_plugin`)."""
        import cloudpickle

        from treesvsnets.estimators.plugins import load_plugin

        for entry in setup.sys_path:
            if entry not in sys.path:
                sys.path.append(entry)
        for plugin in setup.plugins:
            load_plugin(plugin)
        payload = cloudpickle.loads(setup.payload)
        return cls(payload["specs"], payload["datasets"])

    def spec(self, name: str, task: str) -> EstimatorSpec:
        """The spec of estimator ``name`` for ``task`` (a cell's, on a dataset of that task)."""
        return self.specs[(name, task)]

    def dataset(self, request: DatasetRequest) -> Dataset:
        """The requested dataset, loaded once: a table from its cleaned copy (as the harness
        read it, subsample included), any other from its loader."""
        if request not in self._loaded:
            if request.table is not None:
                dataset = load_cleaned(request.table)
            else:
                dataset = load_from(self.datasets[request.name], request.data_dir)
                if request.subsample:
                    dataset = dataset.subsample(request.subsample)
            if dataset.fingerprint != request.fingerprint:
                raise DatasetError(
                    f"dataset {request.name!r} loaded on this worker has fingerprint "
                    f"{dataset.fingerprint}, not the harness's {request.fingerprint}: the "
                    "worker reads different data (another data_dir or version?)."
                )
            self._loaded[request] = dataset
        return self._loaded[request]

    def split_plan(self, request: DatasetRequest, plan_request: SplitPlanRequest) -> SplitPlan:
        key = (request, plan_request)
        if key not in self._plans:
            with warnings.catch_warnings():  # the harness gave them as it made the plan
                warnings.simplefilter("ignore", TreesVsNetsWarning)
                split_plan = plan_request.recipe.plan(self.dataset(request), plan_request.seed)
            if split_plan.hash != plan_request.hash:
                raise DatasetError(
                    f"the split plan for {request.name!r} (seed {plan_request.seed}) rebuilt on "
                    f"this worker has hash {split_plan.hash}, not {plan_request.hash}."
                )
            self._plans[key] = split_plan
        return self._plans[key]

    def run(self, job: Job, started: Callable[[], None] | None = None) -> list[dict[str, Any]]:
        """The job's result rows, one per cell (status ``error`` when a cell, or loading its
        data, failed). ``started()`` is called once the data is loaded, when the cells' own
        clock starts (a worker tells the harness, whose limits start there). It prints to stderr."""
        preparing = now()
        try:  # loading is not the cell's: its clock and limits start after this
            dataset = self.dataset(job.dataset)
            split_plan = self.split_plan(job.dataset, job.plan)
        except Exception as exc:  # noqa: BLE001 - recorded on the rows, the run goes on
            return job.failure_rows(
                "error", f"could not prepare the cell: {exc}", started_at=preparing
            )
        finally:
            if started is not None:
                # the harness's memory limit reads this process's peak from here on: the
                # peak of loading the data (or of an earlier cell) is not the cell's
                reset_peak_rss()
                started()
        with contextlib.redirect_stdout(sys.stderr):  # stdout is the leaderboard's
            return job.execute(self, dataset, split_plan)


def _rows(outcomes: list[Any], runner: JobRunner) -> list[dict[str, Any]]:
    """The cells' rows, each with the library versions of the process that ran it."""
    for outcome in outcomes:
        outcome.measurement.versions_hash = runner.versions_hash
    return [outcome.row for outcome in outcomes]


def _cell_context(
    first: CellJob, runner: JobRunner, dataset: Dataset, split_plan: SplitPlan
) -> dict[str, Any]:
    """What running a cell (or a fold group) takes besides its cells and identities."""
    return {
        "spec": runner.spec(first.cell.estimator, dataset.task),
        "dataset": dataset,
        "split_plan": split_plan,
        "run_id": first.run_id,
        "artifacts_dir": Path(first.artifacts_dir) if first.artifacts_dir else None,
    }
