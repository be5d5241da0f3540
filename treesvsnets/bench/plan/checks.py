"""What a user can get wrong about a run, checked before any folder or model exists.

The checks :func:`~treesvsnets.bench.plan.planning.prepare` makes, in its order: the
estimators a run can use (an optional one without its package: named, refused; from a
family, left out and listed), their parameter names and values per task, their search
spaces, the datasets' tasks against the estimators and the flags, and what each estimator
cannot run on (images, sequences, another task). Each names what is wrong in one sentence.

The task checks: ``--task`` on a built-in dataset of the other task, ``--class-weight`` or
``--resample`` on regression, and a named estimator without the dataset's task;
:func:`check_resampling` (after the split plans): ``--resample`` without imbalanced-learn, and
``smote`` on a fold with a class of fewer rows than SMOTE needs. The default suite leaves the
optional estimators out, installed or not. :func:`missing_shape` says what an estimator that
needs images or sequences lacks on a dataset (named: refused; otherwise left out of that
dataset and listed).
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from treesvsnets.bench.tune.trial import check_inner_folds
from treesvsnets.config import DEFAULT_ESTIMATORS, RunConfig
from treesvsnets.datasets.base import Dataset, class_weight_codes
from treesvsnets.errors import (
    ConfigError,
    DatasetError,
    TreesVsNetsError,
    TreesVsNetsWarning,
    concerning,
    unknown_name,
)
from treesvsnets.estimators import registry
from treesvsnets.results.row import BLEND
from treesvsnets.suites import find


def _only_run_estimators(names: Any, specs: list, where: str) -> None:
    """Refuse a name (of ``[params.NAME]``, ``[spaces.NAME]``) that is not one of the run's
    estimators, with a did-you-mean."""
    chosen = {spec.name: spec for spec in specs}
    for name in names:
        if name not in chosen:
            raise unknown_name("estimator", name, chosen, where=where)


def check_suite_estimators(config: RunConfig) -> None:
    """The estimators a suite's [defaults] names, checked where -e replaced them too (every
    bad default is refused before anything runs, as docs/suites.md says; the plugins are
    loaded by then, so a plugin's estimator is known)."""
    suite = find(config.suite) if config.suite else None
    named = suite.defaults.get("estimators") if suite else None
    if not named or tuple(named) == tuple(config.estimators):
        return  # none, or the run's own: checked as the run's
    try:
        registry.select([name for name in named if name != BLEND])
    except TreesVsNetsError as exc:
        raise ConfigError(f"{suite.defaults_where}: {exc}") from None


def check_param_names(config: RunConfig, specs: list) -> None:
    _only_run_estimators(
        [name for name in config.params if name != BLEND],
        specs,
        "params (parameters given for an estimator not in this run)",
    )


def _named_members(members: Any) -> list[str]:
    """``members`` as names: a TOML list, or the flag's ``[rf,dense]`` / ``rf,dense``."""
    if isinstance(members, str):
        members = [m.strip() for m in members.strip("[]").split(",") if m.strip()]
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise ConfigError(
            f"'blend.members' must be a list of estimator names, e.g. [rf,dense], got {members!r}."
        )
    return list(dict.fromkeys(members))


def blend_members(config: RunConfig, specs: list) -> tuple[str, ...] | None:
    """The run's ``blend``: None without one; the members named by ``--param
    blend.members=[rf,dense]``; or () for each fold's best tree ensemble and best net (by
    validation). A blend weighs kept trials, so it needs tuning and ``--ensemble``."""
    given = dict(config.params.get(BLEND, {}))
    if BLEND not in config.estimators:
        if given:
            raise ConfigError(
                "'params.blend' sets a blend's members, and this run has no blend; add -e blend."
            )
        return None
    if not (config.tuning and config.ensemble):
        raise ConfigError(
            "'blend' weighs the kept trials of a tree ensemble and a net on each fold; it "
            "needs --tune N and --ensemble."
        )
    members = given.pop("members", None)
    if given:
        raise ConfigError(
            f"'blend' takes only 'members' (--param blend.members=[rf,dense]), not "
            f"{', '.join(map(repr, given))}."
        )
    tuned = {spec.name: spec.family for spec in specs if search_space(config, spec)}
    if members is None:
        lacking = [f for f in ("ensemble", "deep") if f not in tuned.values()]
        if lacking:
            raise ConfigError(
                f"'blend' weighs each fold's best tree ensemble and best net, and this run "
                f"tunes no {' and no '.join(lacking)} estimator; add one (e.g. -e rf -e dense) "
                "or name the members: --param blend.members=[rf,logreg]."
            )
        return ()
    names = _named_members(members)
    for name in names:
        if name not in tuned:
            raise unknown_name(
                "estimator", name, tuned, where="blend.members (the run's tuned estimators)"
            )
    if len(names) < 2:
        raise ConfigError(
            f"'blend.members' names {len(names)} estimator; a blend needs two or more."
        )
    return tuple(names)


