"""``treesvsnets list``: what a run can use, as lines of text a terminal or a notebook
prints: the registered estimators by group (their tasks, defaults and search space), their
search spaces alone, and the built-in datasets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: what ``treesvsnets list`` takes
WHATS = ("estimators", "datasets", "spaces")


def listing(what: str) -> list[str]:
    """The lines of ``treesvsnets list WHAT`` (one of :data:`WHATS`)."""
    makers: dict[str, Callable[[], list[str]]] = {
        "estimators": estimator_lines,
        "spaces": space_lines,
        "datasets": dataset_lines,
    }
    return makers[what]()


def estimator_lines() -> list[str]:
    """Each registered estimator under its group's title."""
    from treesvsnets.estimators.registry import GROUPS, all_specs, group_of

    grouped: dict[str, list[Any]] = {group: [] for group in GROUPS}
    for spec in all_specs():
        grouped[group_of(spec)].append(spec)
    lines = []
    for group, specs in grouped.items():
        if specs:
            lines.append(f"{GROUPS[group]}:")
        for spec in specs:
            lines += _estimator(spec)
    return lines


def _estimator(spec: Any) -> list[str]:
    """One estimator: its line, tasks, defaults and search space."""
    capabilities = ", ".join(sorted(spec.capabilities)) or "-"
    params = ", ".join(f"{k}={v!r}" for k, v in spec.default_params.items()) or "-"
    pad = " " * 16
    lines = [
        f"  {spec.name:<14} {spec.family:<9} {spec.description}",
        f"{pad} tasks: {', '.join(spec.tasks)}; preprocessing: {spec.preprocessing}; "
        f"capabilities: {capabilities}; source: {spec.source}",
    ]
    if spec.requires is not None:
        state = "installed" if spec.installed else f"not installed: {spec.install_hint}"
        lines.append(f"{pad} needs the {spec.requires} package ({state}); not in the default suite")
    lines.append(f"{pad} defaults: {params}")
    if spec.regressor_params is not None and spec.regressor_params != spec.default_params:
        regression = spec.regressor_params
        changed = [
            f"{k}={v!r}" for k, v in regression.items() if spec.default_params.get(k, object()) != v
        ]
        changed += [f"no {k}" for k in spec.default_params if k not in regression]
        lines.append(f"{pad} regression defaults differ: {', '.join(changed)}")
    lines.append(f"{pad} search space (--tune): {_space_words(spec)}")
    return lines


def _space_words(spec: Any) -> str:
    """An estimator's search space in one line per task where they differ."""
    spaces = {task: spec.for_task(task).search_space.describe() for task in spec.tasks}
    words = {task: text or "(no search space: not tuned)" for task, text in spaces.items()}
    if len(set(words.values())) == 1:
        return next(iter(words.values()))
    return "; ".join(f"{task}: {text}" for task, text in words.items())


def space_lines() -> list[str]:
    """Each estimator's search space, one distribution per line (per task where they
    differ)."""
    from treesvsnets.estimators.registry import all_specs

    lines = []
    for spec in all_specs():
        spaces = {task: spec.for_task(task).search_space for task in spec.tasks}
        same = len({space.describe() for space in spaces.values()}) == 1
        for task, space in spaces.items():
            title = spec.name if same else f"{spec.name} ({task})"
            if not space:
                lines.append(f"{title:<22} (no search space: not tuned)")
                continue
            lines.append(title)
            lines += [f"    {name:<22} {d.describe()}" for name, d in space.distributions.items()]
            if same:
                break
    return lines


def dataset_lines() -> list[str]:
    """Each built-in dataset: its size, target and kind."""
    from treesvsnets.datasets import all_infos

    lines = []
    for info in all_infos():
        image = (
            "x".join(str(n) for n in info.image_shape[1:]) + " image"
            if info.image_shape
            else "x".join(str(n) for n in info.sequence_shape) + " sequence"
            if info.sequence_shape
            else "table"
        )
        target = "regression" if info.task == "regression" else f"{info.n_classes:>3} classes"
        lines.append(
            f"{info.name:<14} {info.n_samples:>6} samples {info.n_features:>4} features "
            f"{target:<11}  {image:<13}  {info.description}"
        )
    return lines
