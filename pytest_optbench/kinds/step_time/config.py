"""The configuration of one step-time problem, as a case times it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class StepTimeConfig:
    params: Mapping[str, Any]            # {"preset": ...}, {"model": ..., "input": ...}, {"count": N}
    dtype: str
    implementation: str                  # default | for-loop | foreach | fused
    bytes_per_param: float | None        # declared; otherwise derived from the optimizer's state
    bandwidth_gbps: float | None         # declared; otherwise known or measured for the device

    def identity(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))
