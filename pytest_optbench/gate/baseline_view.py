"""What the checks know of a case's stored baseline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from pytest_optbench.gate.envelope import Envelope
from pytest_optbench.gate.record import BaselineState

Values = Sequence[Any]   # one value per seed; for curves, one list per seed


@dataclass(frozen=True)
class BaselineView:
    """What the checks need to know about a case's stored baseline."""

    state: BaselineState
    metrics: Mapping[str, Values] | None = None
    provenance: Mapping[str, Any] | None = None
    detail: str = ""
    curve: Mapping[str, list[Any]] | None = None      # the stored mean learning curve, for plots
    seeds: Sequence[int] | None = None                # the seeds of the stored values, in order
    envelope: Envelope | None = None                  # how far each value moves under rounding
    fingerprint: str | None = None                    # the hash of the stored run's exact numbers
    observed: Mapping[str, Any] | None = None         # what the stored run observed (isolation)
