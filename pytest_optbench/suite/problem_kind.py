"""What the suite builder needs of a kind of problem. The kinds themselves live in
`pytest_optbench.kinds`; the builder meets them only through `BuildContext.kinds`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from pytest_optbench.gate.expectations import Expectation
from pytest_optbench.suite.errors import Finding
from pytest_optbench.suite.loader import Document, KeyPath

if TYPE_CHECKING:
    from pytest_optbench.suite.build import BuildContext
    from pytest_optbench.suite.cases import OptimizerConfig
    from pytest_optbench.suite.optimizers import ResolvedOptimizer
    from pytest_optbench.suite.spec import CommonFields, SuiteHeader


@dataclass(frozen=True)
class ValidProblem:
    """A problem that validated: its configurations, by variant, and what it expects."""

    configs: dict[str, Any]            # variant ("" for the only one) -> frozen configuration
    spec: CommonFields                 # the fields every kind shares (optimizers, overrides...)
    expect: dict[str, Expectation]
    dim: int | None = None             # coordinates that parameter groups split, if any
    # Parameter shapes like the problem's own, to construct each optimizer on once at
    # collection: a model's conv kernel, weight matrix and bias unless the kind says otherwise.
    trial_shapes: tuple[tuple[int, ...], ...] = ((4, 3, 3, 3), (8, 4), (4,))


@dataclass(frozen=True)
class GroupRule:
    """How an optimizer's parameter groups pick their parameters on this kind of problem."""

    key: str                           # "dims" (coordinates) or "match" (parameter names)
    dim: int | None = None             # for "dims": the problem's dimension


class ProblemKind(Protocol):
    """One kind of problem as the suite builder sees it."""

    name: str                          # "analytic": the marker and the kind in results
    marker: str                        # the problem field that makes a problem this kind
    title: str                         # what that field means, for error messages
    fields: type[BaseModel]            # every field a problem of this kind may set

    def validate_problem(self, doc: Document, path: KeyPath, raw: dict[str, Any],
                      header: SuiteHeader | None, context: BuildContext,
                      findings: list[Finding]) -> ValidProblem | None:
        """Validate one problem (defaults and tier merged); None, with `findings` extended."""
        ...

    def group_rule(self, valid: ValidProblem) -> GroupRule | None:
        """How groups pick parameters; None where a problem has nothing to group."""
        ...

    def variants(self, doc: Document, path: KeyPath, key: str, valid: ValidProblem,
                 optimizer: ResolvedOptimizer, config: OptimizerConfig,
                 findings: list[Finding]) -> list[tuple[str, Any]]:
        """(test id, problem configuration) pairs of one optimizer configuration."""
        ...
