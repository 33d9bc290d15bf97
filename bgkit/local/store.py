"""The local cloud's persistent state: JSON records in SQLite.

A record is a plain ``dict`` kept under ``(partition, kind, key)``. The partition keeps accounts
and regions apart the way AWS does (``123456789012/eu-west-1``; global services such as IAM use
``123456789012/global``), the kind names the resource (``role``, ``vpc``, ``target-group``) and
the key is its natural identifier (name or id).

Every API call runs inside one :meth:`Store.transaction`: a call that returns has been committed
(WAL, ``synchronous=NORMAL``) and survives ``kill -9`` of the local cloud; a call that raises is
rolled back, ids drawn included, so a refusal changes nothing. A full disk rolls the call back
the same way and raises :class:`DiskFullError`, one sentence saying what happened and what to
do; a sound database is never taken for a corrupt one because the disk is full or failing.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bgkit.errors import LocalCloudError, ServiceError

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    partition TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (partition, kind, key)
);
-- the data plane's passes look records up by kind across partitions (partitions(), list(None, …))
CREATE INDEX IF NOT EXISTS records_by_kind ON records (kind, partition);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS processes (
    token TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    start INTEGER,
    owner TEXT NOT NULL
);
"""


log = logging.getLogger("bgkit.local.store")
#: bytes free under which an I/O error of the database is taken for a full disk
MIN_FREE = 1024 * 1024


