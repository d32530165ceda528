"""Baseline files under faults: unusable content refused at collection with the file left
byte for byte, concurrent updaters serialised beside the data, nothing left behind."""

import json
import os
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