def _in_use(specs: list, datasets: list[Dataset]) -> list:
    """The specs of the tasks the datasets have (a regressor where a dataset regresses)."""
    tasks = {dataset.task for dataset in datasets}
    return [spec for spec in specs if spec.task in tasks]


def check_validation_slice(config: RunConfig, specs: list, datasets: list[Dataset]) -> None:
    """Refuse a net that stops early on the validation slice when the run sets aside none
    (--validation-fraction 0): every one of its cells would fail."""
    if config.validation_fraction > 0:
        return
    for spec in _in_use(specs, datasets):
        params = {**spec.default_params, **config.params.get(spec.name, {})}
        if "early_stopping" in spec.capabilities and params.get("early_stopping"):
            raise ConfigError(
                f"estimator {spec.name!r} stops early on the validation slice, and "
                "'validation_fraction' is 0 (--validation-fraction); give it a slice (e.g. "
                f"0.1) or train it without: --param {spec.name}.early_stopping=false."
            )


def check_params(config: RunConfig, specs: list, datasets: list[Dataset]) -> None:
    """Each estimator's parameters, checked against its version (classifier, regressor) of
    every task it runs on."""
    for spec in _in_use(specs, datasets):
        overrides = config.params.get(spec.name)
        if overrides:
            spec.check_params(overrides)
        weights = (overrides or {}).get("class_weight")
        for dataset in datasets if isinstance(weights, dict) else ():
            if dataset.task == spec.task:  # a key no class has: refused before any cell
                where = f"estimator {spec.name!r} on dataset {dataset.name!r}"
                class_weight_codes(weights, dataset.class_names, where)


def with_spaces(config: RunConfig, specs: list) -> list:
    """The run's specs with the user's search spaces (``[spaces.NAME]``, ``--space``) in
    place of their own, for every task; a space for an estimator not in the run is
    refused."""
    _only_run_estimators(
        config.spaces, specs, "spaces (a search space given for an estimator not in this run)"
    )
    return [
        spec.with_space(config.spaces[spec.name]) if spec.name in config.spaces else spec
        for spec in specs
    ]


def search_space(config: RunConfig, spec: Any) -> Any:
    """What a tuned run searches for ``spec`` (one task's): its space less the
    parameters the user fixed with ``--param`` (:meth:`SearchSpace.without`)."""
    return spec.search_space.without(config.params.get(spec.name, {}))


def check_spaces(config: RunConfig, specs: list, datasets: list[Dataset]) -> None:
    """Every bound of every search space in use, built into its estimator and checked as a
    parameter is (an unknown name, a value the estimator refuses), before any trial runs."""
    for spec in _in_use(specs, datasets):
        space = search_space(config, spec)
        for corner in space.corners():
            try:
                params = space.params(corner)
                spec.check_params({**config.params.get(spec.name, {}), **params})
            except ConfigError as exc:
                raise ConfigError(
                    f"the search space of estimator {spec.name!r} does not fit it: {exc}"
                ) from None
            except Exception as exc:  # noqa: BLE001 - a space_params of a plugin
                raise ConfigError(
                    f"the search space of estimator {spec.name!r} could not be turned into "
                    f"parameters ({type(exc).__name__}: {exc})."
                ) from None


def _named(config: RunConfig) -> set[str]:
    """The estimators the user named one by one (not through the default, a suite's own list,
    a family or all): a suite's list is its datasets' defaults, so an estimator in it is
    passed over where it cannot run (``cnn1d`` on the images), as the default's ``cnn`` is."""
    if config.estimators in (DEFAULT_ESTIMATORS, _listed_by_suite(config)):
        return set()
    return set(config.estimators)


def _listed_by_suite(config: RunConfig) -> tuple[str, ...] | None:
    """The estimators the run's suite lists in its defaults (None: no suite, or no list). A
    suite file no longer there (a run resumed after it moved) was read when the run began:
    its estimators are taken as the suite's, so the resumed run passes over what it did."""
    if not config.suite:
        return None
    try:
        listed = find(config.suite).defaults.get("estimators")
    except ConfigError:
        return config.estimators
    return None if listed is None else tuple(listed)


def installed(config: RunConfig, specs: list) -> tuple[list, list]:
    """The estimators whose packages are installed, and those left out for want of theirs.

    An optional estimator (``requires``: CatBoost's extra) named by the user without its
    package is refused with one sentence; from a family or ``all`` it is left out and
    listed. The default suite leaves the optional estimators out, installed or not, so
    that ``treesvsnets run`` does the same on every install (``-e catboost`` adds it)."""
    named = _named(config)
    kept, missing = [], []
    for spec in specs:
        if spec.requires is None:
            kept.append(spec)
        elif config.estimators == DEFAULT_ESTIMATORS:
            continue
        elif spec.installed:
            kept.append(spec)
        elif spec.name in named:
            raise ConfigError(
                f"estimator {spec.name!r} needs the {spec.requires} package, which is not "
                f"installed; install it with: {spec.install_hint}"
            )
        else:
            missing.append(spec)
    return kept, missing


