"""What the kinds add to the terminal summary and the reports: the one place that sorts results
by kind and hands each kind its own."""

from __future__ import annotations

from typing import Any, Sequence

from pytest_optbench.gate.record import CaseResult
from pytest_optbench.report.section import Contributions, Section


def _by_kind(results: Sequence[CaseResult]) -> dict[str, list[CaseResult]]:
    from pytest_optbench.kinds import REGISTRY

    groups: dict[str, list[CaseResult]] = {}
    for result in results:
        if result.kind in REGISTRY:
            groups.setdefault(result.kind, []).append(result)
    return groups


def sections(results: Sequence[CaseResult]) -> list[Section]:
    from pytest_optbench.kinds import kind
    from pytest_optbench.report.detection import power_sections
    from pytest_optbench.report.envelopes import envelope_section
    from pytest_optbench.report.sensitivity import sensitivity_section

    return [s for name, members in _by_kind(results).items()
            for s in kind(name).sections(members)] + sensitivity_section(results) + \
        power_sections(results) + envelope_section(results)


def notes(results: Sequence[CaseResult]) -> list[str]:
    from pytest_optbench.kinds import kind
    from pytest_optbench.report.detection import power_notes
    from pytest_optbench.report.envelopes import notes as envelope_notes

    return [n for name, members in _by_kind(results).items()
            for n in kind(name).notes(members)] + envelope_notes(results) + power_notes(results)


def figures(results: Sequence[CaseResult], styles: Any) -> list[Any]:
    from pytest_optbench.kinds import kind

    return [f for name, members in _by_kind(results).items()
            for f in kind(name).figures(members, styles)]


def contributions(claims: Sequence[Any] = ()) -> Contributions:
    """The kinds' tables, notes and figures, and the table of the suites' claims."""
    if not claims:
        return Contributions(sections=sections, notes=notes, figures=figures)
    from pytest_optbench.report.claims import claims_section

    return Contributions(sections=lambda results: claims_section(claims) + sections(results),
                         notes=notes, figures=figures)
