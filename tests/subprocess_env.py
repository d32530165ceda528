"""The environment of a pytest run in a subprocess: the tests' own modules (optbench_testing)
importable, after whatever PYTHONPATH already names (another checkout of the plugin, say)."""

import os
from pathlib import Path

TESTS = str(Path(__file__).parent)


def with_tests_path() -> str:
    return os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), TESTS]))
