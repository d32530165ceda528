"""What a baseline file must hold, checked strictly when it is read.

A baseline value of NaN, an infinity, or an empty list would switch its metric's gate off, and
a duplicated key would silently win over the first: each is refused with the file, the line and
what to do. The file itself is never touched by the check.
"""

from __future__ import annotations

import json
import math
from typing import Any

RESTORE_HINT = ("restore it from version control (git checkout -- FILE) or record the cases "
                "again with --optbench-update-baselines")


class BaselineFormatError(Exception):
    """Where in the file (a line, a dotted path) and what is wrong."""

    def __init__(self, line: int | None, where: str, found: str, expected: str):
        self.line, self.where, self.found, self.expected = line, where, found, expected
        super().__init__(f"{where}: found {found}; expected {expected}")


def parse(text: str) -> Any:
    """JSON without NaN, infinities or duplicated keys."""
    def constant(name: str) -> Any:
        raise BaselineFormatError(_line_of(text, name), "a value", name, "a finite number")

    def number(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise BaselineFormatError(_line_of(text, literal), "a value", literal,
                                      "a finite number")
        return value

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise BaselineFormatError(_line_of(text, json.dumps(key), 2), f"key {key!r}",
                                          "it twice in one object", "each key once")
            seen[key] = value
        return seen

    return json.loads(text, parse_constant=constant, parse_float=number,
                      object_pairs_hook=unique)


def check(data: dict[str, Any], text: str) -> None:
    """Every entry: a hash, the seeds, per-seed metric values that are finite."""
    for context, cases in data["entries"].items():
        if not isinstance(cases, dict):
            raise BaselineFormatError(_line_of(text, json.dumps(context)), f"entries.{context}",
                                      type(cases).__name__, "a mapping of case ids to entries")
        for case_id, entry in cases.items():
            _check_entry(f"entries.{context}.{case_id}", entry, _line_of(text, json.dumps(case_id)))


def _check_entry(where: str, entry: Any, line: int | None) -> None:
    def fail(part: str, found: str, expected: str) -> None:
        raise BaselineFormatError(line, f"{where}{part}", found, expected)

    if not isinstance(entry, dict):
        fail("", type(entry).__name__, "an entry with config_hash, seeds and metrics")
    if not isinstance(entry.get("config_hash"), str):
        fail(".config_hash", repr(entry.get("config_hash")), "the case's configuration hash")
    seeds = entry.get("seeds")
    if not (isinstance(seeds, list) and seeds
            and all(type(s) is int and s >= 0 for s in seeds) and len(set(seeds)) == len(seeds)):
        fail(".seeds", repr(seeds), "a non-empty list of distinct seeds >= 0")
    metrics = entry.get("metrics")
    if not isinstance(metrics, dict):
        fail(".metrics", repr(metrics), "a mapping of metric names to per-seed values")
    for name, values in metrics.items():
        if not isinstance(values, list) or len(values) != len(seeds):
            found = f"{len(values)} values" if isinstance(values, list) else repr(values)
            fail(f".metrics.{name}", found, f"one value per seed ({len(seeds)})")
        for value in values:
            if not _finite_or_none(value):
                fail(f".metrics.{name}", repr(value), "finite numbers (or null where a seed "
                                                        "never reached it)")
    if "envelope" in entry:
        _check_envelope(entry["envelope"], fail)
    # Optional parts the gate reads: each of one type, or absent.
    for part, kind, expected in (("provenance", dict, "a mapping (torch version, device, ...)"),
                                 ("curve", dict, "a mapping of a stored learning curve"),
                                 ("observed", dict, "a mapping of observations"),
                                 ("config", dict, "the case's configuration as a mapping"),
                                 ("fingerprint", str, "the hash of the run's exact numbers")):
        if entry.get(part) is not None and not isinstance(entry[part], kind):
            fail(f".{part}", _short(entry[part]), expected)


def _check_envelope(envelope: Any, fail: Any) -> None:
    """A noise envelope: a replica count and, per metric, spreads that are finite and not
    negative (null where a replica lost the value), one per point for a curve."""
    if not isinstance(envelope, dict):
        fail(".envelope", repr(envelope), "a mapping with replicas and spread")
    replicas = envelope.get("replicas")
    if type(replicas) is not int or replicas < 1:
        fail(".envelope.replicas", repr(replicas), "the number of replicas measured, >= 1")
    spread = envelope.get("spread")
    if not isinstance(spread, dict):
        fail(".envelope.spread", repr(spread), "a mapping of metric names to spreads")
    for part in ("spread", "band"):
        values = envelope.get(part, {})
        if not isinstance(values, dict):
            fail(f".envelope.{part}", _short(values), "a mapping of metric names to spreads")
        for name, value in values.items():
            points = value if isinstance(value, list) else [value]
            if not points or not all(v is None or (_number(v) and v >= 0) for v in points):
                fail(f".envelope.{part}.{name}", _short(value),
                     "spreads >= 0 (null where a replica lost the value)")
    for part, kind in (("perturbation", str), ("free", str)):
        if envelope.get(part) is not None and not isinstance(envelope[part], kind):
            fail(f".envelope.{part}", _short(envelope[part]), "a description")


def _finite_or_none(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, list):  # a trajectory: one value (never a list) per recorded point
        return bool(value) and all(v is None or _number(v) for v in value)
    return _number(value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _short(value: Any) -> str:
    """A found value for a message: its repr, cut where it is long (results_file.py too)."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _line_of(text: str, needle: str, occurrence: int = 1) -> int | None:
    """The line of the `occurrence`-th appearance of `needle`, for locating an error."""
    start = -1
    for _ in range(occurrence):
        start = text.find(needle, start + 1)
        if start < 0:
            return None
    return text.count("\n", 0, start) + 1
