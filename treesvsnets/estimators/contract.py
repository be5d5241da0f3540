"""The estimator contract as small checks, run by ``treesvsnets check`` before a benchmark.

Like scikit-learn's ``check_estimator``: each check builds a fresh estimator,
exercises one promise the harness relies on, and fails with a sentence that
says what broke. ``run_checks`` never raises for a failing estimator; it
reports every check. A regressor gets the checks that apply to it (no classes, no
probabilities; one finite number per row instead of a known label).

The checks (:data:`CHECKS`, per task): fit returns self, predict's shape and labels,
``classes_``, ``predict_proba`` rows that sum to 1, the get_params / clone round trip, string
labels, scaled float32 input (the harness's preprocessing), determinism under a fixed seed,
a pickle round trip, and input left as given. A check that does not apply raises
:class:`SkipCheck` and is reported as SKIP with its reason. :mod:`treesvsnets.plugin_checks`
picks the data (digits for an estimator that needs images, ...) from the target's
capabilities.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Factory = Callable[[], Any]


@dataclass(frozen=True)
class CheckData:
    X: np.ndarray
    y: np.ndarray
    fit_kwargs: dict[str, Any]
    name: str
    task: str = "classification"
    #: the estimator claims ``argmax_predict``: its labels are read from predict_proba alone
    argmax_predict: bool = False
    #: the run's baseline (dummy), which predicts one value for every row by design
    baseline: bool = False


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # "pass", "fail" or "skip" (the check does not apply; message says why)
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def failed(self) -> bool:
        return self.status == "fail"


class SkipCheck(Exception):  # noqa: N818 - read as "skip check", like pytest's skip
    """Raised by a check that does not apply to the estimator; its message says why."""


def _fit_kwargs(data: CheckData, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """The harness's fit arguments: a validation slice for estimators that early-stop."""
    kwargs = dict(data.fit_kwargs)
    if "validation_data" in kwargs:
        kwargs["validation_data"] = (X[::10], y[::10])
    return kwargs


def _fit(make: Factory, data: CheckData, y: np.ndarray | None = None, X: np.ndarray | None = None):
    X = data.X if X is None else X
    y = data.y if y is None else y
    estimator = make()
    returned = estimator.fit(X, y, **_fit_kwargs(data, X, y))
    return estimator, returned


def check_fit_returns_self(make: Factory, data: CheckData) -> None:
    estimator, returned = _fit(make, data)
    assert returned is estimator, f"fit returned {type(returned).__name__}, not the estimator"


def check_predict_shape_and_labels(make: Factory, data: CheckData) -> None:
    estimator, _ = _fit(make, data)
    predicted = np.asarray(estimator.predict(data.X))
    assert predicted.shape == (len(data.X),), (
        f"predict returned shape {predicted.shape} for {len(data.X)} rows"
    )
    unknown = set(predicted.tolist()) - set(data.y.tolist())
    assert not unknown, f"predict returned labels never seen in fit: {sorted(unknown)[:5]}"


def check_predict_numbers(make: Factory, data: CheckData) -> None:
    estimator, _ = _fit(make, data)
    from treesvsnets.estimators.validation import predicted_numbers

    try:
        predicted = predicted_numbers(estimator.predict(data.X))
    except ValueError as exc:
        raise AssertionError(str(exc)) from None
    assert predicted.shape == (len(data.X),), (
        f"predict returned shape {predicted.shape} for {len(data.X)} rows"
    )
    assert np.isfinite(predicted).all(), "predict returned NaN or infinite values"
    assert data.baseline or np.ptp(predicted) > 0, "predict returned the same value for every row"


def check_classes(make: Factory, data: CheckData) -> None:
    estimator, _ = _fit(make, data)
    classes = getattr(estimator, "classes_", None)
    assert classes is not None, "the fitted estimator has no classes_ attribute"
    assert list(classes) == sorted(set(data.y.tolist())), f"classes_ is {list(classes)}"


def check_predict_proba(make: Factory, data: CheckData) -> None:
    estimator, _ = _fit(make, data)
    if not hasattr(estimator, "predict_proba"):  # optional: the harness then reports no log loss
        raise SkipCheck(
            f"the fitted {type(estimator).__name__} has no predict_proba, so its rows get no "
            "log loss"
        )
    proba = np.asarray(estimator.predict_proba(data.X))
    n_classes = len(set(data.y.tolist()))
    assert proba.shape == (len(data.X), n_classes), (
        f"predict_proba returned shape {proba.shape}, expected {(len(data.X), n_classes)}"
    )
    assert np.isfinite(proba).all(), "predict_proba returned NaN or infinite values"
    assert np.all(proba >= 0), "predict_proba returned negative probabilities"
    worst = float(np.abs(proba.sum(axis=1) - 1).max())
    assert worst < 1e-5, f"predict_proba rows do not sum to 1 (off by up to {worst:.3g})"
    if data.argmax_predict:  # the harness reads labels from the probabilities, never predict
        argmax = np.asarray(estimator.classes_).take(np.argmax(proba, axis=1), axis=0)
        differ = float(np.mean(np.asarray(estimator.predict(data.X)) != argmax))
        assert differ == 0, (
            f"it claims argmax_predict (predict is the largest probability's class, so a run "
            f"reads its labels from predict_proba alone), but predict differs on {differ:.0%} "
            "of the rows; drop the claim"
        )


