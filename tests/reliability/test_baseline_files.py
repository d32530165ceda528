"""Baseline files under faults: unusable content refused at collection with the file left
byte for byte, concurrent updaters serialised beside the data, nothing left behind."""

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from suite_texts import TINY

from pytest_optbench.gate import baselines
from pytest_optbench.gate.baselines import BaselineFileError, read, write_entries


@pytest.fixture
def tiny(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines").assert_outcomes(passed=4)
    return pytester


def path_of(pytester):
    return pytester.path / "baselines" / "tiny.json"


def corrupt(pytester, replace):
    path = path_of(pytester)
    text = replace(path.read_text())
    path.write_text(text)
    return text.encode()


@pytest.mark.parametrize("name, replace, found", [
    ("nan", lambda t: t.replace('"final_loss": [', '"final_loss": [NaN, ', 1), "found NaN"),
    ("overflow", lambda t: t.replace('"final_loss": [', '"final_loss": [1e400, ', 1), "found 1e400"),
    ("empty", lambda t: t.replace('"distance": [', '"distance": [], "x": [', 1), "found 0 values"),
    ("duplicate", lambda t: t.replace('"config_hash"', '"seeds": [0, 1],\n      "config_hash"', 1),
     "found it twice in one object"),
    ("negative seeds", lambda t: t.replace('"seeds": [0, 1]', '"seeds": [-3, 1]', 1),
     "seeds: found [-3, 1]"),
])
def test_a_baseline_that_would_switch_a_gate_off_is_refused_and_left_alone(tiny, name, replace,
                                                                         found):
    before = corrupt(tiny, replace)
    for args in ((), ("--optbench-update-baselines",)):
        result = tiny.runpytest("tiny.yaml", *args)
        assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error: nothing trained
        text = result.stdout.str()
        assert "baseline file unusable: " in text and found in text, text
        assert "tiny.json:" in text and "git checkout --" in text
        assert path_of(tiny).read_bytes() == before


def test_the_line_of_a_bad_value_is_given(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"optbench_baseline": 1, "entries": {"cpu": {\n"a": {"config_hash": "h", '
                    '"seeds": [0],\n "metrics": {"m": [NaN]}}}}}')
    with pytest.raises(BaselineFileError, match=r"s.json:3: a value: found NaN; expected a "
                                                r"finite number"):
        read(path)


def test_stale_temporaries_of_a_killed_write_are_cleaned_and_no_lock_file_is_left(
        tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    folder = tmp_path / "baselines"
    folder.mkdir()
    stray = folder / ".s.json.k1ll3d.tmp"
    stray.write_text("half a file")
    entry = baselines.make_entry("h", [0], {"m": [1.0]}, {})
    write_entries(folder / "s.json", "s", {"cpu": {"a": entry}})
    assert sorted(p.name for p in folder.iterdir()) == ["s.json"]
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_lock_held_too_long_is_one_clear_line_and_the_other_files_are_written(tiny, monkeypatch):
    """The lock is the baseline folder itself: hold it from here, as another updater would."""
    import fcntl

    monkeypatch.setattr(baselines, "LOCK_WAIT_S", 0.5)
    corrupt(tiny, lambda t: t.replace('"config_hash": "', '"config_hash": "0', 1))
    before = path_of(tiny).read_bytes()
    handle = os.open(path_of(tiny).parent, os.O_RDONLY)
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        result = tiny.runpytest("tiny.yaml", "--optbench-update-baselines", "--optbench-json",
                                "out.json")
    finally:
        os.close(handle)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stderr.fnmatch_lines(["optbench: waiting for another update of */baselines/tiny.json"])
    result.stdout.fnmatch_lines(["NOT WRITTEN: baselines: another update of */tiny.json held its "
                                 "lock for more than 0 s; */tiny.json is unchanged*"])
    assert path_of(tiny).read_bytes() == before
    assert json.loads((tiny.path / "out.json").read_text())["reported"] == 4


UPDATER = textwrap.dedent("""\
    import sys
    from pathlib import Path
    from pytest_optbench.gate.baselines import make_entry, write_entries

    path, who = Path(sys.argv[1]), sys.argv[2]
    for i in range(5):
        entry = make_entry("h", [0], {"m": [float(i)]}, {})
        write_entries(path, "s", {"cpu": {f"{who}-{i}": entry}})
    """)


def test_two_updaters_with_different_temp_directories_lose_no_entry(tmp_path):
    path = tmp_path / "baselines" / "s.json"
    path.parent.mkdir()
    runs = []
    for who in ("a", "b"):
        temp = tmp_path / f"tmp-{who}"
        temp.mkdir()
        runs.append(subprocess.Popen([sys.executable, "-c", UPDATER, str(path), who],
                                     env={**os.environ, "TMPDIR": str(temp)}))
    assert [run.wait(timeout=120) for run in runs] == [0, 0]
    assert len(read(path)["entries"]["cpu"]) == 10
    assert sorted(p.name for p in path.parent.iterdir()) == ["s.json"]


# Hostile or subtly wrong content: one located error naming the file, never a raw traceback
# inside a case or pytest's hooks, and the file keeps its bytes.

def refused(tester, found):
    result = tester.runpytest("tiny.yaml")
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED, text   # a collection error
    assert "baseline file unusable: " in text and "tiny.json" in text, text
    assert found in text, text
    for crash in ("Traceback", "INTERNALERROR", "AttributeError", "RecursionError"):
        assert crash not in text, text


@pytest.mark.parametrize("name, replace, found", [
    ("huge integer", lambda t: t.replace('"seeds": [0, 1]', '"seeds": [' + "9" * 5000 + ", 1]", 1),
     "found Exceeds the limit"),
    ("deep nesting", lambda t: t.replace('"config_hash"', '"deep": ' + "[" * 20000 + "]" * 20000
                                         + ', "config_hash"', 1),
     "nesting too deep to be a baseline"),
    ("provenance a string", lambda t: re.sub(r'"provenance": \{[^}]*\}', '"provenance": "x"', t, 1),
     ".provenance: found 'x'; expected a mapping"),
    ("curve a number", lambda t: t.replace('"config_hash"', '"curve": 5, "config_hash"', 1),
     ".curve: found 5; expected a mapping"),
    ("nested-list metric", lambda t: re.sub(r'"final_loss": \[[^\]]*\]',
                                            '"final_loss": [[[1.0]], [[2.0]]]', t, 1),
     ".metrics.final_loss: found [[1.0]]"),
    ("Latin-1 byte", lambda t: t.replace('"seeds"', '"s\xe9eds"', 1), "cannot be read"),
])
def test_a_malformed_baseline_is_a_located_error_and_left_alone(tiny, name, replace, found):
    path = path_of(tiny)
    text = replace(path.read_text())
    data = text.encode("latin-1") if name == "Latin-1 byte" else text.encode()
    path.write_bytes(data)
    refused(tiny, found)
    assert path.read_bytes() == data


def test_a_fifo_at_the_baseline_path_is_refused_without_blocking(tiny):
    path = path_of(tiny)
    path.unlink()
    os.mkfifo(path)    # reading it would block forever
    refused(tiny, "not a regular file")


def test_a_symlinked_baseline_is_updated_through_its_link(tiny):
    shared = tiny.path / "shared"
    shared.mkdir()
    path = path_of(tiny)
    target = shared / "tiny.json"
    path.rename(target)
    path.symlink_to(target)
    (tiny.path / "tiny.yaml").write_text(TINY.replace("sgd:  {class: SGD, lr: 0.02}",
                                                      "sgd:  {class: SGD, lr: 0.021}"))
    tiny.runpytest("tiny.yaml", "--optbench-update-baselines").assert_outcomes(passed=4)
    assert path.is_symlink() and path.resolve() == target
    assert '"lr": 0.021' in target.read_text()