def disk_full_message(path: Path | str) -> str:
    """The one sentence a full disk under the state gets: what happened and what to do."""
    return (
        f"the disk that holds the local cloud's state ({path}) is full, so nothing more can be "
        "saved: free some space on it, or point BGKIT_STATE_DIR at a disk with room, then try "
        "again"
    )


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` says the disk (or the user's quota) is full."""
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return code == sqlite3.SQLITE_FULL or "database or disk is full" in str(error)
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def _unsound(error: BaseException) -> bool:
    """Whether ``error`` says the database file is not sound SQLite (not an I/O failure)."""
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    return code is None or code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


class DiskFullError(ServiceError, LocalCloudError):
    """The disk under the state is full: nothing was saved (the change is rolled back whole).

    An API call answers it as AWS answers a service that cannot take the request now (503
    ``ServiceUnavailable``); a local cloud that cannot start says it in one sentence.
    """

    def __init__(self, path: Path | str) -> None:
        super().__init__(
            "ServiceUnavailable", disk_full_message(path), status=503, sender_fault=False
        )
        self.path = path

    def __str__(self) -> str:
        return self.message


class Store:
    """Records in one SQLite database (a file, or memory when ``path`` is ``None``).

    A database file that is not a sound SQLite database is never reused: it is moved aside
    (``<name>.corrupt-<time>``, its ``-wal`` and ``-shm`` files with it), the store starts
    empty, and :attr:`moved_aside` says where the old one went.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.moved_aside: Path | None = None
        self._lock = threading.RLock()
        self._depth = 0
        try:
            self._db = self._open()
        except (sqlite3.Error, OSError) as error:
            if self._disk_full(error):  # a sound database on a full disk is never moved aside
                raise DiskFullError(self.path or ":memory:") from None
            if self.path is None or not _unsound(error):
                raise LocalCloudError(
                    f"the state database {self.path or ':memory:'} could not be opened "
                    f"({error}); check the disk and the permissions of its folder"
                ) from None
            self.moved_aside = self._move_aside()
            log.warning(
                "the state database %s could not be read (%s): it was moved to %s and the local "
                "cloud starts with empty state; run `bgkit local reset` to delete the old copy",
                self.path, error, self.moved_aside,
            )  # fmt: skip
            self._db = self._open()

    def _disk_full(self, error: BaseException) -> bool:
        """Whether ``error`` comes of a full disk: said so, or an I/O error with no room left."""
        if is_disk_full(error):
            return True
        code = getattr(error, "sqlite_errorcode", None)
        if self.path is None or code is None or code & 0xFF != sqlite3.SQLITE_IOERR:
            return False
        try:
            return shutil.disk_usage(self.path.parent).free < MIN_FREE
        except OSError:
            return False

    def _open(self) -> sqlite3.Connection:
        if self.path is not None and not self.path.exists():
            # private to the user; SQLite gives its -wal and -shm files the same mode
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        db = sqlite3.connect(
            str(self.path) if self.path is not None else ":memory:",
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            if self.path is not None:
                db.execute("PRAGMA journal_mode=WAL")
                (verdict,) = db.execute("PRAGMA quick_check").fetchone()
                if verdict != "ok":
                    raise sqlite3.DatabaseError(f"integrity check: {verdict}")
            # in WAL mode, NORMAL syncs at checkpoints, not at every commit: a commit survives
            # the process's death (kill -9) but not the machine's power loss (SQLite's "WAL
            # mode" notes) — the fsync a call cost held the loop for milliseconds
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self) -> Path:
        assert self.path is not None
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                source.rename(f"{aside}{suffix}")
        return aside

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Everything inside is committed together, or not at all when it raises."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException as error:
                self._depth -= 1
                if outer:
                    self._rollback()
                    if self._disk_full(error):
                        raise DiskFullError(self.path or ":memory:") from None
                raise
            else:
                self._depth -= 1
                if outer:
                    try:
                        self._db.execute("COMMIT")
                    except sqlite3.Error as error:
                        self._rollback()
                        if self._disk_full(error):
                            raise DiskFullError(self.path or ":memory:") from None
                        raise

    def _rollback(self) -> None:
        """Roll the open transaction back (SQLite may have done so itself, on a full disk)."""
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    # records ---------------------------------------------------------------------------------

    def get(self, partition: str, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM records WHERE partition=? AND kind=? AND key=?",
                (partition, kind, key),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, partition: str, kind: str, key: str, record: dict[str, Any]) -> None:
        """Insert or replace a record, keeping its place in :meth:`list` order."""
        body = json.dumps(record, separators=(",", ":"), sort_keys=True)
        with self.transaction():
            updated = self._db.execute(
                "UPDATE records SET body=? WHERE partition=? AND kind=? AND key=?",
                (body, partition, kind, key),
            ).rowcount
            if not updated:
                self._db.execute(
                    "INSERT INTO records (partition, kind, key, body) VALUES (?, ?, ?, ?)",
                    (partition, kind, key, body),
                )

    def delete(self, partition: str, kind: str, key: str) -> bool:
        with self.transaction():
            return bool(
                self._db.execute(
                    "DELETE FROM records WHERE partition=? AND kind=? AND key=?",
                    (partition, kind, key),
                ).rowcount
            )

    def list(self, partition: str | None, kind: str) -> list[dict[str, Any]]:
        """Records of a kind in creation order; every partition's when ``partition`` is None."""
        with self._lock:
            if partition is None:
                rows = self._db.execute(
                    "SELECT body FROM records WHERE kind=? ORDER BY rowid", (kind,)
                ).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT body FROM records WHERE partition=? AND kind=? ORDER BY rowid",
                    (partition, kind),
                ).fetchall()
        return [json.loads(body) for (body,) in rows]

    def partitions(self, kind: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT partition FROM records WHERE kind=? ORDER BY partition", (kind,)
            ).fetchall()
        return [partition for (partition,) in rows]

    # meta: counters and settings that must survive a restart -----------------------------------

    def get_meta(self, name: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, name: str, value: Any) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value=excluded.value",
                (name, json.dumps(value)),
            )

    # processes: every process the data plane started, until none of its tree is left ----------

    def add_process(self, token: str, pid: int, start: int | None, owner: str) -> None:
        """Record a process the local cloud started (a process group of its own).

        Args:
            token: the value of its ``BGKIT_PROCESS_TOKEN`` variable, which its descendants
                inherit (see :mod:`bgkit.local.process`).
            pid: its pid, also its process group id.
            start: its start time (``/proc/<pid>/stat``), ``None`` without ``/proc``.
            owner: what it runs for (a task's ARN).
        """
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO processes (token, pid, start, owner) VALUES (?, ?, ?, ?)",
                (token, pid, start, owner),
            )

    def remove_process(self, token: str) -> None:
        """Forget a process once nothing of its tree runs."""
        with self.transaction():
            self._db.execute("DELETE FROM processes WHERE token=?", (token,))

    def processes(self) -> list[dict[str, Any]]:
        """Every recorded process, oldest first: ``token``, ``pid``, ``start``, ``owner``."""
        with self._lock:
            return _process_rows(self._db)

    def next_counter(self, name: str) -> int:
        """The next value of a persistent counter (1, 2, …), rolled back with its transaction."""
        with self.transaction():
            value = self.get_meta(f"counter:{name}", 0) + 1
            self.set_meta(f"counter:{name}", value)
            return value


def _process_rows(db: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = db.execute("SELECT token, pid, start, owner FROM processes ORDER BY rowid").fetchall()
    return [dict(zip(("token", "pid", "start", "owner"), row, strict=True)) for row in rows]


def recorded_processes(path: Path) -> list[dict[str, Any]]:
    """The processes recorded in the database at ``path``, read without changing it (for
    ``bgkit local down`` and ``reset`` while no local cloud holds it); none when it cannot be
    read."""
    if not Path(path).is_file():
        return []
    try:
        db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return []
    try:
        return _process_rows(db)
    except sqlite3.Error:  # no such table (an older database), or not a database at all
        return []
    finally:
        db.close()
