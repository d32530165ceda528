"""Results of a session, gathered in the controlling process: JSON file and baseline updates."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from pytest_optbench.gate.baselines import WriteSummary, atomic_write, dumps, make_entry, write_entries


class SessionResults:
    def __init__(self):
        self._by_node: dict[str, dict] = {}

    def add(self, result: dict) -> None:
        self._by_node[result["nodeid"]] = result

    @property
    def results(self) -> list[dict]:
        return [self._by_node[k] for k in sorted(self._by_node)]

    def recordable(self) -> tuple[list[dict], list[dict]]:
        """Results that may become baselines, and those that may not (diverged, errored)."""
        good, bad = [], []
        for result in self.results:
            if result["status"] in ("passed", "failed") and not result.get("divergence"):
                good.append(result)
            elif result["status"] != "skipped":
                bad.append(result)
        return good, bad

    def write_baselines(self) -> list[WriteSummary]:
        good, _ = self.recordable()
        by_file: dict[str, dict] = defaultdict(lambda: defaultdict(dict))
        suites: dict[str, str] = {}
        for result in good:
            curve = result["curves"].get("mean") if result["kind"] == "data" else None
            entry = make_entry(result["config_hash"], result["seeds"], result["metrics"],
                               result["provenance"], curve)
            by_file[result["baseline_file"]][result["baseline_context"]][result["case"]] = entry
            suites[result["baseline_file"]] = result["suite"]
        return [write_entries(Path(path), suites[path], updates)
                for path, updates in sorted(by_file.items())]

    def write_json(self, path: Path, complete: bool, exitstatus: int,
                   selected: int | None = None) -> None:
        from pytest_optbench.report.files import results_document

        atomic_write(Path(path), dumps(results_document(self.results, complete, exitstatus,
                                                        selected)))
