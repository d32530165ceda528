"""Analytic test functions: every start point of every seed in one batched run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence, cast

from pytest_optbench.gate.record import BaselineContext, CaseResult
from pytest_optbench.kinds.analytic.config import AnalyticConfig
from pytest_optbench.kinds.analytic.metrics import METRICS
from pytest_optbench.kinds.analytic.validation import validate_problem
from pytest_optbench.kinds.analytic.spec import AnalyticFields
from pytest_optbench.kinds.base import ValidProblem, Figures, GroupRule, KindDefaults, Measured

if TYPE_CHECKING:
    from pytest_optbench.options import OptbenchOptions
    from pytest_optbench.report.plots import Style
    from pytest_optbench.report.section import Section
    from pytest_optbench.suite.build import BuildContext
    from pytest_optbench.suite.cases import Case
    from pytest_optbench.suite.errors import Finding
    from pytest_optbench.suite.loader import Document, KeyPath
    from pytest_optbench.suite.spec import SuiteHeader


class AnalyticKind(KindDefaults):
    name = "analytic"
    marker = "function"
    title = "an analytic test function"
    description = "an optbench case on an analytic test function"
    fields = AnalyticFields
    metrics = METRICS

    def validate_problem(self, doc: Document, path: KeyPath, raw: dict[str, Any],
                      header: SuiteHeader | None, context: BuildContext,
                      findings: list[Finding]) -> ValidProblem | None:
        return validate_problem(doc, path, raw, header.dtype if header else None, findings)

    def group_rule(self, valid: ValidProblem) -> GroupRule | None:
        return GroupRule("dims", valid.dim)

    def measure(self, case: Case, seeds: tuple[int, ...], device: Any,
                options: OptbenchOptions, cache: dict[str, Any], benchmark: Any) -> Measured:
        from pytest_optbench.kinds.analytic.runner import run_analytic
        from pytest_optbench.kinds.analytic.summary import summarize, trajectory_sample

        config = cast(AnalyticConfig, case.problem)
        run = run_analytic(config, case.optimizer, seeds, device,
                           cache.setdefault("isolation verdicts", {}), case.line)
        outcome = summarize(run, config.tol, config.divergence_factor)
        text = None
        if outcome.divergence:
            d = outcome.divergence
            how = ("became NaN or infinite" if d.get("non_finite", True) else
                   f"grew to more than {config.divergence_factor:g} times its initial gap to "
                   f"the minimum and stayed there (divergence_factor)")
            text = (f"DIVERGED: the loss {how} at step {d['step']} (seed {d['seed']}, start "
                    f"{d['start']}); {d['starts']} of {d['of']} starts diverged")
        return Measured(
            outcome.metrics, BaselineContext(device.type), outcome.wall_time_s, outcome.steps_run,
            outcome.divergence, text, outcome.curves,
            details={"isolation": outcome.isolation, "starts": outcome.starts,
                     "isolation_chosen": run.verdict.describe(),
                     "isolation_probe": dict(run.verdict.tried),
                     "isolation_probe_s": round(run.probe_s, 5),
                     "isolation_seeded": run.verdict.seeded,
                     "protocol": case.optimizer.protocol.describe(run.closure_ignored),
                     "f_min": run.function.f_min, "trajectories": trajectory_sample(run)},
            dtype=config.dtype, identity=run.verdict.identity())

    def stored_curve(self, stored: Mapping[str, Sequence[Any]], measured: Measured) -> dict[str, Any] | None:
        """The stored trajectory (median log10 loss gap at log-spaced steps), averaged over the
        stored seeds: what the gate compares, drawn under the current loss curve."""
        from pytest_optbench.kinds.analytic.summary import checkpoints

        steps = checkpoints(measured.steps_run)
        per_seed = [t for t in stored.get("trajectory") or [] if isinstance(t, list)]
        if not per_seed or any(len(t) != len(steps) for t in per_seed):
            return None
        means = []
        for i in range(len(steps)):
            values = [t[i] for t in per_seed if t[i] is not None]
            means.append(round(sum(values) / len(values), 4) if values else None)
        return {"step": steps, "log10_gap": means}

    def sections(self, results: list[CaseResult]) -> list[Section]:
        from pytest_optbench.kinds.analytic.section import sections

        return sections(results)

    def notes(self, results: list[CaseResult]) -> list[str]:
        from pytest_optbench.kinds.analytic.section import isolation_notes

        return isolation_notes(results)

    def figures(self, results: list[CaseResult], styles: Mapping[str, Style]) -> Figures:
        from pytest_optbench.kinds.analytic.figures import figures

        return figures(results, styles)


KIND = AnalyticKind()
