"""Validation of one contracts problem of a suite -> one configuration per contract."""

from __future__ import annotations

from pytest_optbench.gate.expectations import BaselineCheck, Expectation
from pytest_optbench.kinds.contracts.catalogue import CONTRACTS
from pytest_optbench.kinds.contracts.config import ContractConfig
from pytest_optbench.kinds.contracts.spec import ContractsProblem
from pytest_optbench.suite.errors import Finding, describe, did_you_mean, one_of
from pytest_optbench.suite.loader import Document, KeyPath
from pytest_optbench.suite.problem_kind import ValidProblem
from pytest_optbench.suite.spec import validate

ALL = "all"
IMPLEMENTATIONS = ("foreach", "fused", "capturable")


def validate_contracts_problem(doc: Document, path: KeyPath, raw: dict,
                               findings: list[Finding]) -> ValidProblem | None:
    before = len(findings)
    spec = validate(ContractsProblem, raw, doc, path, findings)
    if spec is None:
        return None
    names = list(CONTRACTS) if spec.contracts == ALL else spec.contracts
    if isinstance(names, str):
        findings.append(doc.finding(path + ("contracts",), describe(names),
                                    f"'{ALL}' or a list of {one_of(CONTRACTS)}",
                                    did_you_mean(names, [*CONTRACTS, ALL])))
        return None
    for index, name in enumerate(names):
        if name not in CONTRACTS:
            findings.append(doc.finding(path + ("contracts", index), f"unknown contract "
                                        f"{describe(name)}", one_of(CONTRACTS),
                                        did_you_mean(str(name), CONTRACTS)))
    bitwise = []
    for index, entry in enumerate(spec.bitwise or ()):
        key, _, flag = entry.rpartition("-")
        if not key or flag not in IMPLEMENTATIONS:
            findings.append(doc.finding(path + ("bitwise", index), describe(entry),
                                        f"'optimizer-implementation', with the implementation "
                                        f"{one_of(IMPLEMENTATIONS)}", "for example 'adam-foreach'"))
        bitwise.append((key, flag))
    if spec.expect and tuple(path) + ("expect",) not in doc.lines:
        # Not written in the problem: it came from `defaults:`, which every problem inherits.
        findings.append(doc.finding(path, f"expectations on a contracts problem, from "
                                    f"`defaults: expect:` ({', '.join(sorted(spec.expect))})",
                                    "none: a contract holds or it does not",
                                    "move `expect:` out of `defaults:` into the problems it is "
                                    "for"))
    elif spec.expect:
        findings.append(doc.finding(path + ("expect",), "expectations on a contracts problem",
                                    "none: a contract holds or it does not"))
    if len(findings) > before:
        return None
    elementwise = tuple(spec.elementwise or ())
    known = tuple(sorted((spec.known or {}).items()))
    configs = {name: ContractConfig(name, elementwise, known, tuple(sorted(set(bitwise))))
               for name in names}
    # Against the baseline too: its entries keep each class's defaults (the `defaults`
    # contract), and a case with none says how to record it.
    expect = {"violations": Expectation(max=0.0, baseline=BaselineCheck())}
    return ValidProblem(configs, spec, expect, trial_shapes=((4, 3),))
