"""What a job asks a worker to load: its dataset and its split plan, by name and hash.

:class:`DatasetRequest` names a dataset, the fingerprint the harness saw, where to load it
from (the data folder, the subsample, or a table's cleaned copy); :class:`SplitPlanRequest`
the SplitRecipe and seed that rebuild a split plan, and the hash it must have. Each is made
by its ``.of()``; a :class:`~.jobs.JobRunner` loads what they name once per worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from treesvsnets.bench.cells.splits import SplitPlan, SplitRecipe
from treesvsnets.datasets.base import Dataset


@dataclass(frozen=True)
class DatasetRequest:
    """How to load a dataset, and the fingerprint the harness saw when it planned.

    ``table`` is the path of the table's cleaned copy (:mod:`.copies`), which a worker loads
    instead of reading the source again; it says where a copy lies, not which data it is, so
    it takes no part in comparing requests (a worker keeps one loaded dataset per request)."""

    name: str
    fingerprint: str
    data_dir: str | None = None
    subsample: int | None = None
    table: str | None = field(default=None, compare=False)

    @classmethod
    def of(
        cls,
        dataset: Dataset,
        data_dir: str | Path | None,
        subsample: int | None,
        table: str | None = None,
    ) -> DatasetRequest:
        """The request that loads ``dataset`` again (``data_dir`` made absolute, so a worker
        elsewhere finds it), from its cleaned copy ``table`` when it has one."""
        where = None if data_dir is None else str(Path(data_dir).resolve())
        return cls(dataset.name, dataset.fingerprint, where, subsample, table)


@dataclass(frozen=True)
class SplitPlanRequest:
    """How to rebuild a split plan (the run's recipe and the plan's seed), and the hash the
    harness stored for it."""

    recipe: SplitRecipe
    seed: int
    hash: str

    @classmethod
    def of(cls, recipe: SplitRecipe, split_plan: SplitPlan) -> SplitPlanRequest:
        """The request that rebuilds ``split_plan``, made with ``recipe``."""
        return cls(recipe, split_plan.seed, split_plan.hash)
