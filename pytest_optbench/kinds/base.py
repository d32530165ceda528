"""The Kind protocol: everything the plugin asks of one kind of case, in one place.

A kind validates its own section of a suite (`ProblemKind`, what the suite builder needs),
measures a case, and contributes its own tables and figures to reports. Nothing outside the
kinds package tests which kind a case is: it asks the registry (`pytest_optbench.kinds`) for
the kind by name and calls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, Sequence

from pytest_optbench.gate.metrics import Metric
from pytest_optbench.gate.record import BaselineContext, CaseResult
from pytest_optbench.report.section import Section
from pytest_optbench.suite.problem_kind import ValidProblem, GroupRule, ProblemKind

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from pytest_optbench.settings import OptbenchOptions
    from pytest_optbench.report.plots import Style
    from pytest_optbench.suite.cases import Case

__all__ = ["CaseNotApplicable", "CaseTrouble", "ValidProblem", "Figures", "GroupRule", "Kind", "KindDefaults", "Measured",
           "Replicated", "Section"]


class CaseTrouble(Exception):
    """Expected trouble running a case (data missing or corrupt, out of memory), with a message
    that says it all: the case fails with that message and no traceback."""


class CaseNotApplicable(Exception):
    """The case does not apply to its optimizer (a contract for an option the class lacks): it
    is skipped with this reason, never counted as a pass."""


@dataclass
class Measured:
    """What a kind's run of one case produced, before it is valid."""

    metrics: dict[str, list[Any]]           # metric -> one value (or curve) per seed
    context: BaselineContext                # which stored baselines are comparable
    wall_time_s: float = 0.0
    steps_run: int = 0
    divergence: dict[str, Any] | None = None
    divergence_text: str | None = None      # the DIVERGED line of the failure message
    curves: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)     # the kind's own, as JSON
    provenance: dict[str, Any] = field(default_factory=dict)  # beyond versions and device
    dtype: str = "float32"                  # the precision the case ran in, for provenance
    unmeasured: str | None = None           # it ran, but nothing could be measured: why
    # What the run itself decided that changes its results (a default the class filled in);
    # it joins the case's configuration hash, so that a different decision reads as STALE.
    identity: dict[str, Any] | None = None
    # What the run found about the optimizer or the machine (the start isolation a probe
    # found exact, which kernels agree with the for-loop bitwise): kept in the baseline entry
    # and reported when it differs, never a verdict. Users change configuration; these change
    # with an optimizer's code or a CPU.
    observed: dict[str, Any] | None = None
    # A hash of the run's exact numbers: whether a check reproduced its baseline bitwise.
    fingerprint: str | None = None
    # metric -> the text that explains its failure, where the kind knows more than the numbers
    # (the tensor, step and values that broke a contract).
    explanations: dict[str, str] = field(default_factory=dict)


@dataclass
class Replicated:
    """What a kind's replicas found: samples of the metrics another machine could measure
    (the first `runs` of them whole replica runs), and the metrics at the corners of what the
    starts that end elsewhere under rounding (`free` of `starts`) could do."""

    samples: list[dict[str, list[Any]]]
    runs: int
    corners: list[dict[str, list[Any]]] = field(default_factory=list)
    free: int = 0
    starts: int = 0
    perturbation: str | None = None   # in words, where it differs from the kind's own


# (title, file name, draw): a figure a kind adds to reports, drawn only when it is written.
Figures = list[tuple[str, str, Callable[[], "Figure | None"]]]


