"""Analytic test functions: every start point of every seed in one batched run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence, cast

from pytest_optbench.gate.record import BaselineContext, CaseResult
from pytest_optbench.kinds.analytic.config import AnalyticConfig
from pytest_optbench.kinds.analytic.metrics import METRICS
from pytest_optbench.kinds.analytic.rounding import DESCRIPTION, FREE_MOVE
from pytest_optbench.kinds.analytic.validation import validate_problem
from pytest_optbench.kinds.analytic.spec import AnalyticFields
from pytest_optbench.kinds.base import (ValidProblem, Figures, GroupRule, KindDefaults, Measured,
                                        Replicated)

if TYPE_CHECKING:
    from pytest_optbench.settings import OptbenchOptions
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

    def marker_schema(self) -> dict[str, Any]:
        from pytest_optbench.kinds.analytic.functions import FUNCTIONS
        from pytest_optbench.suite.spec import OWN_NAME_PATTERN

        return {"anyOf": [{"enum": sorted(FUNCTIONS)},
                          {"type": "string", "pattern": OWN_NAME_PATTERN}],
                "description": "a shipped function, or 'package.module:function'"}
    metrics = METRICS
    perturbation = DESCRIPTION

    def validate_problem(self, doc: Document, path: KeyPath, raw: dict[str, Any],
                      header: SuiteHeader | None, context: BuildContext,
                      findings: list[Finding]) -> ValidProblem | None:
        return validate_problem(doc, path, raw, header.dtype if header else None, findings)

    def group_rule(self, valid: ValidProblem) -> GroupRule | None:
        return GroupRule("dims", valid.dim)

    def measure(self, case: Case, seeds: tuple[int, ...], device: Any,
                options: OptbenchOptions, cache: dict[str, Any], benchmark: Any) -> Measured:
        from pytest_optbench.kinds.analytic.runner import run_analytic
        from pytest_optbench.kinds.analytic.summary import fingerprint, summarize, trajectory_sample

        config = cast(AnalyticConfig, case.problem)
        run = run_analytic(config, case.optimizer, seeds, device,
                           cache.setdefault("isolation verdicts", {}), case.line)
        outcome = summarize(run, config.tol, config.divergence_factor)
        # A recording's replicas are mixed with this run start by start (replicate).
        cache["last outcome"] = ((case.suite, case.case_id, tuple(seeds)), outcome)
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
            dtype=config.dtype, observed=run.verdict.identity(), fingerprint=fingerprint(run))

    def replicate(self, case: Case, seeds: tuple[int, ...], device: Any,
                  options: OptbenchOptions, cache: dict[str, Any],
                  replicas: int) -> Replicated:
        """The replicas' metrics, those of machines mixed from them start by start, and the
        corners of what the starts that end elsewhere under rounding could do.

        Starts run independently (the probe verified it), so another machine may send one
        start the way one replica did and the next the way another did. A median of starts
        that sits between two basins jumps when a single start changes side: a few whole
        replicas rarely show it, the mixes do. A start that any replica sent elsewhere may end
        anywhere on another machine: the corners bound every metric whatever it does.
        """
        import dataclasses

        import torch

        from pytest_optbench.kinds.analytic.perturbation import Perturbation, mixes
        from pytest_optbench.kinds.analytic.precision import WATCHED_STEPS, coarsest_dtype
        from pytest_optbench.kinds.analytic.runner import run_analytic
        from pytest_optbench.gate.envelope import prediction_factor
        from pytest_optbench.kinds.analytic.summary import seed_metrics, summarize

        config = cast(AnalyticConfig, case.problem)
        verdicts = cache.setdefault("isolation verdicts", {})
        key, base = cache.get("last outcome", (None, None))
        if key != (case.suite, case.case_id, tuple(seeds)) or base is None:
            base = summarize(run_analytic(config, case.optimizer, seeds, device, verdicts,
                                          case.line), config.tol, config.divergence_factor)
        coarsest = coarsest_dtype(lambda: run_analytic(
            dataclasses.replace(config, steps=min(config.steps, WATCHED_STEPS)), case.optimizer,
            seeds, device, verdicts, case.line), getattr(torch, config.dtype))
        outcomes = [summarize(run_analytic(config, case.optimizer, seeds, device, verdicts,
                                           case.line, Perturbation(replica, coarsest=coarsest)),
                              config.tol, config.divergence_factor)
                    for replica in range(replicas)]
        samples = [outcome.metrics for outcome in outcomes]
        assert base.per_start is not None
        per_seed = base.starts // len(seeds)
        others = [o.per_start for o in outcomes if o.per_start is not None]
        for source in mixes(base.starts, len(others)):
            samples.append(seed_metrics(base.per_start.mixed(others, source), len(seeds),
                                        per_seed))
        free = base.per_start.free(others, FREE_MOVE * max(hi - lo for lo, hi in config.domain),
                                   reach=prediction_factor(replicas))
        corners = [seed_metrics(base.per_start.extreme(free, others, converged, high,
                                                       base.steps_run),
                                len(seeds), per_seed)
                   for converged in (False, True) for high in (False, True)] \
            if bool(free.any()) else []
        coarse = f"; at {str(coarsest).removeprefix('torch.')}'s precision, which the step " \
                 f"computes in" if coarsest != getattr(torch, config.dtype) else ""
        return Replicated(samples, replicas, corners, int(free.sum()), base.starts,
                          self.perturbation + coarse if self.perturbation else None)

    def detune(self, case: Case, seeds: tuple[int, ...], device: Any,
               options: OptbenchOptions, cache: dict[str, Any],
               update_scale: float) -> dict[str, list[Any]]:
        from pytest_optbench.kinds.analytic.runner import run_analytic
        from pytest_optbench.kinds.analytic.summary import summarize

        config = cast(AnalyticConfig, case.problem)
        run = run_analytic(config, case.optimizer, seeds, device,
                           cache.setdefault("isolation verdicts", {}), case.line,
                           update_scale=update_scale)
        return summarize(run, config.tol, config.divergence_factor).metrics

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
