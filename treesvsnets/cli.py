"""The ``treesvsnets`` command: parse flags, call the library, print.

The commands: ``run``, ``list`` (estimators, datasets, spaces), ``report``, ``compare``,
``check`` and ``inspect``; their grammar, ``run``'s tuning flags (``--tune``, ``--tune-time``,
``--sampler``, ``--tune-cv``, ``--space``) included, is :mod:`treesvsnets.cli_parser`'s. A
finished run prints each dataset's leaderboard (a tuned run: the defaults' and after tuning,
with a default -> tuned line per estimator), then the baseline and divergence warnings.

Exit codes: 0 success, 2 a user error (bad flag, unknown name, bad config or
data; one sentence on stderr), 1 anything else (and a failed ``check``), 130 interrupted,
143 terminated (SIGTERM). :func:`entry` is the console script (and ``python -m
treesvsnets``): :func:`main`, every exit handler, the streams flushed, then ``os._exit``
without the interpreter's teardown of every loaded module.
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from treesvsnets.child_processes import flush_standard_streams
from treesvsnets.cli_parser import PROG, build_parser
from treesvsnets.errors import ConfigError, Terminated, TreesVsNetsError
from treesvsnets.stopping import STOPPING, sigterm_as_interrupt


def _load_plugins(args: argparse.Namespace) -> None:
    from treesvsnets.estimators.plugins import load_plugin

    for plugin in args.plugins or []:
        load_plugin(plugin)


def _execution_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The execution settings given on the command line (their flags store under the key)."""
    from treesvsnets.config import EXECUTION_KEYS

    given = {key: getattr(args, key, None) for key in EXECUTION_KEYS}
    return {key: value for key, value in given.items() if value is not None}


def _start_resume(
    args: argparse.Namespace, progress: Any, epochs: bool, meanwhile: Callable[[Any], None]
) -> Any:
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
        epoch_progress=epochs,
        meanwhile=meanwhile,
        **_execution_overrides(args),
    )


def _start_workers_early(args: argparse.Namespace) -> None:
    """Cells run in local worker processes unless the flags say otherwise: start them before
    the harness's own imports, so both import pandas and scikit-learn side by side."""
    if args.isolate is not False and args.scheduler is None:
        from treesvsnets.bench.execute.spawn import start_spares

        start_spares(args.jobs or 1)


def _command_run(args: argparse.Namespace) -> int:
    _start_workers_early(args)
    if args.retry_failed and not args.resume:
        raise ConfigError("--retry-failed works with --resume RUN_DIR (a run to finish).")
    config = None if args.resume else _config_from(args)  # refused before the harness loads
    from treesvsnets.api import run
    from treesvsnets.bench.execute.progress import LiveProgress, ProgressEvent, reporter

    started: list[ProgressEvent] = []
    show = reporter()  # live bars on a terminal, else lines with the time elapsed and left
    live = isinstance(show, LiveProgress)

    def progress(event: ProgressEvent) -> None:
        if event.row is None:
            started.append(event)
        if not args.quiet:
            show(event)

    def board(result: Any) -> None:  # printed while the report is written
        if live:
            show.close()
        _print_leaderboard(result.rows, result.manifest["config"].get("metric"))

    epochs = not args.quiet and not live  # on a terminal the bars say how far it is
    try:
        if args.resume:
            result = _start_resume(args, progress, epochs, board)
        else:
            result = run(config, progress=progress, epoch_progress=epochs, meanwhile=board)
    except TreesVsNetsError as exc:  # a setting from a file: the sentence names the file
        raise exc.given_in(_sources(args, config)) if exc.setting else exc from None
    except KeyboardInterrupt as exc:
        if live:
            show.close()
        cause, code = _stopped_by(exc)
        print(f"\n{PROG}: {cause}; {_what_is_kept(started, args.resume)}", file=sys.stderr)
        return code
    finally:
        if live:
            show.close()  # a refusal or a failure leaves no bar half drawn
    statuses = result.manifest["cells_by_status"]
    failed = sum(n for status, n in statuses.items() if status != "ok")
    if failed:
        print(
            f"{PROG}: {failed} cell(s) failed; see the 'Failed cells' section of report.md.",
            file=sys.stderr,
        )
    print(f"results: {result.run_dir}")
    if nothing := _nothing_measured(result.rows):
        print(f"{PROG}: {nothing}", file=sys.stderr)
        return 1
    return 0


def _nothing_measured(rows: Any) -> str | None:
    """The sentence for a run in which no estimator but the baseline has a cell that
    succeeded (its rows and report are kept; the exit code says it answered nothing), else
    None."""
    from treesvsnets.estimators.base import BASELINE_FAMILY

    if rows is None or rows.empty:
        return None
    asked = rows[rows["family"] != BASELINE_FAMILY]
    if asked.empty:  # the baseline alone was asked for (-e dummy)
        asked = rows
    if (asked["status"] == "ok").any():
        return None
    names = ", ".join(dict.fromkeys(asked["estimator"].astype(str)))
    return (
        f"every cell of {names} failed ({len(asked)} cells): the run measured nothing "
        "(exit 1); the rows and report.md say why."
    )


