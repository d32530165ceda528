"""Contracts: promises any optimizer must keep that convergence cannot see (resume, param
groups, defaults, implementations, dtypes, shapes, maximize, untouched parameters, closures,
determinism, sparse gradients, differentiable steps). One case per optimizer and contract."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from pytest_optbench.gate.record import BaselineContext, CaseResult
from pytest_optbench.kinds.base import CaseNotApplicable, GroupRule, KindDefaults, Measured, ValidProblem
from pytest_optbench.kinds.contracts.config import ContractConfig
from pytest_optbench.kinds.contracts.metrics import METRICS
from pytest_optbench.kinds.contracts.spec import ContractsFields

if TYPE_CHECKING:
    from pytest_optbench.settings import OptbenchOptions
    from pytest_optbench.report.section import Section
    from pytest_optbench.suite.build import BuildContext
    from pytest_optbench.suite.cases import Case, OptimizerConfig
    from pytest_optbench.suite.errors import Finding
    from pytest_optbench.suite.loader import Document, KeyPath
    from pytest_optbench.suite.optimizers import ResolvedOptimizer
    from pytest_optbench.suite.spec import SuiteHeader


class ContractsKind(KindDefaults):
    name = "contracts"
    marker = "contracts"
    title = "the contracts to check"
    description = "an optbench case that checks one contract of an optimizer"
    fields = ContractsFields

    def marker_schema(self) -> dict[str, Any]:
        from pytest_optbench.kinds.contracts.catalogue import CONTRACTS

        return {"anyOf": [{"const": "all"},
                          {"type": "array", "items": {"enum": sorted(CONTRACTS)}}],
                "description": "the contracts to check: 'all' or a list"}
    metrics = METRICS
    # A changed default is a change of behaviour to review, not a stale configuration.
    stale_is_change = True

    def validate_problem(self, doc: Document, path: KeyPath, raw: dict[str, Any],
                         header: SuiteHeader | None, context: BuildContext,
                         findings: list[Finding]) -> ValidProblem | None:
        from pytest_optbench.kinds.contracts.validation import validate_contracts_problem

        return validate_contracts_problem(doc, path, raw, findings)

    def group_rule(self, valid: ValidProblem) -> GroupRule | None:
        return None  # the contracts build their own groups

    def variants(self, doc: Document, path: KeyPath, key: str, valid: ValidProblem,
                 optimizer: ResolvedOptimizer, config: OptimizerConfig,
                 findings: list[Finding]) -> list[tuple[str, Any]]:
        return [(f"{key}[{config.label}-{name}]", problem) for name, problem in valid.configs.items()]

    def keywords(self, case: Case) -> set[str]:
        problem = cast(ContractConfig, case.problem)
        return {problem.contract, case.optimizer.key, case.optimizer.class_name, case.suite}

    def measure(self, case: Case, seeds: tuple[int, ...], device: Any,
                options: OptbenchOptions, cache: dict[str, Any], benchmark: Any) -> Measured:
        from pytest_optbench.kinds.contracts.run import check

        problem = cast(ContractConfig, case.problem)
        verdict = check(case, problem, device)
        known = dict(problem.known).get(f"{case.optimizer.key}-{problem.contract}")
        if known and verdict.broken:
            raise CaseNotApplicable(f"KNOWN PROBLEM in the class ({known}): {verdict.broken}")
        if known:
            verdict.broken = (f"the contract holds, though the suite declares it broken ({known}); "
                              f"expected the known problem: remove it from 'known:'")
        if verdict.not_applicable:
            raise CaseNotApplicable(f"not applicable: {verdict.not_applicable}")
        details = {"contract": problem.contract, "promise": verdict.promise,
                   "held": verdict.held, "shapes": verdict.shapes}
        return Measured({"violations": [0.0 if verdict.broken is None else 1.0]},
                        BaselineContext(device.type), verdict.wall_time_s, 0, details=details,
                        identity=verdict.identity, observed=verdict.observed,
                        explanations={"violations": verdict.explanation()} if verdict.broken else {})

    def sections(self, results: list[CaseResult]) -> list[Section]:
        from pytest_optbench.kinds.contracts.section import contract_table

        return contract_table(results)


KIND = ContractsKind()
