"""``treesvsnets check``: the estimator contract (:mod:`treesvsnets.estimators.contract`) run
on what a user brings before benchmarking it: a plugin's class or factory function, or a
registered estimator's name.

A registered estimator is built as a cell builds it (image shape, device), once per task
it does; a class or factory is built as given (``random_state=0`` when it takes one) and
checked for the task it declares. Each is fitted on a small dataset it can take: iris,
digits for nets that need images, 600 rows of mnist1d for those that need sequences,
diabetes for regression.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from treesvsnets.errors import ConfigError
from treesvsnets.estimators.contract import CheckResult


@dataclass(frozen=True)
class CheckReport:
    """The checks of one estimator for one task, or why none ran (``skipped``)."""

    label: str
    task: str
    #: the dataset it was fitted on, described ("iris (150 rows, 3 classes)")
    dataset: str
    capabilities: frozenset[str]
    results: tuple[CheckResult, ...] = ()
    skipped: str | None = None

    @property
    def failed(self) -> int:
        return sum(result.failed for result in self.results)

    def header(self) -> str:
        """What is checked, on what (``treesvsnets check`` prints it before the checks run)."""
        if self.skipped is not None:
            return f"checking {self.label} for {self.task}: skipped ({self.skipped})"
        return (
            f"checking {self.label} for {self.task} on {self.dataset}; "
            f"capabilities: {', '.join(sorted(self.capabilities)) or '-'}"
        )

    def result_lines(self) -> list[str]:
        """A line per check, then the count (none when skipped)."""
        if self.skipped is not None:
            return []
        lines = [
            f"  {result.status.upper()}  {result.name}"
            + (f": {result.message}" if result.message else "")
            for result in self.results
        ]
        skipped = sum(result.status == "skip" for result in self.results)
        passed = len(self.results) - self.failed - skipped
        lines.append(
            f"{passed} passed, {self.failed} failed" + (f", {skipped} skipped" if skipped else "")
        )
        return lines

    def lines(self) -> list[str]:
        """The report as ``treesvsnets check`` prints it."""
        return [self.header(), *self.result_lines()]


@dataclass(frozen=True)
class PlannedCheck:
    """The checks of one estimator for one task, not yet run: :meth:`run` runs them."""

    #: what the report says before any check runs (its results empty)
    report: CheckReport
    make: Callable[[], Any]
    data: Any = None  # the CheckData, or None when skipped
    #: each check in a child process (:class:`_Apart`); not a built-in net's, whose torch
    #: every child would import again (about 3 s each)
    apart: bool = True

    def run(self, seconds: float | None = None) -> CheckReport:
        """Every contract check, each in a process of its own where it can (see
        :class:`_Apart`; ``seconds``: how long one may run, :data:`CHECK_SECONDS` by
        default), under one thread per native pool: the checks test the contract, not speed,
        and a small fit under 2 BLAS threads can take 10x longer (logistic regression on
        digits)."""
        if self.data is None:
            return self.report
        from threadpoolctl import threadpool_limits

        from treesvsnets.estimators.contract import run_check, run_checks

        each = _Apart(seconds or CHECK_SECONDS).run if self.apart else run_check
        with threadpool_limits(limits=1):
            results = tuple(run_checks(self.make, self.data, each))
        return replace(self.report, results=results)


#: how long one check may run before its process is stopped (a fit that hangs)
CHECK_SECONDS = 120.0


class _Apart:
    """Runs each check in a forked child, so that an estimator that crashes the process (a
    segfault, ``os._exit``) or hangs fails that check, saying how, and the others still run
    (after a hang they are not run: each fits the same estimator). Where a fork is not safe
    (not Linux, a thread running, torch imported: its thread pools do not survive a fork)
    a check runs here, as it would without this."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.hung: str | None = None

    def run(self, name: str, check: Any, make: Callable[[], Any], data: Any) -> CheckResult:
        import os
        import pickle
        import sys
        import threading

        from treesvsnets.child_processes import ending, kill_and_reap, wait_for
        from treesvsnets.estimators.contract import run_check

        if self.hung is not None:
            return CheckResult(name, "fail", f"not run: {self.hung!r} did not finish")
        if sys.platform != "linux" or threading.active_count() > 1 or "torch" in sys.modules:
            return run_check(name, check, make, data)
        read, write = os.pipe()
        pid = _forked(read, write, lambda: pickle.dumps(_in_child(name, check, make, data)))
        try:
            status = wait_for(pid, self.seconds)
        except BaseException:  # Ctrl-C, SIGTERM: the check's child goes with the command
            kill_and_reap(pid)
            os.close(read)
            raise
        said = _what_it_said(pid, read)
        if status == 0 and said:
            return pickle.loads(said)
        if status is None:
            self.hung = name
            return CheckResult(
                name, "fail", f"did not finish within {self.seconds:g} s (--timeout); stopped"
            )
        how = f"the process running it {ending(status)}"
        if status >= 0:
            how += " (the estimator may call os._exit or sys.exit)"
        return CheckResult(name, "fail", how)


