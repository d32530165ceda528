"""The run history end to end: runs appended by --optbench-history while one optimizer's update
drifts by 1% a run; the trend report names the drift for its cases and no other; history diff
names exactly them; a damaged database costs the history alone."""

import json
import re

import pytest

from pytest_optbench.cli import main
from suite_texts import DRIFTING

pytestmark = pytest.mark.slow


def test_drift_is_found_for_the_drifting_optimizer_alone(pytester, monkeypatch, capsys):
    """Five runs, the drifting optimizer's update scaled 1.00, 1.01, ..., 1.04."""
    pytester.makefile(".yaml", drifting=DRIFTING)
    db = pytester.path / "h.sqlite"
    for run, scale in enumerate(("1.00", "1.01", "1.02", "1.03", "1.04")):
        monkeypatch.setenv("OPTBENCH_DRIFT", scale)
        extra = ["--optbench-update-baselines"] if run == 0 else []
        result = pytester.runpytest("drifting.yaml", f"--optbench-history={db}", *extra,
                                    "-p", "no:cacheprovider")
        result.stdout.fnmatch_lines([f"history *h.sqlite: added as run #{run + 1}"])
    assert main(["history", "--db", str(db), "--out", str(pytester.path / "trend")]) == 0
    out = capsys.readouterr().out
    drifts = [line for line in out.splitlines() if line.startswith("DRIFT: ")]
    assert drifts and all("[drifting]" in line for line in drifts), out
    assert {line.split()[1] for line in drifts} == {"booth[drifting]", "himmelblau[drifting]"}
    trend = (pytester.path / "trend" / "trend.md").read_text()
    assert "**Drift**" in trend and "booth[sgd]" in trend
    page = (pytester.path / "trend" / "index.html").read_text()
    assert page.count("<img") >= 2
    # Each drift links to its figure; the drifting figures come first.
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", page)
    drifting = [caption.startswith("DRIFTING: ") for caption in captions]
    assert any(drifting) and drifting == sorted(drifting, reverse=True)
    assert page.count('<a href="#figure-') == len(drifts)
    assert main(["history", "--db", str(db), "--out", str(pytester.path / "t2"),
                 "--fail-on-drift"]) == 1
    capsys.readouterr()
    assert main(["history", "--db", str(db), "diff", "first", "latest"]) == 0
    out = capsys.readouterr().out
    assert "outside the noise: 2 cases: booth[drifting] (cpu), himmelblau[drifting] (cpu)" in out
    assert main(["history", "--db", str(db), "diff", "#1", "latest", "--fail-on-regression"]) == 1
    capsys.readouterr()


def test_results_files_are_imported_once(pytester, capsys):
    pytester.makefile(".yaml", drifting=DRIFTING)
    pytester.runpytest("drifting.yaml", "--optbench-update-baselines", "--optbench-json",
                       "r.json", "-p", "no:cacheprovider")
    db = str(pytester.path / "h.sqlite")
    results = str(pytester.path / "r.json")
    assert main(["history", "--db", db, "add", results]) == 0
    assert main(["history", "--db", db, "add", results]) == 0
    out = capsys.readouterr().out
    assert "added as run #1" in out and "already in the history" in out
    assert main(["history", "--db", db, "diff", "first", "99"]) == 2
    assert "found no run '99'" in capsys.readouterr().err


def test_a_damaged_history_costs_the_history_alone(pytester):
    pytester.makefile(".yaml", drifting=DRIFTING)
    (pytester.path / "h.sqlite").write_bytes(b"not a database" * 100)
    result = pytester.runpytest("drifting.yaml", "--optbench-history=h.sqlite",
                                "--optbench-update-baselines", "--optbench-json", "r.json",
                                "-p", "no:cacheprovider")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["NOT WRITTEN: history *h.sqlite: *not a usable history "
                                 "database*move it away*"])
    assert json.loads((pytester.path / "r.json").read_text())["reported"] == 6
    assert (pytester.path / "baselines" / "drifting.json").is_file()
    assert (pytester.path / "h.sqlite").read_bytes() == b"not a database" * 100


def test_history_alone_uses_the_projects_folder(pytester):
    pytester.makefile(".yaml", drifting=DRIFTING)
    result = pytester.runpytest("drifting.yaml", "--optbench-history",
                                "--optbench-update-baselines", "-p", "no:cacheprovider")
    assert result.ret == 0
    assert (pytester.path / ".optbench" / "history.sqlite").is_file()


def test_the_trend_report_never_writes_into_a_folder_of_the_users(pytester, capsys):
    pytester.makefile(".yaml", drifting=DRIFTING)
    pytester.runpytest("drifting.yaml", "--optbench-history=h.sqlite",
                       "--optbench-update-baselines", "-p", "no:cacheprovider")
    mine = pytester.path / "mine"
    mine.mkdir()
    (mine / "index.html").write_text("my page")
    db = str(pytester.path / "h.sqlite")
    assert main(["history", "--db", db, "--out", str(mine)]) == 2
    assert "did not write" in capsys.readouterr().err
    assert (mine / "index.html").read_text() == "my page"
    assert main(["history", "--db", db, "--out", str(pytester.path / "t")]) == 0
    assert main(["history", "--db", db, "--out", str(pytester.path / "t")]) == 0  # its own
