"""A suite file -> validated cases, with every error in the file reported at once.

The builder knows no kind of problem itself: `BuildContext.kinds` says which kinds exist, and
each validates its own problems.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from pydantic import BaseModel

from pytest_optbench.suite.cases import Case
from pytest_optbench.suite.errors import Finding, SuiteError, describe, did_you_mean, one_of
from pytest_optbench.suite.expand import SuiteScope, problem_cases
from pytest_optbench.suite.loader import Document, KeyPath, load_file
from pytest_optbench.suite.requirements import missing_requirements, unavailable_entry
from pytest_optbench.suite.optimizers import validate_entry
from pytest_optbench.suite.problem_kind import ProblemKind
from pytest_optbench.suite.spec import MAX_CASES, MAX_NAME, NAME_PATTERN, SuiteHeader, validate

NO_TIER = "none"


def _cpu(device: str) -> str:
    return "cpu"


@dataclass(frozen=True)
class BuildContext:
    """What building a suite needs to know about the run."""

    kinds: Sequence[ProblemKind] = ()              # the kinds of problem that exist
    tier: str | None = None                        # None: the tier named after the device type
    device_type_for: Callable[[str], str] = _cpu   # the suite's device -> its type
    dataset_folders: frozenset[str] = frozenset()  # datasets given as ImageFolder copies


@dataclass(frozen=True)
class Suite:
    name: str
    file: str           # as shown to the user, relative to the rootdir
    description: str | None
    device: str
    tier: str | None
    cases: tuple[Case, ...] = field(default=())
    name_line: int = 1  # where `suite:` is written, for an error about the name
    claims: tuple[Any, ...] = ()   # pytest_optbench.gate.claims.Claim
    tiers: tuple[str, ...] = ()    # every tier the suite or its problems name


def load_suite(path: str | Path, display: str | None = None,
               context: BuildContext = BuildContext()) -> Suite:
    """Load and validate a suite file. Raises SuiteError listing every error in it."""
    path = Path(path)
    doc = load_file(str(path), display or str(path))
    return build_suite(doc, path.stem, context)


def build_suite(doc: Document, default_name: str, context: BuildContext = BuildContext()) -> Suite:
    findings: list[Finding] = []
    data = doc.data
    if not isinstance(data, dict):
        raise SuiteError([doc.finding((), describe(data),
                                      "a mapping that starts with 'optbench: 1'")])
    header = validate(SuiteHeader, data, doc, (), findings)
    raw_optimizers = _mapping(data.get("optimizers"))
    raw_problems = _mapping(data.get("problems"))
    _validate_names(doc, raw_optimizers, raw_problems, findings)
    missing = missing_requirements(header.requires if header else None)
    optimizers = {key: (unavailable_entry(key, raw, missing) or validate_entry(doc, key, raw, findings))
                  for key, raw in raw_optimizers.items() if isinstance(raw, dict)}
    any_fields = _any_kind_fields(tuple(k.fields for k in context.kinds))
    defaults = _valid_fields(doc, ("defaults",), _mapping(data.get("defaults")), any_fields,
                             findings)
    suite_tiers = {name: _valid_fields(doc, ("tiers", name), _mapping(raw), any_fields, findings)
                   for name, raw in _mapping(data.get("tiers")).items()}
    tier = _choose_tier(doc, context, header, suite_tiers, raw_problems, findings)
    seeds = list(header.seeds) if header else [0]
    if len(set(seeds)) != len(seeds):
        findings.append(doc.finding(("seeds",), describe(seeds), "distinct seeds"))
    scope = SuiteScope(doc, header.suite if header and header.suite else default_name, header,
                       optimizers, tuple(seeds), tier, context, findings)
    cases: list[Case] = []
    for key, raw in raw_problems.items():
        if isinstance(raw, dict):
            layers = _layers(doc, key, raw, defaults, suite_tiers, tier, any_fields, context,
                             findings)
            cases.extend(problem_cases(scope, key, raw, layers))
            if len(cases) > MAX_CASES:
                raise SuiteError([*findings, doc.finding(
                    ("problems",), f"more than {MAX_CASES:,} cases (at problem '{key}')",
                    f"at most {MAX_CASES:,} cases in one suite",
                    "split the suite into several files")])
    _validate_problem_lists(doc, optimizers, raw_problems, findings)
    _validate_unique_ids(doc, cases, findings)
    claims = _claims(doc, data.get("claims"), raw_optimizers, raw_problems, cases, context, findings)
    if findings:
        raise SuiteError(findings)
    assert header is not None
    cases = [dataclasses.replace(case, order=index) for index, case in enumerate(cases)]
    return Suite(scope.name, doc.file, header.description, header.device, tier, tuple(cases),
                 doc.line_of(("suite",)) or 1, claims, _tier_names(suite_tiers, raw_problems))


def _claims(doc: Document, raw: Any, optimizers: dict[str, Any], problems: dict[str, Any],
            cases: list[Case], context: BuildContext, findings: list[Finding]) -> tuple[Any, ...]:
    from pytest_optbench.suite.claims import validate_claims

    used = {case.kind for case in cases}
    metrics = {name: metric.higher_is_better for k in context.kinds if k.name in used
               for name, metric in getattr(k, "metrics", {}).items()}
    return validate_claims(doc, raw, optimizers, problems, metrics, findings)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _validate_names(doc: Document, raw_optimizers: dict[str, Any], raw_problems: dict[str, Any],
                 findings: list[Finding]) -> None:
    for section, names in (("optimizers", raw_optimizers), ("problems", raw_problems)):
        for name in names:
            if not re.match(NAME_PATTERN, name):
                findings.append(doc.finding((section, name), f"the name '{name}'",
                                            "letters, digits and . _ + - (names become test ids)"))
            elif len(name) > MAX_NAME:
                findings.append(doc.finding((section, name), f"a name of {len(name)} characters",
                                            f"at most {MAX_NAME} (names become parts of file "
                                            f"names, which have at most 255 bytes)"))


def _validate_problem_lists(doc: Document, optimizers: dict[str, Any], raw_problems: dict[str, Any],
                         findings: list[Finding]) -> None:
    """An optimizer's `problems:` names problems of the suite."""
    for opt_key, opt in optimizers.items():
        for name in (opt.problems or []) if opt else []:
            if name not in raw_problems:
                findings.append(doc.finding(("optimizers", opt_key, "problems"),
                                            f"unknown problem '{name}'", one_of(raw_problems),
                                            did_you_mean(name, raw_problems)))


