"""Compare two stored files (results or baselines) outside pytest, with the run's own rules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from pytest_optbench.gate.baselines import describe_context
from pytest_optbench.gate.checks import CHANGED, REGRESSION, BaselineView, Row, check_case
from pytest_optbench.gate.metrics import ALL_METRICS, Metric
from pytest_optbench.suite.spec import BaselineCheck, Expectation

METRICS: dict[str, Metric] = ALL_METRICS
NEW, REMOVED, STALE_CONFIG = "new", "removed", "stale"


class InputError(Exception):
    """A file that cannot be compared; the message says which and why."""


@dataclass(frozen=True)
class Record:
    suite: str
    context: str            # device type, and for real data the data's fingerprint
    case: str
    config_hash: str
    metrics: Mapping[str, list]
    expect: Mapping[str, dict] | None       # from a results file: the suite's own tolerances
    provenance: Mapping | None

    @property
    def key(self) -> tuple[str, str, str]:
        return self.suite, self.context, self.case


def load_records(path: Path) -> dict[tuple, Record]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    records: dict[tuple, Record] = {}
    if isinstance(data, dict) and "optbench_baseline" in data:
        suite = data.get("suite") or Path(path).stem
        for device_type, cases in data.get("entries", {}).items():
            for case, entry in cases.items():
                record = Record(suite, device_type, case, entry.get("config_hash", ""),
                                entry.get("metrics", {}), None, entry.get("provenance"))
                records[record.key] = record
    elif isinstance(data, dict) and "optbench_results" in data:
        for result in data.get("cases", []):
            if "metrics" not in result:
                continue  # skipped or errored: nothing was measured
            record = Record(result["suite"], result.get("baseline_context", result["device_type"]),
                            result["case"], result["config_hash"], result["metrics"],
                            result.get("expect"), result.get("provenance"))
            records[record.key] = record
    else:
        raise InputError(f"{path}: found neither an optbench results file (--optbench-json) nor "
                         f"a baseline file; expected one of them")
    return records


def compare(old: Mapping[tuple, Record], new: Mapping[tuple, Record],
            device_type: str | None = None) -> list[dict]:
    """Result-like records (as the table reads them), one per case in either file."""
    keys = sorted(set(old) | set(new))
    if device_type:
        keys = [k for k in keys if k[1].partition("|")[0] == device_type]
    compared = []
    for key in keys:
        before, after = old.get(key), new.get(key)
        label = f"{key[2]} ({describe_context(key[1])})"
        if after is None:
            rows = [Row(label, "-", None, None, None, "", REMOVED, "only in the old file")]
        elif before is None:
            rows = [Row(label, "-", None, None, None, "", NEW, "only in the new file")]
        elif before.config_hash != after.config_hash:
            rows = [Row(label, "-", None, None, None, "", STALE_CONFIG,
                        "the configuration differs: not comparable")]
        else:
            rows = _metric_rows(label, before, after)
        status = "failed" if any(r.status in (REGRESSION, CHANGED) for r in rows) else "passed"
        compared.append({"suite": key[0], "suite_file": key[0], "case": label, "nodeid": "::".join(key),
                         "order": 0, "status": status, "rows": [r.to_json() for r in rows]})
    return compared


def _metric_rows(label: str, before: Record, after: Record) -> list[Row]:
    """Each metric both files hold, with the suite's tolerances where NEW says them."""
    expect = {}
    for name in sorted(set(before.metrics) & set(after.metrics)):
        if name not in METRICS:
            continue
        stored = (after.expect or {}).get(name, {}).get("baseline")
        expect[name] = Expectation(baseline=BaselineCheck(**stored) if stored else BaselineCheck())
    baseline = BaselineView("ok", before.metrics, before.provenance)
    return check_case(label, after.metrics, expect, METRICS, baseline, known_reason=None,
                      updating=False)


def has_regression(compared: list[dict]) -> bool:
    return any(row["status"] in (REGRESSION, CHANGED) for r in compared for row in r["rows"])

