"""OpenML datasets and tasks by name (``openml:31``, ``openml-task:59``), kept in our own cache.

A name ``openml:ID`` is OpenML dataset ID with its declared target
(``default_target_attribute``), its nominal features as categorical columns, and its task
(classification for a nominal target, regression for a numeric one). ``openml-task:ID`` is an
OpenML supervised task: its dataset, its target, its task type, and its official folds
(repeat 0 of its estimation procedure) as ``Dataset.predefined_folds``, which become the run's
split plan (bench/cells/splits.py).

The first load downloads through the ``openml`` package (the ``openml`` extra; its own cache
goes to a temporary folder, removed after) and writes our cache, under the data folder
(``--data-dir``, else ``$TREESVSNETS_DATA_DIR``, else ``~/.cache/treesvsnets/datasets``):

    <data_dir>/openml/dataset-ID/frame.parquet   the table as OpenML gives it (row id and
                                                  ignored columns left out)
    <data_dir>/openml/dataset-ID/meta.json        name, version, target, categorical columns, task
    <data_dir>/openml/task-ID/meta.json           dataset id, target, task, estimation procedure
    <data_dir>/openml/task-ID/folds.npz           each fold's test row numbers (repeat 0)

Later loads read only these files: no network, no ``openml`` import. Either way the frame goes
through :func:`~treesvsnets.datasets.tables.clean_table`, as a user's table does.

:func:`parse_name` reads a name, :func:`openml_info` is the registry's entry for one (its
:func:`cached_files`: what a resumed run checks before reusing its copy of the table),
:func:`openml_table` finds its cached table (``inspect`` profiles it), :func:`load_openml` loads
it; :func:`dataset_record` and :func:`task_record` turn what the
``openml`` package returns into what :func:`write_dataset` and :func:`write_task` cache.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.registry import DatasetInfo
from treesvsnets.errors import DatasetError
from treesvsnets.tasks import CLASSIFICATION, REGRESSION

#: name prefix -> what the id after it names
PREFIXES = {"openml": "dataset", "openml-task": "task"}
INSTALL = 'pip install "treesvsnets[openml]"'
#: OpenML's task types (TaskType values) that a run can do
TASK_TYPES = {1: CLASSIFICATION, 2: REGRESSION}
_NAME = re.compile(r"(openml|openml-task):(.*)")


def parse_name(name: str) -> tuple[str, int] | None:
    """``("dataset" | "task", id)`` for an OpenML name, None for any other name; a prefix
    with no valid id after it is one sentence."""
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    prefix, given = match.groups()
    if not re.fullmatch(r"[1-9][0-9]*", given):
        raise DatasetError(
            f"dataset name {name!r} is not an OpenML name: write {prefix}:ID with ID a "
            "positive whole number (no leading zeros), such as openml:31 (a dataset) or "
            "openml-task:59 (a task)."
        )
    return PREFIXES[prefix], int(given)


def openml_info(name: str) -> DatasetInfo:
    """The registry's entry for an OpenML name (its size is known once loaded)."""
    kind, number = parse_name(name) or ("", 0)
    return DatasetInfo(
        name=name,
        loader=partial(load_openml, name),
        description=f"OpenML {kind} {number}",
        n_samples=0,
        n_features=0,
        n_classes=0,
        needs_data_dir=True,
        task=None,
        files=partial(cached_files, name),
    )


def cached_files(name: str, data_dir: str | Path | None = None) -> tuple[Path, ...]:
    """The files of our cache that an OpenML name is read from (none before its first load):
    a dataset's frame and metadata, and a task's metadata and folds with its dataset's."""
    kind, number = parse_name(name) or ("", 0)
    root = cache_folder(data_dir)
    folders = [root / f"{kind}-{number}"]
    if kind == "task":
        if not (folders[0] / "meta.json").is_file():
            return ()
        try:
            task = json.loads((folders[0] / "meta.json").read_text())
            folders.append(root / f"dataset-{task['dataset_id']}")
        except (ValueError, KeyError, TypeError):  # damaged: said when the task is read
            pass
    found = (f for folder in folders if folder.is_dir() for f in sorted(folder.iterdir()))
    return tuple(f for f in found if f.is_file())


def cache_folder(data_dir: str | Path | None) -> Path:
    """Where OpenML datasets and tasks are cached: ``openml/`` in the data folder."""
    from treesvsnets.datasets.images import default_data_dir

    return (Path(data_dir).expanduser() if data_dir else default_data_dir()) / "openml"


@dataclass(frozen=True)
class OpenMLTable:
    """An OpenML name's table as cached: the frame, the file it was read from, how to read it
    (its target, task and nominal columns), a task's folds and where it all came from."""

    frame: Any
    path: Path
    options: Any  # TableOptions
    folds: tuple[np.ndarray, ...] | None
    source: str