def _counterparts(spec: Any, task: str) -> list[str]:
    """Registered estimators of ``spec``'s family that do ``task`` (what to use instead)."""
    return [s.name for s in registry.all_specs() if s.family == spec.family and s.task == task]


def _by_name(specs: list) -> dict[str, dict[str, Any]]:
    """The run's specs by estimator name, then task."""
    found: dict[str, dict[str, Any]] = {}
    for spec in specs:
        found.setdefault(spec.name, {})[spec.task] = spec
    return found


def skips(config: RunConfig, specs: list, datasets: list) -> dict[str, dict[str, str]]:
    """What is left out where, and what the user named that cannot run.

    An estimator without a version for a dataset's task (``logreg`` on regression, ``ridge``
    on classification) does not run there: refused with one sentence when the user named it
    (``-e logreg``), left out and listed here when a suite's own list names it, silently
    passed over when it came with the default, a family or ``all`` (``-e linear`` picks
    logreg or ridge per dataset). An estimator that needs images (or
    sequences) on a dataset without that shape is refused when named, else left out of that
    dataset and listed here (the default suite has ``cnn``, and ``treesvsnets run -d
    table.csv`` must work)."""
    named = _named(config)
    skips: dict[str, dict[str, str]] = {}
    estimators = _by_name(specs)
    for dataset in datasets:
        for name, versions in estimators.items():
            spec = versions.get(dataset.task)
            if spec is None:
                if name in named:
                    spec = registry.first_version(versions)
                    instead = _counterparts(spec, dataset.task)
                    raise ConfigError(
                        f"estimator {spec.name!r} has no {dataset.task} version, and dataset "
                        f"{dataset.name!r} is a {dataset.task} dataset"
                        + (
                            f"; its {spec.family} estimator for {dataset.task} is "
                            + " or ".join(repr(other) for other in instead)
                            + f" (-e {spec.family} picks the right one per dataset)."
                            if instead
                            else "; leave it out for this dataset."
                        )
                    )
                if name in config.estimators:  # a suite's own list names it: said, not silent
                    skips.setdefault(dataset.name, {})[name] = f"no {dataset.task} version"
            elif (need := missing_shape(spec.capabilities, dataset)) is not None:
                what, where = need
                if spec.name in named:
                    raise ConfigError(
                        f"estimator {spec.name!r} needs {what}, but dataset {dataset.name!r} "
                        f"has no {what[:-1]} shape; run it on {where} or leave it out."
                    )
                skips.setdefault(dataset.name, {})[spec.name] = f"needs {what}"
    return skips


def missing_shape(capabilities: frozenset[str], dataset: Dataset) -> tuple[str, str] | None:
    """(what, where to find it) when an estimator needs a row shape ``dataset`` lacks: images
    for a CNN, sequences for a 1-D CNN; None when nothing is missing."""
    if "needs_images" in capabilities and dataset.image_shape is None:
        return "images", "an image dataset (digits, mnist, fashion_mnist)"
    if "needs_sequences" in capabilities and dataset.sequence_shape is None:
        return "sequences", "mnist1d, or a table declaring shape = [channels, length]"
    return None


def check_tasks(config: RunConfig, datasets: list[Dataset], tables: set[str]) -> None:
    """Settings that do not fit a dataset's task: --task on a built-in dataset of the other
    task (``tables`` names the table files, whose target --task reads), --class-weight on
    regression, --resample on regression, --target-bins without a regression dataset, a
    --metric that is the score of no dataset's task."""
    from treesvsnets.tasks import REGRESSION, metric_off_task

    off_task = metric_off_task(config.metric, {dataset.task for dataset in datasets}, "this run's")
    if off_task is not None:
        raise ConfigError(off_task).about("metric")
    if config.target_bins and all(dataset.task != REGRESSION for dataset in datasets):
        raise ConfigError(
            f"target_bins {config.target_bins} stratifies a regression target's folds, and "
            "this run's datasets are all classification (stratified on their classes "
            "already); drop --target-bins."
        ).about("target_bins")

    for dataset in datasets:
        if config.task and config.task != dataset.task and dataset.name not in tables:
            raise ConfigError(
                f"task {config.task!r} does not apply to dataset {dataset.name!r}, a built-in "
                f"{dataset.task} dataset; task chooses how a table file's target is read."
            ).about("task")
        if config.class_weight and dataset.task == REGRESSION:
            raise ConfigError(
                f"class_weight {config.class_weight!r} weighs classes, but dataset "
                f"{dataset.name!r} is a regression dataset (its target is a number); drop "
                "--class-weight, or run the regression datasets apart."
            ).about("class_weight")
        if config.resample != "none" and dataset.task == REGRESSION:
            raise ConfigError(
                f"resample {config.resample!r} balances classes, but dataset {dataset.name!r} "
                "is a regression dataset (its target is a number); drop --resample, or run the "
                "regression datasets apart."
            ).about("resample")


