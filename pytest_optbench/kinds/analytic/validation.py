"""Validation of one analytic problem of a suite -> its configuration and expectations."""

from __future__ import annotations

import math
from typing import Any


from pytest_optbench.gate.expectations import Expectation
from pytest_optbench.kinds.analytic.config import AnalyticConfig
from pytest_optbench.kinds.analytic.metrics import METRICS
from pytest_optbench.kinds.analytic.spec import AnalyticFields, AnalyticProblem
from pytest_optbench.suite.expectations import validate_expectations
from pytest_optbench.suite.errors import Finding, colon_hint, describe, did_you_mean, one_of
from pytest_optbench.suite.loader import Document, KeyPath
from pytest_optbench.suite.problem_kind import ValidProblem
from pytest_optbench.suite.spec import DEFAULT_DIVERGENCE_FACTOR, validate

DEFAULT_STARTS = 32
DEFAULT_STEPS = 1000
DEFAULT_CRITERION, DEFAULT_TOL = "distance", 1e-3


def validate_problem(doc: Document, path: KeyPath, raw: dict, suite_dtype: str | None,
                  findings: list[Finding]) -> ValidProblem | None:
    """Validate a problem (defaults already merged); None, with `findings` extended, if bad.

    Where one field is invalid the others are still valid, so that a run reports every
    problem in the file.
    """
    before = len(findings)
    spec = validate(AnalyticProblem, raw, doc, path, findings) or _partial(raw)
    if spec is None:
        return None
    if not _within_limits(doc, path, spec, findings):
        return None   # before the function is bound: its minima alone may not fit in memory
    function = _validate_function(doc, path, spec, findings)
    expect = validate_expectations(doc, path, spec.expect, METRICS, METRICS, findings,
                                   _no_bounds_on_curves)
    if spec.dtype not in (None, "float32", "float64"):
        findings.append(doc.finding(path + ("dtype",), describe(spec.dtype),
                                    "float64 or float32 for an analytic problem"))
    if len(findings) > before or function is None:
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
        dtype=spec.dtype or suite_dtype or "float64",
        divergence_factor=spec.divergence_factor or DEFAULT_DIVERGENCE_FACTOR)
    return ValidProblem({"": config}, spec, expect, dim=dim, trial_shapes=(_shape(config),))


# Values one seed's starts hold (starts x dim), and loss values the history keeps (steps x
# starts): each far above the shipped suites (8 x 50 and 5000 x 32), each far below what
# would exhaust a CI runner's memory after minutes of work.
MAX_START_VALUES = 10_000_000
MAX_HISTORY_VALUES = 200_000_000


def _within_limits(doc: Document, path: KeyPath, spec: AnalyticProblem,
                   findings: list[Finding]) -> bool:
    starts = len(spec.start_points) if spec.start_points else (spec.starts or DEFAULT_STARTS)
    steps = spec.steps or DEFAULT_STEPS
    fine = True
    if spec.dim is not None and spec.dim * starts > MAX_START_VALUES:
        findings.append(doc.finding(
            path + ("dim",), f"dim {spec.dim:,} x {starts:,} starts = {spec.dim * starts:,} values",
            f"at most {MAX_START_VALUES:,} values per seed's starts",
            "use a smaller dim or fewer starts"))
        fine = False
    if steps * starts > MAX_HISTORY_VALUES:
        findings.append(doc.finding(
            path + ("steps",), f"{steps:,} steps x {starts:,} starts = {steps * starts:,} "
                               f"loss values", f"at most {MAX_HISTORY_VALUES:,} (the history "
                                               f"keeps one per start and step)",
            "use fewer steps or fewer starts"))
        fine = False
    return fine


def _shape(config: AnalyticConfig) -> tuple[int, ...]:
    """The shape each start's parameter has: a matrix for matrix problems."""
    from pytest_optbench.kinds.analytic.functions import FUNCTIONS

    info = FUNCTIONS.get(config.function)
    if info is not None and info.shape_of is not None:
        return info.shape_of({**info.option_defaults, **dict(config.options)})
    return (config.dim,)


def _partial(raw: dict) -> AnalyticProblem | None:
    """The fields of a problem that validate on their own."""
    if not isinstance(raw.get("function"), str):
        return None
    valid = {key: value for key, value in raw.items() if key != "function"
             and validate(AnalyticFields, {key: value}, Document("", None), (), []) is not None}
    return AnalyticProblem.model_validate({**valid, "function": raw["function"]})


def _maps_rows_to_values(doc: Document, path: KeyPath, name: str, value: Any, dim: int,
                         minima: tuple, findings: list[Finding]) -> bool:
    """A user's function, called once on its minima at collection, returns one value per row.
    Anything else it does wrong (raising, minima of another dimension) is for the run to say."""
    from pytest_optbench.kinds.analytic.functions import UserFunctionError, bind_user_function

    try:
        bind_user_function(name, value, dim, [list(m) for m in minima], [])
    except UserFunctionError as exc:
        findings.append(doc.finding(path + ("function",), f"'{name}' returning {exc.found}",
                                    exc.expected))
        return False
    except Exception:   # noqa: BLE001 - the user's code; its case reports what it raises
        pass
    return True


