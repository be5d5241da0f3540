"""The ``treesvsnets`` command: parse flags, call the library, print.

Exit codes: 0 success, 2 a user error (bad flag, unknown name, bad config or
data; one sentence on stderr), 1 anything else, 130 interrupted.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import os
import sys
import tomllib
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from treesvsnets import __version__
from treesvsnets.config import PROTOCOLS
from treesvsnets.errors import ConfigError, TreesVsNetsError
from treesvsnets.tasks import TASKS

PROG = "treesvsnets"


class _EstimatorAction(argparse.Action):
    """``-e NAME``: append, and remember it for the ``--param`` flags that follow."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[override]
        chosen = getattr(namespace, self.dest) or []
        setattr(namespace, self.dest, [*chosen, values])
        namespace.last_estimator = values


class _ParamAction(argparse.Action):
    """``--param KEY=VALUE`` for the preceding ``-e``, or ``--param NAME.KEY=VALUE``."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[override]
        key, sep, raw = values.partition("=")
        if not sep or not key:
            parser.error(f"--param {values!r} must look like KEY=VALUE, e.g. n_estimators=300")
        estimator, dot, name = key.partition(".")
        if not dot:
            estimator, name = getattr(namespace, "last_estimator", None), key
            if estimator is None:
                parser.error(
                    f"--param {values} must follow the -e it applies to, "
                    f"or name the estimator: --param rf.{key}={raw}"
                )
        params = getattr(namespace, self.dest) or {}
        params.setdefault(estimator, {})[name] = parse_value(raw)
        setattr(namespace, self.dest, params)


def _shape(text: str) -> tuple[int, ...]:
    """``--shape 1x40`` (or ``1,40``) -> (1, 40)."""
    parts = text.replace(",", "x").lower().split("x")
    try:
        shape = tuple(int(part) for part in parts)
    except ValueError:
        shape = ()
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a shape; write CxL for sequences (1x40) or CxHxW for images"
        )
    return shape


def parse_value(raw: str) -> Any:
    """A flag value as TOML reads it (``300`` -> int, ``true`` -> bool), else the plain string."""
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Benchmark classical ensembles against deep nets on the same k-fold splits.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = _add_run(commands)
    _add_tuning_flags(run)
    _add_execution_flags(run)
    # each setting's flag as a user types it, for messages (--resume's refusal)
    run.set_defaults(
        flag_names={a.dest: a.option_strings[-1] for a in run._actions if a.option_strings}
    )

    _add_other_commands(commands)
    return parser


def _add_run(commands: Any) -> argparse.ArgumentParser:
    """``run`` and its flags for what to run and how to read the data."""
    run = commands.add_parser(
        "run",
        help="run a benchmark (default: the classical estimators and the nets on digits, 5 folds)",
        description="Run every chosen estimator on every chosen dataset with k-fold CV. "
        "Flags override the --config file, which overrides the defaults.",
    )
    run.add_argument(
        "-d",
        "--dataset",
        action="append",
        dest="datasets",
        metavar="NAME",
        help="dataset to use (repeatable); default: digits",
    )
    run.add_argument(
        "-e",
        "--estimator",
        action=_EstimatorAction,
        dest="estimators",
        metavar="NAME",
        help="estimator name, a family (ensemble, linear, deep, baseline) "
        "or 'all' (repeatable); default: ensemble linear dense cnn",
    )
    run.add_argument(
        "--param",
        action=_ParamAction,
        dest="params",
        metavar="KEY=VALUE",
        help="a parameter for the preceding -e (or NAME.KEY=VALUE); repeatable",
    )
    _add_split_flags(run)
    _add_table_flags(run)
    run.add_argument(
        "--class-weight",
        choices=["balanced"],
        help="weigh classes by inverse frequency in each training fold, through class_weight "
        "or sample_weight, for the estimators that support either (recorded per row)",
    )
    run.add_argument(
        "--no-baseline",
        action="store_false",
        dest="baseline",
        default=None,
        help="leave out the trivial baseline (dummy: the most frequent class, or the mean) "
        "that every run "
        "adds, and the sentences that flag estimators not better than it",
    )
    run.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        help="where the nets train: auto (CUDA when present, default), cpu or cuda",
    )
    run.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="folder with MNIST/FashionMNIST files, or to download them to "
        "(default: $TREESVSNETS_DATA_DIR or ~/.cache/treesvsnets/datasets)",
    )
    run.add_argument("--out", type=Path, metavar="DIR", help="where run folders go (default runs/)")
    run.add_argument("--name", metavar="NAME", help="suffix of the run folder's name")
    run.add_argument(
        "--config",
        type=Path,
        metavar="FILE.toml",
        help="a TOML file with the same keys as these flags",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no per-cell progress lines")
    _add_plugin_flag(run)
    return run


def _add_split_flags(run: argparse.ArgumentParser) -> None:
    """How the rows are split: folds, seeds, the protocol, the validation slice, threads."""
    run.add_argument("--folds", type=int, metavar="K", help="number of CV folds (default 5)")
    run.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        metavar="SEED",
        help="one split plan per seed (repeated CV); default 0",
    )
    run.add_argument(
        "--threads", type=int, metavar="N", help="threads per cell (default: every core)"
    )
    run.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        help="kfold (default): the shared k-fold plan; holdout: the dataset's official "
        "train/test split (mnist, fashion_mnist), else a stratified --test-size split",
    )
    run.add_argument("--test-size", type=float, metavar="F", help="holdout test fraction (0.2)")
    run.add_argument(
        "--validation-fraction",
        type=float,
        metavar="F",
        help="inner validation slice of each training fold, for early stopping (0.1)",
    )
    run.add_argument(
        "--subsample", type=int, metavar="N", help="a stratified subset of N rows per dataset"
    )


def _add_table_flags(run: argparse.ArgumentParser) -> None:
    """How a table file's target is read: the column, the task, a shape, the target bins."""
    run.add_argument(
        "--target",
        metavar="COLUMN",
        help="target column of the table files given with -d (default: their last column)",
    )
    run.add_argument(
        "--task",
        choices=TASKS,
        help="how the table files' targets are read (default: inferred: text, yes/no and a "
        "few whole numbers are classes, other numbers regression)",
    )
    run.add_argument(
        "--shape",
        type=_shape,
        metavar="CxL",
        help="the table files' rows are sequences of C channels by L steps (1x40), for cnn1d, "
        "or images (1x28x28), for cnn; the numeric columns in file order",
    )
    run.add_argument(
        "--target-bins",
        type=int,
        metavar="N",
        help="stratify regression folds on N quantile bins of the target (default 0: plain "
        "shuffled k-fold)",
    )


