"""The run record: everything a session, a shard or a merge knows at its end, as one type. Its
JSON form is the results file (--optbench-json, a report's results.json), read back strictly by
gate/results_file.py."""

from __future__ import annotations

import datetime
import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from pytest_optbench.gate.record import CaseResult
from pytest_optbench.gate.results_file import RESULTS_FORMAT

# pytest's exit statuses, by the names the session stage uses (it imports no pytest).
OK, TESTS_FAILED, INTERRUPTED, NO_TESTS_COLLECTED = 0, 1, 2, 5


@dataclass(frozen=True)
class SuiteInfo:
    """What a suite file holds, selected or not: every case id (what decides that a baseline
    entry is unused and that a shard is missing), its claims, and a version that changes with
    any case's configuration or claim (shards of different versions never merge)."""

    file: str
    cases: tuple[str, ...]
    claims: tuple[dict[str, Any], ...] = ()
    version: str = ""

    @classmethod
    def of(cls, file: str, cases: Sequence[tuple[str, str]],
           claims: Sequence[dict[str, Any]]) -> SuiteInfo:
        """`cases`: (case id, configuration hash) of every case of the suite."""
        text = json.dumps([sorted(cases), list(claims)], sort_keys=True, default=str)
        return cls(file, tuple(case for case, _ in cases), tuple(claims),
                   hashlib.sha256(text.encode()).hexdigest()[:16])

    def to_json(self) -> dict[str, Any]:
        return {"cases": list(self.cases), "claims": list(self.claims), "version": self.version}

    @classmethod
    def from_json(cls, file: str, data: Mapping[str, Any]) -> SuiteInfo:
        return cls(file, tuple(data["cases"]), tuple(data.get("claims", [])), data["version"])


@dataclass(frozen=True, order=True)
class ShardInfo:
    """Shard `index` of `count` (1-based, as --optbench-shard K/N says it). `plan` fingerprints
    the assignment of every selected case to a shard, and `sizes` counts each shard's cases, so
    that a merge can tell a shard planned differently and how many cases a missing one held."""

    index: int
    count: int
    plan: str = ""
    sizes: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        return f"shard {self.index}/{self.count}"

    def size_of(self, index: int) -> int | None:
        return self.sizes[index - 1] if 0 < index <= len(self.sizes) else None

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "count": self.count, "plan": self.plan,
                "sizes": list(self.sizes)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShardInfo:
        return cls(data["index"], data["count"], data["plan"], tuple(data["sizes"]))


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RunRecord:
    """One run's results and what is needed to judge them as a whole."""

    cases: dict[str, CaseResult] = field(default_factory=dict)   # by node id
    suites: dict[str, SuiteInfo] = field(default_factory=dict)   # by suite file as shown
    selected: int | None = None        # optbench cases selected to run (None: not known)
    shard: ShardInfo | None = None     # the shard this run is, if it is one
    merged_from: list[ShardInfo] = field(default_factory=list)   # the shards a merge joined
    missing: list[str] = field(default_factory=list)   # what a merge lacks, in words
    interrupted: bool = False
    exitstatus: int = OK               # of the session (of the shards, for a merge)
    complete: bool = True
    verdicts: list[dict[str, Any]] = field(default_factory=list)  # judged claims, as written
    created: str = field(default_factory=_now)
    source: str = ""                   # where the record came from, for messages only

    def add(self, result: CaseResult) -> None:
        self.cases[result.nodeid] = result

    @property
    def results(self) -> list[CaseResult]:
        return [self.cases[key] for key in sorted(self.cases)]

    @property
    def label(self) -> str:
        return self.shard.label if self.shard else (self.source or "the run")

    def to_json(self, running: str | None = None) -> dict[str, Any]:
        """The results document. `running`: the node id of the case that runs as a partial
        file is written, which a process that dies inside a step leaves behind."""
        results = self.results
        document: dict[str, Any] = {
            "optbench_results": RESULTS_FORMAT,
            "created": self.created,
            "complete": self.complete,
            "interrupted": self.interrupted,
            "exitstatus": self.exitstatus,
            "selected": self.selected,
            "reported": len(results),   # of the selected, those that reported (skips included)
            "counts": dict(sorted(Counter(str(r.status) for r in results).items())),
            "cases": [finite(result.to_json()) for result in results],
            "suites": {name: info.to_json() for name, info in sorted(self.suites.items())},
        }
        if self.verdicts:
            document["claims"] = self.verdicts
        if self.shard is not None:
            document["shard"] = self.shard.to_json()
        if self.merged_from:
            document["merged_from"] = [shard.to_json() for shard in self.merged_from]
        if self.missing:
            document["missing"] = self.missing
        if running is not None:
            document["running"] = running
        return document

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str = "") -> RunRecord:
        """A record from a results document that gate/results_file.py has checked."""
        record = cls(
            suites={name: SuiteInfo.from_json(name, info)
                    for name, info in (data.get("suites") or {}).items()},
            selected=data.get("selected"),
            shard=ShardInfo.from_json(data["shard"]) if data.get("shard") else None,
            merged_from=[ShardInfo.from_json(s) for s in data.get("merged_from") or []],
            missing=list(data.get("missing") or []),
            interrupted=bool(data.get("interrupted", data.get("exitstatus") == INTERRUPTED)),
            exitstatus=int(data.get("exitstatus") or OK),
            complete=bool(data.get("complete", True)),
            verdicts=list(data.get("claims") or []),
            created=data.get("created") or _now(),
            source=source)
        for case in data.get("cases", []):
            record.add(CaseResult.from_json(case))
        return record


def finite(value: Any) -> Any:
    """JSON has no NaN or infinity: a non-finite number (a diverged loss, an infinite
    hyperparameter of a user's own class) is written as its name, a string."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value
