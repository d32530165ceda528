"""The contracts table of a report: optimizer by contract, pass, broken or not applicable."""

from __future__ import annotations

from pytest_optbench.gate.record import CaseResult, Outcome
from pytest_optbench.report.section import Section


def contract_table(results: list[CaseResult]) -> list[Section]:
    cells: dict[str, dict[str, str]] = {}
    contracts: list[str] = []
    for result in results:
        name = result.case.rsplit("[", 1)[-1].rstrip("]").removeprefix(result.optimizer + "-")
        if name not in contracts:
            contracts.append(name)
        mark = {Outcome.PASSED: "pass", Outcome.SKIPPED: "n/a", Outcome.FAILED: "BROKEN"}.get(
            result.status, str(result.status).upper())
        if result.status is Outcome.SKIPPED and (result.reason or "").startswith("KNOWN PROBLEM"):
            mark = "known"
        cells.setdefault(result.optimizer, {})[name] = mark
    if not cells:
        return []
    rows = [[optimizer, *(row.get(name, "") for name in contracts)] for optimizer, row in cells.items()]
    headers = ["optimizer", *contracts]
    return [Section("Contracts", headers, rows, headers, terminal=False,
                    notes=["n/a: the contract does not apply to the class; known: the class "
                           "breaks it, as the suite declares under 'known:'; the case's skip "
                           "reason says why (-rs shows it)."])]