def _validate_function(doc: Document, path: KeyPath, spec: AnalyticProblem,
                    findings: list[Finding]) -> tuple | None:
    """(dim, domain, minima) for the problem's function, after checking them."""
    from pytest_optbench.kinds.analytic.functions import FUNCTIONS
    from pytest_optbench.suite.resolve import UnresolvedName, import_object

    before = len(findings)
    if ":" in spec.function:
        try:
            value = import_object(spec.function)
        except UnresolvedName as exc:
            findings.append(doc.finding(path + ("function",), exc.found, exc.expected, exc.hint))
            return None
        if not callable(value):
            findings.append(doc.finding(path + ("function",),
                                        f"'{spec.function}', which is not callable",
                                        "a function f(X) -> values, X of shape (N, d)"))
        for required in ("dim", "domain", "minima"):
            if getattr(spec, required) is None:
                findings.append(doc.finding(path, "nothing",
                                            f"'{required}:' (a user function must declare it)",
                                            field_name=".".join(map(str, path + (required,)))))
        if spec.options:
            findings.append(doc.finding(path + ("options",), describe(spec.options),
                                        "no options: they apply to built-in functions only"))
        if len(findings) > before:
            return None
        dim, default_box, minima = spec.dim, None, tuple(tuple(m) for m in spec.minima or ())
        if dim is not None and not _maps_rows_to_values(doc, path, spec.function, value, dim,
                                                        minima, findings):
            return None
    else:
        info = FUNCTIONS.get(spec.function)
        if info is None:
            findings.append(doc.finding(path + ("function",),
                                        f"unknown function '{spec.function}'",
                                        one_of(FUNCTIONS) + ", or 'package.module:function'",
                                        colon_hint(spec.function, "function")
                                        or did_you_mean(spec.function, FUNCTIONS)))
            return None
        dim = spec.dim or info.fixed_dim or info.default_dim
        options_ok = all(name in info.option_defaults for name in spec.options or {})
        if info.shape_of is not None and options_ok:
            shape = info.shape_of({**info.option_defaults, **(spec.options or {})})
            if any(type(side) is not int or side < 1 for side in shape):
                findings.append(doc.finding(path + ("options",), describe(spec.options),
                                            "positive whole numbers of rows, columns and rank"))
                return None
            sides = " x ".join(map(str, shape))
            if spec.dim is not None and spec.dim != math.prod(shape):
                findings.append(doc.finding(path + ("dim",), describe(spec.dim),
                                            f"{math.prod(shape)}, or no dim: {info.name}'s "
                                            f"parameter is a {sides} matrix (set by options)"))
            dim = math.prod(shape)
        if info.fixed_dim and dim != info.fixed_dim:
            findings.append(doc.finding(path + ("dim",), describe(spec.dim),
                                        f"{info.fixed_dim}: {info.name} is "
                                        f"{info.fixed_dim}-dimensional"))
        if spec.minima is not None:
            findings.append(doc.finding(path + ("minima",), describe(spec.minima),
                                        f"no minima: those of {info.name} are built in"))
        for name in spec.options or {}:
            if name not in info.option_defaults:
                findings.append(doc.finding(path + ("options", name), f"unknown option '{name}'",
                                            one_of(info.option_defaults) if info.option_defaults
                                            else f"no options for {info.name}",
                                            did_you_mean(name, info.option_defaults)))
        default_box, minima = info.domain, None
    assert dim is not None  # declared, or the function's own (valid above)
    domain = _validate_domain(doc, path, spec.domain, default_box, dim, findings)
    for field_name, points in (("minima", spec.minima), ("start_points", spec.start_points)):
        for index, point in enumerate(points or []):
            if len(point) != dim:
                findings.append(doc.finding(path + (field_name, index), describe(point),
                                            f"a point with {dim} coordinates"))
    if len(findings) > before:
        return None
    return dim, domain, minima


def _validate_domain(doc: Document, path: KeyPath, boxes, default_box, dim: int,
                  findings: list[Finding]):
    if boxes is None:
        return tuple([tuple(default_box)] * dim) if default_box else None
    for index, box in enumerate(boxes):
        if len(box) != 2 or not box[0] < box[1]:
            findings.append(doc.finding(path + ("domain", index), describe(box),
                                        "an interval [low, high] with low < high"))
    if len(boxes) not in (1, dim):
        findings.append(doc.finding(path + ("domain",), f"{len(boxes)} intervals",
                                    f"1 interval for every coordinate, or {dim} (one each)"))
    return tuple(tuple(b) for b in (boxes * dim if len(boxes) == 1 else boxes))


def _no_bounds_on_curves(name: str, expectation: Expectation) -> tuple[str, str] | None:
    if METRICS[name].curve and (expectation.min is not None or expectation.max is not None):
        return "min or max on a curve", "only 'baseline:' (a curve is compared point by point)"
    return None
