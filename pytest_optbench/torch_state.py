"""The global torch state every case starts from, and what a case changed of it.

A user's function or optimizer that sets the default dtype, turns on deterministic algorithms,
changes the thread count or leaves grad mode off would otherwise change every case after it.
The state is taken once, before the first case; each case starts from it and it is put back
after each case, whatever the case did. Random-number states are put back too, but changing
them is what training does, so only the other settings are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class TorchState:
    settings: tuple[tuple[str, Any], ...]   # (name, value) of every reported setting
    cpu_rng: torch.Tensor
    cuda_rng: tuple[torch.Tensor, ...] | None

    @classmethod
    def capture(cls) -> TorchState:
        cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
        return cls(tuple(_settings().items()), torch.get_rng_state(),
                   tuple(cuda) if cuda is not None else None)

    def restore(self) -> None:
        values = dict(self.settings)
        torch.set_default_dtype(values["default dtype"])
        torch.use_deterministic_algorithms(values["deterministic algorithms"],
                                           warn_only=values["deterministic warn only"])
        if torch.get_num_threads() != values["threads"]:
            torch.set_num_threads(values["threads"])
        torch.set_grad_enabled(values["grad mode"])
        torch.backends.cudnn.benchmark = values["cudnn benchmark"]
        torch.backends.cudnn.deterministic = values["cudnn deterministic"]
        torch.set_float32_matmul_precision(values["float32 matmul precision"])
        torch.set_rng_state(self.cpu_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(list(self.cuda_rng))

    def changed_by(self, now: TorchState) -> list[str]:
        """The settings that differ in `now`, as "name: before -> after"."""
        after = dict(now.settings)
        return [f"{name}: {before} -> {after[name]}" for name, before in self.settings
                if after[name] != before]


def _settings() -> dict[str, Any]:
    return {
        "default dtype": torch.get_default_dtype(),
        "deterministic algorithms": torch.are_deterministic_algorithms_enabled(),
        "deterministic warn only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "threads": torch.get_num_threads(),
        "grad mode": torch.is_grad_enabled(),
        "cudnn benchmark": torch.backends.cudnn.benchmark,
        "cudnn deterministic": torch.backends.cudnn.deterministic,
        "float32 matmul precision": torch.get_float32_matmul_precision(),
    }