def _what_it_said(pid: int, read: int) -> bytes:
    """What the check's child wrote, read once it has ended, after its process group (what
    its fit started and left: a process forked, a ``sleep``) is killed: such a process held
    the pipe open, and the read waited for it past ``--timeout``."""
    import os
    import signal

    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # nothing left in its group
    os.set_blocking(read, False)
    chunks = []
    with os.fdopen(read, "rb") as pipe:
        while True:
            try:
                chunk = pipe.read()
            except BlockingIOError:  # a process of another group still holds it: no more
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _in_child(name: str, check: Any, make: Callable[[], Any], data: Any) -> CheckResult:
    """The check run in its child, where a KeyboardInterrupt is the estimator's own (Ctrl-C
    raises it in the command, which then stops the child): a failure that says so."""
    from treesvsnets.estimators.contract import run_check

    try:
        return run_check(name, check, make, data)
    except KeyboardInterrupt:
        return CheckResult(name, "fail", "raised KeyboardInterrupt")


def _forked(read: int, write: int, result: Callable[[], bytes]) -> int:
    """A child that writes ``result()`` to the pipe ``write`` and leaves without this
    process's exit handlers (dying with this process); a signal that comes while it is
    forked stops it before it is raised here."""
    import os

    from treesvsnets.child_processes import (
        die_with_parent,
        flush_standard_streams,
        kill_and_reap,
        stop_escaped_children,
    )
    from treesvsnets.stopping import signals_blocked, unblock_signals

    pid = 0
    try:
        with signals_blocked():  # a signal now is raised as the block ends, the child known
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    os.setpgid(0, 0)  # a group of its own: what fit leaves is killed with it
                    unblock_signals()
                    die_with_parent()
                    os.close(read)
                    os.write(write, result())
                    code = 0
                finally:
                    stop_escaped_children()  # not in its group: the parent's kill misses them
                    flush_standard_streams()
                    os._exit(code)
            os.close(write)
    except BaseException:
        if pid:
            kill_and_reap(pid)
        raise
    return pid


def plan_checks(target: str) -> list[PlannedCheck]:
    """The checks of ``target`` (``module:Class``, ``path/to/file.py:Class`` or a factory
    function there, or a registered estimator's name), one per task it does; a target that
    cannot be found raises ConfigError here, before anything runs."""
    from treesvsnets.estimators.plugins import check_target

    label, found = check_target(target)
    if isinstance(found, dict):  # a registered estimator's specs by task
        return [_check_spec(label, spec) for spec in found.values()]
    return [_check_factory(label, found)]


def check_estimator(target: str) -> list[CheckReport]:
    """The contract checks of ``target`` (see :func:`plan_checks`), run: one report per
    task."""
    if not isinstance(target, str):
        raise ConfigError(
            "check_estimator takes an estimator's name, a plugin file or a "
            f"'module:Class' path (a string), got {type(target).__name__} {target!r}."
        )
    return [planned.run() for planned in plan_checks(target)]


def _check_spec(label: str, spec: Any) -> PlannedCheck:
    """A registered estimator, built as a cell builds it, without preprocessing."""

    def make() -> Any:
        from treesvsnets.bench.cells.inputs import Cell, build

        dataset = _check_dataset(spec.capabilities, spec.task)
        return build(spec, Cell(dataset.name, spec.name, seed=0, fold=0), dataset)[0]

    from treesvsnets.estimators.base import BASELINE_FAMILY, DEEP_FAMILY

    planned = _planned(label, make, spec.capabilities, spec.task, spec.family == BASELINE_FAMILY)
    return replace(planned, apart=spec.family != DEEP_FAMILY)


def _check_factory(label: str, found: Callable[..., Any]) -> PlannedCheck:
    """A class or factory function: its task and capabilities are what the built estimator
    declares (or its API shows); one that cannot be built fails every check, saying why."""
    from sklearn.base import is_regressor

    from treesvsnets.estimators.capabilities import capabilities_of
    from treesvsnets.estimators.registry import accepts_parameter

    def make() -> Any:
        return found(random_state=0) if accepts_parameter(found, "random_state") else found()

    task, capabilities = "classification", frozenset()
    try:
        built = make()
    except Exception:  # noqa: BLE001 - every check will fail on it, and say why
        pass
    else:
        capabilities = frozenset(capabilities_of(built))
        task = "regression" if is_regressor(built) else task
    return _planned(label, make, capabilities, task)


@functools.cache
def _check_dataset(capabilities: frozenset[str], task: str) -> Any:
    """What the checks fit on (each loaded once)."""
    from treesvsnets.datasets import load

    if task == "regression":
        return load("diabetes")
    if "needs_sequences" in capabilities:
        return load("mnist1d").subsample(600)
    return load("digits" if "needs_images" in capabilities else "iris")


def _planned(
    label: str,
    make: Callable[[], Any],
    capabilities: frozenset[str],
    task: str,
    baseline: bool = False,
) -> PlannedCheck:
    """The contract checks of ``task`` for ``make``, on a dataset it can take (``baseline``:
    the run's floor, which predicts one value by design)."""
    from treesvsnets.bench.plan.checks import missing_shape
    from treesvsnets.estimators.contract import CheckData

    dataset = _check_dataset(capabilities, task)
    target = "regression" if task == "regression" else f"{dataset.n_classes} classes"
    report = CheckReport(
        label, task, f"{dataset.name} ({dataset.n_samples} rows, {target})", capabilities
    )
    need = missing_shape(capabilities, dataset)
    if need is not None:
        skipped = f"it needs {need[0]}; no {task} dataset has any"
        return PlannedCheck(replace(report, skipped=skipped), make)
    fit_kwargs = {"validation_data": None} if "early_stopping" in capabilities else {}
    argmax = "argmax_predict" in capabilities  # the harness then never calls predict
    data = CheckData(dataset.X, dataset.y, fit_kwargs, dataset.name, task, argmax, baseline)
    return PlannedCheck(report, make, data)
