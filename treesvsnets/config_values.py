"""A setting's value as :class:`~treesvsnets.config.RunConfig` holds it (:func:`held`: from a
file, a flag or a notebook's call), as a file writes it (:func:`written`), and the config a
call of ``treesvsnets.run`` means (:func:`config_of`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from treesvsnets.errors import ConfigError

if TYPE_CHECKING:
    from treesvsnets.config import RunConfig

#: the settings a config file or a manifest writes as lists, held as tuples
LIST_KEYS = ("datasets", "estimators", "seeds", "plugins", "shape")
LIST_KEYS += ("drop", "categorical", "numeric", "datetime", "keep")  # column names


def held(key: str, value: Any) -> Any:
    """A setting's value as RunConfig holds it: lists as tuples, folders as paths, a list of
    metrics as one per task (``roc_auc,mae``); NumPy's numbers as Python's and a range or a
    NumPy array as a list (a notebook's ``folds=np.int64(5)``, ``seeds=range(3)``); anything
    else as given, for its check to judge."""
    value = _plain(value)
    if key in ("datasets", "plugins") and isinstance(value, list | tuple):
        return tuple(str(v) if isinstance(v, Path) else v for v in value)  # Path("a.csv")
    if key in LIST_KEYS and isinstance(value, list | tuple):
        return tuple(value)
    if (
        key == "metric"
        and isinstance(value, list | tuple)
        and all(isinstance(v, str) for v in value)
    ):
        return ",".join(value)  # metric = ["roc_auc", "mae"]: one score per task
    if key in ("out", "data_dir") and isinstance(value, str | Path) and str(value).strip():
        return Path(value)  # (an empty text stays one, for the check to refuse)
    return value


def _plain(value: Any) -> Any:
    """``value`` without NumPy's types (told apart without importing NumPy)."""
    numpy = type(value).__module__ == "numpy"
    if numpy and getattr(value, "ndim", None) == 0:
        return value.item()
    if isinstance(value, range) or (numpy and getattr(value, "ndim", None) == 1):
        return [_plain(v) for v in value]
    return value


def written(value: Any) -> Any:
    """A setting's value as a file writes it: the inverse of :func:`held`."""
    if isinstance(value, tuple):
        return list(value)
    return str(value) if isinstance(value, Path) else value


def config_of(config: Any, overrides: dict[str, Any]) -> RunConfig:
    """The config of ``treesvsnets.run(config, **overrides)``: ``config`` a RunConfig, a dict
    of its settings, or None."""
    from treesvsnets.config import RunConfig

    if isinstance(config, dict):  # run({"datasets": [...]})
        config, overrides = None, {**config, **overrides}
    elif config is not None and not isinstance(config, RunConfig):
        raise ConfigError(
            f"config must be a RunConfig or a dict of its settings, got "
            f'{type(config).__name__}; or give them as arguments: run(datasets=["iris"]).'
        )
    return (config or RunConfig()).with_overrides(**overrides)
