"""Checks of optimizer entries: class names, hyperparameter names, and a trial construction.

Constructing each configuration once on a dummy parameter at collection time turns a bad value
(`lr: -1`, `betas: 0.9`) into a located suite error instead of a failure halfway through a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_optbench.suite.errors import Finding, did_you_mean, describe, one_of
from pytest_optbench.suite.loader import Document, KeyPath
from pytest_optbench.suite.resolve import (SCHEDULE_KEYS, UnresolvedName, construct_optimizer,
                                           construct_scheduler, detect_protocol,
                                           keyword_parameters, resolve_optimizer, resolve_scheduler)
from pytest_optbench.suite.spec import RESERVED_OPTIMIZER_KEYS, OptimizerEntry, validate
from pytest_optbench.suite.values import check_value, constructor_parameters

GROUP_KEYS = ("dims", "match")  # how a group picks its parameters, not hyperparameters


@dataclass
class ResolvedOptimizer:
    key: str
    cls: type
    class_name: str
    hyperparameters: dict[str, Any]
    grid: dict[str, list[Any]]
    param_groups: list[dict[str, Any]]
    schedule: dict[str, Any] | None
    isolation: str | None
    problems: list[str] | None
    protocol: Any = None
    wraps: dict[str, Any] | None = None
    accepted: list[str] = field(default_factory=list)
    open_ended: bool = False
    names_valid: bool = True      # False: its names were reported, so no trial construction
    unavailable: str | None = None  # its package is not installed: its cases skip, for this reason


def split_entry(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    reserved = {k: v for k, v in raw.items() if k in RESERVED_OPTIMIZER_KEYS}
    hyper = {k: v for k, v in raw.items() if k not in RESERVED_OPTIMIZER_KEYS}
    return reserved, hyper


def validate_entry(doc: Document, key: str, raw: dict[str, Any],
                findings: list[Finding]) -> ResolvedOptimizer | None:
    path = ("optimizers", key)
    reserved, hyper = split_entry(raw)
    before = len(findings)
    entry = validate(OptimizerEntry, reserved, doc, path, findings)
    if entry is None:
        return None
    try:
        cls = resolve_optimizer(entry.class_)
    except UnresolvedName as exc:
        findings.append(doc.finding(path + ("class",), exc.found, exc.expected, exc.hint))
        return None
    accepted, open_ended = keyword_parameters(cls, skip=("params",))
    resolved = ResolvedOptimizer(
        key=key, cls=cls, class_name=entry.class_, hyperparameters=hyper,
        grid=dict(entry.grid or {}), param_groups=[dict(g) for g in entry.param_groups or []],
        schedule=dict(entry.schedule) if entry.schedule else None,
        isolation=entry.start_isolation, problems=entry.problems, accepted=accepted,
        open_ended=open_ended,
        protocol=detect_protocol(cls, entry.protocol.model_dump(exclude_none=True)
                                 if entry.protocol else None),
        wraps=dict(entry.wraps) if entry.wraps else None)
    if resolved.wraps is not None and not _valid_wraps(doc, path + ("wraps",), resolved.wraps,
                                                       findings):
        return None
    validate_parts(doc, path, resolved, hyper, resolved.grid, resolved.param_groups,
                resolved.schedule, findings)
    # Each configuration is constructed once on parameters shaped like a problem's own, as its
    # cases are built (expand.py): a matrix optimizer (Muon) rejects a vector, not a matrix.
    resolved.names_valid = len(findings) == before
    return resolved


def _valid_wraps(doc: Document, path: KeyPath, wraps: dict[str, Any],
                 findings: list[Finding]) -> bool:
    name = wraps.get("class")
    if not isinstance(name, str):
        findings.append(doc.finding(path + ("class",), describe(name),
                                    "the wrapped optimizer's class, e.g. Adam or 'package.module:Class'"))
        return False
    try:
        resolve_optimizer(name)
    except UnresolvedName as exc:
        findings.append(doc.finding(path + ("class",), exc.found, exc.expected, exc.hint))
        return False
    return True


def validate_parts(doc: Document, path: KeyPath, opt: ResolvedOptimizer, hyper: dict[str, Any], grid: dict[str, Any],
                groups: list[dict[str, Any]], schedule: dict[str, Any] | None, findings: list[Finding]) -> None:
    """Names in hyperparameters, grid, parameter groups and schedule, against the classes."""
    validate_names(doc, path, opt, hyper, findings, reserved=RESERVED_OPTIMIZER_KEYS)
    validate_names(doc, path + ("grid",), opt, grid, findings)
    validate_values(doc, path, opt, hyper, findings)
    for name, values in grid.items():
        if isinstance(values, list):
            validate_values(doc, path + ("grid", name), opt,
                            {name: values}, findings, each_of=values)
    for index, group in enumerate(groups):
        group_path = path + ("param_groups", index)
        if not isinstance(group, dict):
            findings.append(doc.finding(group_path, describe(group), "a mapping for one group"))
            continue
        dims, match = group.get("dims"), group.get("match")
        if "dims" in group and not (isinstance(dims, list) and dims
                                    and all(type(d) is int and d >= 0 for d in dims)):
            findings.append(doc.finding(group_path + ("dims",), describe(dims),
                                        "a non-empty list of coordinate indexes, e.g. [0, 1]"))
        if "match" in group and not _is_pattern(match):
            findings.append(doc.finding(group_path + ("match",), describe(match),
                                        "a regular expression over parameter names, e.g. 'bias'"))
        group_values = {k: v for k, v in group.items() if k not in GROUP_KEYS}
        validate_names(doc, group_path, opt, group_values, findings, reserved=GROUP_KEYS)
        validate_values(doc, group_path, opt, group_values, findings)
    if schedule is not None:
        validate_schedule(doc, path + ("schedule",), schedule, findings)


def validate_names(doc: Document, path: KeyPath, opt: ResolvedOptimizer, values: dict[str, Any],
                findings: list[Finding], reserved: tuple[str, ...] = ()) -> None:
    if opt.open_ended:
        return
    for name in values:
        if name not in opt.accepted:
            hint = did_you_mean(name, [*opt.accepted, *reserved])
            if "(" in name or ")" in name:
                hint = "YAML has no tuples: write a list, e.g. betas: [0.9, 0.999]"
            findings.append(doc.finding(
                path + (name,), f"unknown parameter '{name}' of {describe_class(opt)}",
                one_of(opt.accepted), hint))


def validate_values(doc: Document, path: KeyPath, opt: ResolvedOptimizer, values: dict[str, Any],
                    findings: list[Finding], each_of: list[Any] | None = None) -> None:
    """Each value against the type the constructor's default gives its parameter; `each_of`:
    the values of one grid axis, each checked and reported at the axis."""
    parameters = constructor_parameters(opt.cls)
    for name, value in values.items():
        for candidate in each_of if each_of is not None else [value]:
            problem = check_value(name, candidate, parameters.get(name))
            if problem is not None:
                where = path if each_of is not None else path + (name,)
                findings.append(doc.finding(where, problem.found, problem.expected, problem.hint,
                                            field_name=None))
                break


def validate_schedule(doc: Document, path: KeyPath, schedule: dict[str, Any], findings: list[Finding]) -> None:
    name = schedule.get("class")
    if not isinstance(name, str):
        findings.append(doc.finding(path + ("class",), describe(name),
                                    "a scheduler class, e.g. StepLR or 'package.module:Class'"))
        return
    try:
        cls = resolve_scheduler(name)
    except UnresolvedName as exc:
        findings.append(doc.finding(path + ("class",), exc.found, exc.expected, exc.hint))
        return
    accepted, open_ended = keyword_parameters(cls, skip=("optimizer",))
    if schedule.get("interval", "step") not in ("step", "epoch"):
        findings.append(doc.finding(path + ("interval",), describe(schedule["interval"]),
                                    "step or epoch"))
    if open_ended:
        return
    for key in schedule:
        if key not in SCHEDULE_KEYS and key not in accepted:
            findings.append(doc.finding(path + (key,), f"unknown parameter '{key}' of {name}",
                                        one_of(accepted), did_you_mean(key, [*accepted, *SCHEDULE_KEYS])))


def _is_pattern(value: Any) -> bool:
    import re

    if not isinstance(value, str):
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True


def describe_class(opt: ResolvedOptimizer) -> str:
    return opt.class_name if ":" in opt.class_name else f"torch.optim.{opt.class_name}"


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The cartesian product of a grid, in the order the suite lists keys and values."""
    points: list[dict[str, Any]] = [{}]
    for name, values in grid.items():
        points = [{**point, name: value} for point in points for value in values]
    return points


