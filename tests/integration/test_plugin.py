"""The plugin through pytest itself: collection, ids, options, help, table."""

import json
from pathlib import Path

import pytest

from suite_texts import TINY


@pytest.fixture
def tiny(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    return pytester


def test_help_lists_the_options_in_their_own_group(pytester):
    result = pytester.runpytest("--help")
    text = result.stdout.str()
    assert "optimizer regression suites (pytest-optbench):" in text
    for option in ("--optbench ", "--optbench-device", "--optbench-update-baselines",
                   "--optbench-baseline-dir", "--optbench-seeds", "--optbench-json",
                   "optbench_device", "optbench_baseline_dir", "optbench_json"):
        assert option in text, option


def test_a_plain_run_is_unchanged(pytester):
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    pytester.mkdir("suites").joinpath("tiny.yaml").write_text(TINY)
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1)
    assert "optbench" not in result.stdout.str()
    listed = pytester.runpytest("--collect-only", "-q").stdout.str()
    assert "tiny.yaml" not in listed and "test_plain.py::test_one" in listed


def test_the_switch_collects_suites_under_a_directory_and_skips_other_yaml(pytester):
    folder = pytester.mkdir("suites")
    folder.joinpath("tiny.yaml").write_text(TINY)
    folder.joinpath("other.yaml").write_text("name: not a suite\n")
    result = pytester.runpytest("--optbench", "--collect-only", "-q", "suites")
    result.stdout.fnmatch_lines([
        "suites/tiny.yaml::booth[[]sgd[]]",
        "suites/tiny.yaml::booth[[]adam[]]",
        "suites/tiny.yaml::himmelblau[[]sgd[]]",
        "suites/tiny.yaml::himmelblau[[]adam[]]",
        "4 tests collected*",
    ])
    assert "other.yaml" not in result.stdout.str()


def test_a_suite_named_on_the_command_line_needs_no_switch(tiny):
    tiny.runpytest("tiny.yaml", "--collect-only", "-q").stdout.fnmatch_lines(["4 tests collected*"])


def test_a_named_yaml_without_the_marker_is_reported_with_the_switch(pytester):
    pytester.makefile(".yaml", other="name: x\n")
    result = pytester.runpytest("--optbench", "other.yaml")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*other.yaml:1: optbench: found nothing; expected the required field 'optbench'*"])


def test_collection_is_deterministic(tiny):
    first = tiny.runpytest("tiny.yaml", "--collect-only", "-q").stdout.lines
    second = tiny.runpytest("tiny.yaml", "--collect-only", "-q").stdout.lines
    assert [l for l in first if "::" in l] == [l for l in second if "::" in l]


def test_ids_work_with_k_node_ids_and_markers(tiny):
    tiny.runpytest("tiny.yaml", "-k", "booth and adam", "--collect-only", "-q").stdout.fnmatch_lines(
        ["tiny.yaml::booth[[]adam[]]", "1/4 tests collected*"])
    tiny.runpytest("tiny.yaml::himmelblau[sgd]", "--collect-only", "-q").stdout.fnmatch_lines(
        ["tiny.yaml::himmelblau[[]sgd[]]", "1 test collected*"])
    tiny.runpytest("tiny.yaml", "-k", "Adam", "--collect-only", "-q").stdout.fnmatch_lines(
        ["2/4 tests collected*"])  # the class name is a keyword too
    tiny.runpytest("tiny.yaml", "-m", "analytic", "--collect-only", "-q").stdout.fnmatch_lines(
        ["4 tests collected*"])


def test_last_failed_reruns_only_the_failures(tiny):
    tiny.runpytest("tiny.yaml", "--optbench-update-baselines", "-k", "booth")
    first = tiny.runpytest("tiny.yaml")
    first.assert_outcomes(passed=2, failed=2)  # himmelblau has no baseline yet
    again = tiny.runpytest("tiny.yaml", "--lf")
    again.assert_outcomes(failed=2)
    assert "himmelblau" in again.stdout.str() and "booth[" not in again.stdout.str().split("optbench")[0]