def _add_tuning_flags(run: argparse.ArgumentParser) -> None:
    tuning = run.add_argument_group(
        "tuning",
        "per outer fold, each estimator with a search space gets trials (trial 0: its "
        "defaults), each fitted on the fold's fit rows and scored on its validation slice; "
        "the best is refitted as the default is and scored on the test fold: two rows per fold "
        "(tuning = default, tuned). The test fold never chooses. treesvsnets list spaces",
    )
    tuning.add_argument(
        "--tune", type=int, metavar="N", help="trials per estimator per fold (trial 0 included)"
    )
    tuning.add_argument(
        "--tune-time",
        type=float,
        metavar="SECONDS",
        help="a budget of seconds per estimator per fold (the sum of its trials' times), "
        "instead of or beside --tune",
    )
    tuning.add_argument(
        "--sampler",
        choices=["random", "tpe", "grid"],
        help="how trials are drawn: random (default, as TabZilla and TabArena), tpe "
        "(Optuna's TPE), grid (each range's 5 points)",
    )
    tuning.add_argument(
        "--tune-cv",
        type=int,
        metavar="K",
        help="score each trial by inner K-fold CV of the training fold instead of the "
        "validation slice (slower, less noisy)",
    )
    tuning.add_argument(
        "--space",
        type=Path,
        metavar="FILE.toml",
        dest="space_file",
        help="search spaces that replace the estimators' own: [rf] max_depth = {int = [2, 12]}",
    )


