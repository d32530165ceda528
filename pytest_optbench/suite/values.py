"""Hyperparameter values against what the constructor's own defaults say they are.

YAML 1.2 reads `no`, `off` and `yes` as strings, and torch takes any non-empty string as true,
so `nesterov: no` would silently run Nesterov momentum. Types are therefore checked before
anything trains: a flag must be a boolean, a number a finite number, a tuple a list of the same
length; a learning rate must be positive.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

YAML_11_BOOLEANS = {"yes", "no", "on", "off", "y", "n", "true", "false"}
LEARNING_RATE_NAMES = ("lr", "learning_rate")


@dataclass(frozen=True)
class BadValue:
    found: str
    expected: str
    hint: str | None = None


def constructor_parameters(cls: type, skip: tuple[str, ...] = ("params",)
                           ) -> dict[str, inspect.Parameter]:
    """The constructor's parameters by name, `self` and `skip` left out."""
    try:
        signature = inspect.signature(cls.__init__)  # type: ignore[misc]
    except (TypeError, ValueError):
        return {}
    return {name: p for name, p in signature.parameters.items()
            if name not in skip and name != "self"}


def check_value(name: str, value: Any, parameter: inspect.Parameter | None = None
                ) -> BadValue | None:
    """What is wrong with `value` for the parameter `name`, judged by the type its default
    (or, for a default of None, its annotation) says it has."""
    default = parameter.default if parameter is not None else inspect.Parameter.empty
    if isinstance(value, dict) and "class" in value:
        return None  # a class-valued option ({class: SGD}), checked where it is resolved
    if name in LEARNING_RATE_NAMES:
        # None where the class's own default is None: it then chooses its step size itself.
        return None if value is None and default is None else _learning_rate(value)
    if isinstance(default, bool):
        return _flag(value)
    if default is None and parameter is not None and _optional_flag(parameter.annotation):
        return None if value is None else _flag(value)  # foreach, fused: true, false or null
    if _is_number(default):
        return _number(value)
    if isinstance(default, (tuple, list)) and default and all(_is_number(d) for d in default):
        return _numbers(value, len(default), default)
    return _finite_anywhere(value)


def _optional_flag(annotation: Any) -> bool:
    """`bool | None` or `Optional[bool]`, however the class spells it."""
    text = annotation if isinstance(annotation, str) else repr(annotation)
    words = {w.strip() for w in text.replace("Optional[", "").replace("]", "")
             .replace("typing.", "").replace("<class '", "").replace("'>", "").split("|")}
    return words in ({"bool", "None"}, {"bool"})


def _flag(value: Any) -> BadValue | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.lower() in YAML_11_BOOLEANS:
        return BadValue(f"the string '{value}'", "true or false",
                        "YAML 1.2 reads yes/no/on/off as strings, and torch would take any "
                        "non-empty string as true; write true or false")
    return BadValue(_describe(value), "true or false")


def _number(value: Any) -> BadValue | None:
    if isinstance(value, bool):
        return BadValue(_describe(value), "a number", "a boolean is not a number here")
    if isinstance(value, str):
        return _quoted_number(value, "a number")
    if not _is_number(value):
        return BadValue(_describe(value), "a number")
    if not math.isfinite(value):
        return BadValue(_describe(value), "a finite number")
    return None


def _learning_rate(value: Any) -> BadValue | None:
    problem = _number(value)
    if problem is not None:
        return BadValue(problem.found, "a positive learning rate", problem.hint)
    if value <= 0:
        return BadValue(_describe(value), "a positive learning rate, e.g. 1e-3")
    return None


def _numbers(value: Any, length: int, default: Any) -> BadValue | None:
    example = "[" + ", ".join(repr(d) for d in default) + "]"
    if isinstance(value, str):
        hint = f"YAML has no tuples: write a list, e.g. {example}" \
            if value.lstrip().startswith("(") else None
        return BadValue(f"the string '{value}'", f"a list of {length} numbers", hint)
    if not isinstance(value, (list, tuple)):
        return BadValue(_describe(value), f"a list of {length} numbers, e.g. {example}")
    if len(value) != length:
        return BadValue(f"a list of {len(value)}", f"a list of {length} numbers, e.g. {example}")
    for item in value:
        problem = _number(item)
        if problem is not None:
            return BadValue(f"{problem.found} in {_describe(value)}",
                            f"a list of {length} finite numbers", problem.hint)
    return None


def _finite_anywhere(value: Any) -> BadValue | None:
    """Without a default to say what the type is, only non-finite numbers are refused."""
    if isinstance(value, float) and not math.isfinite(value):
        return BadValue(_describe(value), "a finite number")
    if isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, float) and not math.isfinite(item):
                return BadValue(f"{_describe(item)} in {_describe(value)}", "finite numbers")
    return None


def _quoted_number(value: str, expected: str) -> BadValue:
    try:
        float(value)
    except ValueError:
        return BadValue(f"the string '{value}'", expected)
    return BadValue(f"the string '{value}'", expected, "remove the quotes")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if isinstance(value, float) and math.isnan(value):
        return ".nan"
    if isinstance(value, str):
        return f"the string '{value}'"
    return repr(value)
