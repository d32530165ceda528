"""The configuration of one analytic problem, as a case runs it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class AnalyticConfig:
    function: str
    dim: int
    options: Mapping[str, Any]
    domain: tuple[tuple[float, float], ...]
    minima: tuple[tuple[float, ...], ...] | None   # only for user functions
    starts: int
    start_points: tuple[tuple[float, ...], ...] | None
    steps: int
    criterion: str
    tol: float
    dtype: str

    def identity(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))