def _add_execution_flags(run: argparse.ArgumentParser) -> None:
    execution = run.add_argument_group(
        "execution",
        "how cells run; these may change when a run is resumed (each cell runs in a worker "
        "process that is stopped at a limit, so the run survives a hang, a crash or a leak)",
    )
    execution.add_argument(
        "-j",
        "--jobs",
        type=int,
        metavar="N",
        help="cells at once on this machine (default 1); each gets cores/N threads",
    )
    execution.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="stop a cell after this long and record it as 'timeout' (default: no limit)",
    )
    execution.add_argument(
        "--max-memory",
        metavar="SIZE",
        help="stop a cell whose processes hold more than SIZE resident (e.g. 8GB, 500MB) "
        "and record it as 'oom' (default: no limit)",
    )
    execution.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the cells on a Dask cluster, e.g. tcp://HOST:8786 (see docs/scaling.md)",
    )
    execution.add_argument(
        "--in-process",
        action="store_const",
        const=False,
        dest="isolate",
        help="run cells in this process, one by one: no limits, but easy to debug (pdb)",
    )
    execution.add_argument(
        "--fold-parallel",
        action="store_true",
        default=None,
        help="train a net's k folds together as one stacked model, one cell for all k "
        "(dense; much faster for small nets; each row says how many folds trained together)",
    )
    execution.add_argument(
        "--resume",
        type=Path,
        metavar="RUN_DIR",
        help="finish an interrupted run: run only its missing cells, with its own config",
    )
    execution.add_argument(
        "--retry-failed",
        action="store_true",
        help="with --resume: also run again the cells that failed (error, timeout, oom, crashed)",
    )


def _add_other_commands(commands: Any) -> None:
    """list, check, inspect, report and compare."""
    listing = commands.add_parser("list", help="list registered estimators or datasets")
    listing.add_argument("what", choices=["estimators", "datasets", "spaces"])
    _add_plugin_flag(listing)

    check = commands.add_parser(
        "check",
        help="run the estimator contract checks on a plugin before benchmarking it",
        description="Run the contract checks (fit returns self, predict/predict_proba shapes, "
        "clone, string labels, preprocessing, determinism) on an estimator.",
    )
    check.add_argument(
        "target",
        metavar="TARGET",
        help="module:Class, path/to/file.py:Class (or a factory function), "
        "or a registered estimator name",
    )
    _add_plugin_flag(check)

    inspect = commands.add_parser(
        "inspect",
        help="profile a table file before benchmarking it (missing values, balance, leakage)",
        description="Print a data profile of a CSV/TSV/Parquet table: rows, columns, dtypes, "
        "missing values per column, duplicates, constant columns, class balance, IQR "
        "outliers, and columns suspected of leaking the target.",
    )
    inspect.add_argument("path", metavar="FILE", help="a .csv, .tsv or .parquet table")
    inspect.add_argument("--target", metavar="COLUMN", help="target column (default: the last)")
    inspect.add_argument(
        "--drop", action="append", default=[], metavar="COLUMN", help="ignore COLUMN; repeatable"
    )
    for flag, what in (
        ("--categorical", "treat COLUMN as categorical even if it holds numbers"),
        ("--numeric", "treat COLUMN as numeric: values that do not parse become missing"),
        ("--datetime", "treat COLUMN as dates: values that do not parse become missing"),
        ("--keep", "keep COLUMN even if it looks like an identifier or a constant"),
    ):
        inspect.add_argument(flag, action="append", default=[], metavar="COLUMN", help=what)
    inspect.add_argument("--json", action="store_true", help="print the profile as JSON")

    report = commands.add_parser(
        "report",
        help="(re)write report.html, report.md (+ figures/) and summary.csv of a run folder",
    )
    report.add_argument("run_dir", type=Path, metavar="RUN_DIR")

    compare = commands.add_parser(
        "compare",
        help="compare two run folders: accuracy and time changes, and whether they are real",
        description="For each dataset and estimator in both runs: the change in accuracy and "
        "in fit/predict time, marked when statistically meaningful; warns when the runs used "
        "other split hashes, library versions or hardware.",
    )
    compare.add_argument("run_a", type=Path, metavar="RUN_A", help="the reference run folder")
    compare.add_argument("run_b", type=Path, metavar="RUN_B", help="the run compared with it")
    compare.add_argument("--csv", type=Path, metavar="FILE", help="also write the table as CSV")


def _add_plugin_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plugin",
        action="append",
        dest="plugins",
        metavar="FILE_OR_MODULE",
        help="import a file (my_models.py) or module (my_pkg.models) that registers "
        "estimators; repeatable",
    )


def _load_plugins(args: argparse.Namespace) -> None:
    from treesvsnets.estimators.plugins import load_plugin

    for plugin in args.plugins or []:
        load_plugin(plugin)