def check_clone_round_trip(make: Factory, data: CheckData) -> None:
    from sklearn.base import clone

    estimator = make()
    params = estimator.get_params(deep=False)
    twin = clone(estimator)
    assert set(twin.get_params(deep=False)) == set(params), "clone changed the parameter names"
    twin.set_params(**params)
    twin.fit(data.X, data.y, **_fit_kwargs(data, data.X, data.y))


def check_string_labels(make: Factory, data: CheckData) -> None:
    names = np.array([f"class_{label}" for label in data.y], dtype=object)
    estimator, _ = _fit(make, data, y=names)
    predicted = set(np.asarray(estimator.predict(data.X)).tolist())
    assert predicted <= set(names.tolist()), f"string labels came back as {sorted(predicted)[:3]}"


def check_harness_preprocessing(make: Factory, data: CheckData) -> None:
    from sklearn.preprocessing import StandardScaler

    scaled = StandardScaler().fit_transform(data.X).astype(np.float32)
    estimator, _ = _fit(make, data, X=scaled)
    assert len(estimator.predict(scaled)) == len(scaled), "predict failed on scaled float32 rows"


def check_deterministic_under_seed(make: Factory, data: CheckData) -> None:
    first, _ = _fit(make, data)
    second, _ = _fit(make, data)
    a, b = np.asarray(first.predict(data.X)), np.asarray(second.predict(data.X))
    assert np.array_equal(a, b), (
        f"two fits with the same seed disagree on {int((a != b).sum())} of {len(a)} rows"
    )


def check_pickle_round_trip(make: Factory, data: CheckData) -> None:
    import pickle

    estimator, _ = _fit(make, data)
    again = pickle.loads(pickle.dumps(estimator))
    a, b = np.asarray(estimator.predict(data.X)), np.asarray(again.predict(data.X))
    assert np.array_equal(a, b), (
        f"the unpickled estimator disagrees with the fitted one on {int((a != b).sum())} of "
        f"{len(a)} rows"
    )


def check_input_unchanged(make: Factory, data: CheckData) -> None:
    X, y = data.X.copy(), data.y.copy()
    estimator = make()
    estimator.fit(X, y, **_fit_kwargs(data, X, y))
    calls = [("fit", None)] + [
        (method, getattr(estimator, method))
        for method in ("predict", "predict_proba")
        if hasattr(estimator, method)
    ]
    for method, call in calls:
        if call is not None:
            call(X)
        changed = [
            name
            for name, given, kept in (("X", X, data.X), ("y", y, data.y))
            if not np.array_equal(given, kept, equal_nan=given.dtype.kind == "f")
        ]
        assert not changed, (
            f"{method} wrote into the {' and '.join(changed)} it was given (the harness "
            "reads the same rows again: predict_proba after predict, each tuning trial): "
            "work on a copy"
        )


Check = tuple[str, Callable[[Factory, CheckData], None]]
_COMMON: tuple[Check, ...] = (
    ("get_params / clone round-trip", check_clone_round_trip),
    ("works behind the harness's preprocessing (scaled float32)", check_harness_preprocessing),
    ("deterministic under a fixed seed", check_deterministic_under_seed),
    ("a fitted estimator survives pickle (same predictions)", check_pickle_round_trip),
    ("fit and predict leave their input as given", check_input_unchanged),
)
#: the checks of each task, in the order they run
CHECKS: dict[str, tuple[Check, ...]] = {
    "classification": (
        ("fit returns self", check_fit_returns_self),
        ("predict gives one known label per row", check_predict_shape_and_labels),
        ("classes_ lists the training labels", check_classes),
        ("predict_proba rows are probabilities that sum to 1", check_predict_proba),
        _COMMON[0],
        ("works with string labels", check_string_labels),
        *_COMMON[1:],
    ),
    "regression": (
        ("fit returns self", check_fit_returns_self),
        ("predict gives one finite number per row", check_predict_numbers),
        *_COMMON,
    ),
}


def run_check(name: str, check: Callable[[Factory, CheckData], None], make: Factory,
              data: CheckData) -> CheckResult:  # fmt: skip
    """Run one check: it fails on AssertionError or on any exception the estimator raises
    (SystemExit included), and is skipped, with the reason, when it does not apply (SkipCheck)."""
    try:
        check(make, data)
    except SkipCheck as exc:
        return CheckResult(name, "skip", str(exc))
    except AssertionError as exc:
        return CheckResult(name, "fail", str(exc))
    except SystemExit as exc:  # sys.exit in the estimator: a failure, not the command's end
        return CheckResult(name, "fail", f"called sys.exit({exc.code!r})")
    except (KeyboardInterrupt, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - the estimator may raise anything (CancelledError)
        try:
            said = str(exc)
        except Exception:  # noqa: BLE001 - an exception whose __str__ fails
            said = "(its message could not be read)"
        return CheckResult(name, "fail", f"raised {type(exc).__name__}: {said}")
    return CheckResult(name, "pass")


def run_checks(
    make: Factory, data: CheckData, run: Callable[..., CheckResult] = run_check
) -> list[CheckResult]:
    """Run every check of the data's task with ``run`` (:func:`run_check`, or a caller's
    that runs it elsewhere: ``treesvsnets check`` runs each in a child process)."""
    return [run(name, check, make, data) for name, check in CHECKS[data.task]]