@dataclass(frozen=True)
class TrialError:
    """Why a trial construction failed. `raised`: the class's own constructor (or schedule)
    raised, which fails the configuration's cases and no other; otherwise a name the class
    never reads, a suite error at collection."""

    text: str
    raised: bool


def trial_construct(opt: ResolvedOptimizer, hyper: dict[str, Any], groups: list[dict[str, Any]],
                    schedule: dict[str, Any] | None,
                    shapes: tuple[tuple[int, ...], ...] = ((1,),)) -> TrialError | None:
    """Build the optimizer (and schedule) once on dummy parameters of `shapes`, like a
    problem's own; why, if it fails. A group of coordinates (`dims`) gets one vector of its
    size; a group of named parameters, the first shape."""
    import torch

    def dummy(shape: tuple[int, ...]) -> Any:
        return torch.zeros(shape, dtype=torch.float64, requires_grad=True)

    if groups:
        params: list[Any] = [{"params": [dummy((len(g["dims"]),) if "dims" in g else shapes[0])],
                              **{k: v for k, v in g.items() if k not in GROUP_KEYS}}
                             for g in groups]
    else:
        params = [dummy(shape) for shape in shapes]
    try:
        optimizer = construct_optimizer(opt.cls, params, hyper, opt.wraps)
    except Exception as exc:  # the class's own validation: report it, whatever its type
        return TrialError(f"{describe(hyper)}, which {describe_class(opt)} rejects "
                          f"({type(exc).__name__}: {exc})", raised=True)
    unread = _unread(opt, optimizer, hyper)
    if unread:
        return TrialError(unread, raised=False)
    try:
        construct_scheduler(schedule, optimizer)
    except Exception as exc:
        assert schedule is not None
        kwargs = {k: v for k, v in schedule.items() if k not in SCHEDULE_KEYS}
        return TrialError(f"schedule {describe(kwargs)}, which {schedule['class']} rejects "
                          f"({type(exc).__name__}: {exc})", raised=True)
    return None


def _unread(opt: ResolvedOptimizer, optimizer: Any, hyper: dict[str, Any]) -> str | None:
    """A class that takes **kwargs accepts any name; one that neither its defaults nor its
    parameter groups hold was never read (a typo such as `weight_decy`)."""
    if not opt.open_ended:
        return None
    known = set(getattr(optimizer, "defaults", None) or {})
    known |= {name for group in getattr(optimizer, "param_groups", None) or [] for name in group}
    known |= set(opt.accepted)
    unread = [name for name in hyper if name not in known]
    if not unread:
        return None
    hints = [hint for name in unread if (hint := did_you_mean(name, sorted(known - {"params"})))]
    names = ", ".join(f"'{name}'" for name in unread)
    return (f"{names}, which {describe_class(opt)} takes through **kwargs but never reads "
            f"(neither its defaults nor its parameter groups hold "
            f"{'it' if len(unread) == 1 else 'them'})" + (f"; {'; '.join(hints)}" if hints else ""))
