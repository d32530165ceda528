"""The typed record of one case's run: what the table, the files, the baselines and the reports
read. It is also the schema of `results.json`; JSON is made from it only at the edges (xdist
transport, files), with `to_json` and `from_json`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping


class _Text(str, Enum):
    """An enum whose members are their own text: in JSON, f-strings and comparisons alike."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Status(_Text):
    """What one row (one metric of one case) says. Upper-case statuses fail the case."""

    PASS = "pass"
    IMPROVED = "improved"
    RECORDED = "recorded"
    ACCEPTED = "accepted"    # an update replaced a stored value with a different one
    KNOWN = "known"
    NOT_COMPARABLE = "not comparable"
    NOT_TIMED = "not timed"
    # The metric moves by more than is worth gating under rounding alone (its noise envelope):
    # reported with its spread, never a pass or a failure.
    NOT_GATED = "not gated"
    FAIL = "FAIL"
    REGRESSION = "REGRESSION"
    CHANGED = "CHANGED"
    MISSING = "MISSING"
    STALE = "STALE"
    DIVERGED = "DIVERGED"
    ERROR = "ERROR"
    # What `compare` says of cases it cannot or need not judge.
    STALE_CONFIG = "stale"
    NEW = "new"
    REMOVED = "removed"


FAILING = frozenset({Status.FAIL, Status.REGRESSION, Status.CHANGED, Status.MISSING, Status.STALE,
                     Status.DIVERGED, Status.ERROR})
# Table order: what needs attention first.
SEVERITY: tuple[Status, ...] = (
    Status.ERROR, Status.DIVERGED, Status.FAIL, Status.REGRESSION, Status.CHANGED, Status.STALE,
    Status.MISSING, Status.STALE_CONFIG, Status.NEW, Status.REMOVED, Status.NOT_COMPARABLE,
    Status.NOT_TIMED, Status.NOT_GATED, Status.ACCEPTED, Status.IMPROVED, Status.RECORDED, Status.KNOWN, Status.PASS)


class Outcome(_Text):
    """What became of a whole case."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    NOT_TIMED = "not timed"


class BaselineState(_Text):
    """Whether a case's stored baseline can be compared with."""

    OK = "ok"
    MISSING = "missing"
    STALE = "stale"
    NOT_COMPARABLE = "not-comparable"

    @property
    def status(self) -> Status:
        """The row status of a baseline comparison that could not happen for this reason."""
        return {BaselineState.STALE: Status.STALE,
                BaselineState.NOT_COMPARABLE: Status.NOT_COMPARABLE}.get(self, Status.MISSING)


@dataclass(frozen=True, order=True)
class BaselineContext:
    """Where results count as comparable: the device type, and for real data the data's source
    and fingerprint, or for step times the device's name. Stored in baseline files as text:
    `cpu`, `cuda|torchvision:546a017581c2`, `cpu@AMD EPYC 7B13`."""

    device_type: str
    data: str | None = None
    device_name: str | None = None

    @classmethod
    def parse(cls, text: str) -> BaselineContext:
        device, _, data = text.partition("|")
        device_type, _, name = device.partition("@")
        return cls(device_type, data or None, name or None)

    def format(self) -> str:
        text = self.device_type
        if self.device_name:
            text += f"@{self.device_name}"
        if self.data:
            text += f"|{self.data}"
        return text

    def describe(self) -> str:
        """'cuda on folder:546a017581c2 data', and for step times 'cuda (NVIDIA H200)'."""
        if self.device_name:
            return f"{self.device_type} ({self.device_name})"
        return f"{self.device_type} on {self.data} data" if self.data else self.device_type


@dataclass(frozen=True)
class Row:
    """One metric of one case: its value, what it was compared with, and the verdict."""

    case: str
    metric: str
    value: float | None
    baseline: float | None
    delta: float | None
    limit: str
    status: Status
    detail: str = ""
    compared: bool = False   # a baseline comparison happened (not recorded, missing or stale)
    unit: str = ""           # "s", "B", "/s", "B/s" or "%": how values are shown
    # What the noise envelope left out of the comparison, in words (trajectory points that
    # move by more than a decade under rounding); empty when everything was gated.
    ungated: str = ""
    # Set when the limit lies beyond every value the metric can take: the check cannot fail.
    powerless: str = ""
    # The limit as numbers, for the history's baseline band (`limit` is the text shown).
    lower: float | None = None
    upper: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "status": self.status.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Row:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        return cls(**{**values, "status": Status(data["status"])})


@dataclass
class CaseResult:
    """Everything known about one case after its run (or its skip, or its error)."""

    suite: str
    suite_file: str
    case: str
    nodeid: str
    line: int
    order: int
    tier: str | None
    kind: str
    problem: str
    optimizer: str
    optimizer_class: str
    config_hash: str
    config: dict[str, Any]
    expect: dict[str, Any]
    does_not_converge: str | None
    baseline_file: str
    update: bool
    status: Outcome = Outcome.PASSED
    rows: list[Row] = field(default_factory=list)
    reason: str | None = None
    device: str | None = None
    device_type: str | None = None
    baseline_context: BaselineContext | None = None
    seeds: list[int] = field(default_factory=list)
    metrics: dict[str, list[Any]] = field(default_factory=dict)
    divergence: dict[str, Any] | None = None
    curves: dict[str, Any] = field(default_factory=dict)
    wall_time_s: float | None = None
    steps_run: int | None = None
    provenance: dict[str, Any] | None = None
    baseline_provenance: dict[str, Any] | None = None
    baseline_curve: dict[str, Any] | None = None
    # Recorded with the result: its noise envelope (gate/envelope.py), the hash of its exact
    # numbers, and what the run observed about the optimizer or the machine.
    envelope: dict[str, Any] | None = None
    fingerprint: str | None = None
    observed: dict[str, Any] | None = None
    # What only this case's kind knows (start isolation, a timing, a model's size): kept as
    # plain JSON, read by the kind's own report sections and figures.
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def measured(self) -> bool:
        """The case ran to the end and its metrics were checked."""
        return self.status in (Outcome.PASSED, Outcome.FAILED)

    def to_json(self) -> dict[str, Any]:
        """The results.json form: the kind's details sit beside the common fields."""
        data: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            if item.name == "details":
                continue
            value = getattr(self, item.name)
            if item.name == "rows":
                value = [row.to_json() for row in value]
            elif item.name == "baseline_context":
                value = value.format() if value is not None else None
            elif isinstance(value, Enum):
                value = value.value
            data[item.name] = value
        return {**self.details, **data}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CaseResult:
        known = {f.name for f in dataclasses.fields(cls)} - {"details"}
        values = {k: v for k, v in data.items() if k in known}
        values["rows"] = [Row.from_json(row) for row in data.get("rows", [])]
        values["status"] = Outcome(data.get("status", Outcome.PASSED.value))
        context = data.get("baseline_context")
        values["baseline_context"] = BaselineContext.parse(context) if context else None
        details = {k: v for k, v in data.items() if k not in known}
        return cls(**values, details=details)
