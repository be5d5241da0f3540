"""Read once per run: the cleaned copies of a run's tables, which every worker loads.

The harness reads each table (a user's file, an OpenML cached table, a built-in real table)
and types its columns once, as the plan loads its datasets (:func:`load_all`, one
:func:`load_dataset` each). Once the
run folder exists, :func:`write_copies` saves each table's Dataset as it was read, subsampled
if the run subsamples, to ``tables/`` in the run folder
(:mod:`treesvsnets.datasets.cleaned`: Arrow IPC, with the readings and cleaning record), and
each job's DatasetRequest names its copy: a worker process, local or under a Dask worker,
loads that file instead of reading and typing the original again (Dask workers get its
bytes shipped, :mod:`treesvsnets.bench.execute.dask`). An array dataset (digits, MNIST) is
no table and loads as before, from its package or data folder.

A copy records what it was read from (:func:`read_from`: the content hash of the files its
DatasetInfo names, how the table was read, the subsample). A resumed run loads the copy
instead of the source while that record is the same; when it differs (the file was edited),
the source is read again, as a resumed run always did, and the resume's check of the split
plans decides: changed data gives other split hashes, and the resume is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.cleaned import (
    cleaned_read_from,
    files_fingerprint,
    load_cleaned,
    save_cleaned,
)
from treesvsnets.datasets.registry import DatasetInfo, load_from
from treesvsnets.errors import ConfigError, DatasetError
from treesvsnets.results.folder import file_safe

#: the run folder's folder of cleaned tables
TABLES_FOLDER = "tables"


@dataclass(frozen=True)
class Loaded:
    """A dataset as the plan loaded it, what it was read from, and whether it came from the
    run folder's copy (a resumed run)."""

    dataset: Dataset
    read_from: dict[str, Any]
    reused: bool = False


def copy_path(run_dir: str | Path, name: str) -> Path:
    """Where the run folder keeps dataset ``name``'s cleaned copy (a file name that any name,
    ``openml:31`` or ``a/data``, can have, and two names never share)."""
    safe = file_safe(name)
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return Path(run_dir) / TABLES_FOLDER / f"{safe}-{digest}.arrow"


def read_from(
    info: DatasetInfo, data_dir: str | Path | None, options: Any, subsample: int | None
) -> dict[str, Any]:
    """What a dataset is read from, as its copy records it: its files and their content hash
    (None: no files to check), how a table is read (its TableOptions), the subsample."""
    files = info.files(data_dir) if info.files is not None else ()
    record = {
        "dataset": info.name,
        "files": [str(path) for path in files],
        "fingerprint": files_fingerprint(files),
        "table_options": None if options is None else options.describe(),
        "subsample": subsample,
    }
    return json.loads(json.dumps(record, default=str))  # as the file's JSON gives it back


def load_dataset(
    info: DatasetInfo,
    data_dir: str | Path | None,
    options: Any,
    subsample: int | None,
    reuse_from: Path | None = None,
    per_class: int = 2,
) -> Loaded:
    """The dataset ``info`` describes, subsampled if asked (keeping ``per_class`` rows of
    each class: the run's folds); from the run folder ``reuse_from``'s copy (a resumed run)
    while its source is what the copy was read from."""
    record = read_from(info, data_dir, options, subsample)
    if reuse_from is not None and record["fingerprint"] is not None:
        path = copy_path(reuse_from, info.name)
        if cleaned_read_from(path) == record:
            return Loaded(load_cleaned(path), record, reused=True)
    dataset = load_from(info, data_dir)
    if subsample:
        dataset = _subsampled(dataset, subsample, per_class)
    if record["fingerprint"] is None and info.files is not None:
        record = read_from(info, data_dir, options, subsample)  # OpenML's first download
    return Loaded(dataset, record)


