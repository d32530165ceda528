"""`claims:` of a suite file: its fields, and their validation into Claims, with located
errors for what does not fit the suite."""

from __future__ import annotations

import re
from typing import Annotated, Any, Iterable, Literal, Mapping, Union

from pydantic import Field

from pytest_optbench.gate.claims import Claim
from pytest_optbench.gate.expectations import StrictModel
from pytest_optbench.suite.errors import Finding, did_you_mean, one_of
from pytest_optbench.suite.loader import Document, KeyPath
from pytest_optbench.suite.spec import NAME_PATTERN, validate

REST = "rest"   # every other optimizer of the suite


class EpochsTo(StrictModel):
    epochs_to: Annotated[float, Field(gt=0, le=1)]      # epochs until test accuracy >= this


class GainOverLast(StrictModel):
    gain_over_last: Annotated[int, Field(gt=0)]         # test-accuracy gain over the last N evaluations


Measure = Union[str, EpochsTo, GainOverLast]


class ClaimEntry(StrictModel):
    says: Annotated[str, Field(min_length=1)]           # the claim, in the article's words
    measure: Measure                                    # a metric, best_epoch, or one of the above
    problem: str | None = None                          # the suite's only problem by default
    better: Union[list[str], str] | None = None         # optimizers (or "rest") that beat ...
    than: Union[list[str], str] | None = None           # ... each of these (or "rest")
    of: str | None = None                               # one optimizer's own value against ...
    below: float | None = None                          # ... an upper bound, or
    above: float | None = None                          # ... a lower bound
    margin: Annotated[float, Field(ge=0)] = 0.0         # added to the seed-aware margin
    expected: Literal["holds", "contradicted"] = "holds"
    because: str | None = None                          # why a claim is expected contradicted



def validate_claims(doc: Document, raw: Any, optimizers: Iterable[str], problems: Iterable[str],
                    metrics: Mapping[str, bool], findings: list[Finding]) -> tuple[Claim, ...]:
    """`metrics`: each metric of the suite's cases -> whether more is better."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        return ()   # the suite's header says that it must be a mapping
    optimizers, problems = list(optimizers), list(problems)
    claims = []
    for name, entry in raw.items():
        path = ("claims", name)
        spec = validate(ClaimEntry, entry, doc, path, findings)
        if spec is None:
            continue
        claim = _claim(doc, path, str(name), spec, optimizers, problems, metrics, findings)
        if claim is not None:
            claims.append(claim)
    return tuple(claims)


def _claim(doc: Document, path: KeyPath, name: str, spec: ClaimEntry, optimizers: list[str],
           problems: list[str], metrics: Mapping[str, bool], findings: list[Finding]) -> Claim | None:
    before = len(findings)
    if not re.match(NAME_PATTERN, name):
        findings.append(doc.finding(path, f"the name '{name}'", "letters, digits and . _ + -"))
    problem = spec.problem
    if problem is None:
        if len(problems) != 1:
            findings.append(doc.finding(path, "no 'problem:'", f"the problem the claim is about, "
                                        f"{one_of(problems)} (the suite has several)"))
    elif problem not in problems:
        findings.append(doc.finding(path + ("problem",), f"unknown problem '{problem}'",
                                    one_of(problems), did_you_mean(problem, problems)))
    measure, argument = _measure(doc, path, spec, metrics, findings)
    pairwise = spec.better is not None or spec.than is not None
    bounded = spec.of is not None or spec.below is not None or spec.above is not None
    if pairwise == bounded:
        findings.append(doc.finding(path, "both a comparison and a bound" if pairwise else
                                    "neither a comparison nor a bound",
                                    "'better:' and 'than:' (optimizers), or 'of:' with 'below:' "
                                    "or 'above:'"))
    better = _names(doc, path + ("better",), spec.better, optimizers, findings)
    than = _names(doc, path + ("than",), spec.than, optimizers, findings)
    if pairwise and (spec.better is None or spec.than is None):
        findings.append(doc.finding(path, "a comparison with one side", "both 'better:' and 'than:'"))
    if pairwise and spec.better == REST and spec.than == REST:
        findings.append(doc.finding(path + ("than",), "'rest' on both sides",
                                    "optimizers on at least one side"))
    if better is not None and than is not None:
        if spec.better == REST:
            better = tuple(o for o in optimizers if o not in than)
        if spec.than == REST:
            than = tuple(o for o in optimizers if o not in better)
        both = sorted(set(better) & set(than))
        if both:
            findings.append(doc.finding(path + ("than",), f"{', '.join(both)} on both sides",
                                        "each optimizer on one side"))
    if bounded:
        if spec.of is None or (spec.below is None) == (spec.above is None):
            findings.append(doc.finding(path, "a bound without 'of:', or with both or neither of "
                                        "'below:' and 'above:'", "'of:' and one of 'below:', 'above:'"))
        elif spec.of not in optimizers:
            findings.append(doc.finding(path + ("of",), f"unknown optimizer '{spec.of}'",
                                        one_of(optimizers), did_you_mean(spec.of, optimizers)))
    if spec.expected == "contradicted" and not spec.because:
        findings.append(doc.finding(path + ("expected",), "'contradicted' without 'because:'",
                                    "the measured reason the suite's runs contradict the claim"))
    if len(findings) > before:
        return None
    return Claim(name, doc.file, doc.line_of(path) or 1, spec.says, measure, argument,
                 problem or problems[0], better or (), than or (), spec.of, spec.below, spec.above,
                 spec.margin, spec.expected, spec.because,
                 metrics.get(measure, True))


def _measure(doc: Document, path: KeyPath, spec: ClaimEntry, metrics: Mapping[str, bool],
             findings: list[Finding]) -> tuple[str, float | None]:
    if isinstance(spec.measure, EpochsTo):
        return "epochs_to", spec.measure.epochs_to
    if isinstance(spec.measure, GainOverLast):
        return "gain_over_last", float(spec.measure.gain_over_last)
    known = sorted({*metrics, "best_epoch"})   # the curve measure named by a plain string
    # With no valid case there are no metrics to know: the cases' own errors come first.
    if metrics and spec.measure not in known:
        findings.append(doc.finding(path + ("measure",), f"unknown measure '{spec.measure}'",
                                    f"{one_of(known)}, {{epochs_to: 0.85}} or {{gain_over_last: 5}}",
                                    did_you_mean(spec.measure, known)))
    return spec.measure, None


def _names(doc: Document, path: KeyPath, value: Any, optimizers: list[str],
           findings: list[Finding]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if value == REST:
        return ()
    if isinstance(value, str):
        value = [value]
    unknown = [v for v in value if v not in optimizers]
    for v in unknown:
        findings.append(doc.finding(path, f"unknown optimizer '{v}'",
                                    f"{one_of(optimizers)}, or '{REST}'", did_you_mean(v, optimizers)))
    return None if unknown else tuple(value)
