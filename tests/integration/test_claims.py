"""A suite's claims, end to end: checked at the end of the run, in the terminal, results.json
and the report; a contradicted claim fails the run; errors in claims are located."""

import json

import pytest

SUITE = """\
optbench: 1
suite: claimed
seeds: [0, 1]
defaults:
  starts: 8
  steps: 150
  converge: {{criterion: distance, tol: 1e-2}}
optimizers:
  fast: {{class: SGD, lr: 0.05}}
  slow: {{class: SGD, lr: 0.0005}}
problems:
  booth: {{function: booth}}
claims:
  fast-wins:
    says: "{says}"
    measure: final_loss
    better: {better}
    than: {than}
{extra}"""


def suite(pytester, better="fast", than="slow", says="the larger step gets lower", extra=""):
    pytester.makefile(".yaml", claimed=SUITE.format(better=better, than=than, says=says,
                                                    extra=extra))


def test_a_claim_that_holds_is_shown_and_the_run_passes(pytester):
    suite(pytester)
    result = pytester.runpytest_subprocess("claimed.yaml", "--optbench-json", "out.json",
                                           "--optbench-update-baselines", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*claim*measure*verdict*status*", "*fast-wins*final_loss*holds*pass*"])
    assert result.ret == 0
    [stored] = json.loads((pytester.path / "out.json").read_text())["claims"]
    assert stored["verdict"] == "holds" and stored["claim"]["line"] == 14


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_a_reversed_ordering_fails_the_run_with_both_sides_numbers(pytester, workers):
    suite(pytester, better="slow", than="fast", says="the smaller step gets lower")
    result = pytester.runpytest_subprocess("claimed.yaml", "--optbench-update-baselines",
                                           "-p", "no:cacheprovider", *workers)
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "*CLAIM FAILED: claim fast-wins (claimed.yaml:14) contradicted: \"the smaller step gets "
        "lower\"; final_loss: slow * (2 seeds) against fast * (2 seeds): the other way by *"])
    # Every case passed its own gate: the claim alone failed the run.
    result.assert_outcomes(passed=2)


def test_a_claim_expected_contradicted_passes_and_says_why(pytester):
    suite(pytester, better="slow", than="fast", extra="    expected: contradicted\n"
                                                      "    because: measured, the smaller step lags\n")
    result = pytester.runpytest_subprocess("claimed.yaml", "--optbench-update-baselines",
                                           "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*fast-wins*contradicted*expected contradicted*"])
    assert result.ret == 0


def test_a_claim_whose_cases_are_deselected_is_not_checked(pytester):
    suite(pytester, better="slow", than="fast")
    result = pytester.runpytest_subprocess("claimed.yaml", "-k", "fast", "--optbench-update-baselines",
                                           "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*fast-wins*not checked*"])
    assert result.ret == 0


@pytest.mark.parametrize("extra,better,line", [
    ("", "fastt", "*claimed.yaml:17: claims.fast-wins.better: found unknown optimizer 'fastt'; "
                  "expected one of fast, slow, or 'rest'*did you mean 'fast'?*"),
    ("    of: fast\n    below: 1.0\n", "fast",
     "*claimed.yaml:14: claims.fast-wins: found both a comparison and a bound*"),
    ("    expected: contradicted\n", "fast",
     "*claims.fast-wins.expected: found 'contradicted' without 'because:'*"),
    ("    measure: final_los\n", "fast", "*"),
])
def test_errors_in_a_claim_are_located(pytester, extra, better, line):
    text = SUITE.format(better=better, than="slow", says="x", extra=extra)
    if "final_los\n" in extra:
        text = text.replace("    measure: final_loss\n", "", 1)
        line = "*claims.fast-wins.measure: found unknown measure 'final_los'*did you mean 'final_loss'?*"
    pytester.makefile(".yaml", claimed=text)
    result = pytester.runpytest("claimed.yaml", "-p", "no:cacheprovider")  # collection only
    result.stdout.fnmatch_lines([line])
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_a_report_redrawn_from_a_results_file_judges_its_claims_again(pytester, capsys):
    from pytest_optbench.cli import main

    suite(pytester, better="slow", than="fast", says="the smaller step gets lower")
    pytester.runpytest("claimed.yaml", "--optbench-json", "out.json",
                       "--optbench-update-baselines", "-p", "no:cacheprovider")
    assert main(["report", str(pytester.path / "out.json"),
                 "--out", str(pytester.path / "again")]) == 0
    capsys.readouterr()
    markdown = (pytester.path / "again" / "report.md").read_text()
    assert "fast-wins" in markdown and "contradicted" in markdown
    redrawn = json.loads((pytester.path / "again" / "results.json").read_text())
    assert [c["verdict"] for c in redrawn["claims"]] == ["contradicted"]
