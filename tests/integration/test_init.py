"""`optbench init NAME`: a shipped suite and its baselines copied into a project, never over a
file; and the hint an empty project gets from `pytest --optbench`."""

import json
import os

import pytest

from pytest_optbench.cli import build_parser, main
from pytest_optbench.shipped import shipped_suite


def test_init_copies_the_suite_its_baselines_and_a_pytest_ini(tmp_path, capsys):
    assert main(["init", "analytic", "--into", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    shipped = shipped_suite("analytic")
    assert (tmp_path / "suites/analytic.yaml").read_bytes() == shipped.suite.read_bytes()
    assert shipped.baseline is not None
    assert (tmp_path / "baselines/analytic.json").read_bytes() == shipped.baseline.read_bytes()
    assert (tmp_path / "pytest.ini").read_text() == "[pytest]\n"
    assert "run it with: pytest --optbench suites/analytic.yaml" in out


def test_init_leaves_an_existing_configuration_file_alone(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    assert main(["init", "fashion_mnist", "--into", str(tmp_path)]) == 0
    assert not (tmp_path / "pytest.ini").exists()
    assert (tmp_path / "pyproject.toml").read_text() == "[project]\nname = 'mine'\n"


def test_init_never_overwrites_and_then_copies_nothing(tmp_path, capsys):
    baseline = tmp_path / "baselines" / "analytic.json"
    baseline.parent.mkdir()
    baseline.write_text('{"mine": true}')
    assert main(["init", "analytic", "--into", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{baseline} exists" in err and "nothing was copied" in err and "--into" in err
    assert json.loads(baseline.read_text()) == {"mine": True}
    assert not (tmp_path / "suites").exists() and not (tmp_path / "pytest.ini").exists()


def test_an_unknown_name_lists_the_shipped_ones(tmp_path, capsys):
    assert main(["init", "analytc", "--into", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "found no shipped suite 'analytc'; expected one of analytic" in err
    assert list(tmp_path.iterdir()) == []


def test_list_names_each_suite_with_its_description(capsys):
    assert main(["init", "--list"]) == 0
    out = capsys.readouterr().out
    assert "analytic" in out and "Convergence of torch.optim optimizers" in out


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_project_copies_nothing(tmp_path, capsys):
    (tmp_path / "suites").mkdir()
    (tmp_path / "baselines").mkdir(mode=0o500)
    try:
        assert main(["init", "analytic", "--into", str(tmp_path)]) == 2
    finally:
        (tmp_path / "baselines").chmod(0o700)
    assert "cannot be written" in capsys.readouterr().err
    assert list((tmp_path / "suites").iterdir()) == []


def test_a_failed_write_removes_what_was_already_copied(tmp_path, capsys, monkeypatch):
    real_open = open

    def failing_open(path, mode="r", *args, **kwargs):
        if str(path).endswith("analytic.json") and "x" in mode:
            raise OSError(28, "No space left on device", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", failing_open)
    assert main(["init", "analytic", "--into", str(tmp_path)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert not (tmp_path / "suites/analytic.yaml").exists()


def test_the_command_is_called_optbench():
    assert build_parser().format_usage().startswith("usage: optbench ")


def test_an_empty_project_is_told_how_to_start(pytester):
    result = pytester.runpytest("--optbench")
    result.stdout.fnmatch_lines(["NO SUITE FOUND: --optbench found no suite file*"
                                 "optbench init analytic*"])
    result.stdout.no_fnmatch_line("*NO CASE RAN*")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
