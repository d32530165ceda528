"""Baseline files: lookups, merges that never delete, atomic writes, clear errors."""

import json
import os

import pytest

from pytest_optbench.gate.baselines import BaselineFileError, dumps, make_entry, read, view, write_entries
from pytest_optbench.gate.record import BaselineContext

CPU = BaselineContext("cpu")


def entry(value, config_hash="h1"):
    return make_entry(config_hash, [0, 1], {"converged_fraction": [value, value]},
                      {"torch": "2.0", "device": "cpu"})


def test_missing_file_reads_as_empty(tmp_path):
    assert read(tmp_path / "none.json", "s") == {"optbench_baseline": 1, "suite": "s", "entries": {}}


def test_view_states(tmp_path):
    data = {"entries": {"cpu": {"a[x]": entry(1.0)}, "cuda": {"b[x]": entry(1.0)}}}
    assert view(data, CPU, "a[x]", "h1", "CMD").state == "ok"
    stale = view(data, CPU, "a[x]", "h2", "CMD")
    assert stale.state == "stale" and "h1 -> h2" in stale.detail and "CMD" in stale.detail
    missing = view(data, CPU, "b[x]", "h1", "CMD")
    assert missing.state == "missing" and "for cuda only" in missing.detail


def test_writes_merge_and_never_delete(tmp_path):
    path = tmp_path / "s.json"
    first = write_entries(path, "s", {"cpu": {"a": entry(1.0), "b": entry(0.5)}})
    assert sorted(first.added) == ["cpu: a", "cpu: b"]
    second = write_entries(path, "s", {"cpu": {"a": entry(0.9)}, "cuda": {"a": entry(1.0)}})
    assert second.updated == ["cpu: a"] and second.added == ["cuda: a"]
    data = read(path)
    assert set(data["entries"]["cpu"]) == {"a", "b"}  # b was not part of the update: kept
    assert data["entries"]["cpu"]["a"]["metrics"]["converged_fraction"] == [0.9, 0.9]


def test_unchanged_results_leave_the_file_byte_for_byte(tmp_path):
    path = tmp_path / "s.json"
    write_entries(path, "s", {"cpu": {"a": entry(1.0)}})
    before = path.read_bytes()
    again = make_entry("h1", [0, 1], {"converged_fraction": [1.0, 1.0]}, {"recorded": "later"})
    summary = write_entries(path, "s", {"cpu": {"a": again}})
    assert summary.unchanged == ["cpu: a"] and path.read_bytes() == before


def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "s.json"
    write_entries(path, "s", {"cpu": {"a": entry(1.0)}})
    before = path.read_bytes()

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_entries(path, "s", {"cpu": {"a": entry(0.1)}})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]  # no temporary left


def test_floats_are_rounded_and_lists_stay_on_one_line():
    text = dumps({"entries": {"cpu": {"a": make_entry("h", [0], {"m": [0.123456789]}, {})}}})
    assert '"m": [0.123457]' in text
    assert json.loads(text)["entries"]["cpu"]["a"]["seeds"] == [0]


@pytest.mark.parametrize("content, message", [
    ("{not json", "invalid JSON"),
    ('{"something": "else"}', "not a format-1 baseline"),
    ("[1, 2]", "not a format-1 baseline"),
])
def test_unusable_files_say_where_and_what(tmp_path, content, message):
    path = tmp_path / "s.json"
    path.write_text(content)
    with pytest.raises(BaselineFileError, match=message) as info:
        read(path)
    assert str(path) in str(info.value)


def test_a_corrupt_file_is_not_overwritten(tmp_path):
    path = tmp_path / "s.json"
    path.write_text("{broken")
    with pytest.raises(BaselineFileError):
        write_entries(path, "s", {"cpu": {"a": entry(1.0)}})
    assert path.read_text() == "{broken"


def test_lock_files_stay_out_of_the_baseline_directory(tmp_path):
    write_entries(tmp_path / "s.json", "s", {"cpu": {"a": entry(1.0)}})
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]
