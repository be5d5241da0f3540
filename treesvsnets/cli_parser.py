"""The command line's grammar: each command and its flags. The ``run`` flags are made from
the settings' one declaration (:class:`treesvsnets.config.RunConfig`'s fields and their
:class:`~treesvsnets.config_fields.Flag`): the type, choices and default a flag's help
names are its setting's own. :mod:`treesvsnets.cli` carries the commands out."""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Callable
from dataclasses import MISSING, Field, fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from treesvsnets import __version__
from treesvsnets.config_fields import Flag
from treesvsnets.errors import ConfigError

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


def parse_value(raw: str) -> Any:
    """A flag value as TOML reads it (``300`` -> int, ``true`` -> bool), else the plain string."""
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw


#: the actions of the flags whose syntax is the CLI's own (``-e`` remembers itself for the
#: ``--param`` flags that follow it)
_ACTIONS = {"estimators": _EstimatorAction, "params": _ParamAction}
#: the help's sections besides the first: their titles and what they say
_SECTIONS = {
    "tuning": "per outer fold, each estimator with a search space gets trials (trial 0: its "
    "defaults), each fitted on the fold's fit rows and scored on its validation slice; "
    "the best is refitted as the default is and scored on the test fold: two rows per fold "
    "(tuning = default, tuned; with --ensemble a third, tuned+ensembled). The test fold never "
    "chooses. treesvsnets list spaces",
    "execution": "how cells run; these may change when a run is resumed (each cell runs in a "
    "worker process that is stopped at a limit, so the run survives a hang, a crash or a leak)",
}


