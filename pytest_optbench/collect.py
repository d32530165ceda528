"""pytest collectors for suite files: one test item per case."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any, Iterator

import pytest

from pytest_optbench.options import OPTIONS_KEY
from pytest_optbench.suite.cases import Case
from pytest_optbench.suite.errors import SuiteError

CACHES_KEY = pytest.StashKey[Any]()


class CaseFailed(Exception):
    """A case ran and broke its expectations; the message lists every violation."""


def build(path: Path, display: str, options: Any) -> Any:
    """The suite of a file, as the session's options make it; raises SuiteError."""
    from pytest_optbench.devices import device_type_of
    from pytest_optbench.kinds import all_kinds
    from pytest_optbench.suite.build import BuildContext, load_suite

    context = BuildContext(
        kinds=all_kinds(), tier=options.tier,
        device_type_for=lambda device: device_type_of(options.device_for(device)),
        dataset_folders=frozenset(options.dataset_folders or {}))
    return load_suite(path, display=display, context=context)


class SuiteFile(pytest.File):
    def collect(self) -> Iterator[CaseItem]:
        options = self.config.stash[OPTIONS_KEY]
        try:
            suite = build(self.path, self.nodeid, options)
        except SuiteError as exc:
            raise self.CollectError(str(exc)) from None
        self._claim_name(suite)
        self._check_baselines(suite, options)
        # Every case of the suite, selected or not: what decides that a stored entry is unused
        # and that a shard is missing; xdist workers send theirs to the controller.
        from pytest_optbench.session.record import SuiteInfo

        if suite.tiers:
            self.config.stash.setdefault(TIERED_KEY, {})[suite.file] = (self.path, suite.tiers)
        self.config.stash.setdefault(SUITES_KEY, {})[suite.file] = SuiteInfo.of(
            suite.file, [(case.case_id, case.config_hash) for case in suite.cases],
            [claim.to_json() for claim in suite.claims])
        for case in suite.cases:
            yield CaseItem.from_parent(self, name=case.case_id, case=case, suite_file=suite.file)


    def _claim_name(self, suite: Any) -> None:
        """Two suites of one name would share, and overwrite, each other's baseline entries."""
        names = self.config.stash.setdefault(SUITE_NAMES_KEY, {})
        other = names.setdefault(suite.name, (suite.file, self.path.resolve()))
        if other[1] != self.path.resolve():
            raise self.CollectError(
                f"{suite.file}:{suite.name_line}: suite: found '{suite.name}', the name of "
                f"{other[0]} too; expected a suite name unique in the session, since each name "
                f"has one baseline file ({suite.name}.json); give one of them its own "
                f"`suite:` name")

    def _check_baselines(self, suite: Any, options: Any) -> None:
        """An unusable baseline file stops its suite at collection, before anything trains,
        and is left as it is."""
        from pytest_optbench.gate.baselines import BaselineFileError, baseline_path

        caches = self.config.stash[CACHES_KEY]
        try:
            caches.baseline_file(baseline_path(options.baseline_dir, suite.name), suite.name)
        except BaselineFileError as exc:
            raise self.CollectError(f"baseline file unusable: {exc}") from None


# Suite name -> (its file as shown, its resolved path), for the session.
SUITE_NAMES_KEY = pytest.StashKey[dict]()
# Suite file as shown -> its SuiteInfo (every case id, the claims, the suite's version).
SUITES_KEY = pytest.StashKey[dict]()
# The shard this process keeps (session.record.ShardInfo), set by sharding.py.
SHARD_KEY = pytest.StashKey[Any]()
# Suite file as shown -> (its path, the tiers it names), for the suites that have tiers.
TIERED_KEY = pytest.StashKey[dict]()


def case_ids_in_every_tier(config: pytest.Config, suite_file: str) -> set[str]:
    """Every case id the suite has under any of its tiers or none: a tier that leaves cases
    out (a costly contract on a CPU) does not make their baseline entries unused. Built only
    when an entry looks unused, since it builds the suite once per tier."""
    import dataclasses

    from pytest_optbench.suite.build import NO_TIER

    tiered: dict[str, Any] = config.stash.get(TIERED_KEY, {})
    if suite_file not in tiered:
        return set()
    path, tiers = tiered[suite_file]
    options = config.stash[OPTIONS_KEY]
    found: set[str] = set()
    for tier in (NO_TIER, *tiers):
        try:
            suite = build(path, suite_file, dataclasses.replace(options, tier=tier))
        except SuiteError:
            continue   # a tier this machine cannot build: its cases are not counted
        found |= {case.case_id for case in suite.cases}
    return found


