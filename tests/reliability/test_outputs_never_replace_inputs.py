"""An output path never replaces a suite, a baseline or a file the plugin did not write: each
is a usage error before anything trains, and the file keeps its bytes."""

import json

import pytest

from suite_texts import TINY


@pytest.fixture
def tiny(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    assert pytester.runpytest("tiny.yaml", "--optbench-update-baselines").ret == 0
    return pytester


def refused(tester, *args):
    result = tester.runpytest("tiny.yaml", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    assert "booth[sgd]" not in result.stdout.str()    # nothing trained
    return result.stderr.str()


def test_the_results_path_may_not_name_the_suite(tiny):
    before = (tiny.path / "tiny.yaml").read_bytes()
    text = refused(tiny, "--optbench-json", "tiny.yaml")
    assert "--optbench-json: " in text and "tiny.yaml is an optbench suite" in text
    assert "choose another path" in text
    assert (tiny.path / "tiny.yaml").read_bytes() == before


def test_the_results_path_may_not_name_a_baseline_file(tiny):
    baseline = tiny.path / "baselines" / "tiny.json"
    before = baseline.read_bytes()
    text = refused(tiny, "--optbench-json", "baselines/tiny.json")
    assert "tiny.json is a baseline file, which a results file would replace" in text
    assert baseline.read_bytes() == before


def test_the_results_path_may_not_name_any_other_file(tiny):
    notes = tiny.path / "notes.json"
    notes.write_text('{"mine": true}\n')
    text = refused(tiny, "--optbench-json", "notes.json")
    assert "notes.json is a file that is not an optbench results file" in text
    assert notes.read_text() == '{"mine": true}\n'


def test_an_earlier_results_file_is_replaced(tiny):
    assert tiny.runpytest("tiny.yaml", "--optbench-json", "out.json").ret == 0
    first = json.loads((tiny.path / "out.json").read_text())
    assert tiny.runpytest("tiny.yaml", "--optbench-json", "out.json").ret == 0
    assert json.loads((tiny.path / "out.json").read_text())["created"] >= first["created"]


def test_a_fifo_at_the_results_path_is_refused_without_being_opened(tiny):
    import os

    os.mkfifo(tiny.path / "pipe.json")   # opening it to read would block forever
    text = refused(tiny, "--optbench-json", "pipe.json")
    assert "pipe.json, which is not a regular file" in text


def test_a_report_folder_with_the_users_files_is_refused(tiny):
    folder = tiny.path / "docs"
    folder.mkdir()
    (folder / "report.md").write_text("# my notes\n")
    (folder / "index.html").write_text("<p>my page</p>\n")
    text = refused(tiny, "--optbench-report", "docs")
    assert "docs holds files that optbench did not write (index.html, report.md)" in text
    assert "e.g. " in text and "docs/optbench" in text
    assert (folder / "report.md").read_text() == "# my notes\n"
    assert (folder / "index.html").read_text() == "<p>my page</p>\n"


def test_the_plugin_replaces_its_own_report_and_removes_its_stale_files(tiny):
    assert tiny.runpytest("tiny.yaml", "--optbench-report", "rep").ret == 0
    folder = tiny.path / "rep"
    manifest = json.loads((folder / ".optbench-report").read_text())
    assert {"report.md", "index.html", "results.json"} <= set(manifest["files"])
    # A plot the earlier report drew and this one does not is the plugin's own: removed.
    (folder / "old-plot.png").write_bytes(b"png")
    manifest["files"].append("old-plot.png")
    (folder / ".optbench-report").write_text(json.dumps(manifest))
    assert tiny.runpytest("tiny.yaml", "--optbench-report", "rep").ret == 0
    assert not (folder / "old-plot.png").exists()
    # A file the user adds afterwards makes the folder theirs again.
    (folder / "mine.txt").write_text("x")
    assert "rep holds files that optbench did not write (mine.txt)" in refused(
        tiny, "--optbench-report", "rep")


def test_a_crafted_manifest_cannot_remove_files_outside_its_folder(tiny):
    folder = tiny.path / "rep"
    folder.mkdir()
    victim = tiny.path / "keep.txt"
    victim.write_text("keep")
    (folder / ".optbench-report").write_text(json.dumps({"files": ["../keep.txt", "/etc/x"]}))
    assert tiny.runpytest("tiny.yaml", "--optbench-report", "rep").ret == 0
    assert victim.read_text() == "keep"


def test_a_report_from_before_manifests_is_still_the_plugins_own(tiny):
    assert tiny.runpytest("tiny.yaml", "--optbench-report", "rep").ret == 0
    (tiny.path / "rep" / ".optbench-report").unlink()
    assert tiny.runpytest("tiny.yaml", "--optbench-report", "rep").ret == 0


def test_the_report_command_refuses_a_folder_of_the_users(tiny):
    from pytest_optbench.cli import main

    assert tiny.runpytest("tiny.yaml", "--optbench-json", "out.json").ret == 0
    folder = tiny.path / "docs"
    folder.mkdir()
    (folder / "report.md").write_text("mine\n")
    assert main(["report", str(tiny.path / "out.json"), "--out", str(folder)]) == 2
    assert (folder / "report.md").read_text() == "mine\n"


def test_a_results_file_the_session_writes_into_its_report_folder_is_its_own(tiny):
    for _ in range(2):
        result = tiny.runpytest("tiny.yaml", "--optbench-report", "rep", "--optbench-json",
                                "rep/full.json")
        assert result.ret == 0, result.stdout.str() + result.stderr.str()
    assert (tiny.path / "rep" / "full.json").exists() and (tiny.path / "rep" / "report.md").exists()
