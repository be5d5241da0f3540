"""``treesvsnets list``: what a run can use, as lines of text a terminal or a notebook
prints: the registered estimators by group (their tasks, defaults and search space), their
search spaces alone, the built-in datasets, and the built-in suites (their datasets with each
one's task, defaults and expected time on 2 cores)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: what ``treesvsnets list`` takes
WHATS = ("estimators", "datasets", "spaces", "suites")


def listing(what: str) -> list[str]:
    """The lines of ``treesvsnets list WHAT`` (one of :data:`WHATS`)."""
    makers: dict[str, Callable[[], list[str]]] = {
        "estimators": estimator_lines,
        "spaces": space_lines,
        "datasets": dataset_lines,
        "suites": suite_lines,
    }
    return makers[what]()


def estimator_lines() -> list[str]:
    """Each registered estimator under its group's title."""
    from treesvsnets.estimators.registry import GROUPS, first_version, group_of, names, versions

    grouped: dict[str, list[Any]] = {group: [] for group in GROUPS}
    for name in names():
        found = versions(name)
        grouped[group_of(first_version(found))].append(found)
    lines = []
    for group, estimators in grouped.items():
        if estimators:
            lines.append(f"{GROUPS[group]}:")
        for found in estimators:
            lines += _estimator(found)
    return lines


def _estimator(versions: dict[str, Any]) -> list[str]:
    """One estimator (its specs by task): its line, tasks, defaults and search space; the
    first version's, and where another task's defaults differ, how."""
    spec, *others = versions.values()
    capabilities = ", ".join(sorted(spec.capabilities)) or "-"
    params = ", ".join(f"{k}={v!r}" for k, v in spec.default_params.items()) or "-"
    pad = " " * 16
    lines = [
        f"  {spec.name:<14} {spec.family:<9} {spec.description}",
        f"{pad} tasks: {', '.join(versions)}; preprocessing: {spec.preprocessing}; "
        f"capabilities: {capabilities}; source: {spec.source}",
    ]
    if spec.requires is not None:
        state = "installed" if spec.installed else f"not installed: {spec.install_hint}"
        lines.append(f"{pad} needs the {spec.requires} package ({state}); not in the default suite")
    lines.append(f"{pad} defaults: {params}")
    for other in others:
        if other.default_params != spec.default_params:
            theirs = other.default_params
            changed = [
                f"{k}={v!r}" for k, v in theirs.items() if spec.default_params.get(k, object()) != v
            ]
            changed += [f"no {k}" for k in spec.default_params if k not in theirs]
            lines.append(f"{pad} {other.task} defaults differ: {', '.join(changed)}")
    lines.append(f"{pad} search space (--tune): {_space_words(versions)}")
    return lines


def _space_words(versions: dict[str, Any]) -> str:
    """An estimator's search space in one line per task where they differ."""
    spaces = {task: spec.search_space.describe() for task, spec in versions.items()}
    words = {task: text or "(no search space: not tuned)" for task, text in spaces.items()}
    if len(set(words.values())) == 1:
        return next(iter(words.values()))
    return "; ".join(f"{task}: {text}" for task, text in words.items())


def space_lines() -> list[str]:
    """Each estimator's search space, one distribution per line (per task where they
    differ)."""
    from treesvsnets.estimators.registry import names, versions

    lines = []
    for name in names():
        spaces = {task: spec.search_space for task, spec in versions(name).items()}
        same = len({space.describe() for space in spaces.values()}) == 1
        for task, space in spaces.items():
            title = name if same else f"{name} ({task})"
            if not space:
                lines.append(f"{title:<22} (no search space: not tuned)")
                if same:  # one line for both tasks, as for a space they share
                    break
                continue
            lines.append(title)
            lines += [f"    {param:<22} {d.describe()}" for param, d in space.distributions.items()]
            if same:
                break
    return lines


#: how wide ``list datasets`` writes its lines (a terminal of 100-120 columns reads them)
WIDTH = 110
_HEADER = f"{'dataset':<15} {'task':<11} {'rows':>7} {'features':>8} {'categorical':>11} "


def dataset_lines() -> list[str]:
    """Each built-in dataset: its task, size, categorical columns, missing values and kind on
    one line; below it, what it is, its source and license, and the install command of a
    package it needs that is not installed."""
    import textwrap

    from treesvsnets.datasets import all_infos

    lines = [_HEADER + f"{'missing':>7}  kind"]
    for info in all_infos():
        kind = (
            "x".join(str(n) for n in info.image_shape[1:]) + " image"
            if info.image_shape
            else "x".join(str(n) for n in info.sequence_shape) + " sequence"
            if info.sequence_shape
            else "table"
        )
        task = "regression" if info.task == "regression" else f"{info.n_classes} classes"
        lines.append(
            f"{info.name:<15} {task:<11} {info.n_samples:>7,} {info.n_features:>8} "
            f"{info.n_categorical:>11} {info.n_missing:>7,}  {kind}"
        )
        about = [info.description, f"source: {info.source}; license: {info.license}"]
        if info.note:
            about.append(info.note)
        if not info.installed:
            about.append(f"needs the {info.requires} package, not installed: {info.install}")
        for text in about:
            lines += textwrap.wrap(text, WIDTH, initial_indent=" " * 16, subsequent_indent=" " * 18)
    return lines


def suite_lines() -> list[str]:
    """Each built-in suite: its description, datasets (with their tasks), defaults and
    expected time on 2 cores."""
    import textwrap

    from treesvsnets.suites import builtin_names, find

    OPENML_TASK = "openml-task:"  # noqa: N806

    pad = " " * 16

    def wrapped(text: str) -> list[str]:
        return textwrap.wrap(
            text,
            width=100,
            initial_indent=pad,
            subsequent_indent=pad + "  ",
            break_on_hyphens=False,
        )

    lines = []
    for name in builtin_names():
        suite = find(name)
        minutes = (
            f"about {suite.expected_minutes:g} min"
            + (f" ({suite.measured})" if suite.measured else "")
            if suite.expected_minutes is not None
            else suite.measured or "not measured"
        )
        openml = [entry for entry in suite.datasets if entry.startswith(OPENML_TASK)]
        shown = [entry for entry in suite.datasets if entry not in openml]
        if openml:
            ids = ", ".join(entry.removeprefix(OPENML_TASK) for entry in openml)
            shown.append(f"{OPENML_TASK} {ids} (each task's own target and task)")
        entries = ", ".join(_with_task(entry) for entry in shown)
        lines += [f"{name}:", *wrapped(suite.description)]
        lines += wrapped(f"{len(suite.datasets)} datasets: {entries}")
        if suite.defaults:
            given = ", ".join(f"{key} = {value!r}" for key, value in suite.defaults.items())
            lines += wrapped(f"defaults: {given}")
        lines += wrapped(f"expected time on 2 cores: {minutes}")
    return lines


def _with_task(name: str) -> str:
    """A suite entry with its task: binary, multiclass or regression for a built-in; what
    OpenML or the file says otherwise."""
    from treesvsnets.datasets import info
    from treesvsnets.suites import OPENML_PREFIXES

    if name.startswith(OPENML_PREFIXES) or " " in name:
        return name
    found = info(name)
    if found.task is None:
        return f"{found.name} (table file)"
    if found.task == "regression":
        return f"{name} (regression)"
    return f"{name} ({'binary' if found.n_classes == 2 else 'multiclass'})"
