"""The configuration of one real-data problem, as a case runs it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class DataConfig:
    dataset: str
    model: str                          # a built-in kind or "package.module:function"
    model_options: Mapping[str, Any]
    epochs: int | None                  # exactly one of epochs and steps
    steps: int | None
    batch_size: int                     # 0: full-batch descent
    eval_every: int | None              # steps between evaluations; None: every epoch
    train_subset: int | None
    test_subset: int | None
    crop: int                           # random-crop padding; 0: none
    flip: bool
    precision: str                      # float32 | bf16
    channels_last: bool
    target_accuracy: float | None
    # The train loss may grow to this many times its first value before the run counts as
    # diverged. A check, not part of the identity: changing it never makes baselines stale.
    divergence_factor: float = 1e6

    def identity(self) -> dict[str, Any]:
        identity = json.loads(json.dumps(asdict(self)))
        identity.pop("divergence_factor")
        return identity
