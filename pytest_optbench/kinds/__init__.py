"""The kinds of case, one folder each, and the registry that names them.

Adding a kind is one new folder (its package defines `KIND`, an object following
`pytest_optbench.kinds.base.Kind`) and one line below. This module imports nothing heavy, so that
the plugin can register the kinds' markers on every pytest run.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from pytest_optbench.gate.metrics import Metric
    from pytest_optbench.kinds.base import Kind

# name -> (the package that defines KIND, the pytest marker's help text)
REGISTRY: dict[str, tuple[str, str]] = {
    "analytic": ("pytest_optbench.kinds.analytic", "an optbench case on an analytic test function"),
    "data": ("pytest_optbench.kinds.data", "an optbench case that trains a model on a dataset"),
    "step_time": ("pytest_optbench.kinds.step_time", "an optbench case that times optimizer.step()"),
    "contracts": ("pytest_optbench.kinds.contracts",
                  "an optbench case that checks one contract of an optimizer"),
}


def kind(name: str) -> Kind:
    """The kind called `name`; KeyError names the known ones."""
    if name not in REGISTRY:
        raise KeyError(f"no kind '{name}'; known kinds: {', '.join(REGISTRY)}")
    return _load(name)


@functools.lru_cache(maxsize=None)
def _load(name: str) -> Kind:
    found: Kind = importlib.import_module(REGISTRY[name][0]).KIND
    return found


def all_kinds() -> list[Kind]:
    return [kind(name) for name in REGISTRY]


def metric_definitions() -> Mapping[str, Metric]:
    """Every kind's metrics by name (names are unique across kinds)."""
    return {name: metric for each in all_kinds() for name, metric in each.metrics.items()}
