"""pytest hooks of pytest-optbench.

This module loads on every pytest run of a project that has the plugin installed, so it imports
neither torch nor the suite machinery: they load only once a suite file is collected. Without
`--optbench` and without a suite file named on the command line, nothing here changes a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_optbench import options as optbench_options, schedule
from pytest_optbench.kinds import REGISTRY as KIND_REGISTRY
from pytest_optbench.options import OPTIONS_KEY
from pytest_optbench.suite_files import (SUITE_SUFFIXES, is_case, looks_like_suite,
                                         named_on_command_line, no_suite_hint)

if TYPE_CHECKING:
    from pytest_optbench.gate.baselines import WriteSummary
    from pytest_optbench.gate.session import SessionResults
    from pytest_optbench.report.files import ReportFiles



def pytest_addoption(parser: pytest.Parser) -> None:
    optbench_options.add_options(parser)


def pytest_unconfigure(config: pytest.Config) -> None:
    from pytest_optbench.hard_stop import remove_notes

    remove_notes(config)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[OPTIONS_KEY] = optbench_options.resolve(config)
    if not hasattr(config, "workerinput"):
        from pytest_optbench.hard_stop import prepare_notes
        from pytest_optbench.writable import check_outputs

        check_outputs(config.stash[OPTIONS_KEY])
        prepare_notes(config)
    config.addinivalue_line("markers", "optbench: a case collected from an optbench suite file")
    schedule.register(config)   # under xdist, cases run longest first by earlier durations
    for name, (_, description) in KIND_REGISTRY.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(OptbenchSession(config), "optbench-session")
    else:
        from pytest_optbench.workers import share_cores

        share_cores(config)


# Set once a suite file is collected: a session whose suites were all deselected must still
# say that no case ran.
SUITE_COLLECTED = pytest.StashKey[bool]()


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix not in SUITE_SUFFIXES:
        return None
    config = parent.config
    named = named_on_command_line(file_path, config)
    enabled = config.stash[OPTIONS_KEY].enabled
    if not (enabled or named):
        return None
    # A YAML file met while walking a directory is ours only if it says so; one named
    # explicitly with --optbench is collected either way, so that a missing marker is reported.
    if not looks_like_suite(file_path) and not (enabled and named):
        return None
    from pytest_optbench.collect import CACHES_KEY, SuiteFile
    from pytest_optbench.run import Caches

    config.stash[SUITE_COLLECTED] = True

    if CACHES_KEY not in config.stash:
        from pytest_optbench.torch_state import TorchState

        # Taken before any suite is built: constructing optimizers to check a suite may
        # change torch's global state too, and no case may start from that.
        config.stash[CACHES_KEY] = Caches(torch_state=TorchState.capture())
    return SuiteFile.from_parent(parent, path=file_path)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker sends the case ids of the suites it collected to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from pytest_optbench.collect import SUITE_CASES_KEY, SUITE_CLAIMS_KEY

        workeroutput["optbench_suite_cases"] = session.config.stash.get(SUITE_CASES_KEY, {})
        workeroutput["optbench_suite_claims"] = session.config.stash.get(SUITE_CLAIMS_KEY, {})


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    result = getattr(item, "optbench_result", None)
    if call.when == "setup" and report.skipped and result is None \
            and item.get_closest_marker("optbench") and hasattr(item, "skipped"):
        # Skipped before it could run (a package its suite requires is missing, a skip
        # marker): recorded all the same, so that the table and the files account for it.
        from pytest_optbench.run import skip_reason

        skipped = item.skipped(skip_reason(report))
        item.optbench_result = skipped  # type: ignore[attr-defined]
        report.optbench = skipped.to_json()
    if call.when == "call" and result is not None:
        # An attribute of the report travels to the xdist controller with it, as plain JSON.
        report.optbench = result.to_json()
    return report


class OptbenchSession:
    """Hooks of the controlling process: gather results, write files, print the tables.

    Registered only in the controller (never in an xdist worker), so that baselines and result
    files are written once, from the complete set of results.
    """

    def __init__(self, config: pytest.Config):
        self.config = config
        self.options = config.stash[OPTIONS_KEY]
        # Created with the first optbench result: plain runs import nothing.
        self.results: SessionResults | None = None
        self.written: list[WriteSummary] = []
        self.report: ReportFiles | None = None
        self.selected = 0    # optbench cases selected to run, to say so when none of them did
        self.write_failures: list[str] = []   # files the session could not write, and why
        self.baseline_notes: list[str] = []   # unused entries, and what pruning did
        self.claims: list[Any] = []           # ClaimVerdicts of the suites' claims

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items) -> None:
        self.selected = sum(1 for item in items if item.get_closest_marker("optbench"))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        self.selected = max(self.selected, sum(1 for i in ids if ".yaml::" in i or ".yml::" in i))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        from pytest_optbench.collect import SUITE_CASES_KEY, SUITE_CLAIMS_KEY

        output = getattr(node, "workeroutput", {})
        self.config.stash.setdefault(SUITE_CASES_KEY, {}).update(output.get("optbench_suite_cases", {}))
        self.config.stash.setdefault(SUITE_CLAIMS_KEY, {}).update(output.get("optbench_suite_claims", {}))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "optbench", None)
        if data is None and report.failed and report.when in ("setup", "call", "???") \
                and is_case(report.nodeid):
            # A case that reported nothing of its own: its worker crashed (xdist reports the
            # crash under the case's id, with when "???"), or a fixture failed before it ran.
            # It still counts.
            from pytest_optbench.hard_stop import crash_text
            from pytest_optbench.run import crashed_result

            data = crashed_result(report.nodeid, crash_text(report)).to_json()
        if data is not None:
            from pytest_optbench.gate.record import CaseResult

            if self.results is None:
                from pytest_optbench.gate.session import SessionResults

                self.results = SessionResults()
            self.results.add(CaseResult.from_json(data))

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        """Serially, before each case: the results so far and the case now running, so that a
        process that dies inside a step (os._exit, a segfault) leaves a partial results file
        that names it. Under xdist the controller outlives its workers and says it itself."""
        if not self.options.json_path or not is_case(nodeid) \
                or self.config.pluginmanager.get_plugin("dsession") is not None:
            return
        if self.results is None:
            from pytest_optbench.gate.session import SessionResults

            self.results = SessionResults()
        path = self.options.json_path
        self._writing(f"results {path}", lambda: self.results.write_json(
            path, complete=False, exitstatus=int(pytest.ExitCode.INTERRUPTED),
            selected=self.selected, running=nodeid))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.results is None:
            if not (self.selected or self.options.enabled
                    or self.config.stash.get(SUITE_COLLECTED, False)):
                return  # a plain pytest run: nothing of optbench's to say or write
            from pytest_optbench.gate.session import SessionResults

            self.results = SessionResults()  # empty, so the files say loudly that none ran
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        # Complete: every selected case reported a result and nothing stopped the session.
        complete = not interrupted and exitstatus != pytest.ExitCode.INTERNAL_ERROR \
            and len(self.results.results) >= self.selected
        # Each file is written on its own: one that fails (a full disk, a folder made
        # read-only during the run, a lock held too long) never costs the others, and is one
        # clear line at the end of the summary with a non-zero exit status.
        results = self.results
        self.claims = self._judge_claims()
        if any(v.failed for v in self.claims) and exitstatus == pytest.ExitCode.OK:
            exitstatus = pytest.ExitCode.TESTS_FAILED   # as the session will end
        if (self.options.update_baselines or self.options.add_baselines) and not interrupted:
            replace = self.options.update_baselines
            self._writing("baselines", lambda: setattr(
                self, "written", results.write_baselines(replace=replace)))
        if results.results and not self.config.option.collectonly:
            self._writing("baselines (pruning)", lambda: self._unused(int(exitstatus)))
        if self.options.json_path:
            json_path = self.options.json_path
            claims = [v.to_json() for v in self.claims]
            self._writing(f"results {json_path}", lambda: results.write_json(
                json_path, complete=complete, exitstatus=int(exitstatus), selected=self.selected,
                claims=claims))
        if self.options.report_dir:
            from pytest_optbench.contributions import contributions
            from pytest_optbench.report.files import write_report

            report_dir = self.options.report_dir
            also = self.options.results_in_report
            self._writing(f"report {report_dir}", lambda: setattr(self, "report", write_report(
                results.results, report_dir, contributions(self.claims), complete=complete,
                exitstatus=int(exitstatus), selected=self.selected, also=also)))
        if getattr(session, "exitstatus", exitstatus) == pytest.ExitCode.OK and (
                self.write_failures or any(v.failed for v in self.claims) or (self._unchecked() and not self.options.allow_unchecked
                                        and not self.config.option.collectonly)):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _judge_claims(self) -> list[Any]:
        """The claims of every suite that ran, against this run's results."""
        from pytest_optbench.collect import SUITE_CLAIMS_KEY

        stored = self.config.stash.get(SUITE_CLAIMS_KEY, {})
        if not any(stored.values()) or self.results is None:
            return []
        from pytest_optbench.gate.claims import Claim
        from pytest_optbench.gate.claims import judge

        claims = [Claim.from_json(c) for suite_file in sorted(stored) for c in stored[suite_file]]
        return judge(claims, self.results.results)

    def _unused(self, exitstatus: int) -> None:
        """Say which stored entries no case uses; remove them where pruning was asked for and
        the run allows it (a refusal fails the session)."""
        from pytest_optbench.collect import SUITE_CASES_KEY
        from pytest_optbench.gate.unused import find_unused, prune

        results = self.results.results if self.results else []
        known = self.config.stash.get(SUITE_CASES_KEY, {})
        unused = find_unused(results, lambda suite_file: set(known[suite_file])
                             if suite_file in known else None)
        for entry in unused:
            if not self.options.prune_baselines:
                self.baseline_notes.append(entry.describe())
                continue
            pruned, line = prune(entry, results, exitstatus)
            (self.baseline_notes if pruned else self.write_failures).append(line)
        if self.options.prune_baselines and not unused:
            self.baseline_notes.append("baselines: no unused entries to prune")

    def _unchecked(self) -> bool:
        """Selected cases exist, but none ran, or those that ran expected stored baselines and
        met none: a CI gate must not read that as a pass."""
        from pytest_optbench.gate.record import Outcome, Status

        results = self.results.results if self.results else []
        ran = [r for r in results if r.status not in (Outcome.SKIPPED, Outcome.NOT_TIMED)]
        if not ran:
            return bool(self.selected or results)
        if any(r.update for r in ran) or any(row.compared for r in ran for row in r.rows):
            return False
        return any(row.status in (Status.NOT_COMPARABLE, Status.MISSING, Status.STALE_CONFIG)
                   for r in ran for row in r.rows)

    def _writing(self, what: str, write: Any) -> None:
        from pytest_optbench.gate.baselines import BaselineFileError, LockTimeout

        try:
            write()
        except (OSError, BaselineFileError, LockTimeout, ValueError) as exc:
            cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
            self.write_failures.append(f"NOT WRITTEN: {what}{where}: {cause}")

    def pytest_terminal_summary(self, terminalreporter, exitstatus: int) -> None:
        if self.results is None or self.config.option.collectonly:
            return
        if not self.results.results and terminalreporter.stats.get("error"):
            return  # the collection errors above say what went wrong; no run to judge
        from pytest_optbench.contributions import notes, sections
        from pytest_optbench.report.table import (render_section, render_table, run_warnings,
                                                  summary_line)

        writer = terminalreporter
        results = self.results.results
        writer.write_sep("=", "optbench")
        if not results and not self.config.stash.get(SUITE_COLLECTED, False):
            writer.write_line(no_suite_hint(self.config), red=True, bold=True)
            return
        texts = (render_table(results, verbose=self.options.verbose > 0,
                              columns=self.options.columns),
                 *(render_section(section) for section in sections(results)
                   if section.terminal or self.options.verbose > 0),
                 *notes(results), summary_line(results))
        for text in texts if results else ():  # with no result, the warning below says it all
            if text:
                writer.write_line(text)
        if self.claims:
            from pytest_optbench.report.claims import claims_section

            writer.write_line(render_section(claims_section(self.claims)[0]))
        for verdict in self.claims:
            if verdict.failed:
                writer.write_line(f"CLAIM FAILED: {verdict.explanation()}", red=True, bold=True)
        for warning in run_warnings(results, self.selected):
            writer.write_line(warning, red=True, bold=True)
        if self.options.update_baselines or self.options.add_baselines:
            self._report_writes(writer, exitstatus)
        for note in self.baseline_notes:
            writer.write_line(note, yellow=True)
        if self.options.json_path and not any(f.startswith("NOT WRITTEN: results")
                                              for f in self.write_failures):
            writer.write_line(f"results written to {self.options.json_path}")
        for failure in self.write_failures:
            writer.write_line(failure, red=True, bold=True)
        if self.report is not None:
            writer.write_line(self.report.describe())
            if self.report.note:
                writer.write_line(self.report.note, yellow=True)

    def _report_writes(self, writer, exitstatus: int) -> None:
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            writer.write_line("baselines NOT written: the run was interrupted; "
                              "the files are unchanged")
            return
        for summary in self.written:
            kept = ", kept as stored" if self.options.add_baselines else ""
            writer.write_line(f"baselines {summary.path}: {len(summary.added)} added, "
                              f"{len(summary.updated)} updated, "
                              f"{len(summary.unchanged)} unchanged{kept}")
            if summary.updated:
                # The table above shows their old and new values, status "accepted".
                writer.write_line("  updated: " + ", ".join(summary.updated))
        _, refused = self.results.recordable() if self.results else ([], [])
        for result in refused:
            from pytest_optbench.gate.record import Outcome

            why = "diverged" if result.divergence else \
                f"not timed: {result.reason}" if result.status is Outcome.NOT_TIMED else \
                "raised an error"
            writer.write_line(f"not recorded: {result.case} ({why})")


