"""The history database: a versioned schema with migrations, safe for concurrent writers (WAL
journal, a busy timeout, one IMMEDIATE transaction per run), and one clear error for a file
that is not a history database."""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, TypeVar

T = TypeVar("T")

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 60_000
# Each version's statements, applied in order to a database of an older version.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created TEXT NOT NULL,          -- when the run ended (UTC, ISO 8601)
            commit_sha TEXT, branch TEXT,   -- where there is a git checkout
            source TEXT NOT NULL,           -- 'session' or the results file it came from
            torch TEXT, device TEXT, cpu_capability TEXT, plugin TEXT,
            exitstatus INTEGER, complete INTEGER,
            digest TEXT NOT NULL UNIQUE     -- of the results document: one run, one row
        )""",
        """CREATE TABLE cases (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            nodeid TEXT NOT NULL, suite TEXT NOT NULL, suite_file TEXT, case_id TEXT NOT NULL,
            problem TEXT, optimizer TEXT, device_type TEXT, status TEXT,
            data TEXT NOT NULL,             -- the case as results.json holds it
            PRIMARY KEY (run_id, nodeid)
        )""",
        """CREATE TABLE metrics (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            nodeid TEXT NOT NULL, metric TEXT NOT NULL, seed INTEGER NOT NULL, value REAL,
            PRIMARY KEY (run_id, nodeid, metric, seed)
        )""",
        "CREATE INDEX metrics_by_case ON metrics (nodeid, metric)",
    ),
}


class HistoryError(ValueError):
    """The database cannot be used: which file, and why."""


@dataclass(frozen=True)
class Where:
    """Where a run happened in the project's history, where known."""

    commit: str | None = None
    branch: str | None = None


def connect(path: Path) -> sqlite3.Connection:
    """The database at `path`, created or migrated to SCHEMA_VERSION; HistoryError otherwise."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000,
                                     isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise HistoryError(f"{path}: cannot be opened ({exc})") from None
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA foreign_keys = ON")
        patiently(lambda: _prepare(connection, path))
    except sqlite3.OperationalError as exc:
        connection.close()
        raise HistoryError(f"{path}: cannot be used ({exc}); another process may hold it: "
                           f"try again when it is done") from None
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise HistoryError(f"{path}: found a file that is not a usable history database "
                           f"({exc}); expected one written by --optbench-history, or no file: "
                           f"move it away and a new history starts there") from None
    except HistoryError:
        connection.close()
        raise
    return connection


def _busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def patiently(work: Callable[[], T]) -> T:
    """`work`, again while another connection holds the lock. SQLite's busy timeout covers
    most waits, but not all: switching a new file to WAL, or a read lock that must become a
    write lock, answers "database is locked" at once."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.01
    while True:
        try:
            return work()
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _prepare(connection: sqlite3.Connection, path: Path) -> None:
    mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() != "wal":
        connection.execute("PRAGMA journal_mode = WAL")
    _migrate(connection, path)


def _version(connection: sqlite3.Connection) -> int:
    tables = {row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" not in tables:
        if tables:
            raise HistoryError("found tables that are not a history's")
        return 0
    row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
    connection.execute("BEGIN IMMEDIATE")   # one migrator at a time; the others wait
    try:
        try:
            version = _version(connection)
        except HistoryError as exc:
            raise HistoryError(f"{path}: {exc}; expected a history database") from None
        if version > SCHEMA_VERSION:
            raise HistoryError(f"{path}: found history schema {version}, written by a newer "
                               f"pytest-optbench; expected {SCHEMA_VERSION} or older: upgrade "
                               f"this one to read it")
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[step]:
                connection.execute(statement)
        if version < SCHEMA_VERSION:
            connection.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                               (str(SCHEMA_VERSION),))
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def append(path: Path, document: Mapping[str, Any], source: str = "session",
           where: Where = Where()) -> int | None:
    """Add the run a results document describes; its id, or None where the same document is
    already there (importing a file twice adds nothing)."""
    text = json.dumps(document, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()
    cases = [c for c in document.get("cases", []) if isinstance(c, dict)]
    first: dict[str, Any] = next((c["provenance"] for c in cases
                                  if isinstance(c.get("provenance"), dict)), {})
    with closing(connect(path)) as connection:
        try:
            return patiently(lambda: _append(connection, document, cases, first, source,
                                             where, digest))
        except sqlite3.Error as exc:   # a full disk, a lock held past the busy timeout
            raise HistoryError(f"{path}: the run was not added ({exc})") from None


def _append(connection: sqlite3.Connection, document: Mapping[str, Any], cases: list[Any],
            first: Mapping[str, Any], source: str, where: Where, digest: str) -> int | None:
    connection.execute("BEGIN IMMEDIATE")   # one writer at a time; the others wait their turn
    try:
        if connection.execute("SELECT 1 FROM runs WHERE digest = ?", (digest,)).fetchone():
            connection.execute("ROLLBACK")
            return None
        run_id = int(connection.execute(
            "INSERT INTO runs (created, commit_sha, branch, source, torch, device, "
            "cpu_capability, plugin, exitstatus, complete, digest) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (str(document.get("created") or ""), where.commit, where.branch, source,
             first.get("torch_build") or first.get("torch"), first.get("device"),
             first.get("cpu_capability"), first.get("optbench"),
             document.get("exitstatus"), int(bool(document.get("complete", True))),
             digest)).lastrowid or 0)
        for case in cases:
            _add_case(connection, run_id, case)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return run_id


def _add_case(connection: sqlite3.Connection, run_id: int, case: Mapping[str, Any]) -> None:
    nodeid = str(case.get("nodeid") or f"{case.get('suite_file')}::{case.get('case')}")
    connection.execute(
        "INSERT OR REPLACE INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (run_id, nodeid, str(case.get("suite")), case.get("suite_file"), str(case.get("case")),
         case.get("problem"), case.get("optimizer"), case.get("device_type"),
         case.get("status"), json.dumps(case, sort_keys=True, default=str)))
    for metric, values in (case.get("metrics") or {}).items():
        for seed, value in enumerate(values or []):
            number = _curve_mean(value) if isinstance(value, list) else _number(value)
            if number is not None or value is None:
                connection.execute("INSERT OR REPLACE INTO metrics VALUES (?, ?, ?, ?, ?)",
                                   (run_id, nodeid, metric, seed, number))


def _curve_mean(values: list[Any]) -> float | None:
    """A curve metric (the analytic trajectory: log10 loss gaps at checkpoints) as one number
    per seed, its mean: the most sensitive value a case has, and the one whose slow drift the
    trend report must see. The whole curve stays in the case's JSON."""
    numbers = [n for n in map(_number, values) if n is not None]
    return sum(numbers) / len(numbers) if numbers else None


@dataclass(frozen=True)
class Run:
    id: int
    created: str
    commit: str | None
    branch: str | None
    source: str
    torch: str | None
    device: str | None

    @property
    def label(self) -> str:
        """'#12 3f2a1c9' or '#12 2026-12-06': how a run is named on an axis."""
        return f"#{self.id} " + (self.commit[:7] if self.commit else self.created[:10])


def runs(connection: sqlite3.Connection) -> list[Run]:
    return [Run(*row) for row in connection.execute(
        "SELECT id, created, commit_sha, branch, source, torch, device FROM runs ORDER BY id")]


def case_documents(connection: sqlite3.Connection, run_id: int) -> Iterator[dict[str, Any]]:
    for (data,) in connection.execute("SELECT data FROM cases WHERE run_id = ? ORDER BY nodeid",
                                      (run_id,)):
        yield json.loads(data)