def _execution_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The execution settings given on the command line (their flags store under the key)."""
    from treesvsnets.config import EXECUTION_KEYS

    given = {key: getattr(args, key, None) for key in EXECUTION_KEYS}
    return {key: value for key, value in given.items() if value is not None}


def _start_resume(args: argparse.Namespace, progress: Any) -> Any:
    from treesvsnets.api import resume
    from treesvsnets.config import DEFINITION_KEYS, EXECUTION_KEYS

    defining = [key for key in (*DEFINITION_KEYS, "config") if key in args.flag_names]
    given = [args.flag_names[key] for key in defining if getattr(args, key) is not None]
    if given:
        may_change = [args.flag_names[key] for key in EXECUTION_KEYS] + ["--retry-failed"]
        raise ConfigError(
            f"--resume runs the cells of {str(args.resume)!r} with that run's own config; "
            f"leave out {', '.join(given)} (only {', '.join(may_change[:-1])} and "
            f"{may_change[-1]} may change)."
        )
    return resume(
        args.resume,
        retry_failed=args.retry_failed,
        progress=progress,
        epoch_progress=not args.quiet,
        **_execution_overrides(args),
    )


def _command_run(args: argparse.Namespace) -> int:
    from treesvsnets.api import run
    from treesvsnets.bench.execute.progress import ProgressEvent, print_progress
    from treesvsnets.errors import Terminated

    if args.retry_failed and not args.resume:
        raise ConfigError("--retry-failed works with --resume RUN_DIR (a run to finish).")
    started: list[ProgressEvent] = []

    def progress(event: ProgressEvent) -> None:
        if event.row is None:
            started.append(event)
        if not args.quiet:
            print_progress(event)

    try:
        if args.resume:
            result = _start_resume(args, progress)
        else:
            result = run(_config_from(args), progress=progress, epoch_progress=not args.quiet)
    except KeyboardInterrupt as exc:
        where = f" in {started[0].run_dir}" if started else ""
        resume_hint = (
            f"; finish it with: {PROG} run --resume {started[0].run_dir}" if started else ""
        )
        cause = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"\n{PROG}: {cause}; finished cells are kept{where}{resume_hint}", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    _print_leaderboard(result.rows)
    statuses = result.manifest["cells_by_status"]
    failed = sum(n for status, n in statuses.items() if status != "ok")
    if failed:
        print(
            f"{PROG}: {failed} cell(s) failed; see the 'Failed cells' section of report.md.",
            file=sys.stderr,
        )
    print(f"results: {result.run_dir}")
    return 0


def _config_from(args: argparse.Namespace) -> Any:
    from treesvsnets.config import DEFINITION_KEYS, RunConfig
    from treesvsnets.config_files import load_toml

    config = load_toml(args.config) if args.config else RunConfig()
    params = {**config.params}
    for estimator, given in (args.params or {}).items():
        params[estimator] = {**params.get(estimator, {}), **given}
    flags = {key: getattr(args, key) for key in DEFINITION_KEYS if key in args.flag_names}
    flags["plugins"] = [*config.plugins, *(args.plugins or [])] or None
    flags["params"] = params or None
    if args.space_file is not None:
        from treesvsnets.config_files import load_spaces

        flags["spaces"] = {**config.spaces, **load_spaces(args.space_file)}
    return config.with_overrides(**flags, **_execution_overrides(args))


def _print_leaderboard(rows: Any) -> None:
    """Each dataset's leaderboard, then one line per estimator not better than the baseline
    and per estimator whose training diverged."""
    from treesvsnets.reports.baseline import not_better_sentences
    from treesvsnets.reports.divergence import divergence_sentences
    from treesvsnets.reports.leaderboard import format_tables, leaderboard
    from treesvsnets.reports.tuning import after_tuning, split_tuning, tuning_lines

    defaults, tuned = split_tuning(rows)
    after = format_tables(leaderboard(after_tuning(rows)), "simple") if len(tuned) else {}
    for dataset, table in format_tables(leaderboard(defaults), "simple").items():
        print(f"\n{dataset}" + (" (defaults)" if after else "") + f"\n{table}\n")
        if dataset in after:
            print(f"{dataset} (after tuning)\n{after[dataset]}\n")
            for line in tuning_lines(rows, dataset):
                print(f"  {line}")
    for sentence in [*not_better_sentences(defaults), *divergence_sentences(rows)]:
        print(f"{PROG}: warning: {sentence}")


def _command_list(args: argparse.Namespace) -> int:
    _load_plugins(args)
    if args.what == "estimators":
        from treesvsnets.estimators.registry import GROUPS, all_specs, group_of

        grouped: dict[str, list[Any]] = {group: [] for group in GROUPS}
        for spec in all_specs():
            grouped[group_of(spec)].append(spec)
        for group, specs in grouped.items():
            if specs:
                print(f"{GROUPS[group]}:")
            for spec in specs:
                _print_estimator(spec)
    elif args.what == "spaces":
        from treesvsnets.estimators.registry import all_specs

        for spec in all_specs():
            spaces = {task: spec.for_task(task).search_space for task in spec.tasks}
            same = len({space.describe() for space in spaces.values()}) == 1
            for task, space in spaces.items():
                title = spec.name if same else f"{spec.name} ({task})"
                if not space:
                    print(f"{title:<22} (no search space: not tuned)")
                    continue
                print(title)
                for name, dist in space.distributions.items():
                    print(f"    {name:<22} {dist.describe()}")
                if same:
                    break
    else:
        from treesvsnets.datasets import all_infos

        for info in all_infos():
            image = (
                "x".join(str(n) for n in info.image_shape[1:]) + " image"
                if info.image_shape
                else "x".join(str(n) for n in info.sequence_shape) + " sequence"
                if info.sequence_shape
                else "table"
            )
            target = "regression" if info.task == "regression" else f"{info.n_classes:>3} classes"
            print(
                f"{info.name:<14} {info.n_samples:>6} samples {info.n_features:>4} features "
                f"{target:<11}  {image:<13}  {info.description}"
            )
    return 0


def _print_estimator(spec: Any) -> None:
    """One estimator of ``list estimators``: its line, tasks, defaults and search space."""
    capabilities = ", ".join(sorted(spec.capabilities)) or "-"
    params = ", ".join(f"{k}={v!r}" for k, v in spec.default_params.items()) or "-"
    pad = " " * 16
    print(f"  {spec.name:<14} {spec.family:<9} {spec.description}")
    print(
        f"{pad} tasks: {', '.join(spec.tasks)}; preprocessing: {spec.preprocessing}; "
        f"capabilities: {capabilities}; source: {spec.source}"
    )
    if spec.requires is not None:
        state = "installed" if spec.installed else f"not installed: {spec.install_hint}"
        print(f"{pad} needs the {spec.requires} package ({state}); not in the default suite")
    print(f"{pad} defaults: {params}")
    if spec.regressor_params is not None and spec.regressor_params != spec.default_params:
        regression = spec.regressor_params
        changed = [
            f"{k}={v!r}" for k, v in regression.items() if spec.default_params.get(k, object()) != v
        ]
        changed += [f"no {k}" for k in spec.default_params if k not in regression]
        print(f"{pad} regression defaults differ: {', '.join(changed)}")
    print(f"{pad} search space (--tune): {_space_words(spec)}")


def _space_words(spec: Any) -> str:
    """An estimator's search space in one line per task where they differ."""
    spaces = {task: spec.for_task(task).search_space.describe() for task in spec.tasks}
    words = {task: text or "(no search space: not tuned)" for task, text in spaces.items()}
    if len(set(words.values())) == 1:
        return next(iter(words.values()))
    return "; ".join(f"{task}: {text}" for task, text in words.items())