def _subsampled(dataset: Dataset, n: int, per_class: int = 2) -> Dataset:
    """``dataset``'s stratified subsample of ``n`` rows, refused in one sentence that names
    --subsample and the rows to ask for (not the data: dropping or merging a class is no
    answer) where it would keep fewer than ``per_class`` rows (the run's folds) of a class
    the whole dataset has that many of, or where the cut cannot be stratified at all (fewer
    rows than classes or target deciles kept, or left out)."""
    if n >= dataset.n_samples:
        return dataset
    strata = dataset.strata()  # the class codes, or the target's deciles
    groups = "classes" if not dataset.is_regression else "target deciles"
    sizes = np.bincount(strata) if strata is not None else np.array([dataset.n_samples])
    counts = sizes[sizes > 0]
    lowest = len(counts)  # a stratified cut keeps a row of each group, and leaves one out
    if not dataset.is_regression and (enough := counts[counts >= per_class]).size:
        lowest = max(lowest, _rows_keeping(per_class, enough.min(), dataset.n_samples))
    if n < len(counts) or dataset.n_samples - n < len(counts):
        ask = (
            f"at least {lowest} rows"
            if n < len(counts)
            else f"at most {dataset.n_samples - len(counts)} rows, or drop --subsample"
        )
        raise DatasetError(
            f"dataset {dataset.name!r}: --subsample {n} of its {dataset.n_samples} rows cannot "
            f"keep a share of each of its {len(counts)} {groups}; ask for {ask}."
        )
    try:
        kept = dataset.subsample(n)
    except ValueError as exc:  # the official test part too small to hold each class once
        if dataset.official_test is None:  # not foreseen above: said, not a traceback
            raise DatasetError(
                f"dataset {dataset.name!r}: --subsample {n} cannot be drawn stratified "
                f"({exc}); ask for another number of rows, or drop --subsample."
            ) from None
        share = len(dataset.official_test) / dataset.n_samples
        needed = int(np.ceil(len(counts) / share))
        raise DatasetError(
            f"dataset {dataset.name!r}: --subsample {n} keeps too few rows of its official "
            f"test part ({share:.0%} of them) to hold each of its {len(counts)} classes; ask "
            f"for at least {needed} rows."
        ) from None
    if dataset.is_regression:
        return kept
    before = np.bincount(dataset.y, minlength=dataset.n_classes)  # by class code
    after = np.bincount(kept.y, minlength=dataset.n_classes)
    wanted = np.minimum(before, per_class)  # a class of fewer rows than folds: all of them
    short = np.flatnonzero((after < wanted) & (before >= 2))
    if short.size:
        worst = int(short[np.argmin(before[short])])
        needed = _rows_keeping(wanted[worst], before[worst], dataset.n_samples)
        ask = (
            f"ask for at least {needed} rows" if needed < dataset.n_samples else "drop --subsample"
        )
        raise DatasetError(
            f"dataset {dataset.name!r}: --subsample {n} keeps {after[worst]} row(s) of class "
            f"{dataset.class_names[worst]!r} (of {before[worst]}), fewer than the "
            f"{wanted[worst]} the run needs (one per fold, 2 at least); {ask}."
        )
    return kept


def _rows_keeping(rows: int, of_class: int, n_samples: int) -> int:
    """The stratified subsample of ``n_samples`` rows that keeps ``rows`` of a class that has
    ``of_class``."""
    return int(np.ceil(rows * n_samples / of_class))


def load_all(
    infos: list[DatasetInfo],
    data_dir: str | Path | None,
    options: dict[str, Any],
    subsample: int | None,
    reuse_from: Path | None = None,
    per_class: int = 2,
) -> list[Loaded]:
    """:func:`load_dataset` of each of ``infos`` (``options``: each table's TableOptions by
    name, None for a dataset that is no table file)."""
    return [
        load_dataset(info, data_dir, options.get(info.name), subsample, reuse_from, per_class)
        for info in infos
    ]


def write_copies(loaded: list[Loaded], run_dir: str | Path) -> dict[str, str]:
    """Each table's cleaned copy in ``run_dir`` (written unless it was loaded from there):
    dataset name -> the copy's absolute path, which the jobs carry."""
    copies = {}
    for item in loaded:
        if item.dataset.schema is None:
            continue
        path = copy_path(run_dir, item.dataset.name)
        if not (item.reused and path.is_file()):
            try:
                save_cleaned(item.dataset, path, item.read_from)
            except OSError as exc:  # a full disk, a folder not writable
                raise ConfigError(
                    f"cannot write the cleaned copy of dataset {item.dataset.name!r} to "
                    f"{str(path)!r}: {exc.strerror or exc}."
                ) from None
        copies[item.dataset.name] = str(path.resolve())
    return copies
