"""A suite file -> validated cases, with every problem in the file reported at once."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from .cases import AnalyticConfig, Case, OptimizerConfig, format_id_value
from .errors import Problem, SuiteError, describe, did_you_mean, one_of
from .loader import Document, load_file
from .metrics import ANALYTIC_METRICS
from .optimizer_entries import ResolvedOptimizer, check_entry, check_parts, grid_points, \
    split_entry, trial_construct
from .spec import ALL_OPTIMIZERS, NAME_PATTERN, AnalyticFields, AnalyticProblem, Expectation, SuiteHeader, validate

DEFAULT_STARTS = 32
DEFAULT_STEPS = 1000
DEFAULT_CONVERGE = {"criterion": "distance", "tol": 1e-3}


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
    defaults = _valid_defaults(doc, _mapping(data.get("defaults")), problems)
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


def _partial(raw: dict) -> AnalyticProblem | None:
    if not isinstance(raw.get("function"), str):
        return None
    valid = {key: value for key, value in raw.items() if key != "function"
             and validate(AnalyticFields, {key: value}, Document("", None), (), []) is not None}
    return AnalyticProblem.model_validate({**valid, "function": raw["function"]})


def _valid_defaults(doc: Document, raw: dict, problems: list[Problem]) -> dict:
    """The defaults block, keeping only keys that validate (their errors are reported once)."""
    if not raw:
        return {}
    if validate(AnalyticFields, raw, doc, ("defaults",), problems) is not None:
        return raw
    return {key: value for key, value in raw.items()
            if validate(AnalyticFields, {key: value}, doc, ("defaults",), []) is not None}


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
    merged = _merge_defaults(defaults, raw)
    spec = validate(AnalyticProblem, merged, doc, path, problems)
    if spec is None:
        # Keep checking what did validate, so that one run reports every problem in the file.
        spec = _partial(merged)
        if spec is None:
            return []
    function = _check_function(doc, path, spec, problems)
    names = list(optimizers)
    not_converging = dict(spec.does_not_converge or {})
    for field_name, listed in (("optimizers", spec.optimizers or []),
                               ("overrides", list(spec.overrides or {})),
                               ("does_not_converge",
                                [k for k in not_converging if k != ALL_OPTIMIZERS])):
        for name in listed:
            if name not in optimizers:
                problems.append(doc.problem(path + (field_name, name) if field_name != "optimizers"
                                            else path + (field_name,),
                                            f"unknown optimizer '{name}'",
                                            "one of the suite's optimizers: " + ", ".join(names),
                                            did_you_mean(name, names)))
    expect = _check_expect(doc, path, spec, problems)
    if len(problems) > before or function is None:
        return []
    dim, domain, minima = function
    chosen = [k for k in (spec.optimizers or names)
              if optimizers.get(k) is not None
              and (optimizers[k].problems is None or key in optimizers[k].problems)]
    for name in not_converging:
        if name != ALL_OPTIMIZERS and name not in chosen:
            problems.append(doc.problem(path + ("does_not_converge", name),
                                        f"'{name}', which does not run on this problem",
                                        "an optimizer that runs on it: " + ", ".join(chosen)))
    config = AnalyticConfig(
        function=spec.function, dim=dim, options=dict(spec.options or {}), domain=domain,
        minima=minima, starts=len(spec.start_points) if spec.start_points else (spec.starts or DEFAULT_STARTS),
        start_points=tuple(tuple(p) for p in spec.start_points) if spec.start_points else None,
        steps=spec.steps or DEFAULT_STEPS,
        criterion=(spec.converge.criterion if spec.converge else DEFAULT_CONVERGE["criterion"]),
        tol=(spec.converge.tol if spec.converge else DEFAULT_CONVERGE["tol"]),
        dtype=spec.dtype or (header.dtype if header and header.dtype else "float64"))
    line = doc.line_of(path) or 1
    cases = []
    for opt_key in chosen:
        opt = optimizers[opt_key]
        assert opt is not None
        override = (spec.overrides or {}).get(opt_key)
        for opt_config in _optimizer_configs(doc, path, opt, override, dim, problems):
            cases.append(Case(
                suite=suite_name, case_id=f"{key}[{opt_config.label}]", problem_key=key, kind="analytic",
                problem=config, optimizer=opt_config, seeds=tuple(seeds), expect=expect,
                line=line, device=header.device if header else "auto",
                does_not_converge=not_converging.get(opt_key, not_converging.get(ALL_OPTIMIZERS))
            ).with_hash())
    return cases


def _check_function(doc: Document, path: tuple, spec: AnalyticProblem,
                    problems: list[Problem]) -> tuple | None:
    """(dim, domain, minima) for the problem's function, after checking them."""
    from .problems.analytic import FUNCTIONS
    from .registry import UnresolvedName, import_object

    before = len(problems)
    if ":" in spec.function:
        try:
            value = import_object(spec.function)
        except UnresolvedName as exc:
            problems.append(doc.problem(path + ("function",), exc.found, exc.expected, exc.hint))
            return None
        if not callable(value):
            problems.append(doc.problem(path + ("function",), f"'{spec.function}', which is not callable",
                                        "a function f(X) -> values, X of shape (N, d)"))
        for required in ("dim", "domain", "minima"):
            if getattr(spec, required) is None:
                problems.append(doc.problem(path, "nothing", f"'{required}:' (a user function must declare it)",
                                            field_name=".".join(map(str, path + (required,)))))
        if spec.options:
            problems.append(doc.problem(path + ("options",), describe(spec.options),
                                        "no options: they apply to built-in functions only"))
        if len(problems) > before:
            return None
        dim, default_box, minima = spec.dim, None, tuple(tuple(m) for m in spec.minima)
    else:
        info = FUNCTIONS.get(spec.function)
        if info is None:
            problems.append(doc.problem(path + ("function",), f"unknown function '{spec.function}'",
                                        one_of(FUNCTIONS) + ", or 'package.module:function'",
                                        did_you_mean(spec.function, FUNCTIONS)))
            return None
        dim = spec.dim or info.fixed_dim or info.default_dim
        if info.fixed_dim and dim != info.fixed_dim:
            problems.append(doc.problem(path + ("dim",), describe(spec.dim),
                                        f"{info.fixed_dim}: {info.name} is {info.fixed_dim}-dimensional"))
        if spec.minima is not None:
            problems.append(doc.problem(path + ("minima",), describe(spec.minima),
                                        f"no minima: those of {info.name} are built in"))
        for name in spec.options or {}:
            if name not in info.option_defaults:
                problems.append(doc.problem(path + ("options", name), f"unknown option '{name}'",
                                            one_of(info.option_defaults) if info.option_defaults
                                            else f"no options for {info.name}",
                                            did_you_mean(name, info.option_defaults)))
        default_box, minima = info.domain, None
    domain = _check_domain(doc, path, spec.domain, default_box, dim, problems)
    for field_name, points in (("minima", spec.minima), ("start_points", spec.start_points)):
        for index, point in enumerate(points or []):
            if len(point) != dim:
                problems.append(doc.problem(path + (field_name, index), describe(point),
                                            f"a point with {dim} coordinates"))
    if len(problems) > before:
        return None
    return dim, domain, minima


