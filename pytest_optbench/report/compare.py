"""Compare two stored files (results or baselines) outside pytest, with the run's own rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from pytest_optbench.gate.baselines import BaselineFileError
from pytest_optbench.gate.baselines import read as read_baseline
from pytest_optbench.gate.checks import BaselineView, check_case
from pytest_optbench.gate.envelope import Envelope
from pytest_optbench.gate.expectations import BaselineCheck, Expectation
from pytest_optbench.gate.metrics import Metric
from pytest_optbench.gate.record import BaselineContext, BaselineState, Outcome, Row, Status

Key = tuple[str, BaselineContext, str]   # suite, context, case


class InputError(Exception):
    """A file that cannot be compared; the message says which and why."""


@dataclass(frozen=True)
class Record:
    """One case's stored metrics, from a results file or a baseline file."""

    suite: str
    context: BaselineContext
    case: str
    config_hash: str
    metrics: Mapping[str, list[Any]]
    expect: Mapping[str, Expectation] | None   # from a results file: what the suite gates
    provenance: Mapping[str, Any] | None
    nodeid: str | None = None   # from a results file: what records the case again
    # How far each value moves under rounding (gate/envelope.py): the older file's margins.
    envelope: Mapping[str, Any] | None = None
    # From a results file: why the suite expects the case not to converge (its bounds then
    # report KNOWN, as the gate's do, not FAIL).
    known: str | None = None

    @property
    def key(self) -> Key:
        return self.suite, self.context, self.case


@dataclass
class ComparedCase:
    """One case of the comparison, as the table reads it (like a CaseResult)."""

    suite: str
    case: str
    nodeid: str
    rows: list[Row]
    status: Outcome
    suite_file: str = ""
    order: int = 0
    metrics: dict[str, list[Any]] = field(default_factory=dict)
    accept: str | None = None   # the command that records the new value as the baseline
    rule: str = ""              # SUITE_RULE or DEFAULT_RULE: how the rows were judged


# How a case was judged: as the gate judges it, from the expectations a results file carries,
# or, between files that carry none (baseline files), every shared metric at its defaults.
SUITE_RULE = "the suite's own expectations (from NEW): the metrics it gates, its tolerances"
DEFAULT_RULE = ("every metric both files hold, at the metrics' default tolerances (NEW is not "
                "a results file, so the suite's expectations are not known)")


def load_records(path: Path) -> dict[Key, Record]:
    """The cases of a results or baseline file; InputError for anything unusable."""
    try:
        return _load_records(path)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise InputError(f"{path}: found a malformed file ({type(exc).__name__}: {exc}); expected "
                         f"a results file (--optbench-json) or a baseline file as "
                         f"pytest-optbench writes them") from None


