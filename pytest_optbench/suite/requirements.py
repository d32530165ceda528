"""A suite's `requires:`: optimizers from packages that are not installed skip, saying why.

A suite that gates optimizers from other libraries still collects where one of them is absent:
the cases of the optimizers it provides skip with the requirement that installs it, and the
rest run.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Mapping

from pytest_optbench.suite.optimizers import ResolvedOptimizer, split_entry


def missing_requirements(requires: Mapping[str, str] | None) -> dict[str, str]:
    """Module -> requirement, for the required modules that cannot be imported here."""
    missing = {}
    for module, requirement in (requires or {}).items():
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing[module] = requirement
    return missing


def _names_in(raw: dict[str, Any]) -> list[str]:
    """Every class name an entry mentions: its class, the one it wraps, class-valued options."""
    names = [raw.get("class")]
    wraps = raw.get("wraps")
    if isinstance(wraps, dict):
        names.append(wraps.get("class"))
    for value in raw.values():
        if isinstance(value, dict) and set(value) == {"class"}:
            names.append(value["class"])
        elif isinstance(value, str) and ":" in value:
            names.append(value)
    return [n for n in names if isinstance(n, str)]


def unavailable_entry(key: str, raw: dict[str, Any],
                      missing: Mapping[str, str]) -> ResolvedOptimizer | None:
    """An optimizer entry that names a class from a missing module: not resolved, its cases
    skip. None when everything it names can be imported."""
    if not missing:
        return None
    for name in _names_in(raw):
        module = name.partition(":")[0]
        for required, requirement in missing.items():
            if module == required or module.startswith(required + "."):
                _, hyper = split_entry(raw)
                return ResolvedOptimizer(
                    key=key, cls=object, class_name=str(raw.get("class")), hyperparameters=hyper,
                    grid=dict(raw.get("grid") or {}), param_groups=list(raw.get("param_groups") or []),
                    schedule=raw.get("schedule"), isolation=raw.get("start_isolation"),
                    problems=raw.get("problems"), open_ended=True, names_valid=False,
                    wraps=raw.get("wraps"),
                    unavailable=f"needs {required}, which is not installed: "
                                f"pip install '{requirement}'")
    return None