def openml_table(name: str, data_dir: str | Path | None = None) -> OpenMLTable:
    """The cached table an OpenML name stands for (downloaded into the cache if absent)."""
    from treesvsnets.datasets.table_options import TableOptions

    kind, number = parse_name(name) or ("", 0)
    root = cache_folder(data_dir)
    folds = None
    if kind == "task":
        task, folds = _cached_or_fetched(root / f"task-{number}", name, read_task, fetch_task)
        meta, frame = _cached_or_fetched(
            root / f"dataset-{task['dataset_id']}", name, read_dataset, fetch_dataset
        )
        target, task_kind = task["target"], task["task"]
    else:
        meta, frame = _cached_or_fetched(
            root / f"dataset-{number}", name, read_dataset, fetch_dataset
        )
        target, task_kind = meta["target"], meta["task"]
        if not target or task_kind is None:
            raise DatasetError(
                f"OpenML dataset {number} ({meta['name']}) declares no single target "
                f"(default_target_attribute is {meta['target']!r}); run one of its OpenML "
                "tasks instead (openml-task:ID), which names the target."
            )
    where = root / f"dataset-{meta['id']}" / "frame.parquet"
    if folds is not None and max(int(test.max(initial=-1)) for test in folds) >= len(frame):
        raise DatasetError(
            f"{name}: the cached folds name rows beyond the {len(frame)} of {where}."
        )
    source = f"OpenML dataset {meta['id']} {meta['name']!r} version {meta['version']}"
    if kind == "task":
        source = (
            f"OpenML task {number} ({task['estimation_procedure']}, repeat 0 of "
            f"{task['n_repeats']}) on {source}"
        )
    options = TableOptions(
        target=target,
        task=task_kind,
        categorical=tuple(c for c in meta["categorical"] if c != target),
    )
    source = f"{source}, target {target!r} (cached in {where.parent})"
    return OpenMLTable(frame, where, options, folds, source)


def load_openml(name: str, data_dir: str | Path | None = None) -> Dataset:
    """The Dataset an OpenML name stands for, from the cache (downloaded into it if absent),
    read as a user's table is."""
    from treesvsnets.datasets.tables import clean_table

    table = openml_table(name, data_dir)
    dataset = clean_table(table.frame, table.path, table.options, name, folds=table.folds)
    return replace(dataset, source=table.source)


def _cached_or_fetched(
    folder: Path, name: str, read: Callable[[Path], Any], fetch: Callable[[Any, Path], None]
) -> Any:
    """What ``read`` finds in ``folder``; if it is not there, ``fetch`` (the dataset's or the
    task's download) writes it first. Offline, or without the ``openml`` package, one sentence
    names ``name`` and the folder."""
    if (folder / "meta.json").is_file():
        return _read_cached(read, folder, name)
    try:
        import openml
    except ImportError:
        raise DatasetError(
            f"dataset {name!r} is not in the cache {folder} and the openml package that "
            f"downloads it is not installed: {INSTALL}."
        ) from None
    try:
        with _openml_cache(openml):
            fetch(openml, folder)
    except DatasetError:
        raise
    except Exception as exc:  # noqa: BLE001 - offline, refused or unreadable: one sentence
        raise DatasetError(
            f"dataset {name!r} is not in the cache {folder} and could not be downloaded from "
            f"OpenML ({_reason(exc)}); run once online to fill the cache, or point --data-dir "
            "at a folder that holds openml/ with it."
        ) from None
    return read(folder)


def _reason(exc: Exception) -> str:
    """Why a download failed, in a few words (a connection error's whole chain is noise)."""
    if type(exc).__module__.split(".")[0] in ("requests", "urllib3") or isinstance(
        exc, ConnectionError | TimeoutError
    ):
        return f"no connection: {type(exc).__name__}"
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"


@contextmanager
def _openml_cache(openml: Any) -> Iterator[None]:
    """The openml package's own cache in a temporary folder, removed after: ours is the one
    kept, and a user's openml configuration is restored."""
    before = openml.config.get_config_as_dict()["cachedir"]
    with tempfile.TemporaryDirectory(prefix="treesvsnets-openml-") as scratch:
        openml.config.set_root_cache_directory(scratch)
        try:
            yield
        finally:
            openml.config.set_root_cache_directory(before)


def fetch_dataset(openml: Any, folder: Path) -> None:
    """Download the dataset ``folder`` is named after and cache it there."""
    number = int(folder.name.split("-")[1])
    found = openml.datasets.get_dataset(number, download_data=True)
    write_dataset(folder, *dataset_record(found))


def fetch_task(openml: Any, folder: Path) -> None:
    """Download the task ``folder`` is named after (its folds) and cache it there."""
    number = int(folder.name.split("-")[1])
    found = openml.tasks.get_task(number, download_splits=True, download_data=False)
    write_task(folder, *task_record(found))


