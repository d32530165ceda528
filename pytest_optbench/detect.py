"""A case's power: the smallest change of its optimizer that its gate detects.

The change is the simplest an optimizer can suffer: every step's update scaled by 1 ± δ (a
learning rate off by δ, in effect). The case runs detuned for growing δ, each run checked
against the stored baseline and its noise envelope exactly as a real run is, until one fails.
A case that never fails within 10% gates nothing an everyday bug would do: its optimizer needs
a case that comes closer to a minimum, or runs longer.
"""

from __future__ import annotations

from typing import Any

from pytest_optbench.gate.checks import BaselineView, check_case
from pytest_optbench.gate.record import FAILING, Status
from pytest_optbench.settings import POWER_DELTAS, OptbenchOptions
from pytest_optbench.suite.cases import Case

# Relative changes of the update tried, smallest first.
DELTAS = POWER_DELTAS
# Not a detection: these say a comparison could not happen, not that it saw a change.
UNSEEN = frozenset({Status.STALE, Status.MISSING, Status.NOT_COMPARABLE})


def smallest_detected(case: Case, seeds: tuple[int, ...], device: Any,
                      options: OptbenchOptions, cache: dict[str, Any], of_kind: Any,
                      baseline: BaselineView) -> dict[str, Any]:
    """{"detected": δ or None, "sign": "+" or "-", "metric": the first failing one, "runs"}."""
    runs = 0
    for delta in DELTAS:
        for sign in (1.0, -1.0):
            runs += 1
            metrics = of_kind.detune(case, seeds, device, options, cache, 1.0 + sign * delta)
            rows = check_case(case.case_id, metrics, case.expect, of_kind.metrics, baseline,
                              known_reason=case.does_not_converge, updating=False,
                              false_alarm_rate=options.false_alarm_rate, seeds=seeds)
            failing = [row.metric for row in rows if row.status in FAILING - UNSEEN]
            if failing:
                return {"detected": delta, "sign": "+" if sign > 0 else "-",
                        "metric": failing[0], "runs": runs}
    return {"detected": None, "runs": runs}
