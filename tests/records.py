"""Case results made by hand, for tests of what reads them (merge, conclude, the report)."""

from pytest_optbench.gate.record import CaseResult, Outcome, Row, Status


def case_result(case: str, status: Outcome = Outcome.PASSED, suite_file: str = "s.yaml") -> CaseResult:
    """A passing analytic case 'problem[optimizer]' of suite 's', one metric compared."""
    row = Row(case, "final_loss", 1.0, 1.0, 0.0, "<= 1.5", Status.PASS, compared=True)
    problem, optimizer = case[:-1].split("[")
    return CaseResult("s", suite_file, case, f"{suite_file}::{case}", 1, 0, None, "analytic",
                      problem, optimizer, "X", "h", {}, {}, None, "b.json", False, status, [row])
