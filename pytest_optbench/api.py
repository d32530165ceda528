"""The Python API: load a suite, run one of its cases, read the result.

    from pytest_optbench import load_suite, run_case
    suite = load_suite("suites/analytic.yaml")
    outcome = run_case(suite.cases[0])
    print(outcome.result.status, [(r.metric, r.value, r.status) for r in outcome.result.rows])

These are the suite builder and runner of the pytest plugin, with every kind registered.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from pytest_optbench.suite.build import BuildContext, Suite
from pytest_optbench.suite.build import build_suite as _build_suite
from pytest_optbench.suite.build import load_suite as _load_suite
from pytest_optbench.suite.cases import Case
from pytest_optbench.suite.loader import Document


def _with_kinds(context: BuildContext | None) -> BuildContext:
    from pytest_optbench.kinds import all_kinds

    context = context or BuildContext()
    return context if context.kinds else dataclasses.replace(context, kinds=all_kinds())


def load_suite(path: str | Path, display: str | None = None,
               context: BuildContext | None = None) -> Suite:
    """Load and validate a suite file; SuiteError lists every error in it."""
    return _load_suite(path, display, _with_kinds(context))


def build_suite(doc: Document, default_name: str, context: BuildContext | None = None) -> Suite:
    """Validate a loaded suite document (see `pytest_optbench.suite.loader.load_text`)."""
    return _build_suite(doc, default_name, _with_kinds(context))


def run_case(case: Case, *, baseline_dir: str | Path = "baselines", device: str | None = None,
             seeds: int | None = None, update_baselines: bool = False, benchmark: Any = None,
             **options: Any) -> Any:
    """Run one case as the plugin would, compared with the baselines in `baseline_dir`.

    Returns a CaseOutcome: `.result` (a CaseResult) and `.failure` (the failure text or None).
    Other keyword arguments are fields of `pytest_optbench.settings.OptbenchOptions`.
    """
    from pytest_optbench.settings import OptbenchOptions
    from pytest_optbench.run import Caches
    from pytest_optbench.run import run_case as _run_case

    root = Path.cwd()
    settings = OptbenchOptions(enabled=True, cli_device=device, ini_device=None,
                               update_baselines=update_baselines,
                               baseline_dir=(root / baseline_dir).resolve(), seeds=seeds,
                               json_path=None, verbose=0, rootdir=root, **options)
    return _run_case(case, f"{case.suite}::{case.case_id}", case.suite, settings, Caches(),
                     benchmark)
