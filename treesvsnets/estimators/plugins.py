"""Plugins: estimators registered from a user's file, module or installed package.

- ``load_plugin("my_models.py")`` or ``load_plugin("my_package.models")`` imports
  that code; whatever it registers (``@register``) becomes available, with the
  plugin recorded as its source (``--plugin`` on the command line).
- Installed distributions declare an entry point in the group
  ``treesvsnets.estimators`` naming a module; it is imported the first time the
  registry is used, so its estimators are listed with no flag.

A plugin that fails to import, or registers a taken name, raises one clear
ConfigError naming it; the built-ins are not affected.

:func:`load_entry_points` imports the modules of that group when the registry loads its
built-ins; :func:`check_target` resolves what ``treesvsnets check TARGET`` tests
(``module:Name``, ``path/to/file.py:Name``, or a registered estimator's name).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import os
import sys
import warnings
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from treesvsnets.errors import ConfigError
from treesvsnets.estimators import registry

ENTRY_POINT_GROUP = "treesvsnets.estimators"
#: Plugin files are imported as modules named with this prefix.
PLUGIN_MODULE_PREFIX = "treesvsnets_plugin_"
#: each plugin file imported in this process: its contents' digest, and the names it registered
_FILES: dict[Path, tuple[str, list[str]]] = {}


class _ExitAtImport(SystemExit):
    """``os._exit`` called while a plugin was imported, raised instead: the process would have
    ended at once, with the plugin's code (0: as a run that went well) and not a word."""


@contextlib.contextmanager
def _exit_refused() -> Iterator[None]:
    """Inside: ``os._exit`` raises :class:`_ExitAtImport` (a plugin's import runs no thread
    of its own that may exit so)."""
    real = os._exit

    def refused(code: int) -> None:
        raise _ExitAtImport(code)

    os._exit = refused  # type: ignore[assignment]
    try:
        yield
    finally:
        os._exit = real


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _import_file(path: Path) -> None:
    module_name = f"{PLUGIN_MODULE_PREFIX}{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"plugin {str(path)!r} is not a Python file.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # so classes defined there pickle and clone
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise


def _import_module(name: str) -> object:
    """Import ``name`` as ``python -m`` would: the current folder is searched too.

    The ``treesvsnets`` console script does not put the current folder on
    ``sys.path``; a user's ``my_models.py`` next to them must still be found.
    """
    here = os.getcwd()
    if here not in sys.path and "" not in sys.path:
        sys.path.append(here)
    return importlib.import_module(name)


def no_run_while_importing() -> None:
    """Refuse a run started while a plugin is imported (a notebook's cell copied into the
    plugin file): each worker imports the plugin too, and each would start a run of its own,
    without end."""
    source = registry.current_source()
    if source != "builtin":
        raise ConfigError(
            f"a run was started while {source} was being imported: a plugin file only "
            "registers estimators; put the run under if __name__ == '__main__':."
        )


