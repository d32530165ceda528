"""Claims as a table of the terminal summary and the reports."""

from __future__ import annotations

from typing import Sequence

from pytest_optbench.gate.claims import ClaimVerdict
from pytest_optbench.report.section import Section


def claims_section(verdicts: Sequence[ClaimVerdict]) -> list[Section]:
    if not verdicts:
        return []
    rows = []
    for v in verdicts:
        detail = v.reason if not v.comparisons else "; ".join(c.text for c in v.comparisons)
        rows.append([v.claim.name, v.claim.says, v.claim.describe_measure(), v.verdict,
                     detail, v.status()])
    return [Section("Claims", ["claim", "says", "measure", "verdict", "numbers", "status"], rows,
                    ["claim", "measure", "verdict", "status"],
                    notes=["A claim holds when its side leads by more than the margin: its own "
                           "plus twice the standard error over seeds; within the margin it is "
                           "neither shown nor contradicted. Only a contradicted claim fails "
                           "(or one the suite expects contradicted that no longer is)."])]
