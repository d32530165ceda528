"""One problem of a suite -> its cases: its kind's validation, then every optimizer
configuration (overrides merged, grids expanded, parameter groups checked) and variant."""

from __future__ import annotations

import math

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_optbench.suite.cases import (Case, OptimizerConfig, StepProtocol, format_id_value,
                                         with_hash)
from pytest_optbench.suite.errors import Finding, describe, did_you_mean
from pytest_optbench.suite.loader import Document, KeyPath
from pytest_optbench.suite.optimizers import (ResolvedOptimizer, TrialError, validate_parts,
                                              grid_points, split_entry, trial_construct)
from pytest_optbench.suite.problem_kind import ValidProblem, GroupRule, ProblemKind
from pytest_optbench.suite.spec import ALL_OPTIMIZERS, MAX_GRID_POINTS, SuiteHeader

if TYPE_CHECKING:
    from pytest_optbench.suite.build import BuildContext


@dataclass
class SuiteScope:
    """What every problem of one suite shares while its cases are built."""

    doc: Document
    name: str
    header: SuiteHeader | None
    optimizers: dict[str, ResolvedOptimizer | None]
    seeds: tuple[int, ...]
    tier: str | None
    context: BuildContext
    findings: list[Finding]
    trials: dict[str, TrialError | None] = field(default_factory=dict)  # configuration -> error
    reported_trials: dict[KeyPath, set[str]] = field(default_factory=dict)

    def fail(self, path: KeyPath, found: str, expected: str, hint: str | None = None,
             field_name: str | None = None) -> None:
        finding = self.doc.finding(path, found, expected, hint, field_name)
        if finding not in self.findings:   # an optimizer's entry is met once per problem
            self.findings.append(finding)


def _kind_of(scope: SuiteScope, key: str, raw: dict[str, Any]) -> ProblemKind | None:
    kinds = scope.context.kinds
    marks = [kind for kind in kinds if kind.marker in raw]
    if len(marks) == 1:
        return marks[0]
    found = ("a problem with " + " and ".join(f"'{k.marker}'" for k in marks) if marks
             else "a problem without " + _either([f"'{k.marker}'" for k in kinds]))
    expected = "exactly one of " + _either([f"'{k.marker}:' ({k.title})" for k in kinds])
    scope.fail(("problems", key), found, expected,
               field_name=f"problems.{key}.{kinds[0].marker if kinds else 'function'}")
    return None


