"""Metrics, checks, seed statistics, the baseline store and the result record. No torch."""
