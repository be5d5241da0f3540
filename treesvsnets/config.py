"""RunConfig: what one benchmark run does, from defaults, a suite, a TOML file and flags.

Precedence is defaults < a suite's defaults < TOML file < command-line flags. Every value is
checked here, before any data is loaded; a bad one raises ConfigError naming the key, the
value and (for TOML) the file.

Each setting is declared once, as a field of :class:`RunConfig`: its default, its check
(:mod:`treesvsnets.config_fields`), whether it only says how cells execute, and its
:class:`Flag` (help, metavar, choices), from which the CLI builds its ``run`` flags. The
``execution`` mark is the one source of :data:`EXECUTION_KEYS` (what a resumed run may
change: :meth:`RunConfig.resumed_with`) and :data:`DEFINITION_KEYS`.

:meth:`RunConfig.validate` runs each field's own check (``'KEY' must be ..., got ...``), then
the checks across fields: each table's options (:meth:`RunConfig.table_options`), what needs
worker processes, and tuning: a tuning setting without tuning, tuning with ``fold_parallel``,
or trials scored on a validation slice of 0 rows is refused. ``PROTOCOLS`` is re-exported.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from treesvsnets import config_fields as checks
from treesvsnets.config_checks import check_across, check_target_against_tables
from treesvsnets.config_fields import (
    DEVICES,
    PROTOCOLS,
    RESAMPLERS,
    SAMPLERS,
    Flag,
    columns_setting,
    parse_memory,
    parse_shape,
    setting,
)
from treesvsnets.config_values import held, written
from treesvsnets.errors import ConfigError, did_you_mean, shown
from treesvsnets.suites import suite_overrides
from treesvsnets.tasks import METRIC_DEFAULTS, METRIC_HELP, TASKS

DEFAULT_DATASETS = ("digits",)
#: The default suite: every classical estimator (ensembles and the linear model) against the
#: two nets, so a first run shows the comparison the tool is named for (plus ``dummy``, which
#: every run gets unless ``baseline = false``).
DEFAULT_ESTIMATORS = ("ensemble", "linear", "dense", "cnn")

__all__ = ["DEVICES", "PROTOCOLS", "SAMPLERS", "Flag", "RunConfig", "parse_memory"]


_PLUGIN = Flag(
    "import a file (my_models.py) or module (my_pkg.models) that registers estimators; repeatable",
    metavar="FILE_OR_MODULE",
    name="--plugin",
)


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """What one run does. Each field declares its own check and flag (:func:`setting`);
    the settings that only say how cells execute are marked ``execution``, and
    EXECUTION_KEYS, DEFINITION_KEYS, the CLI's flags and resume's refusal all derive from
    that mark. Long declarations, one per setting: the help a user reads is here."""

    datasets: tuple[str, ...] = setting(
        DEFAULT_DATASETS,
        check=checks.names(),
        flag=Flag("dataset to use (repeatable)", "NAME", name="--dataset", short="-d"),
    )
    suite: str | None = setting(  # its datasets and defaults: treesvsnets.suites
        None,
        check=checks.optional_text("a suite's name or a suite file (.toml)"),
        flag=Flag("a suite: its name (treesvsnets list suites) or a .toml file", "NAME_OR_FILE"),
    )
    estimators: tuple[str, ...] = setting(
        DEFAULT_ESTIMATORS,
        check=checks.names(),
        flag=Flag(
            "estimator name, a family (ensemble, linear, deep, baseline) or 'all' (repeatable); "
            "'blend': trees plus nets, greedily ensembled (with --tune N --ensemble)",
            "NAME",
            name="--estimator",
            short="-e",
        ),
    )
    params: dict[str, dict[str, Any]] = setting(
        check=checks.table_of_tables("a table of tables, e.g. [params.rf] n_estimators = 300"),
        flag=Flag(
            "a parameter for the preceding -e (or NAME.KEY=VALUE); repeatable",
            "KEY=VALUE",
            name="--param",
        ),
        default_factory=dict,
    )
    folds: int = setting(5, check=checks.int_at_least(2), flag=Flag("number of CV folds", "K"))
    seeds: tuple[int, ...] = setting(
        (0,), check=checks.seeds, flag=Flag("one split plan per seed (repeated CV)", "SEED")
    )
    # per cell; None means every core this process may use
    threads: int | None = setting(
        None,
        check=checks.int_at_least(1, optional=True),
        flag=Flag("threads per cell", "N", default="every core"),
    )
    # "holdout": the official train/test split, else test_size
    protocol: str = setting(
        "kfold",
        check=checks.one_of(*PROTOCOLS, expected="'kfold' or 'holdout'"),
        flag=Flag(
            "kfold: the shared k-fold plan; holdout: the dataset's official train/test split "
            "(mnist, fashion_mnist), else a stratified --test-size split",
            choices=PROTOCOLS,
        ),
    )
    test_size: float = setting(
        0.2,
        check=checks.fraction(0, 1, low_open=True, expected="a fraction between 0 and 1"),
        flag=Flag("holdout test fraction", "F"),
    )
    # the inner slice of each training fold, for early stopping
    validation_fraction: float = setting(
        0.1,
        check=checks.fraction(0, 0.5, low_open=False, expected="a fraction in [0, 0.5)"),
        flag=Flag("inner validation slice of each training fold, for early stopping", "F"),
    )
    # a stratified subset of each dataset, for quick runs
    subsample: int | None = setting(
        None,
        check=checks.int_at_least(2, optional=True),
        flag=Flag("a stratified subset of N rows per dataset", "N"),
    )
    # the target column of the table files in datasets (default: their last column)
    target: str | None = setting(
        None,
        check=checks.optional_text("a column name"),
        flag=Flag(
            "target column of the table files given with -d", "COLUMN", default="their last column"
        ),
    )
    #: a table's task (default: inferred from its target); per file too, in tables / entries
    task: str | None = setting(
        None,
        check=checks.one_of(None, *TASKS, expected="'classification' or 'regression'"),
        flag=Flag(
            "how the table files' targets are read",
            choices=TASKS,
            default="inferred: text, yes/no and a few whole numbers are classes, other "
            "numbers regression",
        ),
    )
    #: the table files' rows as sequences (channels, length) or images (channels, height,
    #: width), for cnn1d and cnn; per file too, in tables / entries
    shape: tuple[int, ...] | None = setting(
        None,
        check=checks.shape,
        flag=Flag(
            "the table files' rows are sequences of C channels by L steps (1x40), for cnn1d, "
            "or images (1x28x28), for cnn; the numeric columns in file order",
            "CxL",
            parse=parse_shape,
        ),
    )
    #: per-column overrides of every table file given (a [tables] entry's lists add to them)
    drop: tuple[str, ...] = columns_setting("drop")
    categorical: tuple[str, ...] = columns_setting("categorical")
    numeric: tuple[str, ...] = columns_setting("numeric")
    datetime: tuple[str, ...] = columns_setting("datetime")
    keep: tuple[str, ...] = columns_setting("keep")
    #: regression folds stratified on this many quantile bins of the target (0: plain k-fold)
    target_bins: int = setting(
        0,
        check=checks.bins,
        flag=Flag(
            "stratify regression folds on N quantile bins of the target",
            "N",
            default="0, plain shuffled k-fold",
        ),
    )
    tables: dict[str, dict[str, Any]] = setting(  # per file: TableOptions (TOML only)
        check=lambda v: None if isinstance(v, dict) else "a table of file -> options",
        default_factory=dict,
    )
    metric: str | None = setting(  # judges the datasets of its task (tasks.primary)
        None, check=checks.metric, flag=Flag(METRIC_HELP, "NAME", default=METRIC_DEFAULTS)
    )
    # "balanced": weigh classes by inverse frequency in each training fold
    class_weight: str | None = setting(
        None,
        check=checks.one_of(None, "balanced", expected="'balanced' or absent"),
        flag=Flag(
            "weigh classes by inverse frequency in each training fold, through class_weight "
            "or sample_weight, for the estimators that support either (recorded per row)",
            choices=("balanced",),
        ),
    )
    # each training fold's fit rows resampled (datasets/resampling.py), never the validation
    # slice or the test fold
    resample: str = setting(
        "none",
        check=checks.one_of(*RESAMPLERS, expected="one of none, over, under, smote"),
        flag=Flag(
            "resample each training fold's fit rows for imbalanced classes, after the "
            "validation slice is set aside and the preprocessing is fitted: over (repeat rows "
            "of the smaller classes), under (drop rows of the larger), smote (new rows between "
            "neighbours); needs imbalanced-learn (the imbalance extra); recorded per row",
            choices=RESAMPLERS,
        ),
    )
    baseline: bool = setting(
        True,
        check=checks.boolean,
        flag=Flag(
            "leave out the trivial baseline (dummy: the most frequent class, or the mean) "
            "that every run adds, and the sentences that flag estimators not better than it"
        ),
    )
    device: str = setting(
        "auto",
        check=checks.device,
        flag=Flag("where the nets train: auto (CUDA when present), cpu or cuda", choices=DEVICES),
    )
    data_dir: Path | None = setting(  # downloaded datasets: MNIST, mnist1d, OpenML's cache
        None,
        check=lambda v: None if v is None else checks.folder(v),
        flag=Flag(
            "folder of downloaded datasets (MNIST, FashionMNIST, mnist1d; OpenML's cache in "
            "openml/), read there or downloaded to it",
            "DIR",
            default="$TREESVSNETS_DATA_DIR or ~/.cache/treesvsnets/datasets",
        ),
    )
    out: Path = setting(Path("runs"), check=checks.folder, flag=Flag("where run folders go", "DIR"))
    name: str | None = setting(
        None, check=checks.folder_name, flag=Flag("suffix of the run folder's name", "NAME")
    )
    plugins: tuple[str, ...] = setting((), check=checks.texts, flag=_PLUGIN)
    # Tuning: per outer fold, trials (trial 0: the defaults) scored on the validation slice
    tune: int | None = setting(
        None,
        check=checks.int_at_least(1, optional=True),
        flag=Flag("trials per estimator per fold (trial 0 included)", "N", group="tuning"),
    )
    tune_time: float | None = setting(
        None,
        check=checks.seconds,
        flag=Flag(
            "a budget of seconds per estimator per fold (the sum of its trials' times), "
            "instead of or beside --tune",
            "SECONDS",
            group="tuning",
        ),
    )
    sampler: str = setting(
        "random",
        check=checks.one_of(*SAMPLERS, expected="one of random, tpe, grid"),
        flag=Flag(
            "how trials are drawn: random (as TabZilla and TabArena), tpe (Optuna's TPE), "
            "grid (each range's 5 points)",
            choices=SAMPLERS,
            group="tuning",
        ),
    )
    # 0: score trials on the validation slice; K >= 2: by inner K-fold CV of the training fold
    tune_cv: int = setting(
        0,
        check=checks.inner_folds,
        flag=Flag(
            "score each trial by inner K-fold CV of the training fold instead of the "
            "validation slice (slower, less noisy)",
            "K",
            default="0, the validation slice",
            group="tuning",
        ),
    )
    # a third row per tuned fold: Caruana's greedy ensemble of the search's trials
    ensemble: bool = setting(
        False,
        check=checks.boolean,
        flag=Flag(
            "with tuning, a third row per tuned estimator and fold, tuned+ensembled: the "
            "trials weighted by greedy ensemble selection on the validation predictions "
            "(Caruana et al., as TabArena)",
            group="tuning",
        ),
    )
    ensemble_size: int = setting(
        40,
        check=checks.int_at_least(1),
        flag=Flag("the greedy ensemble selection's steps (with --ensemble)", "N", group="tuning"),
    )
    spaces: dict[str, dict[str, Any]] = setting(  # per estimator: its search space
        check=checks.table_of_tables(
            "a table of tables, e.g. [spaces.rf] max_depth = {int = [2, 12]}"
        ),
        default_factory=dict,
    )
    # How the cells are executed (may change when a run is resumed; the rows may not).
    jobs: int = setting(
        1,
        check=checks.int_at_least(1),
        execution=True,
        flag=Flag("cells at once on this machine; each gets cores/N threads", "N", short="-j"),
    )
    timeout: float | None = setting(
        None,
        check=checks.seconds,
        execution=True,
        flag=Flag(
            "stop a cell after this long and record it as 'timeout'",
            "SECONDS",
            default="no limit",
        ),
    )
    max_memory: str | None = setting(
        None,
        check=checks.memory,
        execution=True,
        flag=Flag(
            "stop a cell whose processes hold more than SIZE resident (e.g. 8GB, 500MB) "
            "and record it as 'oom'",
            "SIZE",
            default="no limit",
        ),
    )
    scheduler: str | None = setting(
        None,
        check=checks.scheduler,
        execution=True,
        flag=Flag(
            "run the cells on a Dask cluster, e.g. tcp://HOST:8786 (see docs/scaling.md)",
            "ADDRESS",
        ),
    )
    isolate: bool = setting(
        True,
        check=checks.boolean,
        execution=True,
        flag=Flag(
            "run cells in this process, one by one: no limits, but easy to debug (pdb)",
            name="--in-process",
        ),
    )
    fold_parallel: bool = setting(
        False,
        check=checks.boolean,
        execution=True,
        flag=Flag(
            "train a net's k folds together as one stacked model, one cell for all k "
            "(dense; much faster for small nets; each row says how many folds trained together)"
        ),
    )

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Each field's own check, then what involves several fields."""
        for declared in fields(self):
            value = getattr(self, declared.name)
            expected = declared.metadata["check"](value)
            if expected is not None:
                raise ConfigError(f"{declared.name!r} must be {expected}, got {shown(value)}.")
        for name in self.datasets:
            self.table_options(name)  # unknown or ill-typed options fail here
        check_across(self)

    @property
    def tuning(self) -> bool:
        """Whether the run tunes (a number of trials or a time budget per fold)."""
        return self.tune is not None or self.tune_time is not None

    def table_options(self, name: str) -> Any:
        """The TableOptions of dataset ``name`` when it is a table file, else None."""
        from treesvsnets.datasets.table_files import same_file
        from treesvsnets.datasets.table_options import COLUMN_OPTIONS, TableOptions
        from treesvsnets.datasets.tables import looks_like_table

        if not looks_like_table(name):
            return None
        entry = self.tables.get(name)
        if entry is None:  # the file under another spelling (./a.csv for a.csv)
            entry = next((v for k, v in self.tables.items() if same_file(k, name)), {})
        given = dict(entry)
        if self.target is not None:
            given.setdefault("target", self.target)
        if self.task is not None:
            given.setdefault("task", self.task)
        if self.shape is not None:
            given.setdefault("shape", tuple(self.shape))
        for key in COLUMN_OPTIONS:  # the run's, then the entry's own, each column once
            if getattr(self, key):
                given[key] = tuple(dict.fromkeys([*getattr(self, key), *given.get(key, ())]))
        return TableOptions.from_given(name, given)

    def with_overrides(self, **overrides: Any) -> RunConfig:
        """A copy with the given keys replaced (``None``: not given; a suite: suite_overrides)."""
        unknown = [key for key in overrides if key not in KEYS]
        if unknown:  # a misspelt keyword argument of treesvsnets.run
            raise ConfigError(
                f"unknown setting {unknown[0]!r}; valid settings are: {', '.join(KEYS)}."
                + did_you_mean(unknown[0], KEYS)
            )
        given = {key: value for key, value in overrides.items() if value is not None}
        if isinstance(given.get("suite"), Path):  # a suite's file as a notebook names it
            given["suite"] = str(given["suite"])
        if "suite" in given or ("datasets" in given and self.suite):
            given = suite_overrides(self, given)
        if "target" in given and "tables" not in overrides:
            check_target_against_tables(
                given["target"],
                given.get("tables", self.tables),
                given.get("datasets", self.datasets),
            )
        return replace(self, **{key: held(key, value) for key, value in given.items()})

    def resumed_with(self, execution: dict[str, Any]) -> RunConfig:
        """This recorded config with a resume's ``execution``; in this process (isolate false)
        without the settings only workers have (jobs, limits, scheduler) unless given again."""
        workers = dict(jobs=1, timeout=None, max_memory=None, scheduler=None)
        base = replace(self, **workers) if execution.get("isolate") is False else self
        return base.with_overrides(**execution)

    def to_dict(self) -> dict[str, Any]:
        """Every setting as TOML and JSON write it (lists, not tuples; paths as text)."""
        return {f.name: written(getattr(self, f.name)) for f in fields(self)}

    def execution(self) -> dict[str, Any]:
        """The keys that say how cells run, not what they compute."""
        return {key: getattr(self, key) for key in EXECUTION_KEYS}

    @property
    def memory_limit_mb(self) -> float | None:
        if self.max_memory is None:
            return None
        return parse_memory(self.max_memory, key="max_memory") / 2**20

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """The inverse of :meth:`to_dict` (a manifest's config), for ``--resume``."""
        known = {key: value for key, value in data.items() if key in KEYS}
        known.setdefault("baseline", False)  # a run recorded before the baseline had none
        return cls(**{key: held(key, value) for key, value in known.items()})


KEYS = tuple(f.name for f in fields(RunConfig))
#: Settings a resumed run may change: they decide where and under which limits cells run.
EXECUTION_KEYS = tuple(f.name for f in fields(RunConfig) if f.metadata.get("execution"))
#: Settings that define what a run computes: a resumed run keeps its own.
DEFINITION_KEYS = tuple(key for key in KEYS if key not in EXECUTION_KEYS)
