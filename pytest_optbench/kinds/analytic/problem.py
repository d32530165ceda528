"""Checks of one analytic problem of a suite -> its configuration and expectations."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_optbench.suite.cases import AnalyticConfig
from pytest_optbench.suite.errors import Problem, describe, did_you_mean, one_of
from pytest_optbench.suite.loader import Document
from pytest_optbench.gate.metrics import ANALYTIC_METRICS
from pytest_optbench.suite.spec import AnalyticFields, AnalyticProblem, Expectation, validate

DEFAULT_STARTS = 32
DEFAULT_STEPS = 1000
DEFAULT_CRITERION, DEFAULT_TOL = "distance", 1e-3


@dataclass
class CheckedProblem:
    config: AnalyticConfig
    spec: AnalyticProblem                 # for the optimizer-related fields the suite checks
    expect: dict[str, Expectation]


def valid_defaults(doc: Document, raw: dict, problems: list[Problem]) -> dict:
    """The suite's `defaults:`, keeping only keys that validate (their errors are reported once)."""
    if not raw:
        return {}
    if validate(AnalyticFields, raw, doc, ("defaults",), problems) is not None:
        return raw
    return {key: value for key, value in raw.items()
            if validate(AnalyticFields, {key: value}, doc, ("defaults",), []) is not None}


def check_problem(doc: Document, path: tuple, raw: dict, suite_dtype: str | None,
                  problems: list[Problem]) -> CheckedProblem | None:
    """Validate a problem (defaults already merged); None, with `problems` extended, if bad.

    Where one field is invalid the others are still checked, so that a run reports every
    problem in the file.
    """
    before = len(problems)
    spec = validate(AnalyticProblem, raw, doc, path, problems) or _partial(raw)
    if spec is None:
        return None
    function = _check_function(doc, path, spec, problems)
    expect = _check_expect(doc, path, spec, problems)
    if spec.dtype not in (None, "float32", "float64"):
        problems.append(doc.problem(path + ("dtype",), describe(spec.dtype),
                                    "float64 or float32 for an analytic problem"))
    if len(problems) > before or function is None:
        return None
    dim, domain, minima = function
    config = AnalyticConfig(
        function=spec.function, dim=dim, options=dict(spec.options or {}), domain=domain,
        minima=minima,
        starts=len(spec.start_points) if spec.start_points else (spec.starts or DEFAULT_STARTS),
        start_points=tuple(tuple(p) for p in spec.start_points) if spec.start_points else None,
        steps=spec.steps or DEFAULT_STEPS,
        criterion=spec.converge.criterion if spec.converge else DEFAULT_CRITERION,
        tol=spec.converge.tol if spec.converge else DEFAULT_TOL,
        dtype=spec.dtype or suite_dtype or "float64")
    return CheckedProblem(config, spec, expect)


def _partial(raw: dict) -> AnalyticProblem | None:
    """The fields of a problem that validate on their own."""
    if not isinstance(raw.get("function"), str):
        return None
    valid = {key: value for key, value in raw.items() if key != "function"
             and validate(AnalyticFields, {key: value}, Document("", None), (), []) is not None}
    return AnalyticProblem.model_validate({**valid, "function": raw["function"]})


def _check_function(doc: Document, path: tuple, spec: AnalyticProblem,
                    problems: list[Problem]) -> tuple | None:
    """(dim, domain, minima) for the problem's function, after checking them."""
    from pytest_optbench.kinds.analytic.functions import FUNCTIONS
    from pytest_optbench.suite.resolve import UnresolvedName, import_object

    before = len(problems)
    if ":" in spec.function:
        try:
            value = import_object(spec.function)
        except UnresolvedName as exc:
            problems.append(doc.problem(path + ("function",), exc.found, exc.expected, exc.hint))
            return None
        if not callable(value):
            problems.append(doc.problem(path + ("function",),
                                        f"'{spec.function}', which is not callable",
                                        "a function f(X) -> values, X of shape (N, d)"))
        for required in ("dim", "domain", "minima"):
            if getattr(spec, required) is None:
                problems.append(doc.problem(path, "nothing",
                                            f"'{required}:' (a user function must declare it)",
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
            problems.append(doc.problem(path + ("function",),
                                        f"unknown function '{spec.function}'",
                                        one_of(FUNCTIONS) + ", or 'package.module:function'",
                                        did_you_mean(spec.function, FUNCTIONS)))
            return None
        dim = spec.dim or info.fixed_dim or info.default_dim
        if info.fixed_dim and dim != info.fixed_dim:
            problems.append(doc.problem(path + ("dim",), describe(spec.dim),
                                        f"{info.fixed_dim}: {info.name} is "
                                        f"{info.fixed_dim}-dimensional"))
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


def _check_domain(doc: Document, path: tuple, boxes, default_box, dim: int,
                  problems: list[Problem]):
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


def _check_expect(doc: Document, path: tuple, spec: AnalyticProblem,
                  problems: list[Problem]) -> dict[str, Expectation]:
    if spec.expect is None:
        return {name: Expectation(baseline=True) for name in ANALYTIC_METRICS}
    for name, expectation in spec.expect.items():
        where = path + ("expect", name)
        if name not in ANALYTIC_METRICS:
            problems.append(doc.problem(where, f"unknown metric '{name}'", one_of(ANALYTIC_METRICS),
                                        did_you_mean(name, ANALYTIC_METRICS)))
        elif ANALYTIC_METRICS[name].curve and (expectation.min is not None
                                               or expectation.max is not None):
            problems.append(doc.problem(where, "min or max on a curve",
                                        "only 'baseline:' (a curve is compared point by point)"))
        elif expectation.min is not None and expectation.max is not None \
                and expectation.min > expectation.max:
            problems.append(doc.problem(where, f"min {expectation.min} > max {expectation.max}",
                                        "min <= max"))
    return dict(spec.expect)