def dataset_record(found: Any) -> tuple[dict[str, Any], Any]:
    """An OpenMLDataset's metadata and frame as our cache keeps them: ``get_data()``'s frame
    (every column, the target included; row id and ignored columns left out), its nominal
    columns, its declared target and the task that target asks for."""
    import pandas as pd

    frame, _, categorical, names = found.get_data()  # a DataFrame of every column
    sparse = {c: d.subtype for c, d in frame.dtypes.items() if isinstance(d, pd.SparseDtype)}
    frame = frame.astype(sparse) if sparse else frame  # a sparse ARFF: Parquet keeps dense
    nominal = [str(n) for n, is_nominal in zip(names, categorical, strict=True) if is_nominal]
    target = found.default_target_attribute
    single = isinstance(target, str) and "," not in target and target in names
    meta = {
        "id": int(found.dataset_id),
        "name": str(found.name),
        "version": found.version,
        "target": target,
        "task": (CLASSIFICATION if target in nominal else REGRESSION) if single else None,
        "categorical": nominal,
        "url": f"https://www.openml.org/d/{int(found.dataset_id)}",
        "licence": getattr(found, "licence", None),
        "rows": len(frame),
    }
    frame.columns = [str(c) for c in frame.columns]
    return meta, frame


def task_record(found: Any) -> tuple[dict[str, Any], tuple[np.ndarray, ...]]:
    """An OpenML task's metadata and folds as our cache keeps them: repeat 0's test rows per
    fold (``get_train_test_split_indices``); a task type a run cannot do is one sentence."""
    type_id = getattr(found.task_type_id, "value", found.task_type_id)
    if type_id not in TASK_TYPES:
        raise DatasetError(
            f"OpenML task {found.task_id} is a {found.task_type!r} task; only supervised "
            "classification and regression tasks can be run."
        )
    n_repeats, n_folds, _ = found.get_split_dimensions()
    folds = tuple(
        np.sort(np.asarray(found.get_train_test_split_indices(fold=fold)[1], dtype=np.int64))
        for fold in range(n_folds)
    )
    meta = {
        "id": int(found.task_id),
        "dataset_id": int(found.dataset_id),
        "target": str(found.target_name),
        "task": TASK_TYPES[type_id],
        "estimation_procedure": str((found.estimation_procedure or {}).get("type") or "folds"),
        "n_repeats": int(n_repeats),
        "n_folds": int(n_folds),
        "url": f"https://www.openml.org/t/{int(found.task_id)}",
    }
    return meta, folds


def write_dataset(folder: Path, meta: dict[str, Any], frame: Any) -> None:
    """Cache a dataset in ``folder``: its frame as Parquet, its metadata as JSON."""
    _write_folder(folder, meta, lambda into: frame.to_parquet(into / "frame.parquet"))


def write_task(folder: Path, meta: dict[str, Any], folds: tuple[np.ndarray, ...]) -> None:
    """Cache a task in ``folder``: its metadata as JSON, its folds' test rows in folds.npz."""
    _write_folder(folder, meta, lambda into: np.savez(into / "folds.npz", *folds))


def _write_folder(folder: Path, meta: dict[str, Any], write: Callable[[Path], None]) -> None:
    """Write into a fresh sibling folder, then rename it: a reader finds all or nothing."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        write(scratch)
        (scratch / "meta.json").write_text(json.dumps(meta, indent=1, default=str))
        try:
            os.replace(scratch, folder)
        except OSError:  # written meanwhile by another run: theirs is as good
            if not (folder / "meta.json").is_file():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


#: what a cached dataset's and a cached task's meta.json must hold
DATASET_KEYS = ("id", "name", "version", "target", "task", "categorical")
TASK_KEYS = ("dataset_id", "target", "task", "n_folds", "n_repeats", "estimation_procedure")


def read_dataset(folder: Path) -> tuple[dict[str, Any], Any]:
    """A cached dataset's metadata and frame."""
    import pandas as pd

    return _meta(folder, DATASET_KEYS), pd.read_parquet(folder / "frame.parquet")


def read_task(folder: Path) -> tuple[dict[str, Any], tuple[np.ndarray, ...]]:
    """A cached task's metadata and its folds' test rows, each row in one fold at most."""
    meta = _meta(folder, TASK_KEYS)
    with np.load(folder / "folds.npz", allow_pickle=False) as stored:
        folds = tuple(stored[f"arr_{fold}"].astype(np.int64) for fold in range(meta["n_folds"]))
    rows = np.concatenate(folds) if folds else np.zeros(0, dtype=np.int64)
    if (rows < 0).any() or len(np.unique(rows)) != len(rows):  # a row tested twice, or wrapped
        raise ValueError("its folds name a negative row, or a row in two folds")
    return meta, folds


def _meta(folder: Path, keys: tuple[str, ...]) -> dict[str, Any]:
    meta = json.loads((folder / "meta.json").read_text())
    missing = [key for key in keys if key not in meta]
    if missing:
        raise ValueError(f"meta.json lacks {', '.join(missing)}")
    return meta


def _read_cached(read: Callable[[Path], Any], folder: Path, name: str) -> Any:
    """``read(folder)``, or one sentence when the cache there is damaged or partial (a
    missing frame.parquet or folds.npz, a truncated file, a meta.json without its keys:
    each was a traceback)."""
    try:
        return read(folder)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        said = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, FileNotFoundError):
            said = f"{Path(exc.filename or said.strip(chr(39))).name} is missing"
        raise DatasetError(
            f"{name}: the OpenML cache in {folder} is damaged or incomplete ({said}); delete "
            "that folder to download it again, or restore it from a copy."
        ) from None
