"""Results of a session, gathered in the controlling process: JSON file and baseline updates."""

from __future__ import annotations

import datetime
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Sequence

from pytest_optbench.gate.baselines import WriteSummary, atomic_write, compact_dumps, make_entry, \
    write_entries
from pytest_optbench.gate.record import CaseResult, Outcome

RESULTS_FORMAT = 1


class SessionResults:
    def __init__(self) -> None:
        self._by_node: dict[str, CaseResult] = {}

    def add(self, result: CaseResult) -> None:
        self._by_node[result.nodeid] = result

    @property
    def results(self) -> list[CaseResult]:
        return [self._by_node[k] for k in sorted(self._by_node)]

    def recordable(self) -> tuple[list[CaseResult], list[CaseResult]]:
        """Results that may become baselines, and those that may not (diverged, errored)."""
        good, bad = [], []
        for result in self.results:
            if result.measured and not result.divergence:
                good.append(result)
            elif result.status is not Outcome.SKIPPED:
                bad.append(result)
        return good, bad

    def write_baselines(self, replace: bool = True) -> list[WriteSummary]:
        """Entries for the results recorded in this run (`update`); `replace`: False keeps any
        entry already stored (--optbench-add-baselines), even one another process wrote."""
        good = [result for result in self.recordable()[0] if result.update]
        by_file: dict[str, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
        suites: dict[str, str] = {}
        for result in good:
            assert result.baseline_context is not None and result.provenance is not None
            # A mean learning curve, where the kind records one, is kept for plots.
            entry = make_entry(result.config_hash, result.seeds, result.metrics,
                               result.provenance, result.curves.get("mean"), result.config,
                               result.envelope, result.fingerprint, result.observed)
            by_file[result.baseline_file][result.baseline_context.format()][result.case] = entry
            suites[result.baseline_file] = result.suite
        return [write_entries(Path(path), suites[path], updates, replace=replace)
                for path, updates in sorted(by_file.items())]

    def write_json(self, path: Path, complete: bool, exitstatus: int,
                   selected: int | None = None, claims: list[dict[str, Any]] | None = None,
                   running: str | None = None) -> None:
        """`running`: the node id of the case that runs as this is written, for a partial file
        a process that dies (os._exit in a step) leaves behind."""
        document = results_document(self.results, complete, exitstatus, selected)
        if claims:
            document["claims"] = claims
        if running is not None:
            document["running"] = running
        atomic_write(Path(path), compact_dumps(document))


def results_document(results: Sequence[CaseResult], complete: bool, exitstatus: int,
                     selected: int | None = None) -> dict[str, Any]:
    return {
        "optbench_results": RESULTS_FORMAT,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "complete": complete,
        "exitstatus": exitstatus,
        "selected": selected,   # optbench cases the session selected (None: not known)
        "reported": len(results),  # of them, those that reported a result (skips included)
        "counts": dict(sorted(Counter(str(r.status) for r in results).items())),
        "cases": [finite(result.to_json()) for result in results],
    }


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