def check_resampling(config: RunConfig, split_plans: list, specs_for: Any) -> None:
    """``--resample`` needs imbalanced-learn; ``smote`` needs, in every fold, each class to
    have more fit rows than SMOTE's neighbours (the rows each estimator fits on: the
    training fold, or it less the validation slice). ``specs_for(dataset)``: the specs that
    run on it (the baseline is never resampled)."""
    from treesvsnets.bench.cells.inputs import fit_rows
    from treesvsnets.datasets import resampling
    from treesvsnets.estimators.base import BASELINE_FAMILY

    if config.resample == "none":
        return
    if not resampling.installed():
        raise ConfigError(
            f"resample {config.resample!r} needs the imbalanced-learn package, which is not "
            f"installed; install it with: {resampling.INSTALL}"
        )
    if config.resample != "smote":
        return
    needed = resampling.SMOTE_NEIGHBOURS + 1
    for dataset, split_plan in split_plans:
        specs = [s for s in specs_for(dataset) if s.family != BASELINE_FAMILY]
        for fold in range(split_plan.n_folds):
            for rows in {id(r): r for r in (fit_rows(s, split_plan, fold) for s in specs)}.values():
                code, count = resampling.smallest_class(dataset.y[rows])
                if count < needed:
                    raise DatasetError(
                        f"dataset {dataset.name!r}, seed {split_plan.seed}, fold "
                        f"{fold + 1}/{split_plan.n_folds}: class "
                        f"{dataset.class_names[code]!r} has {count} training rows, and SMOTE "
                        f"needs {needed} (each row and its {needed - 1} neighbours); use "
                        "--resample over, or fewer folds."
                    )


def check_for_datasets(
    config: RunConfig, specs: list, loaded: list[Dataset], skipped: dict[str, dict[str, str]]
) -> None:
    """What can be checked once the datasets are loaded: the estimators' parameters and
    spaces for each task, a validation slice for those that stop early, an estimator for
    each task."""
    with concerning("params"):
        check_params(config, [s for s in specs if s.name in config.params], loaded)
    with concerning("validation_fraction"):
        check_validation_slice(config, specs, loaded)
    if config.tuning:
        with concerning("spaces"):
            check_spaces(config, specs, loaded)
        with concerning("tune_cv"):
            check_inner_folds(config, loaded)
    _check_each_task_has_an_estimator(specs, loaded, skipped)
    warn_of_attention_memory(config, specs, loaded)


def warn_of_attention_memory(config: RunConfig, specs: list, datasets: list[Dataset]) -> None:
    """Warn where a net's attention over every column (the FT-Transformer's: a token per
    column) would hold a quarter of this machine's memory or more while it trains: it grows
    with the square of the columns (500 columns took 4.7 GB, 2,000 would take 75)."""
    from treesvsnets.estimators.architectures import attention_bytes

    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):  # no sysconf (Windows): nothing to weigh
        return
    for spec in _in_use(specs, datasets):
        params = {**spec.default_params, **config.params.get(spec.name, {})}
        batch = params.get("batch_size")
        for dataset in (d for d in datasets if d.task == spec.task):
            tokens = dataset.n_features + 1  # a token per column and the class token
            held = attention_bytes(params, tokens)
            if held is not None and 4 * held >= memory:
                warnings.warn(
                    f"{spec.name} on {dataset.name}: its attention over {tokens} tokens (one "
                    f"per column) holds about {held / 1e9:.1f} GB per batch of {batch} while it "
                    f"trains, of this machine's {memory / 1e9:.0f} GB; a smaller batch "
                    f"(--param {spec.name}.batch_size={max(8, batch // 4)}) or fewer columns "
                    "keeps it down, and --max-memory stops a cell that grows too large.",
                    TreesVsNetsWarning,
                    stacklevel=2,
                )


def _check_each_task_has_an_estimator(
    specs: list, loaded: list[Dataset], skipped: dict[str, dict[str, str]]
) -> None:
    for dataset in loaded:
        left_out = skipped.get(dataset.name, {})
        if not any(s.name not in left_out and s.task == dataset.task for s in specs):
            raise ConfigError(
                f"no estimator of this run does {dataset.task}, the task of dataset "
                f"{dataset.name!r}; add one (e.g. -e ensemble)."
            )