def collected_record(config: pytest.Config) -> Any:
    """A run record of what this process collected: the suites, and its shard. No cases."""
    from pytest_optbench.session.record import RunRecord

    suites: dict[str, Any] = config.stash.get(SUITES_KEY, {})
    return RunRecord(suites=dict(suites),
                     shard=config.stash.get(SHARD_KEY, None))

_PLUGIN_DIR = str(Path(__file__).resolve().parent)
# torch's wrappers around every step (profiling hooks, no_grad): never where a fault is.
_TORCH_PLUMBING = ("torch/optim/optimizer.py", "torch/utils/_contextlib.py")


def _plumbing(path: str) -> bool:
    return path.startswith(_PLUGIN_DIR) or path.replace("\\", "/").endswith(_TORCH_PLUMBING)


def _run_case(request: pytest.FixtureRequest) -> None:
    request.node.run_case()


def _time_case(request: pytest.FixtureRequest, benchmark: Any) -> None:
    # Asking for `benchmark` by name lets pytest-benchmark's --benchmark-skip and
    # --benchmark-only select these items, and its JSON, autosave and compare see them.
    request.node.run_case(benchmark)


class GlobalStateChanged(pytest.PytestWarning):
    """A case changed torch's global state; it was put back before the next case."""


@contextlib.contextmanager
def _same_start(caches: Any, item: CaseItem) -> Iterator[None]:
    """Every case starts from the global torch state the first one found, and a case that
    changes it is reported (see torch_state.py)."""
    from pytest_optbench.torch_state import TorchState

    if caches.torch_state is None:
        caches.torch_state = TorchState.capture()
    start = caches.torch_state
    start.restore()
    entry = TorchState.capture()   # torch as the first case found it; this case's folder, env
    try:
        yield
    finally:
        changed = entry.changed_by(TorchState.capture())
        start.restore()
        entry.restore_process()
        if changed:
            if item.optbench_result is not None:
                item.optbench_result.details["global_state_changed"] = changed
            warnings.warn(GlobalStateChanged(
                f"{item.case.case_id} changed torch's global state ({'; '.join(changed)}); "
                f"it was put back for the cases after it"))


