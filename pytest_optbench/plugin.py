"""pytest hooks of pytest-optbench.

This module loads on every pytest run of a project that has the plugin installed, so it imports
neither torch nor the suite machinery: they load only once a suite file is collected. Without
`--optbench` and without a suite file named on the command line, nothing here changes a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_optbench import options as optbench_options, schedule, sharding
from pytest_optbench.kinds import REGISTRY as KIND_REGISTRY
from pytest_optbench.options import OPTIONS_KEY
from pytest_optbench.suite_files import (SUITE_SUFFIXES, is_case, looks_like_suite,
                                         named_on_command_line, no_suite_hint)

if TYPE_CHECKING:
    from pytest_optbench.session.conclude import Conclusion
    from pytest_optbench.session.record import RunRecord
    from pytest_optbench.session.writer import Written



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
    sharding.register(config, config.stash[OPTIONS_KEY].shard)
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
    """An xdist worker sends what it collected (the suites' cases and claims, its shard) to the
    controller, as a run record without cases: the cases travel with their reports."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and session.config.stash.get(SUITE_COLLECTED, False):
        from pytest_optbench.collect import collected_record

        workeroutput["optbench_record"] = collected_record(session.config).to_json()


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
    """Hooks of the controlling process: gather the run record, then hand it to the session
    stage (session/), which concludes, writes and says what it means.

    Registered only in the controller (never in an xdist worker), so that baselines and result
    files are written once, from the complete set of results.
    """

    def __init__(self, config: pytest.Config):
        self.config = config
        self.options = config.stash[OPTIONS_KEY]
        # Created with the first optbench result: plain runs import nothing.
        self.record: RunRecord | None = None
        self.parts: list[dict[str, Any]] = []   # xdist workers' payloads, as JSON
        self.selected = 0    # optbench cases selected to run, to say so when none of them did
        self.conclusion: Conclusion | None = None
        self.written: Written | None = None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # The final selection: after -k, -m, --lf (which narrows it last of all) and the shard.
        self.selected = sum(1 for item in session.items if item.get_closest_marker("optbench"))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        self.selected = max(self.selected, sum(1 for i in ids if is_case(i)))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        payload = getattr(node, "workeroutput", {}).get("optbench_record")
        if payload is not None:
            self.parts.append(payload)

    def cases_record(self) -> RunRecord:
        if self.record is None:
            from pytest_optbench.session.record import RunRecord

            self.record = RunRecord()
        return self.record

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

            self.cases_record().add(CaseResult.from_json(data))

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        """Serially, before each case: the results so far and the case now running, so that a
        process that dies inside a step (os._exit, a segfault) leaves a partial results file
        that names it. Under xdist the controller outlives its workers and says it itself."""
        path = self.options.json_path
        if path is None or not is_case(nodeid) \
                or self.config.pluginmanager.get_plugin("dsession") is not None:
            return
        from pytest_optbench.session.record import INTERRUPTED
        from pytest_optbench.session.writer import Written, write_results

        record = self._whole_record()
        record.complete, record.exitstatus = False, INTERRUPTED
        document = record.to_json(running=nodeid)
        Written().guarded(f"results {path}", lambda: write_results(document, path))

    def _whole_record(self) -> RunRecord:
        """This process's results with what it and its xdist workers collected."""
        from pytest_optbench.collect import collected_record
        from pytest_optbench.session.merge import merge
        from pytest_optbench.session.record import RunRecord

        own = collected_record(self.config)
        own.cases = self.cases_record().cases
        own.selected = self.selected
        return merge([own, *(RunRecord.from_json(part) for part in self.parts)])

    def _ours(self) -> bool:
        return self.record is not None or bool(self.selected) or self.options.enabled \
            or self.config.stash.get(SUITE_COLLECTED, False)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self._ours():
            return  # a plain pytest run: nothing of optbench's to say or write
        from pytest_optbench.session.conclude import conclude
        from pytest_optbench.session.writer import carry_out

        record = self._whole_record()
        record.interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        # Complete: every selected case reported a result and nothing stopped the session.
        record.complete = not record.interrupted and exitstatus != pytest.ExitCode.INTERNAL_ERROR \
            and len(record.cases) >= self.selected
        record.exitstatus = int(exitstatus)
        collect_only = bool(self.config.option.collectonly)
        from pytest_optbench.collect import case_ids_in_every_tier

        self.conclusion = conclude(record, self.options, collect_only=collect_only,
                                   other_tiers=lambda suite_file: case_ids_in_every_tier(
                                       self.config, suite_file))
        self.written = carry_out(self.conclusion, self.options)
        if getattr(session, "exitstatus", exitstatus) in (pytest.ExitCode.OK,
                                                          pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = self.conclusion.exitstatus

    def pytest_terminal_summary(self, terminalreporter, exitstatus: int) -> None:
        if self.conclusion is None or self.written is None or self.config.option.collectonly:
            return
        if not self.conclusion.record.cases and terminalreporter.stats.get("error"):
            return  # the collection errors above say what went wrong; no run to judge
        from pytest_optbench.session.summary import summary_lines

        if not self.conclusion.record.cases and not self.config.stash.get(SUITE_COLLECTED, False):
            terminalreporter.write_sep("=", "optbench")
            terminalreporter.write_line(no_suite_hint(self.config), red=True, bold=True)
            return
        lines = summary_lines(self.conclusion, self.written, self.options)
        if lines:   # under -qq, a run without failures says nothing here
            terminalreporter.write_sep("=", "optbench")
        for text, markup in lines:
            terminalreporter.write_line(text, **markup)


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
