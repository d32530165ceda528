"""Reports: the files, reading results back, the plots' content, and what must be said loudly."""

import html
import json
import re
import sys

import pytest

from pytest_optbench.cli import main
from pytest_optbench.gate.record import CaseResult, Outcome, Row, Status
from pytest_optbench.report.table import render_table
from suite_texts import STEPS, TINY

# Each runs a suite and draws every figure of its report.
pytestmark = pytest.mark.slow

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture
def reported(pytester):
    """A small real run (analytic and step time) with its report folder."""
    # the report is under test here, not the timing gate: a loaded machine must not fail the run
    pytester.makefile(".yaml", tiny=TINY, steps=STEPS + "    expect: {step_time: {baseline: {rel_tolerance: 100}}}\n")
    pytester.runpytest("tiny.yaml", "steps.yaml", "--optbench-update-baselines")
    result = pytester.runpytest("tiny.yaml", "steps.yaml", "--optbench-report", "report", "-v")
    result.assert_outcomes(passed=8)
    return pytester, result


def test_every_file_is_written(reported):
    pytester, result = reported
    folder = pytester.path / "report"
    names = sorted(p.name for p in folder.iterdir())
    assert {"report.md", "results.json", "index.html"} <= set(names)
    pngs = [n for n in names if n.endswith(".png")]
    # two 2-D analytic problems (paths and loss each) and one timed problem
    assert sorted(pngs) == sorted(["tiny-booth-paths.png", "tiny-booth-loss.png",
                                   "tiny-himmelblau-paths.png", "tiny-himmelblau-loss.png",
                                   "steps-small-steps.png"])
    result.stdout.fnmatch_lines(["report written to */report: report.md, results.json, index.html and 5 plots"])


def test_results_read_back_reproduce_the_table(reported):
    pytester, result = reported
    cases = json.loads((pytester.path / "report" / "results.json").read_text())["cases"]
    table = render_table([CaseResult.from_json(case) for case in cases], verbose=True)
    printed = result.stdout.str()
    assert table and table in printed


def test_the_html_is_self_contained_with_every_image(reported):
    pytester, _ = reported
    page = (pytester.path / "report" / "index.html").read_text()
    pngs = [p for p in (pytester.path / "report").iterdir() if p.suffix == ".png"]
    assert page.count('src="data:image/png;base64,') == len(pngs)
    assert not re.search(r'(src|href)="(https?:|/|\w+\.png)', page)  # nothing to fetch
    assert "<table>" in page and "booth[adam]" in page


def test_the_markdown_is_a_github_table(reported):
    pytester, _ = reported
    text = (pytester.path / "report" / "report.md").read_text()
    assert "| case | metric | value | baseline | delta | limit | status |" in text
    assert "|---|---|---|---|---|---|---|" in text
    assert "### Step time" in text and "<details><summary>" in text


