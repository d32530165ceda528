"""Pydantic models of a suite file, and pydantic errors turned into located suite findings.

Models are strict (`1` is not `true`, `"3"` is not `3`) and forbid unknown fields, so a typo is an
error that suggests the right name rather than a silently ignored key.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Literal, Mapping, TypeVar, Union

from pydantic import BaseModel, Field, ValidationError, field_validator

from pytest_optbench.suite.device_request import DEVICE_PATTERN
from pytest_optbench.gate.expectations import Expectation, StrictModel
from pytest_optbench.suite.errors import Finding, did_you_mean, describe, one_of
from pytest_optbench.suite.loader import Document, KeyPath, dotted

Positive = Annotated[float, Field(gt=0)]
PositiveInt = Annotated[int, Field(gt=0)]
# How many times its initial value a loss may grow before the run counts as diverged.
GrowthFactor = Annotated[float, Field(gt=1, allow_inf_nan=False)]
DEFAULT_DIVERGENCE_FACTOR = 1e6
Seed = Annotated[int, Field(ge=0, lt=2 ** 63)]
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$"
ALL_OPTIMIZERS = "*"
# Sizes checked before anything is built: an optimizer's grid on one problem (each point is
# constructed once at collection), and a suite's cases. Far above any sweep a regression gate
# runs; far below a typo (a 1000 x 1000 grid) that would collect for minutes.
MAX_GRID_POINTS = 1_000
# Suite and problem names become parts of file names (baselines/SUITE.json,
# SUITE-PROBLEM-paths.png): at most this long, so that every name stays under 255 bytes.
MAX_NAME = 100
MAX_CASES = 20_000


class CommonFields(StrictModel):
    """Fields every kind of problem may set."""

    expect: dict[str, Expectation] | None = None
    optimizers: list[str] | None = None
    overrides: dict[str, dict[str, Any]] | None = None
    does_not_converge: dict[str, str] | None = None
    tiers: dict[str, dict[str, Any]] | None = None
    seeds: Annotated[list[Seed], Field(min_length=1)] | None = None   # instead of the suite's
    skip: str | None = None      # do not run this problem (in this tier), for this reason
    timeout: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None  # seconds a case may run

    @field_validator("does_not_converge", mode="before")
    @classmethod
    def _one_reason_for_all(cls, value: Any) -> Any:
        # A plain string: no optimizer is expected to converge on this problem, for that reason.
        if isinstance(value, str):
            return {ALL_OPTIMIZERS: value}
        return value


# A class or function of the user's own, as suites name it: "package.module:Class".
OWN_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$"


class SuiteHeader(StrictModel):
    """The top level of a suite file; optimizers and problems are validated one by one."""

    optbench: Literal[1]
    # It names the baseline file and, with a problem's name, each plot: kept short enough for
    # every file system's 255-byte names.
    suite: Annotated[str, Field(pattern=NAME_PATTERN, max_length=MAX_NAME)] | None = None
    description: str | None = None
    device: Annotated[str, Field(pattern=DEVICE_PATTERN)] = "auto"
    dtype: Literal["float64", "float32"] | None = None
    seeds: Annotated[list[Seed], Field(min_length=1)] = [0]
    defaults: dict[str, Any] | None = None
    # Modules the suite's optimizers come from, each with the requirement that installs it
    # ({pytorch_optimizer: "pytorch-optimizer==4.1.0"}): without one, the cases of the
    # optimizers it provides skip, saying what to install.
    requires: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$")],
                   Annotated[str, Field(min_length=1)]] | None = None
    tiers: dict[str, dict[str, Any]] | None = None
    optimizers: Annotated[dict[str, dict[str, Any]], Field(min_length=1)]
    problems: Annotated[dict[str, dict[str, Any]], Field(min_length=1)]
    # Conclusions about the suite's cases, checked at the end of a run (pytest_optbench.suite.claims, gate.claims).
    claims: dict[str, Any] | None = None


class ProtocolEntry(StrictModel):
    """`protocol:` of an optimizer: what to do beyond detection (see resolve.detect_protocol)."""

    closure: bool | None = None
    train_eval: bool | None = None
    create_graph: bool | None = None


class OptimizerEntry(StrictModel):
    """The reserved keys of an optimizer entry; every other key is a hyperparameter."""

    class_: str = Field(alias="class")
    grid: dict[str, Annotated[list[Any], Field(min_length=1)]] | None = None
    param_groups: Annotated[list[dict[str, Any]], Field(min_length=1)] | None = None
    schedule: dict[str, Any] | None = None
    start_isolation: Literal["shared-tensor", "tensor-per-start", "optimizer-per-start"] | None = None
    problems: list[str] | None = None
    protocol: ProtocolEntry | None = None
    wraps: dict[str, Any] | None = None     # {class: Adam, lr: 0.01}: the optimizer it wraps


RESERVED_OPTIMIZER_KEYS = ("class", "grid", "param_groups", "schedule", "start_isolation", "problems",
                           "protocol", "wraps")


Model = TypeVar("Model", bound=BaseModel)


def validate(model: type[Model], data: Any, doc: Document, prefix: KeyPath,
             findings: list[Finding]) -> Model | None:
    """Validate `data` (found at `prefix` in `doc`); append located findings on failure."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        findings.extend(_problems_from(exc, model, doc, prefix))
        return None


