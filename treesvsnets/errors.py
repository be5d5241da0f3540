"""Errors a user can cause.

Every error that bad input can trigger (an unknown estimator or dataset name, a
bad config value, a dataset too small for the requested folds) derives from
:class:`TreesVsNetsError`. The CLI prints its message as one sentence and exits
with code 2; anything else is a bug and exits with 1. The subclasses also inherit
the matching built-in error so that library users can catch what they expect:
:class:`UnknownNameError`, :class:`ConfigError`, :class:`DatasetError` and its
:class:`DeclaredTypeError` (a column declared numeric or datetime that mostly is not, which
``inspect`` refuses too). :func:`did_you_mean` and :func:`unknown_name` build the "choose from
...; did you mean ...?" sentences. An error about a run setting says which
(:meth:`TreesVsNetsError.about`, :func:`concerning`), so the CLI can name the config file or
the suite's ``[defaults]`` that gave it (:meth:`TreesVsNetsError.given_in`).
:class:`Terminated` is SIGTERM as a KeyboardInterrupt; :class:`TreesVsNetsWarning` (and its
:class:`DivergenceWarning`) what a run that goes ahead should still say.
"""

from __future__ import annotations

import contextlib
import difflib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


class TreesVsNetsError(Exception):
    """Root of every error caused by what the user asked for."""

    #: the run setting (a RunConfig key) the error is about, where one is: a caller that
    #: knows where each setting was given (a config file, a suite's [defaults]) names it
    setting: str | None = None

    def about(self, setting: str) -> TreesVsNetsError:
        """This error, said to be about ``setting`` (unless it already says another)."""
        if self.setting is None:
            self.setting = setting
        return self

    def given_in(self, sources: dict[str, str]) -> TreesVsNetsError:
        """This error naming where its setting was given (``sources``: setting -> where, as
        :func:`treesvsnets.config_files.setting_sources` says), or itself where no source
        of its setting is known (a flag, a notebook's argument)."""
        where = sources.get(self.setting or "")
        if where is None or str(self).startswith(where):
            return self
        error = type(self)(f"{where}: {self}")
        error.setting = self.setting
        return error


@contextlib.contextmanager
def concerning(setting: str) -> Iterator[None]:
    """Say that an error raised inside is about the run setting ``setting``."""
    try:
        yield
    except TreesVsNetsError as exc:
        exc.about(setting)
        raise


class UnknownNameError(TreesVsNetsError, LookupError):
    """A name (estimator, dataset, family, run) that is not registered."""


class ConfigError(TreesVsNetsError, ValueError):
    """A configuration value or key that cannot be used."""


class DatasetError(TreesVsNetsError, ValueError):
    """A dataset that cannot be benchmarked as asked (too small, unreadable...)."""


class DeclaredTypeError(DatasetError):
    """A column the user declared numeric or datetime, most of whose values are not: the
    declaration is wrong, not just the data (``inspect`` refuses it too)."""


#: what people call the built-in estimators, by their words without case, spaces, '_' or '-'
#: ('RandomForest', 'random_forest'): a did-you-mean for them says our name, not the one
#: spelled closest ('adaboost' for 'randomforest')
_CALLED = {
    "randomforest": "rf", "randomforestclassifier": "rf", "randomforestregressor": "rf",
    "histgradientboosting": "hgb", "histgradientboostingclassifier": "hgb",
    "histgradientboostingregressor": "hgb", "gradientboosting": "gb",
    "gradientboostingclassifier": "gb", "gradientboostingregressor": "gb",
    "logisticregression": "logreg", "logistic": "logreg", "xgb": "xgboost",
    "xgbclassifier": "xgboost", "lgbm": "lightgbm", "lgb": "lightgbm",
    "lgbmclassifier": "lightgbm", "mlp": "dense", "ftt": "ft_transformer",
    "fttransformer": "ft_transformer", "dummyclassifier": "dummy", "dummyregressor": "dummy",
    "baggingclassifier": "bagging", "adaboostclassifier": "adaboost",
    "catboostclassifier": "catboost", "linearregression": "ridge", "xgbregressor": "xgboost",
    "lgbmregressor": "lightgbm", "catboostregressor": "catboost",
}  # fmt: skip


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for the closest of ``choices`` (the one spelled alike but for
    its case first: 'CARD' is 'card'; then what people call it: 'RandomForest' is 'rf'), or
    ``""`` when none is close."""
    choices = list(choices)
    same = [choice for choice in choices if str(choice).casefold() == name.casefold()]
    called = _CALLED.get("".join(c for c in name.casefold() if c not in " _-"))
    same = same or ([called] if called in choices else [])
    close = same or difflib.get_close_matches(name, choices, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def unknown_name(
    kind: str, name: str, choices: Iterable[str], *, where: str = "", also: str = ""
) -> UnknownNameError:
    """Build the error for an unknown ``name``, naming the valid choices and a close match.

    ``also`` names a further kind of valid answer ("a .csv file") after the choices.
    """
    choices = sorted(choices)
    hint = did_you_mean(name, choices)
    location = f" in {where}" if where else ""
    return UnknownNameError(
        f"unknown {kind} {name!r}{location}; choose from: {', '.join(choices)}"
        f"{' or ' + also if also else ''}.{hint}"
    )


class ResultsWriteError(TreesVsNetsError, OSError):
    """A run folder that cannot be written as the run goes (a full disk): the rows stored
    so far are kept, and the run resumes once there is room."""


class Terminated(KeyboardInterrupt):
    """SIGTERM during a run: handled like Ctrl-C (finished cells kept, run marked incomplete)."""


class TreesVsNetsWarning(UserWarning):
    """Something the user should know about a run that still goes ahead (e.g. oversubscription)."""


class DivergenceWarning(TreesVsNetsWarning):
    """A net's training diverged (its loss not finite, or ending above where it began): its
    scores say little about the architecture. The fitted net's ``diverged_`` says how."""


def shown(value: Any, most: int = 120) -> str:
    """``repr(value)`` on one line, at most ``most`` characters (a DataFrame given as a
    dataset printed all its rows), and what it is when cut; a DataFrame or an array is named
    with its shape, in a list too ("[a DataFrame of shape (150, 5)]")."""
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and len(shape) >= 1:
        name = type(value).__name__
        return f"{'an' if name[0] in 'aeiouAEIOU' else 'a'} {name} of shape {shape}"
    if isinstance(value, list | tuple) and any(hasattr(item, "shape") for item in value):
        items = ", ".join(shown(item, most // 2) for item in value[:3])
        return f"[{items}{', ...' if len(value) > 3 else ''}]"
    text = " ".join(repr(value).split())
    if len(text) <= most:
        return text
    return f"{text[: most - 5]}... (a {type(value).__name__})"


def path_given(path: Any) -> Path:
    """``path`` as a Path: a run folder's or a table's path, given as text or a Path; else
    one sentence (``resume(None)`` was a TypeError from os.fspath)."""
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise ConfigError(
            f"a folder's or file's path (text or a Path) is needed, got {shown(path, 80)}."
        )
    return Path(path)