class CaseItem(pytest.Function):
    """A case as a pytest Function, so that fixtures (record_property, tmp_path...) work."""

    def __init__(self, *, case: Case, suite_file: str, **kwargs: Any):
        from pytest_optbench.devices import device_type_of
        from pytest_optbench.kinds import kind

        super().__init__(**kwargs)
        # pytest >= 9.2 keeps a structured node id and reads the "[...]" of stored ids (the --lf
        # cache, --deselect) as parameters. Re-parsing ours from its string makes both agree.
        structured = getattr(self, "_id", None)
        if structured is not None and hasattr(type(structured), "parse"):
            self._id = type(structured).parse(str(structured))
        self.case = case
        self.suite_file = suite_file
        self.optbench_result: Any = None     # the CaseResult, once the case has run
        of_kind = kind(case.kind)
        self.add_marker("optbench")
        self.add_marker(case.kind)
        self.extra_keyword_matches.update(of_kind.keywords(case))
        if of_kind.uses_benchmark:
            options = self.config.stash[OPTIONS_KEY]
            device_type = device_type_of(options.device_for(case.device))
            self.add_marker(pytest.mark.benchmark(**of_kind.benchmark_settings(case, device_type)))
        if case.skip:
            self.add_marker(pytest.mark.skip(reason=case.skip))

    @classmethod
    def from_parent(cls, parent: Any, *, name: str, case: Case,  # type: ignore[override]
                    suite_file: str) -> CaseItem:
        from pytest_optbench.kinds import kind

        # No `originalname`: pytest would build the node id from it and drop the "[optimizer]".
        callobj = _time_case if kind(case.kind).uses_benchmark else _run_case
        item: CaseItem = super().from_parent(parent, name=name, callobj=callobj, case=case,
                                             suite_file=suite_file)
        return item

    def run_case(self, benchmark: Any = None) -> None:
        options = self.config.stash[OPTIONS_KEY]
        caches = self.config.stash[CACHES_KEY]
        from pytest_optbench.deadline import time_limit

        from pytest_optbench.hard_stop import stop
        from pytest_optbench.live_progress import LiveProgress

        try:
            with _same_start(caches, self), LiveProgress(
                    self.config, self.nodeid, options.progress_every), time_limit(
                    *options.time_limit_for(self.case.timeout),
                    hard_stop=lambda message: stop(self, message)):
                self._run(options, caches, benchmark)
        finally:
            self._record_properties()

    def _record_properties(self) -> None:
        """Each metric's value, baseline and verdict as junitxml properties: they travel with
        the report, so they reach the XML under xdist too."""
        result = self.optbench_result
        if result is None:
            return
        self.user_properties.append(("optbench_status", str(result.status)))
        for row in result.rows:
            if row.metric == "-":
                continue
            prefix = f"optbench_{row.metric}"
            self.user_properties.append((f"{prefix}_status", str(row.status)))
            for name, value in (("value", row.value), ("baseline", row.baseline),
                                ("delta", row.delta)):
                if value is not None:
                    self.user_properties.append((f"{prefix}_{name}", f"{value:.6g}"))

    def _run(self, options: Any, caches: Any, benchmark: Any) -> None:
        from pytest_optbench.devices import DeviceUnavailable
        from pytest_optbench.kinds.base import CaseNotApplicable, CaseTrouble
        from pytest_optbench.run import error_result, run_case, skipped_result

        try:
            outcome = run_case(self.case, self.nodeid, self.suite_file, options, caches,
                               benchmark)
        except (DeviceUnavailable, CaseNotApplicable) as exc:
            self.optbench_result = skipped_result(self.case, self.nodeid, self.suite_file,
                                                  options, str(exc))
            pytest.skip(str(exc))
        except CaseTrouble as exc:
            # Expected trouble with a clear message of its own: no traceback.
            self.optbench_result = error_result(self.case, self.nodeid, self.suite_file,
                                                options, exc)
            raise CaseFailed(str(exc)) from None
        except Exception as exc:
            from pytest_optbench.suite.resolve import protocol_hint

            hint = protocol_hint(exc, self.case.optimizer.protocol)
            if hint and hasattr(exc, "add_note"):   # Python 3.11: shown under the traceback
                exc.add_note(hint)
            self.optbench_result = error_result(self.case, self.nodeid, self.suite_file,
                                                options, exc, hint)
            raise
        self.optbench_result = outcome.result
        if outcome.failure:
            raise CaseFailed(outcome.failure)

    def skipped(self, reason: str) -> Any:
        """The record of this case, skipped before it ran."""
        from pytest_optbench.run import skipped_result

        return skipped_result(self.case, self.nodeid, self.suite_file,
                              self.config.stash[OPTIONS_KEY], reason)

    def _traceback_filter(self, excinfo: Any) -> Any:
        """The frames of the user's code: the plugin's own and torch's step plumbing between
        pytest and the optimizer say nothing about what went wrong. All of them with
        --fulltrace, or where the error is the plugin's own."""
        traceback = super()._traceback_filter(excinfo)
        if self.config.getoption("fulltrace", False):
            return traceback
        kept = traceback.filter(lambda entry: not _plumbing(str(entry.path)))
        return kept if len(kept) else traceback

    def reportinfo(self) -> tuple[Any, int, str]:
        return self.path, self.case.line - 1, self.case.case_id

    def repr_failure(self, excinfo: Any) -> Any:  # type: ignore[override]
        if isinstance(excinfo.value, CaseFailed):
            # The reason comes first: pytest's short summary shows the first line.
            return f"{excinfo.value}\n(case {self.case.case_id} of {self.suite_file}:{self.case.line})"
        # Function.repr_failure takes no `style` in every pytest this runs on (9.2 has none).
        return super().repr_failure(excinfo)
