"""Run folders: unique names that never overwrite, the typed manifest inside them, and
:class:`RunFolder`, the one reader of a folder (manifest and rows) for ``report``,
``compare`` and ``resume``.

A run folder holds::

    manifest.json      the Manifest: config, estimators, datasets, splits, environment, status
    results.sqlite     one row per cell, committed as each cell ends (the ResultStore)
    results.csv        the rows exported (and results.parquet with pyarrow)
    trials.csv         a tuned run's trials
    tables/            each table as the harness read it, which the workers load
                       (treesvsnets.bench.plan.copies)
    trials/            with --ensemble, each trial's kept predictions (validation and test,
                       one .npz per trial), what the tuned+ensembled rows are weighed from
    report.html, ...   the reports, written by treesvsnets.reports

:class:`Manifest` is typed; it changes only through ``start``, ``end`` and ``record_resume``,
and keeps the keys this version does not know. :meth:`RunFolder.create` makes a unique
``<UTC timestamp>-<name>`` folder, :meth:`RunFolder.open` an existing one; the manifest is
written atomically. :func:`file_safe` is the one way a dataset's or run's name becomes part
of a file or folder name (the run folder, a table's copy, a figure).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from treesvsnets.errors import ConfigError, path_given
from treesvsnets.results.store import STORE_FILENAME, ResultStore, export_rows, said_when_unwritable

MANIFEST_FILENAME = "manifest.json"
#: the file a process resuming the run holds a lock on (:meth:`RunFolder.held`)
LOCK_FILENAME = ".lock"


def file_safe(name: str, unicode: bool = False) -> str:
    """``name`` as part of a file name: each run of characters other than letters, digits,
    ``_``, ``.`` and ``-`` becomes ``_``, and at most 60 characters are kept. Letters are
    ASCII's, or with ``unicode`` any script's (a run of '表.csv' was named '..-_')."""
    return re.sub(r"[^\w.-]+" if unicode else r"[^A-Za-z0-9_.-]+", "_", name)[:60]


def path_part(name: str) -> str:
    """``name`` (a dataset's, an estimator's) as one folder or file name in a run folder: as it
    is, but for ``%``, ``/``, ``\\`` and NUL, written ``%25``, ``%2F``, ``%5C``, ``%00``, and a
    name of dots alone ('..': its dots as ``%2E``), so that no name reaches outside its folder
    ('a/b', two files' names told apart by their folders; '../x') and two names never share
    a path."""
    part = name.replace("%", "%25").replace("/", "%2F").replace("\\", "%5C").replace("\0", "%00")
    return part.replace(".", "%2E") if part.strip(".") == "" else part


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Manifest:
    """What a run is (its config, estimators, datasets, split plans, environment) and where it
    stands (status, cells by status, wall time, resumes). Changed only through its methods,
    written only by :meth:`RunFolder.write_manifest`."""

    run_id: str
    config: dict[str, Any]
    estimators: list[dict[str, Any]] = field(default_factory=list)
    datasets: list[dict[str, Any]] = field(default_factory=list)
    splits: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    suite: dict[str, Any] | None = None  # a suite's name, file and content hash
    status: str = "running"  # running, complete or interrupted
    started_at: str = field(default_factory=_now)
    pid: int | None = None  # while running: the harness process, so resume can refuse
    #: when that process started (Linux: clock ticks since boot), so another process given
    #: the same number later (a restarted container, a reboot) is not taken for it
    pid_started: int | None = None
    host: str | None = None
    #: the folder the run started in: its config's relative paths are from there
    working_dir: str | None = None
    executor: str | None = None
    threads_per_cell: int | None = None
    ended_at: str | None = None
    wall_seconds: float = 0.0  # summed over the run and its resumes
    cells_planned: int | None = None
    cells_by_status: dict[str, int] = field(default_factory=dict)
    cells_missing: int | None = None
    resumed: list[dict[str, Any]] = field(default_factory=list)
    # a report over several runs only (never written to a run's folder): the runs it joins
    # ("runs": run_id, path, datasets) and what differs between them ("warnings", "settings")
    combined: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        values = {k: v for k, v in data.items() if k in known}
        return cls(**values, extra={k: v for k, v in data.items() if k not in known})

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        extra = data.pop("extra")
        for unset in ("pid", "pid_started"):
            if data[unset] is None:
                del data[unset]
        if not data["resumed"]:
            del data["resumed"]
        for optional in ("suite", "combined", "working_dir"):
            if data[optional] is None:
                del data[optional]
        return {**data, **extra}

    @property
    def metric(self) -> str | None:
        """The run's ``metric`` setting: the score its tasks are judged by where it fits
        them; None (each task's default) for a run recorded before the setting existed."""
        return self.config.get("metric")

    def start(self, executor: str, threads_per_cell: int | None) -> None:
        """The run (or a resume of it) is executing in this process."""
        self.status = "running"
        self.pid = os.getpid()
        self.pid_started = _process(self.pid)[1]
        self.host = socket.gethostname()
        self.executor = executor
        self.threads_per_cell = threads_per_cell

    def end(self, status: str, rows: pd.DataFrame, cells_planned: int, seconds: float) -> None:
        """The run stopped (``complete`` or ``interrupted``) with ``rows`` in its store."""
        self.status = status
        self.pid = self.pid_started = None
        self.ended_at = _now()
        self.wall_seconds = round(self.wall_seconds + seconds, 3)
        self.cells_planned = cells_planned
        self.cells_by_status = dict(Counter(rows["status"])) if len(rows) else {}
        self.cells_missing = cells_planned - len(rows)

    def record_resume(self, config: dict[str, Any], retry_failed: bool, cells_kept: int) -> None:
        self.config = config
        self.resumed.append({"at": _now(), "retry_failed": retry_failed, "cells_kept": cells_kept})

    def still_running(self) -> bool:
        """Whether the process that wrote this manifest is alive on this machine."""
        if self.status != "running" or not self.pid or self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        state, started = _process(self.pid)
        if state == "Z":  # killed, not yet reaped by its parent
            return False
        return started is None or self.pid_started is None or started == self.pid_started


def _process(pid: int) -> tuple[str | None, int | None]:
    """Process ``pid``'s state letter and start time in clock ticks since boot, from Linux's
    ``/proc/PID/stat``; (None, None) where it cannot be read (another system)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return fields[0].decode(), int(fields[19])
    except (OSError, IndexError, ValueError):
        return None, None


@dataclass(frozen=True)
class RunFolder:
    """One run's folder: its manifest and its rows."""

    path: Path

    @classmethod
    def create(cls, out: str | Path, name: str) -> RunFolder:
        """Make ``out/<UTC timestamp>-<name>``; a taken name gets a ``-2``, ``-3``... suffix."""
        out = Path(out)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the output folder {str(out)!r}: {exc.strerror}."
            ) from None
        for attempt in range(1, 1000):
            run_id = f"{stamp}-{name}" if attempt == 1 else f"{stamp}-{name}-{attempt}"
            try:
                (out / run_id).mkdir()
            except FileExistsError:
                continue
            return cls(out / run_id)
        raise ConfigError(f"too many runs named {name!r} this second in {str(out)!r}.")

    @classmethod
    def open(cls, path: str | Path) -> RunFolder:
        """An existing run folder (one sentence when ``path`` is not one)."""
        folder = cls(path_given(path))
        if not folder.manifest_path.is_file():
            raise ConfigError(f"{str(path)!r} is not a run folder: it has no {MANIFEST_FILENAME}.")
        return folder

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """The folder, this process's alone while the block runs: a lock other processes
        see, so that a second resume started before the first has written its manifest
        (seconds of planning) is refused, not run beside it; the lock goes with the
        process, however it ends. Where no lock is to be had (Windows, a folder that
        cannot be written: said later), the manifest's process number alone tells."""
        try:
            import fcntl

            handle = os.open(self.path / LOCK_FILENAME, os.O_RDWR | os.O_CREAT, 0o644)
        except (ImportError, OSError):
            yield
            return
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ConfigError(
                    f"run {str(self.path)!r} is being resumed by another process; let it "
                    "finish, or stop it before resuming."
                ) from None
            yield
        finally:
            os.close(handle)

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST_FILENAME

    @property
    def store_path(self) -> Path:
        return self.path / STORE_FILENAME

    def read_manifest(self) -> Manifest:
        """The folder's manifest (one sentence when the file is not one)."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            return Manifest.from_dict(data)
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"{str(self.manifest_path)!r} is not a readable treesvsnets manifest "
                f"({type(exc).__name__}: {exc})."
            ) from None

    def write_manifest(self, manifest: Manifest) -> None:
        """Write ``manifest.json`` atomically, so a crash never leaves half a file."""
        partial = self.manifest_path.with_suffix(".json.partial")
        text = json.dumps(manifest.to_dict(), indent=2, default=str) + "\n"
        try:
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, self.manifest_path)
        except OSError:  # a full disk: no half-written file left beside the manifest
            partial.unlink(missing_ok=True)
            raise

    def store(self) -> ResultStore:
        """The run's store to write, created when it has none yet (one sentence where it
        cannot be written: locked by another program, read-only)."""
        store = ResultStore(self.store_path)
        store.check_writable()
        return store

    def _stored(self) -> ResultStore:
        """The run's store to read: opened read-only where nothing may be written (an
        archived run, another user's folder), which read-write could not even open."""
        if not self.store_path.is_file():
            raise ConfigError(f"run folder {str(self.path)!r} has no {STORE_FILENAME}.")
        writable = os.access(self.path, os.W_OK) and os.access(self.store_path, os.W_OK)
        return ResultStore(self.store_path, read_only=not writable)  # no write claimed

    def rows(self) -> pd.DataFrame:
        """Every stored row, in the order the cells finished (one sentence if none is stored)."""
        with self._stored() as store:
            return store.rows()

    def trials(self) -> pd.DataFrame:
        """Every stored trial of the run's searches (empty when it did not tune)."""
        with self._stored() as store:
            return store.trials()

    def finish(self, manifest: Manifest, rows: pd.DataFrame, trials: pd.DataFrame) -> None:
        """Write the exports, then the manifest, which is written even when an export is
        not (a full disk: the manifest said 'running' for ever); one sentence then."""
        try:
            with said_when_unwritable(self.path):
                self.export(rows, trials)
        finally:
            with said_when_unwritable(self.path):
                self.write_manifest(manifest)

    def export(self, rows: pd.DataFrame, trials: pd.DataFrame | None = None) -> list[Path]:
        """``results.csv`` (and ``results.parquet``) from ``rows``; ``trials.csv`` when the
        run tuned."""
        written = export_rows(rows, self.path)
        if trials is not None and len(trials):
            written.append(self.path / "trials.csv")
            trials.to_csv(written[-1], index=False)
        return written
