"""Measured tolerances, end to end: a baseline recorded with noise envelopes fails a real change
far inside the old fixed tolerance, and holds when only the CPU's kernel path changes."""

import json

import pytest
import torch

import optbench_testing

pytestmark = pytest.mark.slow

# NAdam on the ill-conditioned quadratic is the shipped case whose trajectory the scalar kernel
# path moves beyond the old 0.1 decades; momentum on the same problem is smooth.
SUITE = """\
optbench: 1
suite: portable
seeds: [0, 1, 2]
defaults:
  starts: 32
  steps: 1500
  converge: {criterion: distance, tol: 1e-2}
  expect:
    final_loss: {baseline: true}
    steps_to_converge: {baseline: true}
    trajectory: {baseline: true}
optimizers:
  nadam:    {class: NAdam, lr: 0.178}
  momentum: {class: SGD, lr: 0.00316, momentum: 0.9}
problems:
  quadratic: {function: quadratic, options: {condition: 100, rotated: true}}
"""


def record(pytester, *extra):
    pytester.makefile(".yaml", portable=SUITE)
    pytester.runpytest("portable.yaml", "--optbench-update-baselines", *extra) \
        .assert_outcomes(passed=2)
    return json.loads((pytester.path / "baselines" / "portable.json").read_text())


def scalar_path(pytester, monkeypatch):
    """A check in a new process on torch's scalar kernels: the cheapest stand-in for a CPU
    other than the one that recorded."""
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    result = pytester.runpytest_subprocess("portable.yaml", "--optbench-json", "out.json")
    cases = {c["case"]: c for c in
             json.loads((pytester.path / "out.json").read_text())["cases"]}
    return result, cases


def test_the_recording_keeps_an_envelope_a_fingerprint_and_the_isolation(pytester):
    entries = record(pytester)["entries"]["cpu"]
    entry = entries["quadratic[nadam]"]
    assert entry["envelope"]["replicas"] == 6
    assert len(entry["envelope"]["spread"]["trajectory"]) == len(entry["metrics"]["trajectory"][0])
    assert len(entry["fingerprint"]) == 16
    assert entry["observed"] == {"isolation": "shared-tensor"}
    # The isolation the probe found is an observation, not part of the configuration.
    assert "run" not in entry["config"]


def test_a_change_of_kernel_path_passes_where_the_fixed_tolerance_failed(pytester, monkeypatch):
    record(pytester, "--optbench-replicas", "0")
    fixed, cases = scalar_path(pytester, monkeypatch)
    if cases["quadratic[nadam]"].get("bitwise", False):
        pytest.skip("this CPU's scalar kernels round as its vector ones: nothing to show")
    assert cases["quadratic[nadam]"]["bitwise"] is False
    fixed.assert_outcomes(passed=1, failed=1)   # the old fixed 0.1 decades
    # The failure says how this machine differs from the recording one, beside the verdict.
    fixed.stdout.fnmatch_lines(["trajectory: CHANGED: *; machine: CPU kernel path * -> DEFAULT*"])
    fixed.stdout.fnmatch_lines(["quadratic?nadam? * trajectory * <= 0.1 * CHANGED"])

    record(pytester)    # the same cases, now with envelopes
    measured, cases = scalar_path(pytester, monkeypatch)
    measured.assert_outcomes(passed=2)
    assert cases["quadratic[nadam]"]["bitwise"] is False
    measured.stdout.fnmatch_lines(["this machine differs from the one that recorded*",
                                   "bitwise: 0 of 2 cases reproduced their baselines exactly*"])


def test_a_real_change_inside_the_old_tolerance_fails(pytester, monkeypatch):
    record(pytester)
    monkeypatch.setattr(torch.optim, "SGD", optbench_testing.SGDWithLRSlightlyLarge)
    result = pytester.runpytest("portable.yaml", "--optbench-json", "out.json")
    result.assert_outcomes(passed=1, failed=1)
    rows = {(c["case"], r["metric"]): r for c in
            json.loads((pytester.path / "out.json").read_text())["cases"] for r in c["rows"]}
    trajectory = rows[("quadratic[momentum]", "trajectory")]
    assert trajectory["status"] == "CHANGED"
    assert trajectory["value"] < 0.1   # the old fixed tolerance would have passed it
    assert "noise envelope" in trajectory["detail"]