def _parsed(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A setting's own reading of typed text, its refusal in argparse's words."""

    def read(text: str) -> Any:
        try:
            return parse(text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return read


def _flag_options(declared: Field[Any], kind: Any) -> tuple[list[str], dict[str, Any]]:
    """The names and argparse options of a RunConfig setting's flag, from its declaration:
    its type says how it is typed, its default what the help names (unless the flag says)."""
    flag: Flag = declared.metadata["flag"]
    default = declared.default
    options: dict[str, Any] = {"dest": declared.name, "help": flag.help}
    if declared.name in _ACTIONS:
        options["action"] = _ACTIONS[declared.name]
    elif kind is bool:
        options.update(action="store_const", const=not default, default=None)
        default = None  # the flag is the other value: its help names no default
    elif get_origin(kind) is tuple and get_args(kind)[0] is str:
        options["action"] = "append"
    elif get_origin(kind) is tuple and flag.parse is None:
        options.update(type=get_args(kind)[0], nargs="+")
    else:
        plain = [arg for arg in get_args(kind) if arg is not type(None)] or [kind]
        typed = str if plain[0] is Path else plain[0]  # the config makes the Path: '' refused
        options["type"] = _parsed(flag.parse) if flag.parse else typed
    if flag.metavar:
        options["metavar"] = flag.metavar
    if flag.choices:
        options["choices"] = flag.choices
    shown = flag.default
    if shown is None and default not in (None, MISSING):
        shown = " ".join(map(str, default)) if isinstance(default, tuple) else str(default)
    if shown:
        options["help"] += f" (default: {shown})"
    # a switch names the value it sets: --no-baseline (default true), --fold-parallel
    negated = "no-" if kind is bool and declared.default else ""
    name = flag.name or f"--{negated}{declared.name.replace('_', '-')}"
    return [flag.short, name] if flag.short else [name], options


def _add_setting_flags(
    run: argparse.ArgumentParser, only: tuple[str, ...] = (), helps: dict[str, str] | None = None
) -> dict[str, Any]:
    """A flag for each RunConfig setting that has one (or for the settings ``only`` names),
    in its section of the help (``helps``: another command's words for a flag); returns the
    sections."""
    from treesvsnets.config import RunConfig

    kinds = get_type_hints(RunConfig)
    sections = {
        title: run.add_argument_group(title, words)
        for title, words in _SECTIONS.items()
        if not only
    }
    for declared in fields(RunConfig):
        flag = declared.metadata["flag"]
        if flag is None or (only and declared.name not in only):
            continue
        section = flag.group or ("execution" if declared.metadata["execution"] else None)
        names, options = _flag_options(declared, kinds[declared.name])
        if helps and declared.name in helps:
            options["help"] = helps[declared.name]
        sections.get(section, run).add_argument(*names, **options)
    return sections


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Benchmark classical ensembles against deep nets on the same k-fold splits.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run(commands)
    _add_other_commands(commands)
    return parser


def _add_run(commands: Any) -> argparse.ArgumentParser:
    """``run``: a flag per setting, and the flags of the command itself."""
    run = commands.add_parser(
        "run",
        help="run a benchmark (default: the classical estimators and the nets on digits, 5 folds)",
        description="Run every chosen estimator on every chosen dataset with k-fold CV. "
        "Flags override the --config file, which overrides the defaults.",
    )
    execution = _add_setting_flags(run)["execution"]
    run.add_argument(
        "--config",
        type=Path,
        metavar="FILE.toml",
        help="a TOML file with the same keys as these flags",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no per-cell progress lines")
    run.add_argument(
        "--space",
        type=Path,
        metavar="FILE.toml",
        dest="space_file",
        help="search spaces that replace the estimators' own: [rf] max_depth = {int = [2, 12]}",
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
    # each setting's flag as a user types it, for messages (--resume's refusal)
    run.set_defaults(
        flag_names={a.dest: a.option_strings[-1] for a in run._actions if a.option_strings}
    )
    return run


def _add_other_commands(commands: Any) -> None:
    """list, check, inspect, report and compare."""
    from treesvsnets.listings import WHATS

    listing = commands.add_parser(
        "list", help="list the registered estimators, datasets, search spaces or suites"
    )
    listing.add_argument("what", choices=WHATS)
    _add_setting_flags(listing, only=("plugins",))

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
    check.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop a check whose fit runs longer (default: 120; a check that crashes or hangs "
        "fails, and the others run)",
    )
    _add_setting_flags(check, only=("plugins",))
    _add_inspect(commands)

    report = commands.add_parser(
        "report",
        help="(re)write report.html, report.md (+ figures/) and summary.csv of a run folder, "
        "or one combined report of several into --out",
        description="Rewrite a run folder's report from its store; given several run folders "
        "(one per dataset, a default run and a tuned one...), write one combined report into "
        "--out. Runs that split a shared dataset differently are refused; different machines "
        "or library versions are combined with a warning; a cell in two runs counts once.",
    )
    report.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR")
    report.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="the folder to write the report into (required with several run folders; "
        "default: the run folder itself)",
    )
    _add_setting_flags(
        report,
        only=("metric",),
        helps={
            "metric": "the score that ranks, tests and plots each dataset of its task in the "
            "report written (default: the run's own setting; a combined report: the runs' "
            "own, which must agree): a name 'treesvsnets run --help' lists under --metric, "
            "or one per task separated by a comma (roc_auc,mae)"
        },
    )

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


def _add_inspect(commands: Any) -> None:
    """``inspect``: its flags are a table's options (TableOptions), typed once each."""
    inspect = commands.add_parser(
        "inspect",
        help="profile a table file before benchmarking it (missing values, balance, leakage)",
        description="Print a data profile of a table file (CSV/TSV/TXT, also compressed; "
        "Parquet, Feather/Arrow, Excel .xlsx): how it was read, rows, columns, dtypes, "
        "missing values per column, duplicates, constant columns, class balance, IQR "
        "outliers, and columns suspected of leaking the target.",
    )
    inspect.add_argument(
        "path",
        metavar="FILE",
        help="a .csv, .tsv, .txt (also .gz, .bz2, .zip, .xz, .zst), .parquet, .feather, .arrow "
        "or .xlsx table, a built-in real table (olive: its traps and what its definition "
        "drops), or openml:ID / openml-task:ID",
    )
    inspect.add_argument("--target", metavar="COLUMN", help="target column (default: the last)")
    _add_setting_flags(inspect, only=("drop", "categorical", "numeric", "datetime", "keep"))
    inspect.add_argument(
        "--sep",
        metavar="CHAR",
        type=lambda text: "\t" if text in ("\\t", "tab") else text,
        help="a text file's separator ('\\t' or 'tab' for a tab; default: detected)",
    )
    inspect.add_argument(
        "--decimal",
        metavar="MARK",
        choices=(".", ","),
        help="a text file's decimal mark, '.' or ',' (default: detected)",
    )
    inspect.add_argument("--json", action="store_true", help="print the profile as JSON")
    _add_setting_flags(inspect, only=("data_dir",))  # where openml:ID's cache is
