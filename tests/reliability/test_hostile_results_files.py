"""Results files from another version or crafted by anyone who can open a pull request:
`compare` and `report` exit 2 with the file, the case and the field, never a traceback or
the exit statuses that mean "passed" (0) or "regressed" (1)."""

import json
import subprocess
import sys

import pytest

GOOD_CASE = {"suite": "s", "case": "booth[sgd]", "status": "passed", "device_type": "cpu",
             "config_hash": "h", "metrics": {"final_loss": [0.5]}, "rows": []}


def command(*args):
    return subprocess.run([sys.executable, "-m", "pytest_optbench", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def results(tmp_path, name="r.json", **fields):
    path = tmp_path / name
    path.write_text(json.dumps({"optbench_results": 1, "cases": [GOOD_CASE], **fields}))
    return path


@pytest.mark.parametrize("content, message", [
    (json.dumps({"optbench_results": 999, "cases": []}),
     "found results format 999; expected 1; it was written by a newer pytest-optbench"),
    (json.dumps({"optbench_results": "1", "cases": []}), "found results format '1'; expected 1"),
    (json.dumps({"optbench_results": 1, "cases": [{**GOOD_CASE, "metrics": {"final_loss": "x"}}]}),
     "cases[0] (booth[sgd]).metrics.final_loss: found 'x'; expected a list of per-seed numbers"),
    (json.dumps({"optbench_results": 1, "cases": [{**GOOD_CASE, "metrics": {"m": [[[1]]]}}]}),
     "cases[0] (booth[sgd]).metrics.m: found [[[1]]]"),
    (json.dumps({"optbench_results": 1, "cases": [{**GOOD_CASE, "rows": [{"metric": 1}]}]}),
     "rows[0].metric: found 1; expected a metric name"),
    (json.dumps({"optbench_results": 1, "cases": [{**GOOD_CASE, "order": "first"}]}),
     "order: found 'first'; expected a whole number"),
    ('{"optbench_results": 1, "cases": ' + "[" * 30000 + "]" * 30000 + "}", "nesting too deep"),
    ('{"optbench_results": 1, "cases": [], "x": ' + "7" * 5000 + "}", "Exceeds the limit"),
])
@pytest.mark.parametrize("how", ["compare", "report"])
def test_a_hostile_results_file_exits_2_with_where_and_what(tmp_path, content, message, how):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    args = (bad, results(tmp_path), "--fail-on-regression") if how == "compare" else \
        (bad, "--out", tmp_path / "out")
    done = command(how, *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("how", ["compare", "report"])
def test_a_latin_1_byte_exits_2(tmp_path, how):
    bad = tmp_path / "bad.json"
    bad.write_bytes(json.dumps({"optbench_results": 1, "cases": [{**GOOD_CASE, "case": "b\xe9"}]},
                               ensure_ascii=False).encode("latin-1"))
    args = (bad, results(tmp_path)) if how == "compare" else (bad, "--out", tmp_path / "out")
    done = command(how, *args)
    assert done.returncode == 2 and "found a byte that is not UTF-8 (0xe9" in done.stderr


def test_nothing_compared_is_not_a_pass_under_fail_on_regression(tmp_path):
    empty = results(tmp_path, "empty.json", cases=[])
    done = command("compare", empty, empty, "--fail-on-regression")
    assert done.returncode == 1 and "NOTHING WAS COMPARED" in done.stdout
    assert command("compare", empty, empty).returncode == 0   # informational without the flag


def test_a_good_results_file_still_compares(tmp_path):
    good = results(tmp_path)
    assert command("compare", good, good, "--fail-on-regression").returncode == 0
