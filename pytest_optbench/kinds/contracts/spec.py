"""The fields of a contracts problem in a suite file."""

from __future__ import annotations

from typing import Union

from pytest_optbench.suite.spec import CommonFields


class ContractsFields(CommonFields):
    """Fields a contracts problem may set; `defaults:` may set the same ones."""

    # Optimizers (by their name in the suite) whose update of each element depends on that
    # element alone; torch.optim's elementwise classes are known without it.
    elementwise: list[str] | None = None
    # "optimizer-contract" -> why: a contract known to be broken in the class itself (a bug
    # reported upstream). The case is skipped as a known problem while it stays broken, and
    # fails once it holds, so that the entry is removed.
    known: dict[str, str] | None = None
    # "optimizer-implementation" (foreach, fused or capturable): an implementation whose
    # documentation promises results bitwise equal to its for-loop, not only close to them.
    bitwise: list[str] | None = None
    # Which contracts: settable in `defaults:` and tiers too (a tier may leave out the slow one).
    contracts: Union[list[str], str] | None = None


class ContractsProblem(ContractsFields):
    contracts: Union[list[str], str]    # "all", or contract names: required on the problem
