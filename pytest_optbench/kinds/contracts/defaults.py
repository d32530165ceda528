"""The defaults contract: what a class does when a user leaves an option out.

The constructor's defaults and the `defaults` of an instance built with them are part of the
case's identity, so they are kept in its baseline entry; a changed default then shows as
CHANGED with the field, old -> new.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import torch

from pytest_optbench.kinds.contracts.problems import Factory, NotApplicable


def plain(value: Any) -> Any:
    """A default as JSON: numbers, flags, strings, None, lists; anything else by its repr."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if torch.is_tensor(value) and value.numel() == 1:
        return float(value)
    return repr(value)


def recorded_defaults(factory: Factory) -> dict[str, Any]:
    """{"signature": the constructor's defaults, "instance": optimizer.defaults}."""
    try:
        parameters = inspect.signature(factory.cls.__init__).parameters  # type: ignore[misc]
    except (TypeError, ValueError):
        raise NotApplicable("its constructor has no signature to read") from None
    signature = {name: plain(p.default) for name, p in parameters.items()
                 if name not in ("self", "params") and p.default is not inspect.Parameter.empty}
    probe = [torch.zeros(4, 3, requires_grad=True)]  # a matrix: every class takes one
    try:
        instance = factory.cls(probe)
        how = "built with no options"
    except Exception:  # noqa: BLE001 - a required option: build it as the suite does
        instance = factory(probe)
        how = "built with the suite's options"
    defaults = {name: plain(value) for name, value in getattr(instance, "defaults", {}).items()}
    return {"signature": signature, "instance": defaults, "instance_built": how}