def _command_report(args: argparse.Namespace) -> int:
    from treesvsnets.reports.report import write_report
    from treesvsnets.results.folder import RunFolder

    folder = RunFolder.open(args.run_dir)
    rows = folder.rows()
    files = write_report(folder.path, rows, folder.read_manifest())
    _print_leaderboard(rows)
    print(f"report: {files.html} (and {files.markdown.name}, {files.summary.name})")
    return 0


def _command_compare(args: argparse.Namespace) -> int:
    from treesvsnets.reports.compare import compare_runs, format_comparison

    comparison = compare_runs(args.run_a, args.run_b)
    print(format_comparison(comparison))
    if args.csv:
        comparison.table.to_csv(args.csv, index=False)
    return 0


def _command_check(args: argparse.Namespace) -> int:
    from treesvsnets.estimators.base import EstimatorSpec
    from treesvsnets.estimators.capabilities import capabilities_of
    from treesvsnets.estimators.plugins import check_target
    from treesvsnets.estimators.registry import accepts_parameter

    _load_plugins(args)
    label, found = check_target(args.target)
    if isinstance(found, EstimatorSpec):
        # each task it does, built as a cell builds it (image shape, device), without
        # preprocessing
        failed = 0
        for task in found.tasks:
            spec = found.for_task(task)

            def make(spec: EstimatorSpec = spec) -> Any:
                from treesvsnets.bench.cells.inputs import Cell, build

                dataset = _check_dataset(spec.capabilities, spec.task)
                return build(spec, Cell(dataset.name, spec.name, seed=0, fold=0), dataset)[0]

            failed += _run_checks(label, make, spec.capabilities, task)
        return 1 if failed else 0

    def make() -> Any:
        return found(random_state=0) if accepts_parameter(found, "random_state") else found()

    task = "classification"
    try:
        built = make()
    except Exception:  # noqa: BLE001 - every check will fail on it, and say why
        capabilities = frozenset()
    else:
        from sklearn.base import is_regressor

        capabilities = capabilities_of(built)  # what the class declares, or its API shows
        task = "regression" if is_regressor(built) else task
    return 1 if _run_checks(label, make, capabilities, task) else 0