def load_plugin(target: str) -> list[str]:
    """Import a plugin file (``path/to/x.py``) or module (``pkg.mod``); return the names it
    registers. A file loaded again unchanged (a notebook's or a worker's next run) is not
    imported again, and its names are returned; a file edited since has its estimators
    registered anew. A module, as Python's imports go, is imported once."""
    before = set(registry.names())
    looks_like_file = target.endswith(".py") or "/" in target or "\\" in target
    path = Path(target).expanduser()
    if looks_like_file and not path.is_file():
        what = (
            "is a folder, not a Python file" if path.is_dir() else "does not exist (no such file)"
        )
        if not path.is_absolute():  # a config file's paths, as the command's, are read so
            what += f" in the working folder {os.getcwd()!r}"
        raise ConfigError(f"plugin {target!r} {what}.")
    if looks_like_file:
        resolved = path.resolve()
        digest = hashlib.sha256(resolved.read_bytes()).hexdigest()
        known_digest, known_names = _FILES.get(resolved, ("", []))
        if known_digest == digest and set(known_names) <= before:
            return list(known_names)
        for name in set(known_names) & before:  # the file's earlier version registered it
            registry.unregister(name)
            before.discard(name)
    source = f"plugin {path.name}" if looks_like_file else f"plugin {target}"
    try:
        with registry.registering_from(source), _exit_refused():
            if looks_like_file:
                _import_file(path.resolve())
            else:
                _import_module(target)
    except ConfigError as exc:
        raise ConfigError(f"plugin {target!r}: {exc}") from None
    except ModuleNotFoundError as exc:
        if exc.name == target or target.startswith(f"{exc.name}."):
            raise ConfigError(
                f"plugin {target!r} is neither a file nor an importable module."
            ) from None
        raise ConfigError(f"plugin {target!r} failed to import: {_describe(exc)}.") from None
    except SystemExit as exc:  # sys.exit() at import: not a run that ended well
        call = "os._exit" if isinstance(exc, _ExitAtImport) else "sys.exit"
        raise ConfigError(
            f"plugin {target!r} failed to import: it called {call}({exc.code!r})."
        ) from None
    except Exception as exc:  # noqa: BLE001 - the user's code may raise anything
        raise ConfigError(f"plugin {target!r} failed to import: {_describe(exc)}.") from None
    added = [name for name in registry.names() if name not in before]
    if looks_like_file:
        _FILES[resolved] = (digest, added)
    return added


def loaded_digest(plugin: str) -> str:
    """The digest of the contents this process imported of plugin file ``plugin`` (an
    absolute path), "" for a module or a file not loaded with :func:`load_plugin`."""
    return _FILES.get(Path(plugin), ("", []))[0]


def load_entry_points() -> list[str]:
    """Import every installed ``treesvsnets.estimators`` entry point; warn about broken ones.

    A broken third-party package must not take the built-ins down with it, so
    its failure is a warning naming the distribution and the entry point.
    """
    loaded = []
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        distribution = entry_point.dist.name if entry_point.dist else entry_point.value
        try:
            with registry.registering_from(f"package {distribution}"):
                entry_point.load()
        except Exception as exc:  # noqa: BLE001 - any failure becomes one warning
            warnings.warn(
                f"treesvsnets plugin package {distribution!r} (entry point "
                f"{entry_point.name} = {entry_point.value}) failed to load: {_describe(exc)}; "
                "its estimators are not available.",
                stacklevel=2,
            )
            continue
        loaded.append(entry_point.name)
    return loaded


def _import_target_module(module_part: str) -> object:
    looks_like_file = module_part.endswith(".py") or "/" in module_part
    source = f"plugin {Path(module_part).name}" if looks_like_file else f"plugin {module_part}"
    try:
        with registry.registering_from(source):
            if looks_like_file:
                path = Path(module_part).expanduser()
                if not path.is_file():
                    raise ConfigError(f"{module_part!r} does not exist (no such file).")
                _import_file(path.resolve())
                return sys.modules[f"treesvsnets_plugin_{path.stem}"]
            return _import_module(module_part)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's code may raise anything
        raise ConfigError(f"{module_part!r} failed to import: {_describe(exc)}.") from None


def check_target(target: str) -> tuple[str, object]:
    """What ``treesvsnets check TARGET`` tests: ``(label, factory)``, or for a registered
    estimator ``(label, its specs by task)``.

    TARGET is ``module:Name`` or ``path/to/file.py:Name`` (a class or a
    factory function), or the name of a registered estimator.
    """
    module_part, colon, attribute = target.rpartition(":")
    if not colon and target.endswith(".py"):
        missing = "" if Path(target).is_file() else " (and no such file exists)"
        raise ConfigError(
            f"{target!r} is a file, not an estimator{missing}: name a class or factory in it "
            f"({target}:MyModel), or an estimator it registers with --plugin {target}."
        )
    if not colon:
        versions = registry.versions(target)
        return f"{target} ({registry.first_version(versions).source})", versions
    found = getattr(_import_target_module(module_part), attribute, None)
    if found is None:
        raise ConfigError(f"{module_part!r} has no attribute {attribute!r}.")
    if not callable(found):
        raise ConfigError(f"{target!r} is not a class or a factory function.")
    return target, found
