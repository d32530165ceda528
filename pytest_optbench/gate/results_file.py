"""Reading a results file (--optbench-json) back, strictly.

`compare` and `report` take results files from other machines, other versions and, in CI,
from anyone who can open a pull request. A field of the wrong type would otherwise surface as
an AttributeError deep in a table or a plot; a future format would be read as if it were
this one. Each is refused here with the file, the case and the field.
"""

from __future__ import annotations

import json
import math
import re
import stat
from pathlib import Path
from typing import Any

from pytest_optbench.gate.baseline_schema import _short
from pytest_optbench.gate.record import Outcome, Status

# Fields of a case and of a row, with the types they hold (None is always allowed, where
# the field is optional).
_CASE_TEXT = ("suite_file", "nodeid", "tier", "kind", "problem", "optimizer",
              "optimizer_class", "config_hash", "does_not_converge", "baseline_file", "reason",
              "device", "device_type", "baseline_context", "fingerprint")
_CASE_INTEGERS = ("line", "order", "steps_run")
_CASE_MAPPINGS = ("config", "expect", "divergence", "curves", "provenance",
                  "baseline_provenance", "baseline_curve", "envelope", "observed")
_ROW_TEXT = ("case", "limit", "detail", "unit", "ungated", "powerless")


NON_FINITE = ("inf", "-inf", "nan")
# The results document's format: a reader refuses any other, a newer one with a hint to upgrade.
# Fields added since (suites, shard, merged_from, missing, interrupted) are optional.
RESULTS_FORMAT = 1


class ResultsFileError(ValueError):
    """Where (the file, a case, a field) and what is wrong."""


def read_results(path: Path) -> dict[str, Any]:
    """The results document in `path`, every field checked; ResultsFileError otherwise."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise ResultsFileError(f"{path}: found something that is not a regular file; "
                                   f"expected a results file (--optbench-json)")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ResultsFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return check_results(parse_json(path, raw), path)


def parse_json(path: Path, raw: bytes) -> Any:
    """JSON from bytes, every way it can be unusable said in one line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ResultsFileError(f"{path}: found a byte that is not UTF-8 (0x{raw[exc.start]:02x} "
                               f"at offset {exc.start}); expected a JSON file as pytest-optbench "
                               f"writes it") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsFileError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    except RecursionError:
        raise ResultsFileError(f"{path}: found nesting too deep for a file pytest-optbench "
                               f"writes") from None
    except ValueError as exc:   # an integer of thousands of digits
        raise ResultsFileError(f"{path}: found {str(exc).split(';')[0]}") from None


def check_results(data: Any, path: Path) -> dict[str, Any]:
    """`data` if it is a results document of this format with fields of the right types."""
    if not isinstance(data, dict) or "optbench_results" not in data:
        raise ResultsFileError(f"{path}: found no optbench results; expected a file written "
                               f"with --optbench-json or --optbench-report")
    version = data["optbench_results"]
    if type(version) is not int or version != RESULTS_FORMAT:
        newer = type(version) is int and version > RESULTS_FORMAT
        raise ResultsFileError(
            f"{path}: found results format {version!r}; expected {RESULTS_FORMAT}"
            + ("; it was written by a newer pytest-optbench: upgrade this one to read it"
               if newer else ""))
    cases = data.get("cases")
    if not isinstance(cases, list):
        raise ResultsFileError(f"{path}: cases: found {_short(cases)}; expected a list of cases")
    for index, case in enumerate(cases):
        _check_case(path, index, case)
    _check_run(path, data)
    return data


def _check_run(path: Path, data: dict[str, Any]) -> None:
    """The run's own fields: what was selected, the suites' case lists, the shard."""
    def fail(field: str, found: Any, expected: str) -> None:
        raise ResultsFileError(f"{path}: {field}: found {_short(found)}; expected {expected}")

    for field in ("complete", "interrupted"):
        if data.get(field) is not None and type(data[field]) is not bool:
            fail(field, data[field], "true or false")
    for field in ("selected", "exitstatus"):
        if data.get(field) is not None and type(data[field]) is not int:
            fail(field, data[field], "a whole number")
    for field in ("claims", "missing"):
        if not isinstance(data.get(field, []), list):
            fail(field, data[field], "a list")
    if not all(isinstance(text, str) for text in data.get("missing", [])):
        fail("missing", data["missing"], "a list of lines of text")
    suites = data.get("suites", {})
    if not isinstance(suites, dict):
        fail("suites", suites, "a mapping of suite files to their cases")
    for name, suite in suites.items():
        if not isinstance(suite, dict) or not isinstance(suite.get("version"), str) \
                or not _texts(suite.get("cases")) or not isinstance(suite.get("claims", []), list):
            fail(f"suites.{name}", suite, "the suite's cases (a list of ids), claims and version")
    shards = ([data["shard"]] if data.get("shard") is not None else []) + \
        list(data.get("merged_from") or [])
    for shard in shards:
        if not isinstance(shard, dict) or type(shard.get("index")) is not int \
                or type(shard.get("count")) is not int or not isinstance(shard.get("plan"), str) \
                or not isinstance(shard.get("sizes"), list) \
                or not all(type(n) is int for n in shard["sizes"]):
            fail("shard", shard, "a shard as --optbench-shard writes it (index, count, plan, "
                                 "sizes)")


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