def test_the_table_and_the_summary(tiny):
    tiny.runpytest("tiny.yaml", "--optbench-update-baselines").assert_outcomes(passed=4)
    result = tiny.runpytest("tiny.yaml")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([
        "*= optbench =*",
        "case * metric * value * baseline * delta * limit * status",
        "booth[[]sgd[]] * converged_fraction * pass",
        "optbench: 4 cases, 4 passed; 20 metrics compared with a baseline",
    ])


def test_a_large_table_puts_problems_first_and_summarises_passing_cases(pytester):
    optimizers = "\n".join(f"  sgd{i}: {{class: SGD, lr: {0.001 * (i + 1)}}}" for i in range(12))
    pytester.makefile(".yaml", big=TINY.split("optimizers:")[0] + "optimizers:\n" + optimizers +
                      "\nproblems:\n  booth: {function: booth}\n")
    pytester.runpytest("big.yaml", "--optbench-update-baselines")
    baseline = pytester.path / "baselines" / "tiny.json"
    data = json.loads(baseline.read_text())
    data["entries"]["cpu"]["booth[sgd3]"]["metrics"]["final_loss"] = [1e-12, 1e-12]
    baseline.write_text(json.dumps(data))
    result = pytester.runpytest("big.yaml")
    result.assert_outcomes(passed=11, failed=1)
    lines = result.stdout.lines
    start = lines.index(next(l for l in lines if l.startswith("case ")))
    assert lines[start + 2].startswith("booth[sgd3]") and "REGRESSION" in lines[start + 2]
    result.stdout.fnmatch_lines(
        ["... 59 passing rows not shown; 11 cases had nothing to report (-v shows every row)"])
    verbose = pytester.runpytest("big.yaml", "-v")
    assert "passing rows" not in verbose.stdout.str()
    assert sum("booth[sgd" in l and " pass" in l for l in verbose.stdout.lines) >= 55


def test_device_option(tiny):
    result = tiny.runpytest("tiny.yaml", "--optbench-device", "cpu", "--optbench-json", "out.json")
    result.stdout.fnmatch_lines(["results written to */out.json"])
    data = json.loads((tiny.path / "out.json").read_text())
    assert {case["device"] for case in data["cases"]} == {"cpu"}
    bad = tiny.runpytest("tiny.yaml", "--optbench-device", "gpu")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--optbench-device: found 'gpu'; expected auto, cpu, cuda or cuda:N*"])


def test_an_explicit_cuda_device_that_does_not_exist_is_a_usage_error(tiny):
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    result = tiny.runpytest("tiny.yaml", "--optbench-device", f"cuda:{count}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*found 'cuda:{count}', but this machine has {count} CUDA device(s)*"])


def test_seed_override_for_quick_runs(tiny):
    tiny.runpytest("tiny.yaml", "--optbench-seeds", "1", "--optbench-json", "out.json")
    data = json.loads((tiny.path / "out.json").read_text())
    assert {tuple(case["seeds"]) for case in data["cases"]} == {(0,)}
    refused = tiny.runpytest("tiny.yaml", "--optbench-seeds", "1", "--optbench-update-baselines")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    assert not (tiny.path / "baselines").exists()


def test_ini_options(tiny):
    tiny.makeini("[pytest]\noptbench_baseline_dir = stored\noptbench_json = results/run.json\n"
                 "optbench_device = cpu\n")
    tiny.runpytest("tiny.yaml", "--optbench-update-baselines").assert_outcomes(passed=4)
    assert (tiny.path / "stored" / "tiny.json").exists()
    data = json.loads((tiny.path / "results" / "run.json").read_text())
    assert len(data["cases"]) == 4 and data["complete"] is True


def test_json_results_hold_metrics_checks_curves_and_provenance(tiny):
    tiny.runpytest("tiny.yaml", "--optbench-json", "out.json")
    case = json.loads((tiny.path / "out.json").read_text())["cases"][0]
    for key in ("metrics", "rows", "curves", "provenance", "config_hash", "config", "seeds"):
        assert key in case, key
    assert case["provenance"]["dtype"] == "float64"
    assert len(case["metrics"]["converged_fraction"]) == 2