class Kind(ProblemKind, Protocol):
    """One kind of case, from its suite section to its report."""

    description: str                        # the pytest marker's help text
    metrics: Mapping[str, Metric]           # every metric its cases can gate
    uses_benchmark: bool                    # its items take pytest-benchmark's fixture
    # Stored results on another device are not comparable (rather than missing).
    other_devices_not_comparable: bool
    # A configuration that changed since recording is CHANGED (a behaviour to review, such as a
    # default), not STALE.
    stale_is_change: bool

    def keywords(self, case: Case) -> set[str]:
        """Extra words `-k` matches for a case of this kind."""
        ...

    def marker_schema(self) -> dict[str, Any]:
        """The JSON Schema of the field that marks a problem of this kind (schema.py)."""
        ...

    def benchmark_settings(self, case: Case, device_type: str) -> dict[str, Any]:
        """pytest-benchmark marker settings for a case, when `uses_benchmark`."""
        ...

    def measure(self, case: Case, seeds: tuple[int, ...], device: Any,
                options: OptbenchOptions, cache: dict[str, Any], benchmark: Any) -> Measured:
        """Run the case. `cache` lives as long as the process, for this kind alone."""
        ...

    def not_comparable(self, stored: Mapping[str, Any] | None,
                       measured: Measured) -> str | None:
        """Why a stored baseline of the same context still does not apply, or None."""
        ...

    # How a replica is perturbed, in words; None: the kind measures no noise envelope (its
    # metrics are judged by seed statistics or by bounds alone).
    perturbation: str | None

    def replicate(self, case: Case, seeds: tuple[int, ...], device: Any,
                  options: OptbenchOptions, cache: dict[str, Any],
                  replicas: int) -> Replicated:
        """What `replicas` runs under rounding-sized perturbations say another machine could
        measure."""
        ...

    def detune(self, case: Case, seeds: tuple[int, ...], device: Any,
               options: OptbenchOptions, cache: dict[str, Any],
               update_scale: float) -> dict[str, list[Any]]:
        """The case's metrics with every step's update scaled by `update_scale`: what its gate
        sees of a change that small (kinds with a `perturbation` have it)."""
        ...

    def stored_curve(self, stored: Mapping[str, Sequence[Any]], measured: Measured) -> dict[str, Any] | None:
        """A curve for plots drawn from a baseline's stored metrics, where its entry keeps no
        curve of its own, or None."""
        ...

    def sections(self, results: list[CaseResult]) -> list[Section]:
        """Report tables of this kind's results (all of them are this kind's)."""
        ...

    def notes(self, results: list[CaseResult]) -> list[str]:
        """Lines the terminal summary adds for this kind's results."""
        ...

    def figures(self, results: list[CaseResult], styles: Mapping[str, Style]) -> Figures:
        """Figures of this kind's results, each drawn only when it is written."""
        ...


class KindDefaults:
    """What most kinds do; a kind overrides what it does differently."""

    uses_benchmark = False
    other_devices_not_comparable = False
    stale_is_change = False
    perturbation: str | None = None

    def replicate(self, case: Case, seeds: tuple[int, ...], device: Any,
                  options: OptbenchOptions, cache: dict[str, Any],
                  replicas: int) -> Replicated:
        raise NotImplementedError(f"{type(self).__name__} measures no noise envelope")

    def detune(self, case: Case, seeds: tuple[int, ...], device: Any,
               options: OptbenchOptions, cache: dict[str, Any],
               update_scale: float) -> dict[str, list[Any]]:
        raise NotImplementedError(f"{type(self).__name__} measures no power")

    def group_rule(self, valid: ValidProblem) -> GroupRule | None:
        return GroupRule("match")

    def variants(self, doc: Any, path: Any, key: str, valid: ValidProblem, optimizer: Any,
                 config: Any, findings: list[Any]) -> list[tuple[str, Any]]:
        return [(f"{key}[{config.label}]", valid.configs[""])]

    def keywords(self, case: Case) -> set[str]:
        return set()

    def marker_schema(self) -> dict[str, Any]:
        return {"description": str(getattr(self, "description", ""))}

    def benchmark_settings(self, case: Case, device_type: str) -> dict[str, Any]:
        return {}

    def not_comparable(self, stored: Mapping[str, Any] | None,
                       measured: Measured) -> str | None:
        """Why a stored baseline of the same context still does not apply (`stored`: its
        provenance), or None."""
        return None

    def stored_curve(self, stored: Mapping[str, Sequence[Any]], measured: Measured) -> dict[str, Any] | None:
        return None

    def sections(self, results: list[CaseResult]) -> list[Section]:
        return []

    def notes(self, results: list[CaseResult]) -> list[str]:
        return []

    def figures(self, results: list[CaseResult], styles: Mapping[str, Style]) -> Figures:
        return []
