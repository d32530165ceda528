"""pytest-optbench: regression gates for optimizer behaviour, declared in YAML suites.

PYTEST_DONT_REWRITE: the plugin reports through its own checks, not through assert statements.

The names in `__all__` are the Python API. They load on first use, so that importing the
package (as pytest does for the plugin on every run) loads neither torch nor pydantic.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_suite": "pytest_optbench.api", "build_suite": "pytest_optbench.api",
    "run_case": "pytest_optbench.api",
    "BuildContext": "pytest_optbench.suite.build", "Suite": "pytest_optbench.suite.build",
    "Case": "pytest_optbench.suite.cases", "SuiteError": "pytest_optbench.suite.errors",
    "CaseResult": "pytest_optbench.gate.record", "Row": "pytest_optbench.gate.record",
    "Status": "pytest_optbench.gate.record", "Outcome": "pytest_optbench.gate.record",
    "BaselineContext": "pytest_optbench.gate.record",
    "StepTiming": "pytest_optbench.kinds.step_time.timer",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'pytest_optbench' has no attribute '{name}'")