def test_a_cuda_suite_skips_cleanly_without_cuda(pytester):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    pytester.makefile(".yaml", gpu=TINY.replace("seeds: [0, 1]", "seeds: [0, 1]\ndevice: cuda"))
    result = pytester.runpytest("gpu.yaml", "-rs")
    result.assert_outcomes(skipped=4)
    result.stdout.fnmatch_lines(["*CUDA is not available here*"])


def test_user_optimizer_class_by_module_path(pytester):
    pytester.makepyfile(my_optim="""
        import torch
        class Descent(torch.optim.SGD):
            pass
    """)
    pytester.syspathinsert()
    pytester.makefile(".yaml", mine=TINY.replace("class: SGD", "class: 'my_optim:Descent'"))
    result = pytester.runpytest("mine.yaml", "--optbench-update-baselines", "-k", "sgd")
    result.assert_outcomes(passed=2)


def test_a_plain_run_imports_nothing_heavy(pytester):
    pytester.makepyfile(test_plain="""
        import sys
        def test_modules():
            heavy = [m for m in ("torch", "pydantic", "yaml", "pytest_optbench.suite.build") if m in sys.modules]
            assert heavy == [], heavy
    """)
    # A fresh interpreter: this test process has long since imported them all.
    result = pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:benchmark")
    result.assert_outcomes(passed=1)


# An optimizer that raises in every step beside one that works, on two problems.
RAISING = """\
optbench: 1
optimizers:
  broken: {class: "optbench_testing:RaisingSGD", lr: 0.01}
  broken-init: {class: "optbench_testing:RaisingInit", lr: 0.01}
  sgd: {class: SGD, lr: 0.01}
problems:
  booth: {function: booth, steps: 5, starts: 2, expect: {converged_fraction: {min: 0.0}}}
  sphere: {function: sphere, steps: 5, starts: 2, expect: {converged_fraction: {min: 0.0}}}
  user:
    function: "optbench_testing:raising_function"
    dim: 2
    domain: [-1, 1]
    minima: [[0, 0]]
    steps: 5
    starts: 2
    optimizers: [sgd]
"""
# 7 cases: 2 pass (booth and sphere under sgd); the rest raise.
RAISED = ["error"] * 5 + ["passed"] * 2


def _check_raising_run(result, document):
    """What a run of RAISING must show, serial or under xdist."""
    text = result.stdout.str()
    assert "INTERNALERROR" not in text
    result.assert_outcomes(passed=2, failed=5)
    assert sorted(case["status"] for case in document["cases"]) == RAISED
    assert document["complete"] and document["selected"] == 7 and document["reported"] == 7
    assert document["counts"] == {"error": 5, "passed": 2}
    details = {case["case"]: case["rows"][0]["detail"] for case in document["cases"]
               if case["status"] == "error"}
    assert details["booth[broken]"].startswith("RuntimeError: step() called before train()")
    assert "raising.yaml:4: optimizers.broken-init" in details["booth[broken-init]"]
    assert "NotImplementedError: dense parameters are not supported yet" \
        in details["booth[broken-init]"]
    assert details["user[sgd]"].startswith("ValueError: raising_function is only defined")