def _validate_unique_ids(doc: Document, cases: list[Case], findings: list[Finding]) -> None:
    seen: set[str] = set()
    for case in cases:
        if case.case_id in seen:
            findings.append(doc.finding(("problems", case.problem_key),
                                        f"the test id '{case.case_id}' twice",
                                        "distinct ids; grid values that format alike collide"))
        seen.add(case.case_id)


@functools.lru_cache(maxsize=None)
def _any_kind_fields(models: tuple[type[BaseModel], ...]) -> type[BaseModel]:
    """`defaults:` and tiers may set any field of any kind of problem: one model of them all."""
    if not models:
        from pytest_optbench.suite.spec import CommonFields

        return CommonFields
    combined: type[BaseModel] = type("ProblemDefaults", models, {
        "__doc__": "`defaults:` and tiers: any field of any kind of problem."})
    return combined


def _valid_fields(doc: Document, path: KeyPath, raw: dict[str, Any], model: type[BaseModel],
                  findings: list[Finding]) -> dict[str, Any]:
    """Problem fields given outside a problem (defaults, tiers): only the keys that validate
    are kept, and their errors are reported once, where they are written."""
    if not raw:
        return {}
    if validate(model, raw, doc, path, findings) is not None:
        return raw
    return {key: value for key, value in raw.items()
            if validate(model, {key: value}, doc, path, []) is not None}


def _choose_tier(doc: Document, context: BuildContext, header: SuiteHeader | None,
                 suite_tiers: dict[str, Any], raw_problems: dict[str, Any],
                 findings: list[Finding]) -> str | None:
    names = set(_tier_names(suite_tiers, raw_problems))
    if context.tier == NO_TIER:
        return None
    if context.tier is not None:
        if context.tier not in names:
            findings.append(doc.finding(("tiers",), f"no tier '{context.tier}' (--optbench-tier)",
                                        one_of(names) if names else "a suite that defines tiers",
                                        did_you_mean(context.tier, names)))
        return context.tier
    automatic = context.device_type_for(header.device if header else "auto")
    return automatic if automatic in names else None


def _tier_names(suite_tiers: dict[str, Any], raw_problems: dict[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(set(suite_tiers) | {name for raw in raw_problems.values()
                                            if isinstance(raw, dict)
                                            for name in _mapping(raw.get("tiers"))}))


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """`top` over `base`; expectations merge metric by metric."""
    merged = {**base, **top}
    if isinstance(base.get("expect"), dict) and isinstance(top.get("expect"), dict):
        merged["expect"] = {**base["expect"], **top["expect"]}
    return merged


def _layers(doc: Document, key: str, raw: dict[str, Any], defaults: dict[str, Any],
            suite_tiers: dict[str, Any], tier: str | None, any_fields: type[BaseModel],
            context: BuildContext, findings: list[Finding]) -> dict[str, Any]:
    """The problem's fields: defaults, then its own, then the tier's (suite's, then its own)."""
    kind = next((k for k in context.kinds if k.marker in raw), None)
    own = kind.fields.model_fields if kind else None

    def this_kind(fields: dict[str, Any]) -> dict[str, Any]:
        # Shared defaults and tiers may hold fields of other kinds of problem: not for this one.
        return {k: v for k, v in fields.items() if own is None or k in own}

    own_tiers = {name: _valid_fields(doc, ("problems", key, "tiers", name), _mapping(value),
                                     any_fields, findings)
                 for name, value in _mapping(raw.get("tiers")).items()}
    merged = _merge(this_kind(defaults), {k: v for k, v in raw.items() if k != "tiers"})
    if tier is not None:
        merged = _merge(merged, this_kind(suite_tiers.get(tier, {})))
        merged = _merge(merged, this_kind(own_tiers.get(tier, {})))
    return merged
