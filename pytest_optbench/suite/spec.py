"""Pydantic models of a suite file, and pydantic errors turned into located suite problems.

Models are strict (`1` is not `true`, `"3"` is not `3`) and forbid unknown fields, so a typo is an
error that suggests the right name rather than a silently ignored key.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pytest_optbench.suite.errors import Problem, did_you_mean, describe, one_of
from pytest_optbench.suite.loader import Document, Path, dotted

NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
PositiveInt = Annotated[int, Field(gt=0)]
DEVICE_PATTERN = r"^(auto|cpu|cuda(:[0-9]+)?)$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$"
ALL_OPTIMIZERS = "*"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class BaselineCheck(StrictModel):
    """How far a metric may move from its stored baseline."""

    tolerance: NonNegative | None = None
    rel_tolerance: NonNegative | None = None
    two_sided: bool = False


class Expectation(StrictModel):
    """Gates on one metric: absolute bounds, a baseline comparison, or both."""

    min: float | None = None
    max: float | None = None
    baseline: BaselineCheck | None = None

    @field_validator("baseline", mode="before")
    @classmethod
    def _baseline_flag(cls, value: Any) -> Any:
        # `baseline: true` compares with the metric's default tolerances; `false` turns it off.
        if value is True:
            return BaselineCheck()
        if value is False:
            return None
        return value


class Convergence(StrictModel):
    """When a start point counts as converged: loss gap, distance to a minimum, or step size."""

    criterion: Literal["loss", "distance", "step"]
    tol: Positive


class CommonFields(StrictModel):
    """Fields every kind of problem may set."""

    expect: dict[str, Expectation] | None = None
    optimizers: list[str] | None = None
    overrides: dict[str, dict[str, Any]] | None = None
    does_not_converge: dict[str, str] | None = None
    tiers: dict[str, dict[str, Any]] | None = None
    seeds: Annotated[list[int], Field(min_length=1)] | None = None   # instead of the suite's
    skip: str | None = None      # do not run this problem (in this tier), for this reason

    @field_validator("does_not_converge", mode="before")
    @classmethod
    def _one_reason_for_all(cls, value: Any) -> Any:
        # A plain string: no optimizer is expected to converge on this problem, for that reason.
        if isinstance(value, str):
            return {ALL_OPTIMIZERS: value}
        return value


class AnalyticFields(CommonFields):
    """Fields an analytic problem may set; `defaults:` may set the same ones."""

    dim: PositiveInt | None = None
    options: dict[str, Union[bool, int, float, str]] | None = None
    domain: list[list[float]] | None = None
    minima: list[list[float]] | None = None
    starts: PositiveInt | None = None
    start_points: list[list[float]] | None = None
    steps: PositiveInt | None = None
    converge: Convergence | None = None
    dtype: Literal["float64", "float32", "bfloat16", "float16"] | None = None  # timing: all four

    @field_validator("domain", mode="before")
    @classmethod
    def _one_box_for_all(cls, value: Any) -> Any:
        # `domain: [-2, 2]` is shorthand for the same interval in every dimension.
        if isinstance(value, list) and len(value) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return [value]
        return value


class AnalyticProblem(AnalyticFields):
    function: str


class Augment(StrictModel):
    """Augmentation of each training batch, on the device."""

    crop: Annotated[int, Field(ge=0)] = 0    # zero padding of a random crop, in pixels
    flip: bool = False                       # random horizontal flips


class DataFields(CommonFields):
    """Fields a real-data problem may set; `defaults:` may set the same ones."""

    model: dict[str, Any] | None = None
    epochs: PositiveInt | None = None
    steps: PositiveInt | None = None
    batch_size: Any = None
    eval_every: PositiveInt | None = None
    train_subset: PositiveInt | None = None
    test_subset: PositiveInt | None = None
    augment: Augment | None = None
    precision: Literal["float32", "bf16"] | None = None
    channels_last: bool | None = None
    target_accuracy: Annotated[float, Field(gt=0, le=1)] | None = None

    @field_validator("batch_size", mode="before")
    @classmethod
    def _batch_size(cls, value: Any) -> Any:
        # 0 stands for full-batch descent: one step per epoch over the whole training set.
        if value is None or value == "full":
            return 0 if value == "full" else None
        if type(value) is int and value > 0:
            return value
        raise ValueError("a positive number of examples, or 'full' for full-batch descent")


class DataProblem(DataFields):
    dataset: str
    model: dict[str, Any]


class ParamsSpec(StrictModel):
    """What to time a step on: a preset, a model's parameters, or a total count."""

    preset: str | None = None
    model: dict[str, Any] | None = None
    input: list[PositiveInt] | None = None
    classes: PositiveInt | None = None
    count: Union[int, str] | None = None