def _check_domain(doc, path, boxes, default_box, dim, problems):
    if boxes is None:
        return tuple([tuple(default_box)] * dim) if default_box else None
    for index, box in enumerate(boxes):
        if len(box) != 2 or not box[0] < box[1]:
            problems.append(doc.problem(path + ("domain", index), describe(box),
                                        "an interval [low, high] with low < high"))
    if len(boxes) not in (1, dim):
        problems.append(doc.problem(path + ("domain",), f"{len(boxes)} intervals",
                                    f"1 interval for every coordinate, or {dim} (one each)"))
    return tuple(tuple(b) for b in (boxes * dim if len(boxes) == 1 else boxes))


def _check_expect(doc, path, spec, problems) -> dict[str, Expectation]:
    if spec.expect is None:
        return {name: Expectation(baseline=True) for name in ANALYTIC_METRICS}
    for name, expectation in spec.expect.items():
        if name not in ANALYTIC_METRICS:
            problems.append(doc.problem(path + ("expect", name), f"unknown metric '{name}'",
                                        one_of(ANALYTIC_METRICS), did_you_mean(name, ANALYTIC_METRICS)))
        elif ANALYTIC_METRICS[name].curve and (expectation.min is not None
                                               or expectation.max is not None):
            problems.append(doc.problem(path + ("expect", name), "min or max on a curve",
                                        "only 'baseline:' (a curve is compared point by point)"))
        elif expectation.min is not None and expectation.max is not None \
                and expectation.min > expectation.max:
            problems.append(doc.problem(path + ("expect", name), f"min {expectation.min} > max {expectation.max}",
                                        "min <= max"))
    return dict(spec.expect)


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