@functools.cache
def _check_dataset(capabilities: frozenset[str], task: str) -> Any:
    """What ``check`` fits on: digits for nets that need images, 600 rows of mnist1d for those
    that need sequences, iris, diabetes for regression (loaded once)."""
    from treesvsnets.datasets import load

    if task == "regression":
        return load("diabetes")
    if "needs_sequences" in capabilities:
        return load("mnist1d").subsample(600)
    return load("digits" if "needs_images" in capabilities else "iris")


def _run_checks(label: str, make: Any, capabilities: frozenset[str], task: str) -> int:
    """Print the contract checks of ``task`` for ``make``; returns how many failed."""
    from treesvsnets.bench.plan.checks import missing_shape
    from treesvsnets.estimators.contract import CheckData, run_checks

    dataset = _check_dataset(capabilities, task)
    need = missing_shape(capabilities, dataset)
    if need is not None:
        print(
            f"checking {label} for {task}: skipped (it needs {need[0]}; no {task} dataset has any)"
        )
        return 0
    fit_kwargs = {"validation_data": None} if "early_stopping" in capabilities else {}
    data = CheckData(dataset.X, dataset.y, fit_kwargs, dataset.name, task)
    target = "regression" if task == "regression" else f"{dataset.n_classes} classes"
    print(
        f"checking {label} for {task} on {dataset.name} ({dataset.n_samples} rows, {target}); "
        f"capabilities: {', '.join(sorted(capabilities)) or '-'}"
    )
    results = run_checks(make, data)
    for result in results:
        print(
            f"  {result.status.upper()}  {result.name}"
            + (f": {result.message}" if result.message else "")
        )
    failed = sum(result.failed for result in results)
    skipped = sum(result.status == "skip" for result in results)
    passed = len(results) - failed - skipped
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return failed


def _command_inspect(args: argparse.Namespace) -> int:
    import json

    from treesvsnets.datasets.profile import format_profile, inspect_table

    profile = inspect_table(
        args.path,
        args.target,
        drop=args.drop,
        categorical=args.categorical,
        numeric=args.numeric,
        datetime=args.datetime,
        keep=args.keep,
    )
    if args.json:
        print(json.dumps(profile.to_dict(), indent=2, default=str))
    else:
        print(format_profile(profile))
    return 0


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    """Our own warnings as one line on stderr; other libraries' as Python prints them."""
    from treesvsnets.errors import TreesVsNetsWarning

    if issubclass(category, TreesVsNetsWarning):
        print(f"{PROG}: warning: {message}", file=sys.stderr)
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


_python_show_warning = warnings.showwarning


def entry() -> NoReturn:
    """The ``treesvsnets`` command (and ``python -m treesvsnets``): :func:`main`, then a quick
    exit. Every exit handler runs (ours, which stops the workers; logging's; weakref
    finalizers) and the standard streams are flushed, but the interpreter's teardown of every
    loaded module (a third of a second after a run that loaded pandas, scikit-learn and
    matplotlib) is skipped: the command's work is written by then."""
    try:
        code = main()
    except BrokenPipeError:  # the reader went away (treesvsnets list estimators | head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (treesvsnets ... | head)
            pass
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    handlers = {
        "run": _command_run,
        "list": _command_list,
        "report": _command_report,
        "check": _command_check,
        "inspect": _command_inspect,
        "compare": _command_compare,
    }
    warnings.showwarning = _show_warning
    try:
        return handlers[args.command](args)
    except TreesVsNetsError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    finally:
        warnings.showwarning = _python_show_warning


if __name__ == "__main__":
    sys.exit(main())