def _config_from(args: argparse.Namespace) -> Any:
    from treesvsnets.config import DEFINITION_KEYS, RunConfig
    from treesvsnets.config_checks import check_given
    from treesvsnets.config_files import load_toml, read_toml

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
    config = config.with_overrides(**flags, **_execution_overrides(args))
    given = [key for key, value in flags.items() if value is not None]
    if args.config:  # a config file's keys are given as a flag is (a suite's defaults are not)
        given += list(read_toml(args.config, "config file"))
    check_given(config, given)
    return config


def _sources(args: argparse.Namespace, config: Any) -> dict[str, str]:
    """Where each setting of ``config`` that no flag gave was given (a config file, a
    suite's [defaults])."""
    from treesvsnets.config_files import setting_sources

    if config is None:  # a resumed run: its settings are its manifest's
        return {}
    flags = [key for key in args.flag_names if getattr(args, key, None) is not None]
    return setting_sources(
        config, args.config, ["spaces" if k == "space_file" else k for k in flags]
    )


def _stopped_by(exc: KeyboardInterrupt) -> tuple[str, int]:
    """What stopped a command, in a word, and its exit code: SIGTERM 143, Ctrl-C 130."""
    return ("terminated", 143) if isinstance(exc, Terminated) else ("interrupted", 130)


def _what_is_kept(started: list[Any], resumed: Path | None) -> str:
    """What a stopped run leaves (``resumed``: the folder of the run being finished)."""
    from treesvsnets.api import what_is_kept

    if not started and resumed is None:  # stopped while planning: no folder, no cell yet
        return what_is_kept(None, resume="", report="")
    run_dir = Path(started[0].run_dir if started else resumed)
    return what_is_kept(
        run_dir, resume=f"{PROG} run --resume {run_dir}", report=f"{PROG} report {run_dir}"
    )


def _print_leaderboard(rows: Any, metric: str | None) -> None:
    """Each dataset's leaderboard, then a warning per estimator not better than the baseline
    and per net whose training diverged (``metric``: the run's setting, what they judge by)."""
    from treesvsnets.reports.terminal import leaderboard_lines, warning_sentences

    for line in leaderboard_lines(rows, metric):
        print(line)
    for sentence in warning_sentences(rows, metric):
        print(f"{PROG}: warning: {sentence}")


def _command_list(args: argparse.Namespace) -> int:
    from treesvsnets.listings import listing

    _load_plugins(args)
    for line in listing(args.what):
        print(line)
    return 0


def _command_report(args: argparse.Namespace) -> int:
    """One run's report rewritten in its folder (or ``--out``), or one combined report of
    several runs in ``--out``; each warning of combining them also on stderr."""
    from treesvsnets.reports.combine import combine_runs
    from treesvsnets.reports.report import write_report
    from treesvsnets.results.folder import MANIFEST_FILENAME

    several = len(args.run_dirs) > 1
    if several and args.out is None:
        raise ConfigError(
            "a report of several run folders is one combined report: give --out DIR, the "
            "folder to write it into."
        )
    out = args.out or args.run_dirs[0]
    if (out / MANIFEST_FILENAME).is_file() and (
        several or out.resolve() != args.run_dirs[0].resolve()
    ):
        raise ConfigError(
            f"--out {str(out)!r} is a run folder: a combined report would replace its own "
            "report; give another folder."
        )
    combined = combine_runs(args.run_dirs, args.metric)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the folder {str(out)!r}: {exc.strerror}.") from None
    files = write_report(out, combined.rows, combined.manifest, combined.trials)
    _print_leaderboard(combined.rows, combined.manifest.metric)
    for warning in combined.warnings:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
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
    """Each task's header as its checks start, then their lines; exit 1 when one failed."""
    from treesvsnets.plugin_checks import plan_checks

    _load_plugins(args)
    failed = 0
    if args.timeout is not None and not args.timeout > 0:
        raise ConfigError(f"--timeout must be a number of seconds above 0, got {args.timeout:g}.")
    for planned in plan_checks(args.target):
        print(planned.report.header(), flush=True)
        report = planned.run(args.timeout)
        for line in report.result_lines():
            print(line, flush=True)
        failed += report.failed
    return 1 if failed else 0


def _command_inspect(args: argparse.Namespace) -> int:
    import json

    from treesvsnets.datasets.profile import inspect_table
    from treesvsnets.datasets.profile_text import format_profile

    profile = inspect_table(
        args.path,
        args.target,
        data_dir=args.data_dir,
        drop=args.drop or (),
        categorical=args.categorical or (),
        numeric=args.numeric or (),
        datetime=args.datetime or (),
        keep=args.keep or (),
        sep=args.sep,
        decimal=args.decimal,
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
    matplotlib) is skipped: the command's work is written by then. Ctrl-C and SIGTERM are
    ignored from then on (they came after the work: no traceback, no file left behind)."""
    try:
        code = main()
    except BrokenPipeError:  # the reader went away (treesvsnets list estimators | head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    for number in STOPPING:  # the work is done: it leaves in ms
        signal.signal(number, signal.SIG_IGN)
    atexit._run_exitfuncs()
    flush_standard_streams()  # a closed pipe (treesvsnets ... | head) is no error
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
        with sigterm_as_interrupt():
            return handlers[args.command](args)
    except TreesVsNetsError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # run says what it keeps itself (_command_run)
        cause, code = _stopped_by(exc)
        if args.command == "report":
            cause += "; the report may be incomplete: run the command again"
        print(f"\n{PROG}: {cause}", file=sys.stderr)
        return code
    finally:
        warnings.showwarning = _python_show_warning


if __name__ == "__main__":
    sys.exit(main())