def test_an_optimizer_that_raises_fails_its_case_and_the_session_goes_on(pytester, monkeypatch):
    """Raising in the constructor, in step, or in the user's objective (which the closure
    evaluates): one ERROR each with the exception's own type and message, a traceback of the
    user's frames only, and nothing recorded for them."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1]))  # for optbench_testing
    pytester.makefile(".yaml", raising=RAISING)
    result = pytester.runpytest("raising.yaml", "--optbench-json", "out.json",
                                "--optbench-update-baselines")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    _check_raising_run(result, json.loads((pytester.path / "out.json").read_text()))
    result.stdout.fnmatch_lines(["*RuntimeError: step() called before train()*",
                                 "*optbench_testing.py:*: RuntimeError",
                                 "*optbench_testing.py:*: ValueError"])
    failures = result.stdout.str().split("= FAILURES =")[1].split("= optbench =")[0]
    assert "pytest_optbench" not in failures and "torch/optim/optimizer.py" not in failures
    stored = json.loads((pytester.path / "baselines" / "raising.json").read_text())["entries"]["cpu"]
    assert sorted(stored) == ["booth[sgd]", "sphere[sgd]"]
    result.stdout.fnmatch_lines(["not recorded: booth[broken] (raised an error)"])
    # --fulltrace keeps the plugin's frames, for a bug of the plugin's own.
    full = pytester.runpytest("raising.yaml", "-k", "booth and broken and not init",
                              "--fulltrace")
    assert "pytest_optbench" in full.stdout.str().split("= optbench =")[0]


@pytest.mark.slow
def test_an_optimizer_that_raises_under_xdist_fails_only_its_case(pytester, monkeypatch):
    pytest.importorskip("xdist")
    helpers = str(Path(__file__).parents[1])
    monkeypatch.setenv("PYTHONPATH", helpers)  # the workers import optbench_testing too
    monkeypatch.syspath_prepend(helpers)
    pytester.makefile(".yaml", raising=RAISING)
    result = pytester.runpytest_subprocess("raising.yaml", "-n", "2", "--optbench-json", "out.json")
    _check_raising_run(result, json.loads((pytester.path / "out.json").read_text()))




REQUIRES_MISSING = """\
optbench: 1
requires: {no_such_optimizer_library: "no-such-optimizer-library==1.0"}
optimizers:
  theirs: {class: "no_such_optimizer_library:Fancy", lr: 0.1}
  sgd: {class: SGD, lr: 0.01}
problems:
  booth: {function: booth, steps: 5, starts: 2, expect: {converged_fraction: {min: 0.0}}}
"""


def test_cases_whose_package_is_missing_are_reported_skipped_with_the_install_hint(pytester):
    pytester.makefile(".yaml", requires=REQUIRES_MISSING)
    result = pytester.runpytest("requires.yaml", "--optbench-json", "out.json", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["optbench: 2 cases, 1 passed, 1 skipped*",
                                 "*needs no_such_optimizer_library, which is not installed: "
                                 "pip install 'no-such-optimizer-library==1.0'*"])
    document = json.loads((pytester.path / "out.json").read_text())
    assert document["complete"] and document["reported"] == document["selected"] == 2
    assert document["counts"] == {"passed": 1, "skipped": 1}
    skipped = next(c for c in document["cases"] if c["status"] == "skipped")
    assert "pip install 'no-such-optimizer-library==1.0'" in skipped["reason"]


def test_a_session_stopped_early_says_it_is_incomplete(pytester, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1]))  # for optbench_testing
    pytester.makefile(".yaml", raising=RAISING)
    result = pytester.runpytest("raising.yaml", "-x", "--optbench-json", "out.json")
    document = json.loads((pytester.path / "out.json").read_text())
    assert document["selected"] == 7 and document["reported"] == 1
    assert document["complete"] is False
    result.stdout.fnmatch_lines(["INCOMPLETE RUN: 1 of 7 selected optbench cases reported a "
                                 "result; the rest were not checked."])


@pytest.mark.parametrize("omp,expected", [(None, "share"), ("2", "2")])
def test_xdist_workers_share_the_cores_unless_the_user_set_threads(pytester, monkeypatch, omp, expected):
    """Two workers each on every core would fight over them; OMP_NUM_THREADS is the user's."""
    import os

    if omp is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", omp)
    cores = len(os.sched_getaffinity(0))
    want = max(1, cores // 2) if expected == "share" else int(expected)
    pytester.makepyfile(test_threads=f"""
        import torch
        def test_threads():
            assert torch.get_num_threads() == {want}
        """)
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