def _problems_from(exc: ValidationError, model: type[BaseModel], doc: Document,
                   prefix: KeyPath) -> list[Finding]:
    found: list[Finding] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        path = prefix + loc
        error_type = error["type"]
        if error_type == "extra_forbidden":
            allowed = field_names_at(model, loc[:-1])
            found.append(doc.finding(path, f"unknown field '{loc[-1]}'", one_of(allowed),
                                     did_you_mean(str(loc[-1]), allowed)))
        elif error_type == "missing":
            found.append(doc.finding(path[:-1], "nothing", f"the required field '{loc[-1]}'",
                                     field_name=dotted(path)))
        elif error_type == "literal_error" and loc == ("optbench",):
            found.append(doc.finding(path, describe(error["input"]), "1",
                                     "this version of pytest-optbench reads suite format 1"))
        else:
            found.append(doc.finding(path, describe(error["input"]), _expected(error),
                                     _quote_hint(error, str(loc[-1]) if loc else "")))
    return found


def _quote_hint(error: Mapping[str, Any], name: str) -> str | None:
    """YAML reads `suite: 012` as the number 12 and `name: true` as a boolean: say to quote it."""
    value = error["input"]
    if error["type"] == "string_type" and isinstance(value, (int, float, bool)):
        return (f"quote the value as written ({name}: '...'); unquoted, YAML reads it as a "
                f"number or a boolean")
    return None


def _expected(error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    for prefix in ("Input should be ", "Value should be ", "Value error, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
            break
    if message.startswith(("greater", "less")):
        message = "a value " + message
    if error["type"] == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern")
        if pattern == DEVICE_PATTERN:
            return "auto, cpu, cuda or cuda:N"
        if pattern == NAME_PATTERN:
            return "a name of letters, digits and . _ + - (it becomes part of test ids)"
    if error["type"] == "too_short" and "at least 1" in message:
        return "at least one entry"
    return message


def field_names_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model reached by following `loc` from `model` (for suggestions)."""
    current: Any = model
    for part in loc:
        current = _descend(current, part)
        if current is None:
            return []
    current = _strip(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [field.alias or name for name, field in current.model_fields.items()]
    return []


def _strip(annotation: Any) -> Any:
    """`Annotated[X, ...]` -> X and `X | None` -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _descend(annotation: Any, part: Any) -> Any:
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    origin = typing.get_origin(annotation)
    if origin is dict:
        return typing.get_args(annotation)[1]
    if origin is list:
        return typing.get_args(annotation)[0]
    return None
