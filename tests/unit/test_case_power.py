"""A case's power: the smallest change of its optimizer's update that its gate detects."""

import textwrap

from pytest_optbench import Outcome, run_case
from pytest_optbench.api import build_suite
from pytest_optbench.gate.record import CaseResult, Row, Status
from pytest_optbench.gate.recording import write_baselines
from pytest_optbench.report.detection import power_notes, power_sections, weakest_optimizers
from pytest_optbench.suite.loader import load_text

SUITE = textwrap.dedent("""\
    optbench: 1
    suite: power
    seeds: [0]
    optimizers:
      adam: {class: Adam, lr: 0.1}
    problems:
      booth: {function: booth, steps: 60, starts: 4}
    """)


def test_a_smooth_case_detects_a_tenth_of_a_percent(tmp_path):
    case = build_suite(load_text(SUITE, "s.yaml"), "s").cases[0]
    write_baselines([run_case(case, baseline_dir=tmp_path, device="cpu",
                              update_baselines=True).result])
    checked = run_case(case, baseline_dir=tmp_path, device="cpu", power=True)
    assert checked.result.status is Outcome.PASSED   # the measurement never fails the case
    power = checked.result.details["power"]
    assert power["detected"] == 0.001 and power["runs"] <= 2 and power["metric"]


def _result(optimizer: str, case: str, detected: float | None) -> CaseResult:
    result = CaseResult(suite="s", suite_file="s.yaml", case=case, nodeid=f"s.yaml::{case}",
                        line=1, order=0, tier=None, kind="analytic", problem=case.split("[")[0],
                        optimizer=optimizer, optimizer_class="X", config_hash="h", config={},
                        expect={}, does_not_converge=None, baseline_file="b", update=False)
    result.rows = [Row(case, "trajectory", 0.0, None, None, "<= 0.001", Status.PASS)]
    result.details["power"] = {"detected": detected, "runs": 10 if detected is None else 1,
                               **({"sign": "+", "metric": "trajectory"} if detected else {})}
    return result


def test_an_optimizer_without_a_case_that_detects_five_percent_is_reported():
    results = [_result("lion", "booth[lion]", None), _result("lion", "beale[lion]", 0.1),
               _result("adam", "booth[adam]", 0.001)]
    assert weakest_optimizers(results) == [("lion", ["booth[lion]", "beale[lion]"])]
    notes = "\n".join(power_notes(results))
    assert "1 of 3 cases detect a 0.1% change" in notes
    assert "LOW POWER: no case of optimizer lion detects a 5% change" in notes
    per_case, per_optimizer = power_sections(results)
    assert per_case.rows[0][:3] == ["booth[lion]", "lion", "none up to 10%"]   # weakest first
    assert per_optimizer.rows[0][:3] == ["lion", "beale[lion]", "+10%"]
