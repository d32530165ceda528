"""The fields of a step-time problem in a suite file."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field

from pytest_optbench.gate.expectations import StrictModel
from pytest_optbench.suite.spec import CommonFields, PositiveInt


class ParamsSpec(StrictModel):
    """What to time a step on: a preset, a model's parameters, or a total count."""

    preset: str | None = None
    model: dict[str, Any] | None = None
    input: list[PositiveInt] | None = None
    classes: PositiveInt | None = None
    count: Union[int, str] | None = None


class StepTimeFields(CommonFields):
    """Fields a step-time problem may set; `defaults:` may set the same ones."""

    implementations: list[str] | str | None = None
    dtype: Literal["float64", "float32", "bfloat16", "float16"] | None = None
    bytes_per_param: Annotated[float, Field(gt=0)] | None = None
    bandwidth_gbps: Annotated[float, Field(gt=0)] | None = None


class StepTimeProblem(StepTimeFields):
    params: ParamsSpec
