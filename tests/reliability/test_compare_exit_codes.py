"""`python -m pytest_optbench compare`: 2 for unusable input, never the regression code 1,
and a quiet end when its reader closes the pipe."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BASELINES = Path(__file__).parents[2] / "baselines" / "analytic.json"


def compare(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "pytest_optbench", "compare", *map(str, args)],
                          capture_output=True, text=True, **kwargs)


@pytest.mark.parametrize("content, message", [
    ('{"optbench_results": 1, "cases": [{"status": "passed"}]}', "cases[0].suite: found None; expected a name"),
    ('{"optbench_baseline": 1, "entries": {"cpu": {"a": {"config_hash": "h", "seeds": [0], '
     '"metrics": {"m": [NaN]}}}}}', "found NaN; expected a finite number"),
    ('{"optbench_baseline": 1, "entries": []}', "not a format-1 baseline"),
    ("{broken", "invalid JSON"),
    ('[1, 2]', "found neither an optbench results file"),
])
def test_unusable_input_exits_2_with_the_reason(tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    done = compare(bad, BASELINES, "--fail-on-regression")
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_closed_pipe_ends_quietly(tmp_path):
    head = subprocess.Popen(["head", "-n", "1"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    done = subprocess.run([sys.executable, "-m", "pytest_optbench", "compare", str(BASELINES),
                           str(BASELINES), "-v"], stdout=head.stdin, stderr=subprocess.PIPE,
                          text=True)
    head.stdin.close()
    head.wait()
    assert done.returncode == 141 and "Traceback" not in done.stderr and done.stderr == ""


def test_a_good_pair_still_exits_0(tmp_path):
    done = compare(BASELINES, BASELINES, "--fail-on-regression")
    assert done.returncode == 0 and json.loads(BASELINES.read_text())["suite"] == "analytic"
