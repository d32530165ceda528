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


BOOTH = """\
optbench: 1
suite: isolation
optimizers:
  adam: {class: Adam, lr: 0.1}
problems:
  booth: {function: booth, steps: 20, starts: 4, expect: {final_loss: {baseline: true}}}
"""


def recorded_booth(baseline_dir):
    """Adam on Booth's function, its baseline recorded in `baseline_dir`."""
    from pytest_optbench.api import build_suite
    from pytest_optbench.gate.recording import write_baselines
    from pytest_optbench.suite.loader import load_text

    case = build_suite(load_text(BOOTH, "s.yaml"), "s").cases[0]
    recorded = run_case(case, baseline_dir=baseline_dir, device="cpu", update_baselines=True)
    assert recorded.result.details["isolation"] == "shared-tensor"
    write_baselines([recorded.result])
    return case


def test_the_isolation_a_suite_writes_is_part_of_its_hash(tmp_path):
    """Recorded under the probe's choice (shared-tensor for Adam), a run under an isolation
    the suite writes is STALE: the user changed the configuration."""
    import dataclasses

    case = recorded_booth(tmp_path)
    again = run_case(case, baseline_dir=tmp_path, device="cpu")
    assert again.result.status is Outcome.PASSED
    other = dataclasses.replace(case, optimizer=dataclasses.replace(
        case.optimizer, isolation="optimizer-per-start"))
    switched = run_case(other, baseline_dir=tmp_path, device="cpu")
    assert switched.result.config_hash != again.result.config_hash
    assert any(row.status is Status.STALE for row in switched.result.rows)


def test_a_probe_that_finds_another_isolation_is_reported_and_judged(tmp_path, monkeypatch):
    """The coupling of starts an optimizer shows is an observation: when it changes, the case
    says so and is judged on its metrics, not set aside as a stale configuration."""
    from pytest_optbench.kinds.analytic import probe

    case = recorded_booth(tmp_path)
    monkeypatch.setattr(probe, "CHEAPEST_FIRST", ())   # as if batching were no longer exact
    again = run_case(case, baseline_dir=tmp_path, device="cpu")
    assert again.result.details["isolation"] == "optimizer-per-start"
    assert again.result.status is Outcome.PASSED
    assert again.result.details["observed_changes"] == \
        "isolation: shared-tensor -> optimizer-per-start"
    assert again.result.details["bitwise"] is True   # exact either way
    assert not any(row.status is Status.STALE for row in again.result.rows)
