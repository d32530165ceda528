"""pytest-optbench: regression gates for optimizer behaviour, declared in YAML suites.

PYTEST_DONT_REWRITE: the plugin reports through its own checks, not through assert statements.
"""

__version__ = "0.1.0"
