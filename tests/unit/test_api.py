"""The Python API declared in pytest_optbench.__all__."""

import subprocess
import sys
from pathlib import Path

import pytest_optbench
from pytest_optbench import Outcome, Status, load_suite, run_case

ROOT = Path(__file__).resolve().parents[2]


def test_every_declared_name_resolves_and_importing_the_package_is_light():
    assert all(getattr(pytest_optbench, name) is not None for name in pytest_optbench.__all__)
    code = "import sys, pytest_optbench; print('torch' in sys.modules, 'pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_shipped_case_runs_against_its_stored_baseline(monkeypatch):
    monkeypatch.chdir(ROOT)
    suite = load_suite("suites/analytic.yaml")
    case = next(c for c in suite.cases if c.case_id == "booth[sgd]")
    outcome = run_case(case, baseline_dir="baselines", device="cpu")
    assert outcome.failure is None and outcome.result.status is Outcome.PASSED
    assert {row.metric for row in outcome.result.rows if row.compared} >= {"converged_fraction"}
    assert all(row.status is Status.PASS for row in outcome.result.rows)
    quick = run_case(case, baseline_dir="baselines", device="cpu", seeds=1)
    assert quick.result.seeds == [case.seeds[0]]
