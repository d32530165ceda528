"""A suite file -> validated cases, with every problem in the file reported at once."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from .analytic_problem import check_problem, valid_defaults
from .cases import Case, OptimizerConfig, format_id_value, with_hash
from .errors import Problem, SuiteError, describe, did_you_mean, one_of
from .loader import Document, load_file
from .optimizer_entries import ResolvedOptimizer, check_entry, check_parts, grid_points, \
    split_entry, trial_construct
from .spec import ALL_OPTIMIZERS, NAME_PATTERN, SuiteHeader, validate


@dataclass(frozen=True)
class Suite:
    name: str
    file: str           # as shown to the user, relative to the rootdir
    description: str | None
    device: str
    cases: tuple[Case, ...]


def load_suite(path: str | FsPath, display: str | None = None) -> Suite:
    """Load and validate a suite file. Raises SuiteError listing every problem in it."""
    path = FsPath(path)
    doc = load_file(str(path), display or str(path))
    return build_suite(doc, default_name=path.stem)


def build_suite(doc: Document, default_name: str) -> Suite:
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
    defaults = valid_defaults(doc, _mapping(data.get("defaults")), problems)
    seeds = list(header.seeds) if header else [0]
    suite_name = header.suite if header and header.suite else default_name
    if len(set(seeds)) != len(seeds):
        problems.append(doc.problem(("seeds",), describe(seeds), "distinct seeds"))
    cases: list[Case] = []
    for key, raw in raw_problems.items():
        if isinstance(raw, dict):
            cases.extend(_problem_cases(doc, suite_name, key, raw, defaults, optimizers,
                                        header, seeds, problems))
    for opt_key, opt in optimizers.items():
        for name in (opt.problems or []) if opt else []:
            if name not in raw_problems:
                problems.append(doc.problem(("optimizers", opt_key, "problems"),
                                            f"unknown problem '{name}'", one_of(raw_problems),
                                            did_you_mean(name, raw_problems)))
    seen: dict[str, int] = {}
    for case in cases:
        if case.case_id in seen:
            problems.append(doc.problem(("problems", case.problem_key), f"the test id '{case.case_id}' twice",
                                        "distinct ids; grid values that format alike collide"))
        seen[case.case_id] = case.line
    if problems:
        raise SuiteError(problems)
    assert header is not None
    cases = [dataclasses.replace(case, order=index) for index, case in enumerate(cases)]
    return Suite(suite_name, doc.file, header.description, header.device, tuple(cases))


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _merge_defaults(defaults: dict, raw: dict) -> dict:
    merged = {**defaults, **raw}
    if "expect" in defaults and "expect" in raw and isinstance(raw["expect"], dict):
        merged["expect"] = {**defaults["expect"], **raw["expect"]}
    return merged


def _problem_cases(doc: Document, suite_name: str, key: str, raw: dict, defaults: dict,
                   optimizers: dict[str, ResolvedOptimizer | None],
                   header: SuiteHeader | None, seeds: list[int],
                   problems: list[Problem]) -> list[Case]:
    path = ("problems", key)
    if "function" not in raw:
        hint = "real-data problems (dataset:) are not available in this version" \
            if "dataset" in raw else None
        problems.append(doc.problem(path, "a problem without 'function'",
                                    "'function:' naming an analytic test function", hint,
                                    field_name=f"problems.{key}.function"))
        return []
    before = len(problems)
    checked = check_problem(doc, path, _merge_defaults(defaults, raw),
                            header.dtype if header else None, problems)
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
    cases = []
    for opt_key in chosen:
        override = (spec.overrides or {}).get(opt_key)
        for opt_config in _optimizer_configs(doc, path, optimizers[opt_key], override,
                                             checked.config.dim, problems):
            cases.append(with_hash(Case(
                suite=suite_name, case_id=f"{key}[{opt_config.label}]", problem_key=key,
                kind="analytic", problem=checked.config, optimizer=opt_config,
                seeds=tuple(seeds), expect=checked.expect, line=doc.line_of(path) or 1,
                device=header.device if header else "auto",
                does_not_converge=not_converging.get(opt_key,
                                                     not_converging.get(ALL_OPTIMIZERS)))))
    return cases


def _optimizer_configs(doc: Document, path: tuple, opt: ResolvedOptimizer, override: dict | None,
                       dim: int, problems: list[Problem]) -> list[OptimizerConfig]:
    """The optimizer's configurations on one problem: override merged, grid expanded."""
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
    if groups:
        covered = sorted(d for g in groups for d in g.get("dims", []))
        if covered != list(range(dim)):
            problems.append(doc.problem(where + ("param_groups",), f"dims {covered}",
                                        f"each coordinate 0..{dim - 1} in exactly one group "
                                        f"(problem '{path[-1]}' has dim {dim})"))
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
