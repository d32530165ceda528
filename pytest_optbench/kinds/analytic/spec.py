"""The fields of an analytic problem in a suite file."""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import field_validator

from pytest_optbench.gate.expectations import StrictModel
from pytest_optbench.suite.spec import CommonFields, GrowthFactor, Positive, PositiveInt


class Convergence(StrictModel):
    """When a start point counts as converged: loss gap, distance to a minimum, or step size."""

    criterion: Literal["loss", "distance", "step"]
    tol: Positive


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
    divergence_factor: GrowthFactor | None = None   # loss gap above this x its start: DIVERGED
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
