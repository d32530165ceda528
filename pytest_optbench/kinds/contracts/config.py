"""The configuration of one contract case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ContractConfig:
    contract: str                 # a name of CONTRACTS
    elementwise: tuple[str, ...]  # optimizers the suite declares elementwise
    known: tuple[tuple[str, str], ...] = ()   # ("optimizer-contract", why) known broken
    # (optimizer, implementation) pairs the suite declares bitwise equal to the for-loop
    bitwise: tuple[tuple[str, str], ...] = ()

    def identity(self) -> dict[str, Any]:
        return {"contract": self.contract}
