"""pytest collectors for suite files: one test item per case."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_optbench.suite.cases import Case
from pytest_optbench.suite.errors import SuiteError
from pytest_optbench.options import OPTIONS_KEY

CACHES_KEY = pytest.StashKey[Any]()


class CaseFailed(Exception):
    """A case ran and broke its expectations; the message lists every violation."""


class SuiteFile(pytest.File):
    def collect(self):
        from pytest_optbench.run import device_type_of
        from pytest_optbench.suite.build import BuildContext, load_suite

        options = self.config.stash[OPTIONS_KEY]
        context = BuildContext(
            tier=options.tier,
            device_type_for=lambda device: device_type_of(options.device_for(device)),
            dataset_folders=frozenset(options.dataset_folders or {}))
        try:
            suite = load_suite(self.path, display=self.nodeid, context=context)
        except SuiteError as exc:
            raise self.CollectError(str(exc)) from None
        for case in suite.cases:
            yield CaseItem.from_parent(self, name=case.case_id, case=case, suite_file=suite.file)


def _run_case(request: pytest.FixtureRequest) -> None:
    request.node.run_case()


def _time_case(request: pytest.FixtureRequest, benchmark) -> None:
    # Asking for `benchmark` by name lets pytest-benchmark's --benchmark-skip and
    # --benchmark-only select these items, and its JSON, autosave and compare see them.
    request.node.run_case(benchmark)


class CaseItem(pytest.Function):
    """A case as a pytest Function, so that fixtures (record_property, tmp_path...) work."""

    def __init__(self, *, case: Case, suite_file: str, **kwargs: Any):
        super().__init__(**kwargs)
        # pytest >= 9.2 keeps a structured node id and reads the "[...]" of stored ids (the --lf
        # cache, --deselect) as parameters. Re-parsing ours from its string makes both agree.
        structured = getattr(self, "_id", None)
        if structured is not None and hasattr(type(structured), "parse"):
            self._id = type(structured).parse(str(structured))
        self.case = case
        self.suite_file = suite_file
        self.optbench_result: dict | None = None
        self.add_marker("optbench")
        self.add_marker("step_time" if case.kind == "timing" else case.kind)
        if case.kind == "data":
            self.extra_keyword_matches.add(case.problem.dataset)
        if case.kind == "timing":
            self._mark_benchmark(case)
        if case.skip:
            self.add_marker(pytest.mark.skip(reason=case.skip))

    def _mark_benchmark(self, case: Case) -> None:
        from pytest_optbench.run import device_type_of
        from pytest_optbench.kinds.step_time.timer import cuda_synchronized_perf_counter

        options = self.config.stash[OPTIONS_KEY]
        settings = {"group": f"{case.suite}: {case.problem_key}"}
        if device_type_of(options.device_for(case.device)) == "cuda":
            settings["timer"] = cuda_synchronized_perf_counter
        self.add_marker(pytest.mark.benchmark(**settings))
        self.extra_keyword_matches.update(
            {case.problem_key, case.optimizer.key, case.optimizer.class_name, case.suite})

    @classmethod
    def from_parent(cls, parent, *, name: str, case: Case, suite_file: str):  # type: ignore[override]
        # No `originalname`: pytest would build the node id from it and drop the "[optimizer]".
        callobj = _time_case if case.kind == "timing" else _run_case
        return super().from_parent(parent, name=name, callobj=callobj, case=case,
                                   suite_file=suite_file)

    def run_case(self, benchmark=None) -> None:
        from pytest_optbench.kinds.data.datasets import DataCorrupt, DataUnavailable
        from pytest_optbench.kinds.data.runner import OutOfMemory
        from pytest_optbench.run import DeviceUnavailable, error_result, run_case, skipped_result

        options = self.config.stash[OPTIONS_KEY]
        caches = self.config.stash[CACHES_KEY]
        try:
            outcome = run_case(self.case, self.nodeid, self.suite_file, options, caches,
                               benchmark)
        except DeviceUnavailable as exc:
            self.optbench_result = skipped_result(self.case, self.nodeid, self.suite_file,
                                                  options, str(exc))
            pytest.skip(str(exc))
        except (DataUnavailable, DataCorrupt, OutOfMemory) as exc:
            # Expected trouble with a clear message of its own: no traceback.
            self.optbench_result = error_result(self.case, self.nodeid, self.suite_file,
                                                options, exc)
            raise CaseFailed(str(exc)) from None
        except Exception as exc:
            self.optbench_result = error_result(self.case, self.nodeid, self.suite_file,
                                                options, exc)
            raise
        self.optbench_result = outcome.result
        if outcome.failure:
            raise CaseFailed(outcome.failure)

    def reportinfo(self):
        return self.path, self.case.line - 1, self.case.case_id

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            # The reason comes first: pytest's short summary shows the first line.
            return f"{excinfo.value}\n(case {self.case.case_id} of {self.suite_file}:{self.case.line})"
        return super().repr_failure(excinfo, style=style)