class TimingFields(CommonFields):
    """Fields a step-time problem may set; `defaults:` may set the same ones."""

    implementations: list[str] | str | None = None
    dtype: Literal["float64", "float32", "bfloat16", "float16"] | None = None
    bytes_per_param: Annotated[float, Field(gt=0)] | None = None
    bandwidth_gbps: Annotated[float, Field(gt=0)] | None = None


class TimingProblem(TimingFields):
    params: ParamsSpec


class ProblemDefaults(AnalyticFields, DataFields, TimingFields):
    """`defaults:` and tiers: any field of any kind of problem."""


class SuiteHeader(StrictModel):
    """The top level of a suite file; optimizers and problems are validated one by one."""

    optbench: Literal[1]
    suite: Annotated[str, Field(pattern=NAME_PATTERN)] | None = None
    description: str | None = None
    device: Annotated[str, Field(pattern=DEVICE_PATTERN)] = "auto"
    dtype: Literal["float64", "float32"] | None = None
    seeds: Annotated[list[int], Field(min_length=1)] = [0]
    defaults: dict[str, Any] | None = None
    tiers: dict[str, dict[str, Any]] | None = None
    optimizers: Annotated[dict[str, dict[str, Any]], Field(min_length=1)]
    problems: Annotated[dict[str, dict[str, Any]], Field(min_length=1)]


class OptimizerEntry(StrictModel):
    """The reserved keys of an optimizer entry; every other key is a hyperparameter."""

    class_: str = Field(alias="class")
    grid: dict[str, Annotated[list[Any], Field(min_length=1)]] | None = None
    param_groups: Annotated[list[dict[str, Any]], Field(min_length=1)] | None = None
    schedule: dict[str, Any] | None = None
    start_isolation: Literal["shared-tensor", "tensor-per-start", "optimizer-per-start"] | None = None
    problems: list[str] | None = None


RESERVED_OPTIMIZER_KEYS = ("class", "grid", "param_groups", "schedule", "start_isolation", "problems")


def validate(model: type[BaseModel], data: Any, doc: Document, prefix: Path,
             problems: list[Problem]) -> BaseModel | None:
    """Validate `data` (found at `prefix` in `doc`); append located problems on failure."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problems_from(exc, model, doc, prefix))
        return None


def _problems_from(exc: ValidationError, model: type[BaseModel], doc: Document,
                   prefix: Path) -> list[Problem]:
    found: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        path = prefix + loc
        kind = error["type"]
        if kind == "extra_forbidden":
            allowed = field_names_at(model, loc[:-1])
            found.append(doc.problem(path, f"unknown field '{loc[-1]}'", one_of(allowed),
                                     did_you_mean(str(loc[-1]), allowed)))
        elif kind == "missing":
            found.append(doc.problem(path[:-1], "nothing", f"the required field '{loc[-1]}'",
                                     field_name=dotted(path)))
        elif kind == "literal_error" and loc == ("optbench",):
            found.append(doc.problem(path, describe(error["input"]), "1",
                                     "this version of pytest-optbench reads suite format 1"))
        else:
            found.append(doc.problem(path, describe(error["input"]), _expected(error)))
    return found


def _expected(error: dict) -> str:
    message = error["msg"]
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


def field_names_at(model: type[BaseModel], loc: tuple) -> list[str]:
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