@pytest.fixture
def optbench_step_time(benchmark):
    """Time an optimizer's step as the step_time cases of suites are timed, without a suite.

        def test_my_step(optbench_step_time):
            timing = optbench_step_time("mypkg.optim:Lion", params="10M", lr=1e-4)
            assert timing.implementation == "for-loop"

    `optimizer` is a class, a torch.optim name or "package.module:Class"; `params` a count
    ("10M", 10_000_000), a preset ("resnet18", "mlp-300-100") or a mapping as in a suite. The
    result (StepTiming) has the median step time, parameters and bytes per second, the share of
    the device's bandwidth and the step's peak memory; pytest-benchmark reports it as usual.
    """

    def time_it(optimizer: Any, params: Any = "10M", *, dtype: str = "float32",
                device: str = "auto", implementation: str = "default",
                bytes_per_param: float | None = None, bandwidth_gbps: float | None = None,
                seed: int = 0, **hyperparameters: Any) -> Any:
        from pytest_optbench.devices import resolve_device
        from pytest_optbench.kinds.step_time.measure import time_optimizer

        return time_optimizer(optimizer, params, hyperparameters, resolve_device(device),
                              benchmark, dtype=dtype, implementation=implementation, seed=seed,
                              bytes_per_param=bytes_per_param, bandwidth_gbps=bandwidth_gbps)

    return time_it