# Larger than any results file a session writes: not read to be identified.
RESULTS_SIZE_LIMIT = 1 << 30


def results_kind(path: Path) -> str | None:
    """None where `path` (a regular file) is an optbench results file; else what it is."""
    with path.open("rb") as handle:
        head = handle.read(4096)
        if path.stat().st_size > RESULTS_SIZE_LIMIT:
            return "a file too large to be an optbench results file"
        text = head + handle.read()
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict) and "optbench_results" in data:
        return None
    if isinstance(data, dict) and "optbench_baseline" in data:
        return "a baseline file"
    if re.search(rb"^optbench\s*:", head, re.MULTILINE):
        return "an optbench suite"
    return "a file that is not an optbench results file"


def _check_case(path: Path, index: int, case: Any) -> None:
    name = case.get("case") if isinstance(case, dict) else None
    where = f"{path}: cases[{index}]" + (f" ({name})" if isinstance(name, str) else "")

    def fail(field: str, found: Any, expected: str) -> None:
        raise ResultsFileError(f"{where}.{field}: found {_short(found)}; expected {expected}")

    if not isinstance(case, dict):
        raise ResultsFileError(f"{where}: found {_short(case)}; expected a case (a mapping)")
    for field in ("suite", "case"):
        if not isinstance(case.get(field), str):
            fail(field, case.get(field), "a name")
    status = case.get("status", Outcome.PASSED.value)
    if status not in {o.value for o in Outcome}:
        fail("status", status, f"one of {', '.join(o.value for o in Outcome)}")
    for field in _CASE_TEXT:
        if case.get(field) is not None and not isinstance(case[field], str):
            fail(field, case[field], "text")
    for field in _CASE_INTEGERS:
        if case.get(field) is not None and type(case[field]) is not int:
            fail(field, case[field], "a whole number")
    for field in _CASE_MAPPINGS:
        if case.get(field) is not None and not isinstance(case[field], dict):
            fail(field, case[field], "a mapping")
    if case.get("wall_time_s") is not None and not _number(case["wall_time_s"]):
        fail("wall_time_s", case["wall_time_s"], "a number of seconds")
    seeds = case.get("seeds", [])
    if not isinstance(seeds, list) or not all(type(s) is int for s in seeds):
        fail("seeds", seeds, "a list of whole numbers")
    metrics = case.get("metrics", {})
    if not isinstance(metrics, dict):
        fail("metrics", metrics, "a mapping of metric names to per-seed values")
    for metric, values in metrics.items():
        if not isinstance(values, list) or not all(_value(v) for v in values):
            fail(f"metrics.{metric}", values, "a list of per-seed numbers (a list of numbers "
                                              "for a curve; null where a seed has none)")
    rows = case.get("rows", [])
    if not isinstance(rows, list):
        fail("rows", rows, "a list of rows")
    statuses = {s.value for s in Status}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            fail(f"rows[{i}]", row, "a row (a mapping)")
        if not isinstance(row.get("metric"), str):
            fail(f"rows[{i}].metric", row.get("metric"), "a metric name")
        if row.get("status") not in statuses:
            fail(f"rows[{i}].status", row.get("status"), "a row status such as pass or changed")
        for field in _ROW_TEXT:
            if row.get(field) is not None and not isinstance(row[field], str):
                fail(f"rows[{i}].{field}", row[field], "text")
        for field in ("value", "baseline", "delta", "lower", "upper"):
            if row.get(field) is not None and not _number(row[field]):
                fail(f"rows[{i}].{field}", row[field], "a number")


def _number(value: Any) -> bool:
    """A number, or a non-finite one as the results file writes it (gate/session.py)."""
    if value in NON_FINITE:
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _value(value: Any) -> bool:
    if isinstance(value, list):
        return all(v is None or _number(v) for v in value)
    return value is None or _number(value)
