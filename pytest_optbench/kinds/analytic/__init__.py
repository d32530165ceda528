"""Analytic test functions: batched multi-start runs and their metrics."""