def _either(words: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return " or ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)


def problem_cases(scope: SuiteScope, key: str, raw: dict[str, Any],
                  merged: dict[str, Any]) -> list[Case]:
    """The cases of problem `key` (`merged`: its fields with defaults and tier applied)."""
    path = ("problems", key)
    kind = _kind_of(scope, key, raw)
    if kind is None:
        return []
    before = len(scope.findings)
    valid = kind.validate_problem(scope.doc, path, merged, scope.header, scope.context,
                                 scope.findings)
    not_converging = dict(valid.spec.does_not_converge or {}) if valid else {}
    _validate_optimizer_names(scope, path, valid, not_converging)
    if valid is None or len(scope.findings) > before:
        return []
    spec = valid.spec
    chosen = [k for k in (spec.optimizers or list(scope.optimizers))
              if (opt := scope.optimizers.get(k)) is not None
              and (opt.problems is None or key in opt.problems)]
    for name in not_converging:
        if name != ALL_OPTIMIZERS and name not in chosen:
            scope.fail(path + ("does_not_converge", name),
                       f"'{name}', which does not run on this problem",
                       "an optimizer that runs on it: " + ", ".join(chosen))
    if spec.seeds is not None and len(set(spec.seeds)) != len(spec.seeds):
        scope.fail(path + ("seeds",), describe(spec.seeds), "distinct seeds")
    seeds = tuple(spec.seeds) if spec.seeds else scope.seeds
    cases = []
    for opt_key in chosen:
        optimizer = scope.optimizers[opt_key]
        assert optimizer is not None
        override = (spec.overrides or {}).get(opt_key)
        for opt_config in _optimizer_configs(scope, path, optimizer, override,
                                             kind.group_rule(valid), valid.trial_shapes):
            for case_id, config in kind.variants(scope.doc, path, key, valid, optimizer,
                                                 opt_config, scope.findings):
                cases.append(with_hash(Case(
                    suite=scope.name, case_id=case_id, problem_key=key, kind=kind.name,
                    problem=config, optimizer=opt_config, seeds=seeds, expect=valid.expect,
                    line=scope.doc.line_of(path) or 1,
                    device=scope.header.device if scope.header else "auto", tier=scope.tier,
                    skip=spec.skip or optimizer.unavailable, timeout=spec.timeout,
                    does_not_converge=not_converging.get(opt_key,
                                                         not_converging.get(ALL_OPTIMIZERS)))))
    return cases


def _validate_optimizer_names(scope: SuiteScope, path: KeyPath, valid: ValidProblem | None,
                           not_converging: dict[str, str]) -> None:
    """Optimizers a problem names (to run, to override, not to converge) exist."""
    spec = valid.spec if valid else None
    listed = {"optimizers": (spec.optimizers or []) if spec else [],
              "overrides": list(spec.overrides or {}) if spec else [],
              "does_not_converge": [k for k in not_converging if k != ALL_OPTIMIZERS]}
    names = list(scope.optimizers)
    for field_name, names_listed in listed.items():
        for name in names_listed:
            if name not in scope.optimizers:
                where = path + ((field_name,) if field_name == "optimizers"
                                else (field_name, name))
                scope.fail(where, f"unknown optimizer '{name}'",
                           "one of the suite's optimizers: " + ", ".join(names),
                           did_you_mean(name, names))


def _optimizer_configs(scope: SuiteScope, path: KeyPath, opt: ResolvedOptimizer,
                       override: dict[str, Any] | None, rule: GroupRule | None,
                       shapes: tuple[tuple[int, ...], ...]) -> list[OptimizerConfig]:
    """The optimizer's configurations on one problem: override merged, grid expanded.

    `rule` says how parameter groups pick parameters on this problem (coordinates for analytic
    problems, names for models); None where there is nothing to group.
    """
    hyper, grid, groups, schedule = dict(opt.hyperparameters), opt.grid, opt.param_groups, \
        opt.schedule
    override_path = path + ("overrides", opt.key)
    if override:
        reserved, extra = split_entry(override)
        for banned in ("class", "problems", "start_isolation", "protocol", "wraps"):
            if banned in reserved:
                scope.fail(override_path + (banned,), f"'{banned}' in an override",
                           "hyperparameters, grid, param_groups or schedule",
                           "define a separate optimizer entry instead")
        hyper.update(extra)
        grid = reserved.get("grid", grid)
        groups = reserved.get("param_groups", groups)
        schedule = reserved.get("schedule", schedule)
        before = len(scope.findings)
        validate_parts(scope.doc, override_path, opt, extra, grid if "grid" in reserved else {},
                    groups if "param_groups" in reserved else [],
                    schedule if "schedule" in reserved else None, scope.findings)
        if len(scope.findings) > before:
            return []
    where = override_path if override else ("optimizers", opt.key)
    if groups and rule is None:
        scope.fail(where + ("param_groups",), "parameter groups on a timed step",
                   "one group: a timed step has no coordinates or names to group by")
        return []
    if groups and rule is not None and not _groups_fit(scope, where, path, groups, rule):
        return []
    # Counted before anything is built: each point is constructed once to check it.
    count = math.prod(len(v) for v in grid.values() if isinstance(v, list))
    if count > MAX_GRID_POINTS:
        grid_path = override_path if override and "grid" in reserved else ("optimizers", opt.key)
        scope.fail(grid_path + ("grid",), f"a grid of {count:,} configurations",
                   f"at most {MAX_GRID_POINTS:,} per optimizer and problem",
                   "sweep fewer values, or split the sweep over several optimizer entries")
        return []
    configs = []
    protocol = opt.protocol if opt.protocol is not None else StepProtocol()
    isolation_path = ("optimizers", opt.key, "start_isolation")
    isolation_at = (f"{scope.doc.file}:{scope.doc.line_of(isolation_path)}: "
                    f"{'.'.join(isolation_path)}") if opt.isolation else None
    for point in grid_points(grid):
        merged = {**hyper, **point}
        trial = _trial(scope, opt, merged, groups, schedule, shapes)
        rejected = None
        if trial is not None and trial.raised:
            # The class's constructor raised: its cases fail with this, the others run.
            rejected = scope.doc.finding(where, trial.text,
                                         "hyperparameters the class accepts").format()
        elif trial is not None:
            if trial.text not in scope.reported_trials.setdefault(where, set()):
                scope.reported_trials[where].add(trial.text)
                scope.fail(where, trial.text, "hyperparameters the class accepts")
            return []
        label = opt.key + "".join(f"-{name}{format_id_value(value)}"
                                  for name, value in point.items())
        configs.append(OptimizerConfig(
            key=opt.key, label=label, class_name=opt.class_name, hyperparameters=merged,
            param_groups=tuple(dict(g) for g in groups),
            schedule=dict(schedule) if schedule else None, isolation=opt.isolation,
            isolation_at=isolation_at, protocol=protocol, wraps=opt.wraps, rejected=rejected))
    return configs


def _trial(scope: SuiteScope, opt: ResolvedOptimizer, hyper: dict[str, Any],
           groups: list[dict[str, Any]], schedule: dict[str, Any] | None,
           shapes: tuple[tuple[int, ...], ...]) -> TrialError | None:
    """A trial construction's error, once per distinct configuration and shapes in a suite."""
    import json

    if not opt.names_valid:
        return None
    key = json.dumps([opt.key, hyper, groups, schedule, shapes], sort_keys=True, default=str)
    if key not in scope.trials:
        scope.trials[key] = trial_construct(opt, hyper, groups, schedule, shapes)
    return scope.trials[key]


def _groups_fit(scope: SuiteScope, where: KeyPath, path: KeyPath, groups: list[dict[str, Any]],
                rule: GroupRule) -> bool:
    """Analytic problems split coordinates (`dims`); models select parameters (`match`)."""
    other = "match" if rule.key == "dims" else "dims"
    analytic = rule.key == "dims"
    for index, group in enumerate(groups):
        if rule.key not in group or other in group:
            scope.fail(where + ("param_groups", index), f"a group with {sorted(group)}",
                       f"'{rule.key}:' in every group of a{'n analytic' if analytic else ' model'}"
                       f" problem ('{path[-1]}')",
                       "analytic problems group coordinates (dims: [0, 1]); models group "
                       "parameters by a regular expression over their names (match: 'bias|bn')")
            return False
    if analytic and rule.dim is not None:
        covered = sorted(d for g in groups for d in g["dims"])
        if covered != list(range(rule.dim)):
            scope.fail(where + ("param_groups",), f"dims {covered}",
                       f"each coordinate 0..{rule.dim - 1} in exactly one group "
                       f"(problem '{path[-1]}' has dim {rule.dim})")
            return False
    return True
