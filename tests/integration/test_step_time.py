"""Step timing through pytest-benchmark: selection by its flags, its JSON, the optbench table,
baselines that gate a slowed optimizer, devices that are not comparable, and xdist."""

import json

import pytest
import torch

import optbench_testing
from suite_texts import STEPS, TINY


@pytest.fixture
def steps(pytester):
    pytester.makefile(".yaml", steps=STEPS, tiny=TINY)
    return pytester


def test_one_step_time_test_per_optimizer_and_implementation(steps):
    steps.runpytest("steps.yaml", "--collect-only", "-q").stdout.fnmatch_lines([
        "steps.yaml::step_time[[]small-sgd-for-loop[]]", "steps.yaml::step_time[[]small-sgd-foreach[]]",
        "steps.yaml::step_time[[]small-adam-for-loop[]]", "steps.yaml::step_time[[]small-adam-foreach[]]",
        "4 tests collected*"])


def test_benchmark_skip_and_only_select_the_right_tests(steps):
    skipped = steps.runpytest("steps.yaml", "tiny.yaml", "--benchmark-skip")
    skipped.assert_outcomes(skipped=4, failed=4)  # the tiny suite ran (and lacks baselines)
    only = steps.runpytest("steps.yaml", "tiny.yaml", "--benchmark-only", "--optbench-update-baselines")
    only.assert_outcomes(passed=4, skipped=4)
    assert "step_time[" in only.stdout.str()


def test_results_reach_the_benchmark_json_and_the_optbench_tables(steps):
    result = steps.runpytest("steps.yaml", "--benchmark-json", "bench.json",
                             "--optbench-update-baselines")
    result.assert_outcomes(passed=4)
    bench = json.loads((steps.path / "bench.json").read_text())["benchmarks"]
    assert sorted(b["name"] for b in bench) == sorted(
        ["step_time[small-sgd-for-loop]", "step_time[small-sgd-foreach]",
         "step_time[small-adam-for-loop]", "step_time[small-adam-foreach]"])
    info = {b["name"]: b["extra_info"] for b in bench}
    assert info["step_time[small-adam-foreach]"]["implementation"] == "foreach"
    assert info["step_time[small-adam-for-loop]"]["implementation"] == "for-loop"
    assert info["step_time[small-adam-foreach]"]["bytes_per_parameter"] == 28.0
    assert info["step_time[small-sgd-foreach]"]["parameters"] == 200_000
    result.stdout.fnmatch_lines([
        "step_time * ran * time/step * bytes/s * bandwidth * peak memory * status",
        "small-adam * foreach *s *B/s *% *B * recorded",
        "bandwidth: share of *B/s (measured in-place update) on cpu"])


TICKS = ("--benchmark-timer", "optbench_testing.tick_clock")


def test_a_stored_step_time_gates_a_slowed_optimizer(steps, monkeypatch):
    """On an injected clock (1 ms a step, then 10 ms), so no machine's load can change it."""
    monkeypatch.setattr(torch.optim, "SGD", optbench_testing.TickingSGD)
    steps.runpytest("steps.yaml", "--optbench-update-baselines", "-k", "sgd", *TICKS
                    ).assert_outcomes(passed=2)
    stored = json.loads((steps.path / "baselines" / "steps.json").read_text())["entries"]
    medians = [entry["metrics"]["step_time"] for entry in next(iter(stored.values())).values()]
    assert all(abs(m[0] - 1e-3) < 1e-9 for m in medians), medians
    steps.runpytest("steps.yaml", "-k", "sgd", *TICKS).assert_outcomes(passed=2)
    monkeypatch.setattr(torch.optim, "SGD", optbench_testing.SlowTickingSGD)
    result = steps.runpytest("steps.yaml", "-k", "sgd", *TICKS)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*step_time: REGRESSION: value 10*ms, baseline 1*ms, delta +9*ms*"])


def test_a_baseline_from_another_device_is_not_comparable(steps):
    steps.runpytest("steps.yaml", "--optbench-update-baselines", "-k", "sgd")
    path = steps.path / "baselines" / "steps.json"
    data = json.loads(path.read_text())
    data["entries"] = {"cpu@Another CPU": next(iter(data["entries"].values()))}
    path.write_text(json.dumps(data))
    result = steps.runpytest("steps.yaml", "-k", "sgd")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*step_time * not comparable*"])
    # Baselines were expected and none could be compared: the run gated nothing.
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_baseline_from_a_machine_of_the_same_cpu_name_but_other_threads_or_torch_is_not_comparable(steps):
    """Keyed by the CPU name alone (as entries once were), a baseline would be judged on any
    machine reporting that name."""
    from pytest_optbench.provenance import cpu_name

    steps.runpytest("steps.yaml", "--optbench-update-baselines", "-k", "sgd", *TICKS)
    path = steps.path / "baselines" / "steps.json"
    data = json.loads(path.read_text())
    (context, cases), = data["entries"].items()
    assert context.startswith(f"cpu@{cpu_name()}, ") and " threads, torch " in context
    data["entries"] = {f"cpu@{cpu_name()}": cases}
    path.write_text(json.dumps(data))
    result = steps.runpytest("steps.yaml", "-k", "sgd", *TICKS)
    result.assert_outcomes(passed=2)
    assert "REGRESSION" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*step_time * not comparable*"])


