"""The report's statement of its own power: per suite and seed-noisy metric, the smallest
change the seed comparison detects with 90% probability."""

from __future__ import annotations

import statistics
from typing import Sequence

from pytest_optbench.gate.metrics import format_with_unit
from pytest_optbench.gate.record import CaseResult
from pytest_optbench.report.section import Section

HEADERS = ["suite", "metric", "cases", "seeds (new+stored)", "false alarms per metric",
           "detectable at 90%", "median detectable change"]


def sensitivity_section(results: Sequence[CaseResult]) -> list[Section]:
    groups: dict[tuple[str, str], list[dict]] = {}
    for result in results:
        for metric, found in (result.details.get("sensitivity") or {}).items():
            groups.setdefault((result.suite, metric), []).append(found)
    rows = []
    for (suite, metric), found in sorted(groups.items()):
        seeds = sorted({f"{f['seeds'][0]}+{f['seeds'][1]}" for f in found})
        alphas = sorted({f"{f['alpha']:.2g}" for f in found})
        in_sd = [f["detectable_sd"] for f in found]
        sd_text = f"{min(in_sd):.2f} sd" if min(in_sd) == max(in_sd) else \
            f"{min(in_sd):.2f}..{max(in_sd):.2f} sd"
        change = statistics.median(f["detectable"] for f in found)
        rows.append([suite, metric, str(len(found)), ", ".join(seeds), ", ".join(alphas),
                     sd_text, format_with_unit(change, found[0].get("unit", ""))])
    if not rows:
        return []
    notes = ["A seed-noisy metric is compared with the spread of its stored seeds (Student's t "
             "at the false-alarm rate); a change smaller than the detectable one (in standard "
             "deviations of one seed, and in the metric's units at the median spread) is missed "
             "more than 1 time in 10. More seeds, new or stored, make it smaller. "
             "Deterministic metrics (analytic cases, trajectories) have no such limit: any "
             "change beyond their tolerance fails."]
    return [Section("Sensitivity", HEADERS, rows, HEADERS[:2] + HEADERS[3:6], notes,
                    terminal=False)]
