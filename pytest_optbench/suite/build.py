"""A suite file -> validated cases, with every problem in the file reported at once."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any, Callable

from pytest_optbench.kinds.analytic.problem import check_problem
from pytest_optbench.suite.cases import Case, OptimizerConfig, format_id_value, with_hash
from pytest_optbench.kinds.data.problem import check_data_problem
from pytest_optbench.suite.errors import Problem, SuiteError, describe, did_you_mean, one_of
from pytest_optbench.suite.loader import Document, load_file
from pytest_optbench.suite.optimizers import ResolvedOptimizer, check_entry, check_parts, grid_points,  split_entry, trial_construct
from pytest_optbench.suite.spec import ALL_OPTIMIZERS, NAME_PATTERN, AnalyticProblem, DataProblem, ProblemDefaults,  SuiteHeader, TimingProblem, validate
from pytest_optbench.kinds.step_time.problem import check_timing_problem, implementations_of

KINDS = {"function": ("analytic", AnalyticProblem), "dataset": ("data", DataProblem),
         "params": ("timing", TimingProblem)}

NO_TIER = "none"


@dataclass(frozen=True)
class BuildContext:
    """What building a suite needs to know about the run."""

    tier: str | None = None                       # None: the tier named after the device type
    device_type_for: Callable[[str], str] = lambda device: "cpu"   # the suite's device -> type
    dataset_folders: frozenset[str] = frozenset()  # datasets given as ImageFolder copies


@dataclass(frozen=True)
class Suite:
    name: str
    file: str           # as shown to the user, relative to the rootdir
    description: str | None
    device: str
    tier: str | None
    cases: tuple[Case, ...]


def load_suite(path: str | FsPath, display: str | None = None,
               context: BuildContext = BuildContext()) -> Suite:
    """Load and validate a suite file. Raises SuiteError listing every problem in it."""
    path = FsPath(path)
    doc = load_file(str(path), display or str(path))
    return build_suite(doc, path.stem, context)


def build_suite(doc: Document, default_name: str, context: BuildContext = BuildContext()) -> Suite:
    problems: list[Problem] = []
    data = doc.data
    if not isinstance(data, dict):
        raise SuiteError([doc.problem((), describe(data), "a mapping that starts with 'optbench: 1'")])
    header = validate(SuiteHeader, data, doc, (), problems)
    raw_optimizers = _mapping(data.get("optimizers"))
    raw_problems = _mapping(data.get("problems"))
    for section, names in (("optimizers", raw_optimizers), ("problems", raw_problems)):
        for name in names:
            if not re.match(NAME_PATTERN, name):
                problems.append(doc.problem((section, name), f"the name '{name}'",
                                            "letters, digits and . _ + - (names become test ids)"))
    optimizers = {key: check_entry(doc, key, raw, problems)
                  for key, raw in raw_optimizers.items() if isinstance(raw, dict)}
    defaults = _valid_fields(doc, ("defaults",), _mapping(data.get("defaults")), problems)
    suite_tiers = {name: _valid_fields(doc, ("tiers", name), _mapping(raw), problems)
                   for name, raw in _mapping(data.get("tiers")).items()}
    tier = _choose_tier(doc, context, header, suite_tiers, raw_problems, problems)
    seeds = list(header.seeds) if header else [0]
    suite_name = header.suite if header and header.suite else default_name
    if len(set(seeds)) != len(seeds):
        problems.append(doc.problem(("seeds",), describe(seeds), "distinct seeds"))
    cases: list[Case] = []
    for key, raw in raw_problems.items():
        if isinstance(raw, dict):
            layers = _layers(doc, key, raw, defaults, suite_tiers, tier, problems)
            cases.extend(_problem_cases(doc, suite_name, key, raw, layers, optimizers, header,
                                        seeds, tier, context, problems))
    for opt_key, opt in optimizers.items():
        for name in (opt.problems or []) if opt else []:
            if name not in raw_problems:
                problems.append(doc.problem(("optimizers", opt_key, "problems"),
                                            f"unknown problem '{name}'", one_of(raw_problems),
                                            did_you_mean(name, raw_problems)))
    seen: set[str] = set()
    for case in cases:
        if case.case_id in seen:
            problems.append(doc.problem(("problems", case.problem_key),
                                        f"the test id '{case.case_id}' twice",
                                        "distinct ids; grid values that format alike collide"))
        seen.add(case.case_id)
    if problems:
        raise SuiteError(problems)
    assert header is not None
    cases = [dataclasses.replace(case, order=index) for index, case in enumerate(cases)]
    return Suite(suite_name, doc.file, header.description, header.device, tier, tuple(cases))


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _valid_fields(doc: Document, path: tuple, raw: dict, problems: list[Problem]) -> dict:
    """Problem fields given outside a problem (defaults, tiers): only the keys that validate
    are kept, and their errors are reported once, where they are written."""
    if not raw:
        return {}
    if validate(ProblemDefaults, raw, doc, path, problems) is not None:
        return raw
    return {key: value for key, value in raw.items()
            if validate(ProblemDefaults, {key: value}, doc, path, []) is not None}


def _choose_tier(doc: Document, context: BuildContext, header: SuiteHeader | None,
                 suite_tiers: dict, raw_problems: dict, problems: list[Problem]) -> str | None:
    names = set(suite_tiers) | {name for raw in raw_problems.values() if isinstance(raw, dict)
                                for name in _mapping(raw.get("tiers"))}
    if context.tier == NO_TIER:
        return None
    if context.tier is not None:
        if context.tier not in names:
            problems.append(doc.problem(("tiers",), f"no tier '{context.tier}' (--optbench-tier)",
                                        one_of(names) if names else "a suite that defines tiers",
                                        did_you_mean(context.tier, names)))
        return context.tier
    automatic = context.device_type_for(header.device if header else "auto")
    return automatic if automatic in names else None


def _merge(base: dict, top: dict) -> dict:
    """`top` over `base`; expectations merge metric by metric."""
    merged = {**base, **top}
    if isinstance(base.get("expect"), dict) and isinstance(top.get("expect"), dict):
        merged["expect"] = {**base["expect"], **top["expect"]}
    return merged


def _layers(doc: Document, key: str, raw: dict, defaults: dict, suite_tiers: dict,
            tier: str | None, problems: list[Problem]) -> dict:
    """The problem's fields: defaults, then its own, then the tier's (suite's, then its own)."""
    model = next((model for key, (_, model) in KINDS.items() if key in raw), AnalyticProblem)

    def this_kind(fields: dict) -> dict:
        # Shared defaults and tiers may hold fields of the other kind of problem: not for this one.
        return {k: v for k, v in fields.items() if k in model.model_fields}

    own_tiers = {name: _valid_fields(doc, ("problems", key, "tiers", name), _mapping(value), problems)
                 for name, value in _mapping(raw.get("tiers")).items()}
    merged = _merge(this_kind(defaults), {k: v for k, v in raw.items() if k != "tiers"})
    if tier is not None:
        merged = _merge(merged, this_kind(suite_tiers.get(tier, {})))
        merged = _merge(merged, this_kind(own_tiers.get(tier, {})))
    return merged


def _problem_cases(doc: Document, suite_name: str, key: str, raw: dict, merged: dict,
                   optimizers: dict[str, ResolvedOptimizer | None], header: SuiteHeader | None,
                   seeds: list[int], tier: str | None, context: BuildContext,
                   problems: list[Problem]) -> list[Case]:
    path = ("problems", key)
    marks = [name for name in KINDS if name in raw]
    if len(marks) != 1:
        found = "a problem with " + " and ".join(f"'{m}'" for m in marks) if marks \
            else "a problem without 'function', 'dataset' or 'params'"
        problems.append(doc.problem(path, found,
                                    "exactly one of 'function:' (an analytic test function), "
                                    "'dataset:' (a model trained on data) or 'params:' (a step "
                                    "to time)", field_name=f"problems.{key}.function"))
        return []
    kind = KINDS[marks[0]][0]
    before = len(problems)
    if kind == "data":
        checked = check_data_problem(doc, path, merged, context.dataset_folders, problems)
    elif kind == "timing":
        checked = check_timing_problem(doc, path, merged, problems)
    else:
        checked = check_problem(doc, path, merged, header.dtype if header else None, problems)
    spec = checked.spec if checked else None
    names = list(optimizers)
    not_converging = dict(spec.does_not_converge or {}) if spec else {}
    listed = {"optimizers": (spec.optimizers or []) if spec else [],
              "overrides": list(spec.overrides or {}) if spec else [],
              "does_not_converge": [k for k in not_converging if k != ALL_OPTIMIZERS]}
    for field_name, names_listed in listed.items():
        for name in names_listed:
            if name not in optimizers:
                where = path + (field_name,) if field_name == "optimizers" else path + (field_name, name)
                problems.append(doc.problem(where, f"unknown optimizer '{name}'",
                                            "one of the suite's optimizers: " + ", ".join(names),
                                            did_you_mean(name, names)))
    if checked is None or len(problems) > before:
        return []
    chosen = [k for k in (spec.optimizers or names)
              if optimizers.get(k) is not None
              and (optimizers[k].problems is None or key in optimizers[k].problems)]
    for name in not_converging:
        if name != ALL_OPTIMIZERS and name not in chosen:
            problems.append(doc.problem(path + ("does_not_converge", name),
                                        f"'{name}', which does not run on this problem",
                                        "an optimizer that runs on it: " + ", ".join(chosen)))
    if spec.seeds is not None and len(set(spec.seeds)) != len(spec.seeds):
        problems.append(doc.problem(path + ("seeds",), describe(spec.seeds), "distinct seeds"))
    seeds = spec.seeds or seeds
    dim = checked.config.dim if kind == "analytic" else None
    cases = []
    for opt_key in chosen:
        override = (spec.overrides or {}).get(opt_key)
        for opt_config in _optimizer_configs(doc, path, optimizers[opt_key], override, dim,
                                             problems, timing=kind == "timing"):
            for case_id, config in _variants(doc, path, key, kind, checked, optimizers[opt_key],
                                             opt_config, problems):
                cases.append(with_hash(Case(
                    suite=suite_name, case_id=case_id, problem_key=key, kind=kind,
                    problem=config, optimizer=opt_config, seeds=tuple(seeds),
                    expect=checked.expect, line=doc.line_of(path) or 1,
                    device=header.device if header else "auto", tier=tier, skip=spec.skip,
                    does_not_converge=not_converging.get(opt_key,
                                                         not_converging.get(ALL_OPTIMIZERS)))))
    return cases


def _variants(doc: Document, path: tuple, key: str, kind: str, checked, opt: ResolvedOptimizer,
              opt_config: OptimizerConfig, problems: list[Problem]):
    """(test id, problem configuration) pairs: one, or one per implementation timed."""
    if kind != "timing":
        return [(f"{key}[{opt_config.label}]", checked.config)]
    variants = []
    for requested, config in checked.configs.items():
        for name in implementations_of(opt.cls, requested):
            flag = {"foreach": "foreach", "fused": "fused"}.get(name)
            if flag and flag not in opt.accepted and not opt.open_ended:
                problems.append(doc.problem(path + ("implementations",),
                                            f"'{name}', which {opt.class_name} does not have",
                                            "implementations the class offers (or 'auto')"))
                continue
            if name != "default" and {"foreach", "fused"} & set(opt_config.hyperparameters):
                problems.append(doc.problem(("optimizers", opt.key), "foreach or fused set "
                                            "on an optimizer that is timed by implementation",
                                            "the implementation chosen by 'implementations:'"))
                continue
            suffix = "" if name == "default" else f"-{name}"
            variants.append((f"step_time[{key}-{opt_config.label}{suffix}]",
                             dataclasses.replace(config, implementation=name)))
    return variants


def _optimizer_configs(doc: Document, path: tuple, opt: ResolvedOptimizer, override: dict | None,
                       dim: int | None, problems: list[Problem],
                       timing: bool = False) -> list[OptimizerConfig]:
    """The optimizer's configurations on one problem: override merged, grid expanded.

    `dim` is the problem's dimension for analytic problems (parameter groups then split
    coordinates, by `dims`) and None for models (groups then select parameters by name).
    """
    hyper, grid, groups, schedule = dict(opt.hyperparameters), opt.grid, opt.param_groups, opt.schedule
    override_path = path + ("overrides", opt.key)
    if override:
        reserved, extra = split_entry(override)
        for banned in ("class", "problems", "start_isolation"):
            if banned in reserved:
                problems.append(doc.problem(override_path + (banned,), f"'{banned}' in an override",
                                            "hyperparameters, grid, param_groups or schedule",
                                            "define a separate optimizer entry instead"))
        hyper.update(extra)
        grid = reserved.get("grid", grid)
        groups = reserved.get("param_groups", groups)
        schedule = reserved.get("schedule", schedule)
        before = len(problems)
        check_parts(doc, override_path, opt, extra, grid if "grid" in reserved else {},
                    groups if "param_groups" in reserved else [],
                    schedule if "schedule" in reserved else None, problems)
        if len(problems) > before:
            return []
    where = override_path if override else ("optimizers", opt.key)
    if groups and timing:
        problems.append(doc.problem(where + ("param_groups",), "parameter groups on a timed step",
                                    "one group: a timed step has no coordinates or names to "
                                    "group by"))
        return []
    if groups and not _groups_fit(doc, where, path, groups, dim, problems):
        return []
    configs = []
    for point in grid_points(grid):
        merged = {**hyper, **point}
        if override:
            message = trial_construct(opt, merged, groups, schedule)
            if message:
                problems.append(doc.problem(where, message, "hyperparameters the class accepts"))
                return []
        label = opt.key + "".join(f"-{name}{format_id_value(value)}" for name, value in point.items())
        configs.append(OptimizerConfig(
            key=opt.key, label=label, class_name=opt.class_name, hyperparameters=merged,
            param_groups=tuple(dict(g) for g in groups), schedule=dict(schedule) if schedule else None,
            isolation=opt.isolation))
    return configs


def _groups_fit(doc: Document, where: tuple, path: tuple, groups: list[dict], dim: int | None,
                problems: list[Problem]) -> bool:
    """Analytic problems split coordinates (`dims`); models select parameters (`match`)."""
    key = "dims" if dim is not None else "match"
    other = "match" if dim is not None else "dims"
    for index, group in enumerate(groups):
        if key not in group or other in group:
            problems.append(doc.problem(
                where + ("param_groups", index), f"a group with {sorted(group)}",
                f"'{key}:' in every group of a{'n analytic' if dim is not None else ' model'} "
                f"problem ('{path[-1]}')",
                "analytic problems group coordinates (dims: [0, 1]); models group parameters "
                "by a regular expression over their names (match: 'bias|bn')"))
            return False
    if dim is not None:
        covered = sorted(d for g in groups for d in g["dims"])
        if covered != list(range(dim)):
            problems.append(doc.problem(where + ("param_groups",), f"dims {covered}",
                                        f"each coordinate 0..{dim - 1} in exactly one group "
                                        f"(problem '{path[-1]}' has dim {dim})"))
            return False
    return True