def test_a_baseline_timed_at_another_bandwidth_is_not_comparable(steps, monkeypatch):
    steps.runpytest("steps.yaml", "--optbench-update-baselines", "-k", "sgd", *TICKS)
    path = steps.path / "baselines" / "steps.json"
    data = json.loads(path.read_text())
    for entry in next(iter(data["entries"].values())).values():
        assert entry["provenance"]["bandwidth_gbps"] > 0
        entry["provenance"]["bandwidth_gbps"] *= 3
    path.write_text(json.dumps(data))
    monkeypatch.setattr(torch.optim, "SGD", optbench_testing.SlowTickingSGD)
    result = steps.runpytest("steps.yaml", "-k", "sgd", *TICKS, "--optbench-json", "out.json")
    # Ten times slower, yet not a regression: the machines are not alike.
    result.assert_outcomes(passed=2)
    assert "REGRESSION" not in result.stdout.str()
    rows = json.loads((steps.path / "out.json").read_text())["cases"][0]["rows"]
    step = next(row for row in rows if row["metric"] == "step_time")
    assert step["status"] == "not comparable"
    assert "GB/s of update bandwidth" in step["detail"] and "(3.00x apart" in step["detail"]


@pytest.mark.slow
def test_xdist_disables_timing_and_says_so_once(steps):
    result = steps.runpytest("-n", "2", "steps.yaml")
    result.assert_outcomes(passed=4)
    text = result.stdout.str()
    assert text.count("step timing disabled: 4 step_time cases ran once, untimed") == 1
    assert "REGRESSION" not in text and "MISSING" not in text


@pytest.mark.slow
def test_an_untimed_case_is_not_recorded_because_it_was_not_timed(steps):
    result = steps.runpytest("-n", "2", "steps.yaml", "--optbench-update-baselines")
    text = result.stdout.str()
    assert "raised an error" not in text
    result.stdout.fnmatch_lines(["not recorded: step_time* (not timed: pytest-benchmark is "
                                 "disabled*"])


def test_the_plain_fixture_times_a_users_optimizer(pytester):
    pytester.makepyfile(test_mine="""
        def test_lamb(optbench_step_time):
            timing = optbench_step_time("optbench_testing:Lamb", params="100k", lr=1e-3)
            assert timing.parameters == 100_000 and timing.implementation == "for-loop"
            assert timing.bytes_per_parameter == 28.0 and timing.median_s > 0  # m and v
    """)
    result = pytester.runpytest("--benchmark-json", "bench.json")
    result.assert_outcomes(passed=1)
    (bench,) = json.loads((pytester.path / "bench.json").read_text())["benchmarks"]
    assert bench["name"] == "test_lamb" and bench["extra_info"]["parameters"] == 100_000


# --- arithmetic -------------------------------------------------------------------------

@pytest.mark.slow
def test_benchmark_autosave_and_compare_fail_work_on_step_times(steps, monkeypatch):
    # pytest-benchmark leaves failed tests out of its files, so the optbench gate is turned off
    # here and pytest-benchmark's own --benchmark-compare-fail judges.
    steps.makefile(".yaml", ungated=STEPS + "    expect: {step_time: {baseline: false}, "
                                             "peak_memory: {baseline: false}}\n")
    storage = ("--benchmark-storage", "file://./bench")
    # On the injected clock: 1 ms a step, then 10 ms.
    monkeypatch.setattr(torch.optim, "SGD", optbench_testing.TickingSGD)
    steps.runpytest("ungated.yaml", "-k", "sgd", "--benchmark-autosave", *storage, *TICKS
                    ).assert_outcomes(passed=2)
    assert list((steps.path / "bench").rglob("*.json"))
    steps.runpytest("ungated.yaml", "-k", "sgd", *storage, *TICKS, "--benchmark-compare",
                    "--benchmark-compare-fail=median:400%").assert_outcomes(passed=2)
    monkeypatch.setattr(torch.optim, "SGD", optbench_testing.SlowTickingSGD)
    compared = steps.runpytest("ungated.yaml", "-k", "sgd", *storage, *TICKS, "--benchmark-compare",
                               "--benchmark-compare-fail=median:400%")
    text = compared.stdout.str() + compared.stderr.str()
    assert "Performance has regressed" in text
    assert "step_time[small-sgd-for-loop] (0001_unversi) - Field 'median' has failed" in text
    assert compared.ret != 0