def _load_records(path: Path) -> dict[Key, Record]:
    from pytest_optbench.gate.results_file import (ResultsFileError, check_results,
                                                   parse_json, read_results)

    path = Path(path)
    try:
        if not path.is_file() and path.exists():
            read_results(path)   # says what it is instead, without opening it
        data = parse_json(path, path.read_bytes())
        if isinstance(data, dict) and "optbench_results" in data:
            data = check_results(data, path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except ResultsFileError as exc:
        raise InputError(str(exc)) from None
    records: dict[Key, Record] = {}
    if isinstance(data, dict) and "optbench_baseline" in data:
        try:
            data = read_baseline(Path(path))  # strictly: NaN, duplicates, bad seeds refused
        except BaselineFileError as exc:
            raise InputError(str(exc)) from None
        suite = data.get("suite") or Path(path).stem
        for context, cases in data.get("entries", {}).items():
            for case, entry in cases.items():
                record = Record(suite, BaselineContext.parse(context), case,
                                entry.get("config_hash", ""), entry.get("metrics", {}), None,
                                entry.get("provenance"), envelope=entry.get("envelope"))
                records[record.key] = record
    elif isinstance(data, dict) and "optbench_results" in data:
        records.update(records_of_cases(data.get("cases", []), path))
    else:
        raise InputError(f"{path}: found neither an optbench results file (--optbench-json) nor "
                         f"a baseline file; expected one of them")
    return records


def records_of_cases(cases: Any, path: Path) -> dict[Key, Record]:
    """The measured cases of a results document (or of a run in the history), by key."""
    records: dict[Key, Record] = {}
    for result in cases:
        if result.get("status") not in (Outcome.PASSED, Outcome.FAILED):
            continue  # skipped, untimed or errored: nothing was measured
        context = result.get("baseline_context") or result["device_type"]
        record = Record(result["suite"], BaselineContext.parse(context), result["case"],
                        result["config_hash"], result["metrics"], _expectations(path, result),
                        result.get("provenance"), result.get("nodeid"), result.get("envelope"),
                        result.get("does_not_converge"))
        records[record.key] = record
    return records


def _expectations(path: Path, result: Mapping[str, Any]) -> dict[str, Expectation] | None:
    """A results case's expectations as the gate reads them; InputError if they are not."""
    from pydantic import ValidationError

    stored = result.get("expect")
    if stored is None:
        return None
    found = {}
    for name, expectation in stored.items():
        try:
            found[name] = Expectation.model_validate(expectation)
        except ValidationError as exc:
            problem = exc.errors()[0]
            raise InputError(f"{path}: {result['case']}: expect.{name}: found "
                             f"{str(expectation)[:80]}; expected an expectation as the suite "
                             f"states it ({problem['msg']})") from None
    return found


def compare(old: Mapping[Key, Record], new: Mapping[Key, Record],
            definitions: Mapping[str, Metric],
            device_type: str | None = None) -> list[ComparedCase]:
    """One compared case per case in either file, judged with `definitions` (metric by name)."""
    keys = sorted(set(old) | set(new), key=lambda k: (k[0], k[1].format(), k[2]))
    if device_type:
        keys = [k for k in keys if k[1].device_type == device_type]
    compared = []
    for key in keys:
        before, after = old.get(key), new.get(key)
        label = f"{key[2]} ({key[1].describe()})"
        if after is None:
            rows = [_note(label, Status.REMOVED, "only in the old file")]
        elif before is None:
            rows = [_note(label, Status.NEW, "only in the new file")]
        elif before.config_hash != after.config_hash:
            rows = [_note(label, Status.STALE_CONFIG, "the configuration differs: not comparable")]
        else:
            rows = _metric_rows(label, before, after, definitions)
        rule = (SUITE_RULE if after.expect is not None else DEFAULT_RULE) \
            if after is not None and before is not None else ""
        # A case that vanished or changed its configuration was not checked: never a pass.
        failed = any(r.status in (Status.REGRESSION, Status.CHANGED, Status.REMOVED,
                                  Status.STALE_CONFIG) for r in rows)
        compared.append(ComparedCase(key[0], label, "::".join((key[0], key[1].format(), key[2])),
                                     rows, Outcome.FAILED if failed else Outcome.PASSED,
                                     suite_file=key[0], accept=_accept(after), rule=rule))
    return compared


def _accept(record: Record | None) -> str | None:
    if record is None or not record.nodeid:
        return None
    import shlex

    return f"pytest --optbench {shlex.quote(record.nodeid)} --optbench-update-baselines"


def not_passable(compared: list[ComparedCase]) -> list[str]:
    """Why the comparison cannot count as a pass, besides regressions: nothing compared,
    cases that were removed, cases whose configuration changed."""
    reasons = []
    compared_rows = sum(1 for case in compared for row in case.rows if row.baseline is not None)
    if not compared_rows:
        reasons.append("NOTHING WAS COMPARED: the files share no case with the same "
                       "configuration and a metric in both")
    for status, what in ((Status.REMOVED, "only in the old file (removed)"),
                         (Status.STALE_CONFIG, "with a changed configuration (not comparable)")):
        cases = [case.case for case in compared if any(r.status is status for r in case.rows)]
        if cases:
            shown = ", ".join(cases[:5]) + (f" and {len(cases) - 5} more" if len(cases) > 5 else "")
            reasons.append(f"{len(cases)} case(s) {what}: {shown}")
    return reasons


def _note(label: str, status: Status, detail: str) -> Row:
    return Row(label, "-", None, None, None, "", status, detail)


def _metric_rows(label: str, before: Record, after: Record,
                 definitions: Mapping[str, Metric]) -> list[Row]:
    """As the gate would: where NEW carries the suite's expectations, the metrics it gates,
    with its bounds and tolerances; otherwise each metric both files hold, at its defaults."""
    shared = [name for name in sorted(set(before.metrics) & set(after.metrics))
              if name in definitions]
    if after.expect is not None:
        expect = {name: after.expect[name] for name in shared if name in after.expect}
    else:
        expect = {name: Expectation(baseline=BaselineCheck()) for name in shared}
    baseline = BaselineView(BaselineState.OK, before.metrics, before.provenance,
                            envelope=Envelope.from_json(before.envelope))
    return check_case(label, after.metrics, expect, definitions, baseline,
                      known_reason=after.known, updating=False)


def has_regression(compared: list[ComparedCase]) -> bool:
    return any(row.status in (Status.REGRESSION, Status.CHANGED)
               for case in compared for row in case.rows)
