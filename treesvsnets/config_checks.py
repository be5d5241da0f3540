"""The checks across settings, run by ``RunConfig.validate`` after each field's own: table
settings need a table file, tuning settings need tuning (and somewhere to score trials),
limits and several jobs need worker processes. Each refusal is one sentence (ConfigError)."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from treesvsnets.errors import ConfigError

if TYPE_CHECKING:
    from treesvsnets.config import RunConfig


def check_across(config: RunConfig) -> None:
    """Every check that involves several settings of ``config``."""
    _table_settings(config)
    _isolation(config)
    _tuning(config)


def check_given(config: RunConfig, given: Collection[str]) -> None:
    """The settings ``given`` (the flags typed, not a suite's defaults) that the run's
    protocol would silently ignore: a holdout run has one split, its size ``test_size``; a
    k-fold run tests on each of its ``folds``, and has no test fraction."""
    if "folds" in given and config.protocol == "holdout":
        raise ConfigError(
            "'folds' applies to the k-fold protocol, and this run is a holdout (one split, "
            "its test fraction set by --test-size); drop --folds or --protocol holdout."
        )
    if "test_size" in given and config.protocol == "kfold":
        raise ConfigError(
            "'test_size' is a holdout's test fraction, and this run is k-fold (each fold is "
            "tested once; --folds sets how many); add --protocol holdout or drop --test-size."
        )


def _table_settings(config: RunConfig) -> None:
    """``target``, ``shape`` and the column overrides (``drop``...) describe table files:
    given in a run with none (built-ins and OpenML datasets declare their own), they would be
    silently ignored. (``task`` is checked against each dataset's own once they are loaded.)"""
    from treesvsnets.datasets.table_options import COLUMN_OPTIONS
    from treesvsnets.datasets.tables import looks_like_table

    given = [key for key in ("target", "shape") if getattr(config, key) is not None]
    given += [key for key in COLUMN_OPTIONS if getattr(config, key)]
    if given and config.datasets and not any(map(looks_like_table, config.datasets)):
        raise ConfigError(
            f"{given[0]!r} describes a table file, and none of this run's datasets "
            f"({', '.join(config.datasets)}) is one: built-in and OpenML datasets declare "
            "their own target, shape and columns."
        )


def _tuning(config: RunConfig) -> None:
    """Tuning settings need tuning; tuning needs somewhere to score trials."""
    if not config.tuning:
        given = [
            key
            for key, unset in (
                ("sampler", "random"),
                ("tune_cv", 0),
                ("spaces", {}),
                ("ensemble", False),
                ("ensemble_size", 40),
            )
            if getattr(config, key) != unset
        ]
        if given:
            verb, them = ("applies", "it") if len(given) == 1 else ("apply", "them")
            raise ConfigError(
                f"{', '.join(repr(key) for key in given)} {verb} only when tuning; add "
                f"--tune N (trials per fold) or --tune-time SECONDS, or drop {them}."
            )
        return
    if config.fold_parallel:
        raise ConfigError(
            "'tune' and 'fold_parallel' cannot be combined: a tuned run fits each fold's "
            "trials one by one; drop --fold-parallel."
        )
    if config.tune_cv == 0 and config.validation_fraction == 0:
        raise ConfigError(
            "tuning scores each trial on the validation slice, and 'validation_fraction' "
            "is 0; give it a slice (e.g. 0.1) or score by inner CV with --tune-cv K."
        )


def _isolation(config: RunConfig) -> None:
    """Limits, several jobs and Dask need cells in worker processes."""
    if config.isolate:
        return
    needs_workers = [
        flag
        for flag, given in (
            ("jobs", config.jobs > 1),
            ("timeout", config.timeout is not None),
            ("max_memory", config.max_memory is not None),
            ("scheduler", config.scheduler is not None),
        )
        if given
    ]
    if needs_workers:
        verb, setting = ("needs", "that setting") if len(needs_workers) == 1 else ("need", "them")
        raise ConfigError(
            f"{', '.join(repr(flag) for flag in needs_workers)} {verb} cells in worker "
            f"processes; drop --in-process (isolate = false in a config file) or {setting}."
        )


def check_target_against_tables(
    target: str, tables: dict[str, dict[str, Any]], datasets: tuple[str, ...]
) -> None:
    """A ``target`` given over a suite's or a config file's tables (``--target``) that one of
    the run's tables names otherwise: which one is meant cannot be told (the table's own
    won, silently). A file's own ``target`` beside its ``[tables]`` is their default, not a
    conflict."""
    from treesvsnets.datasets.table_files import same_file

    for path, entry in tables.items():
        in_run = any(same_file(path, name) for name in datasets)
        if in_run and entry.get("target") not in (None, target):
            raise ConfigError(
                f"--target {target!r} and the target {entry['target']!r} given for {path!r} "
                "(by the suite or config file) disagree; drop --target, or change the table's."
            )