def test_the_report_command_redraws_from_saved_results(reported, tmp_path, capsys):
    pytester, _ = reported
    assert main(["report", str(pytester.path / "report" / "results.json"), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "report.md").read_text() == (pytester.path / "report" / "report.md").read_text()
    assert len(list(tmp_path.glob("*.png"))) == 5
    assert "report written to" in capsys.readouterr().out
    (tmp_path / "bad.json").write_text('{"x": 1}')
    assert main(["report", str(tmp_path / "bad.json"), "--out", str(tmp_path / "o")]) == 2


def test_compare_in_markdown(reported, capsys):
    pytester, _ = reported
    baseline = pytester.path / "baselines" / "tiny.json"
    results = pytester.path / "report" / "results.json"
    assert main(["compare", str(baseline), str(results), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("**compare ") and "| case | metric |" in out


def test_without_matplotlib_everything_else_is_written(pytester, monkeypatch, tmp_path):
    from pytest_optbench.report.files import write_report
    from pytest_optbench.report.section import Contributions

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "pytest_optbench.report.plots", raising=False)
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-json", "out.json")
    document = json.loads((pytester.path / "out.json").read_text())
    report = write_report([CaseResult.from_json(case) for case in document["cases"]], tmp_path,
                          Contributions(), document)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".optbench-report", "index.html", "report.md",
                                                         "results.json"]
    assert "pip install 'pytest-optbench[plot]'" in report.note
    assert "pip install 'pytest-optbench[plot]'" in (tmp_path / "report.md").read_text()
    assert "pip install 'pytest-optbench[plot]'" in html.unescape((tmp_path / "index.html").read_text())


def test_a_run_that_compares_nothing_says_so_loudly(pytester):
    pytester.makefile(".yaml", loose=TINY.replace("  converge: {criterion: distance, tol: 1e-2}",
                                                  "  converge: {criterion: distance, tol: 1e-2}\n"
                                                  "  expect: {converged_fraction: {min: 0.0}}"))
    result = pytester.runpytest("loose.yaml", "--optbench-report", "report")
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.OK  # the suite asks for no baseline: none was expected
    result.stdout.fnmatch_lines(["NOTHING WAS COMPARED WITH A STORED BASELINE*not a regression gate."])
    assert "NOTHING WAS COMPARED" in (pytester.path / "report" / "report.md").read_text()
    assert '<p class="warning">NOTHING WAS COMPARED' in (pytester.path / "report" / "index.html").read_text()


def test_a_run_where_no_case_ran_says_so_loudly(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    deselected = pytester.runpytest("--optbench", "tiny.yaml", "-k", "nothing_matches",
                                    "--optbench-report", "report")
    deselected.stdout.fnmatch_lines(["NO CASE RAN: 0 optbench cases were selected*"])
    assert "NO CASE RAN" in (pytester.path / "report" / "report.md").read_text()
    assert '<p class="warning">NO CASE RAN' in (pytester.path / "report" / "index.html").read_text()
    import torch

    if not torch.cuda.is_available():
        pytester.makefile(".yaml", gpu=TINY.replace("seeds: [0, 1]", "seeds: [0, 1]\ndevice: cuda"))
        skipped = pytester.runpytest("gpu.yaml")
        skipped.stdout.fnmatch_lines(["NO CASE RAN: 4 skipped (the case asks for cuda, but CUDA is "
                                      "not available here). Nothing was checked."])
        assert skipped.ret == pytest.ExitCode.TESTS_FAILED  # a CI gate that checked nothing
        allowed = pytester.runpytest("gpu.yaml", "--optbench-allow-unchecked")
        assert allowed.ret == pytest.ExitCode.OK


def test_collect_only_and_collection_errors_print_no_run_warnings(pytester):
    pytester.makefile(".yaml", tiny=TINY, broken="optbench: 1\noptimizers: [\n")
    listed = pytester.runpytest("tiny.yaml", "--co", "-q")
    assert listed.ret == pytest.ExitCode.OK and "NO CASE RAN" not in listed.stdout.str()
    broken = pytester.runpytest("broken.yaml")
    assert broken.ret == pytest.ExitCode.INTERRUPTED
    assert "invalid YAML" in broken.stdout.str() and "NO CASE RAN" not in broken.stdout.str()


def test_the_terminal_table_fits_100_columns_and_columns_can_be_chosen(pytester):
    long_name = "a-rather-long-optimizer-name-for-a-table"
    pytester.makefile(".yaml", wide=TINY.replace("adam:", f"{long_name}:"))
    pytester.runpytest("wide.yaml", "--optbench-update-baselines")
    result = pytester.runpytest("wide.yaml")
    table = result.stdout.str().split("= optbench =")[1].split("optbench:")[0]
    assert max(len(line) for line in table.splitlines()) <= 100
    assert "…" in table and "[a-rather-long" not in table.split("…")[0][-5:]
    chosen = pytester.runpytest("wide.yaml", "--optbench-columns", "case,status")
    chosen.stdout.fnmatch_lines(["case * status"])
    chosen_table = chosen.stdout.str().split("= optbench =")[1]
    header = next(line for line in chosen_table.splitlines() if line.startswith("case"))
    assert "baseline" not in header and "delta" not in chosen_table
    bad = pytester.runpytest("wide.yaml", "--optbench-columns", "case,colour")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR


def test_verbose_shows_per_seed_values(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines")
    result = pytester.runpytest("tiny.yaml", "-v")
    result.stdout.fnmatch_lines(["case * metric * value * baseline * delta * limit * status * per seed",
                                 "booth[[]sgd[]] * converged_fraction * pass * 0.5 0.75"])


def _failing_case(index: int) -> CaseResult:
    row = Row(f"p[opt{index}]", "final_loss", 2.0, 1.0, 1.0, "<= 1.5", Status.REGRESSION,
              compared=True)
    return CaseResult("s", "s.yaml", f"p[opt{index}]", f"s.yaml::p[opt{index}]", 1, index, None,
                      "analytic", "p", f"opt{index}", "X", "h", {}, {}, None, "b.json", False,
                      Outcome.FAILED, [row])


def test_no_row_is_dropped_from_a_long_markdown_or_html_report(tmp_path):
    from pytest_optbench.report.html import html_report
    from pytest_optbench.report.markdown import markdown_report

    cases = [_failing_case(i) for i in range(250)]
    text = markdown_report(cases)
    assert all(f"| p[opt{i}] |" in text for i in range(250))
    assert "50 more rows that need attention" in text
    page = html_report(cases, [], [], tmp_path)
    assert page.count("<td>p[opt") == 250


ISOLATIONS = """\
optbench: 1
suite: isolations
seeds: [0, 1]
defaults: {starts: 4, steps: 40}
optimizers:
  adam: {class: Adam, lr: 0.1}
  global-norm: {class: "optbench_testing:GlobalNormSGD", lr: 0.05}
  noisy: {class: "optbench_testing:NoisySGD", lr: 0.01}
  ignores-closure: {class: "optbench_testing:ClosureIgnoringSGD", lr: 0.01}
problems:
  booth: {function: booth}
  sphere: {function: sphere, dim: 3}
"""


def test_the_start_isolation_each_optimizer_ran_under_is_shown(pytester):
    """The terminal gives the count by isolation; -v and the report give each optimizer's."""
    pytester.makefile(".yaml", isolations=ISOLATIONS)
    quiet = pytester.runpytest("isolations.yaml", "--optbench-update-baselines")
    quiet.assert_outcomes(passed=8)
    note = quiet.stdout.str().split("start isolation (verified exact)")[1].split("optbench:")[0]
    assert " ".join(note.split()).startswith(
        "of 8 analytic cases: shared-tensor 4, optimizer-per-start 4; 2 seeded start by start "
        "(the optimizer draws random numbers); 2 stepped on gradients computed first (step "
        "ignored its closure); probe ")
    assert max(len(line) for line in note.splitlines()) <= 100
    assert "How each optimizer ran" not in quiet.stdout.str()
    shown = pytester.runpytest("isolations.yaml", "-v", "--optbench-report", "report")
    shown.stdout.fnmatch_lines(["*adam*shared-tensor (probed)*closure*2*",
                                "*global-norm*optimizer-per-start (probed)*closure*2*"])
    text = (pytester.path / "report" / "report.md").read_text()
    assert "### How each optimizer ran" in text
    assert ("| noisy | optbench_testing:NoisySGD | optimizer-per-start (probed); the optimizer "
            "draws random numbers, so each start is seeded alone | closure | 2 |") in text
    assert ("| ignores-closure | optbench_testing:ClosureIgnoringSGD | shared-tensor (probed) | "
            "gradients before step (closure ignored) | 2 |") in text


def test_metrics_reach_junitxml_as_properties(pytester):
    import xml.etree.ElementTree as ElementTree

    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines")
    pytester.runpytest("tiny.yaml", "--junitxml", "out.xml").assert_outcomes(passed=4)
    cases = {case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
             for case in ElementTree.parse(pytester.path / "out.xml").iter("testcase")}
    adam = cases["booth[adam]"]
    assert adam["optbench_status"] == "passed"
    assert adam["optbench_converged_fraction_status"] == "pass"
    assert float(adam["optbench_converged_fraction_value"]) == float(
        adam["optbench_converged_fraction_baseline"])
    assert {"optbench_final_loss_value", "optbench_trajectory_status"} <= set(adam)


@pytest.mark.slow
def test_metrics_reach_junitxml_under_xdist(pytester):
    import xml.etree.ElementTree as ElementTree

    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines")
    pytester.runpytest_subprocess("tiny.yaml", "-n", "2", "--junitxml", "out.xml").assert_outcomes(passed=4)
    properties = [p.get("name") for p in ElementTree.parse(pytester.path / "out.xml").iter("property")]
    assert properties.count("optbench_status") == 4 and "optbench_distance_value" in properties


def test_the_html_names_where_the_run_and_its_baselines_come_from(reported):
    pytester, _ = reported
    page = (pytester.path / "report" / "index.html").read_text()
    assert "Provenance: this run and its baselines" in page
    block = page.split("Provenance: this run and its baselines", 1)[1].split("</details>", 1)[0]
    assert "this run" in block and "baseline" in block and "CPU kernel path" in block
    import torch

    assert torch.__version__ in block
    markdown = (pytester.path / "report" / "report.md").read_text()
    assert "| this run |" in markdown and "| baseline |" in markdown
