"""What a suite asks of one metric: absolute bounds, a baseline comparison, or both.

Pydantic models, strict and closed: `1` is not `true`, and an unknown field is an error.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

NonNegative = Annotated[float, Field(ge=0)]


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
