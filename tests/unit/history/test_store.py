"""The history database: migrations, idempotent imports, concurrent writers, damaged files."""

import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path

import pytest

from pytest_optbench.history.store import (SCHEMA_VERSION, HistoryError, Where, append,
                                           connect, runs)


def document(index: int, value: float = 1.0) -> dict:
    cases = [{"suite": "s", "suite_file": "s.yaml", "case": f"p[o{k}]",
              "nodeid": f"s.yaml::p[o{k}]", "problem": "p", "optimizer": f"o{k}",
              "device_type": "cpu", "status": "passed", "config_hash": "h",
              "metrics": {"final_loss": [value + k, value + k + 0.1], "trajectory": [[1.0]]},
              "provenance": {"torch": "2.0", "device": "cpu", "optbench": "0.1.0"}}
             for k in range(3)]
    return {"optbench_results": 1, "created": f"2026-12-06T00:{index // 60:02d}:{index % 60:02d}Z",
            "complete": True,
            "exitstatus": 0, "cases": cases}


def count(path: Path, table: str) -> int:
    with closing(connect(path)) as connection:
        return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_a_run_is_added_once_with_its_commit(tmp_path):
    db = tmp_path / "h.sqlite"
    assert append(db, document(1), where=Where("abc1234def", "main")) == 1
    assert append(db, document(1)) is None   # the same document again: nothing added
    assert append(db, document(2)) == 2
    with closing(connect(db)) as connection:
        first = runs(connection)[0]
        assert (first.commit, first.branch, first.torch) == ("abc1234def", "main", "2.0")
        assert first.label == "#1 abc1234"
    # every metric by seed, a curve as its mean (the whole curve stays in the case's JSON)
    assert count(db, "metrics") == 2 * 3 * (2 + 1) and count(db, "cases") == 6


def test_the_schema_version_is_recorded_and_a_newer_one_is_refused(tmp_path):
    db = tmp_path / "h.sqlite"
    append(db, document(1))
    with closing(sqlite3.connect(db)) as raw:
        assert raw.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION)
        raw.execute("UPDATE meta SET value = '99'")
        raw.commit()
    with pytest.raises(HistoryError, match="schema 99, written by a newer pytest-optbench"):
        connect(db)


def test_an_empty_sqlite_file_is_migrated(tmp_path):
    db = tmp_path / "h.sqlite"
    sqlite3.connect(db).close()   # a database with no table: version 0
    assert append(db, document(1)) == 1


@pytest.mark.parametrize("content", [b"this is not a database at all" * 40, b"SQLite format 3\0junk"])
def test_a_damaged_file_is_a_clear_error_and_is_left_alone(tmp_path, content):
    db = tmp_path / "h.sqlite"
    db.write_bytes(content)
    with pytest.raises(HistoryError, match="not a usable history database"):
        append(db, document(1))
    assert db.read_bytes() == content


def test_another_programs_database_is_not_taken_over(tmp_path):
    db = tmp_path / "other.sqlite"
    with closing(sqlite3.connect(db)) as raw:
        raw.execute("CREATE TABLE invoices (id INTEGER)")
        raw.commit()
    with pytest.raises(HistoryError, match="tables that are not a history's"):
        connect(db)


WRITER = textwrap.dedent("""
    import os, sys, time
    from pytest_optbench.history.store import append
    sys.path.insert(0, {tests!r})
    from test_store import document
    while not os.path.exists(sys.argv[3]):   # both start together
        time.sleep(0.001)
    for index in range(int(sys.argv[2]), int(sys.argv[2]) + 40):
        append(sys.argv[1], document(index, value=float(index)))
""")


def test_two_processes_append_at_the_same_time_without_loss(tmp_path):
    db = tmp_path / "h.sqlite"
    code = WRITER.format(tests=str(Path(__file__).parent))
    go = tmp_path / "go"
    writers = [subprocess.Popen([sys.executable, "-c", code, str(db), str(start), str(go)],
                                stderr=subprocess.PIPE, text=True) for start in (0, 40)]
    import time

    time.sleep(1.0)   # both processes are up, waiting
    go.touch()
    for writer in writers:
        _, errors = writer.communicate(timeout=300)
        assert writer.returncode == 0, errors
    assert count(db, "runs") == 80 and count(db, "cases") == 240 and count(db, "metrics") == 720
    with closing(connect(db)) as connection:
        sources = [run.created for run in runs(connection)]
    assert len(set(sources)) == 80   # every run of both writers, once
