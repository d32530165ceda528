"""Run history in SQLite (standard library): every run's provenance and per-seed metrics,
appended by `--optbench-history` or `optbench history add`; trends, drift and diffs over it.
Imports no pytest and no torch."""
