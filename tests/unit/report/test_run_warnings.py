"""What must not read as a pass: no case ran, or fewer cases reported than were selected."""

from pytest_optbench.gate.record import CaseResult, Outcome, Row, Status
from pytest_optbench.session.record import RunRecord
from pytest_optbench.report.table import run_warnings


def _case(index: int, status: Outcome = Outcome.PASSED) -> CaseResult:
    row = Row(f"p[o{index}]", "final_loss", 1.0, 1.0, 0.0, "<= 1.5", Status.PASS, compared=True)
    return CaseResult("s", "s.yaml", f"p[o{index}]", f"s.yaml::p[o{index}]", 1, index, None,
                      "analytic", "p", f"o{index}", "X", "h", {}, {}, None, "b.json", False,
                      status, [row])


def test_fewer_results_than_selected_cases_is_an_incomplete_run():
    results = [_case(0), _case(1)]
    assert run_warnings(results, selected=2) == []
    warnings = run_warnings(results, selected=5)
    assert warnings == ["INCOMPLETE RUN: 2 of 5 selected optbench cases reported a result; the "
                        "rest were not checked."]


def test_the_results_document_counts_what_ran():
    record = RunRecord(selected=4, complete=False, exitstatus=1)
    for case in (_case(0), _case(1, Outcome.ERROR), _case(2, Outcome.SKIPPED)):
        record.add(case)
    document = record.to_json()
    assert document["reported"] == 3 and document["selected"] == 4
    assert document["counts"] == {"error": 1, "passed": 1, "skipped": 1}
    assert document["complete"] is False
