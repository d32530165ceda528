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
    # A start diverges when its loss gap grows beyond this many times its initial one. A
    # check, like a tolerance: not part of the identity, so that it never makes baselines stale.
    divergence_factor: float = 1e6

    def identity(self) -> dict[str, Any]:
        identity = json.loads(json.dumps(asdict(self)))
        identity.pop("divergence_factor")
        return identity
