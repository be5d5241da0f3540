"""The results store: one SQLite row per cell, committed as each cell ends.

A run that crashes halfway keeps every finished cell. The columns are those of
the result row (:mod:`treesvsnets.results.row`); :data:`~treesvsnets.results.row.KEY`,
``(run_id, dataset, estimator, seed, fold, tuning)``, is the key, so a cell that is run again
(a retry) replaces its row instead of adding a duplicate. :class:`ResultStore` adds the
columns an older store lacks, and keeps a ``trials`` table, one row per trial of a search
(``add_trial``, ``trials``); :func:`export_rows` writes ``results.csv`` (and
``results.parquet`` with pyarrow).
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from treesvsnets.errors import ConfigError, ResultsWriteError
from treesvsnets.results.row import (
    COLUMN_NAMES,
    COLUMNS,
    DEFAULT,
    KEY,
    STATUSES,
    TRIAL_COLUMN_NAMES,
    TRIAL_COLUMNS,
    TRIAL_KEY,
    TRIAL_STATUSES,
)

STORE_FILENAME = "results.sqlite"


def _storable(value: Any) -> Any:
    """``value`` as SQLite keeps it: text that UTF-8 cannot encode (an estimator's message
    quoting a file name read with surrogate escapes, 'caf\\udce9.csv') with those
    characters escaped, not a UnicodeEncodeError that stopped the run."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


@contextlib.contextmanager
def said_when_unwritable(run_dir: Path) -> Iterator[None]:
    """A full disk, or a folder that became read-only, while a run writes its store, exports
    or manifest: one sentence saying so and how to go on (it was a traceback, the manifest
    left 'running'); any other error as it is."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        said = str(exc).lower()
        full = getattr(exc, "errno", None) == errno.ENOSPC or "full" in said
        if not full and getattr(exc, "errno", None) != errno.EROFS and "readonly" not in said:
            raise
        why = "its disk is full" if full else "it became read-only"
        raise ResultsWriteError(
            f"run folder {str(run_dir)!r} cannot be written: {why}; the rows stored so far "
            f"are kept: make room, then resume it (treesvsnets run --resume {run_dir})."
        ) from None


def _unwritable(exc: sqlite3.OperationalError) -> str:
    """Why a results store cannot be written, in words, from SQLite's error."""
    said = str(exc)
    if "full" in said:
        return "cannot be written: its disk is full; make room, then run or resume again"
    if "locked" in said or "busy" in said:
        return (
            "is locked by another program (a database browser holding a write?); close it, "
            "then run or resume again"
        )
    if "readonly" in said or "read-only" in said:
        return "cannot be written (a read-only file or folder); run into another folder"
    return f"cannot be opened to write ({said}); run into another folder"


