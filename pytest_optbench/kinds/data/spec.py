"""The fields of a real-data problem in a suite file."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from pytest_optbench.gate.expectations import StrictModel
from pytest_optbench.suite.spec import CommonFields, GrowthFactor, PositiveInt


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
    divergence_factor: GrowthFactor | None = None   # train loss above this x its first: DIVERGED

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