class ResultStore:
    """A SQLite file of result rows."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        """``read_only``: a store nothing may write (an archived run on read-only media, a
        colleague's folder): opened as such, its tables read as they are."""
        self.path = Path(path)
        if read_only:  # immutable: no lock or WAL index is written beside it
            uri = f"{self.path.resolve().as_uri()}?mode=ro&immutable=1"
            self._connection = sqlite3.connect(uri, uri=True)
        else:
            self._connection = sqlite3.connect(self.path)
        try:
            if read_only:
                self._connection.execute("SELECT COUNT(*) FROM results").fetchone()
            else:
                self._prepare()
        except sqlite3.OperationalError as exc:  # locked by another program, or read-only
            if read_only:  # nothing was to be written: it is no store (no results table)
                raise self._unreadable(exc) from None
            self._connection.close()
            raise ConfigError(f"{str(self.path)!r} {_unwritable(exc)}.") from None
        except sqlite3.DatabaseError as exc:  # not a database, or a damaged one
            raise self._unreadable(exc) from None

    def _unreadable(self, exc: sqlite3.DatabaseError) -> ConfigError:
        self._connection.close()
        return ConfigError(
            f"{str(self.path)!r} is not a readable results store ({exc}); restore it from "
            "a copy, or run again into another folder."
        )

    def _prepare(self) -> None:
        """The tables and columns this version writes, made or added where missing."""
        self._connection.execute("PRAGMA journal_mode=WAL")
        columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
        self._connection.execute(
            f"CREATE TABLE IF NOT EXISTS results ({columns}, PRIMARY KEY ({', '.join(KEY)}))"
        )
        # a store written by an older version lacks the newer columns: add them (as NULL)
        present = {info[1] for info in self._connection.execute("PRAGMA table_info(results)")}
        for name, kind in COLUMNS:
            if name not in present:
                if name == "tuning":  # a store from before tuning: every row is a default's
                    kind = f"TEXT NOT NULL DEFAULT '{DEFAULT}'"
                self._connection.execute(f"ALTER TABLE results ADD COLUMN {name} {kind}")
        trial_columns = ", ".join(f"{name} {kind}" for name, kind in TRIAL_COLUMNS)
        self._connection.execute(
            f"CREATE TABLE IF NOT EXISTS trials ({trial_columns}, "
            f"PRIMARY KEY ({', '.join(TRIAL_KEY)}))"
        )
        self._connection.commit()

    def check_writable(self) -> None:
        """Refuse a store another program holds (a database browser's open write) or nobody
        may write, in one sentence, before the run writes to it: its first row failed after
        the first cell's fit (that row lost), in a traceback."""
        try:
            self._connection.execute("BEGIN IMMEDIATE")
            self._connection.commit()
        except sqlite3.OperationalError as exc:
            self._connection.close()
            raise ConfigError(f"{str(self.path)!r} {_unwritable(exc)}.") from None

    def add(self, row: Mapping[str, Any]) -> None:
        """Write one cell's row and commit it (replacing an earlier row for the same cell); a row
        that does not say its ``tuning`` is a default's."""
        self._insert("results", {"tuning": DEFAULT, **row}, COLUMN_NAMES, STATUSES)

    def add_trial(self, row: Mapping[str, Any]) -> None:
        """Write one trial's row and commit it (replacing an earlier row of the same trial)."""
        self._insert("trials", row, TRIAL_COLUMN_NAMES, TRIAL_STATUSES)

    def _insert(
        self, table: str, row: Mapping[str, Any], columns: tuple[str, ...], statuses: tuple
    ) -> None:
        unknown = set(row) - set(columns)
        if unknown:
            raise ValueError(f"{table} row has columns the store does not know: {sorted(unknown)}")
        if row.get("status") not in statuses:
            raise ValueError(
                f"{table} row has status {row.get('status')!r}; expected one of {statuses}"
            )
        names = list(row)
        placeholders = ", ".join("?" for _ in names)
        with said_when_unwritable(self.path.parent):
            self._connection.execute(
                f"INSERT OR REPLACE INTO {table} ({', '.join(names)}) VALUES ({placeholders})",
                [_storable(row[name]) for name in names],
            )
            self._connection.commit()

    def rows(self) -> pd.DataFrame:
        """Every row, in the order the cells finished."""
        return self._read("results", COLUMN_NAMES)

    def trials(self) -> pd.DataFrame:
        """Every trial, in the order they finished."""
        return self._read("trials", TRIAL_COLUMN_NAMES)

    def _read(self, table: str, columns: tuple[str, ...]) -> pd.DataFrame:
        """``table``'s rows in ``columns``: a read-only store of an older version lacks the
        newer columns, read as they are added (NULL; ``tuning``: a default's)."""
        present = {info[1] for info in self._connection.execute(f"PRAGMA table_info({table})")}
        if not present:  # a read-only store from before tuning has no trials table
            return pd.DataFrame(columns=list(columns))
        chosen = [name if name in present else f"NULL AS {name}" for name in columns]
        if "tuning" in columns and "tuning" not in present:
            chosen[columns.index("tuning")] = f"'{DEFAULT}' AS tuning"
        query = f"SELECT {', '.join(chosen)} FROM {table} ORDER BY rowid"
        return pd.read_sql_query(query, self._connection)

    def __len__(self) -> int:
        return self._connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def export_rows(rows: pd.DataFrame, directory: Path) -> list[Path]:
    """Write ``results.csv`` (and ``results.parquet`` when pyarrow is installed)."""
    written = [directory / "results.csv"]
    rows.to_csv(written[0], index=False)
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return written
    written.append(directory / "results.parquet")
    rows.to_parquet(written[1], index=False)
    return written
