"""The sharded GitHub Actions workflow of docs/ci.md, run as far as it can run here: its shell steps
in order, in a temporary project, with the artifacts passed by hand."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from suite_texts import SHARDED as SUITE

README = Path(__file__).resolve().parents[2] / "docs" / "ci.md"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workflow() -> dict:
    section = README.read_text().split("### Shards across CI jobs", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block, "the sharding section has no workflow"
    return yaml.safe_load(block.group(1))


def _step(job: dict, name: str) -> str:
    return next(step["run"] for step in job["steps"] if step.get("name") == name)


def test_the_merge_job_waits_for_every_shard_and_runs_when_one_fails(workflow):
    shard, gate = workflow["jobs"]["shard"], workflow["jobs"]["gate"]
    shards = shard["strategy"]["matrix"]["shard"]
    assert shard["strategy"]["fail-fast"] is False
    assert f"--optbench-shard ${{{{ matrix.shard }}}}/{len(shards)}" in _step(shard, "Shard")
    assert gate["needs"] == "shard" and "cancelled()" in gate["if"]
    uploads = [s for s in shard["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads and uploads[0]["if"] == "always()"
    downloads = [s for s in gate["steps"] if s.get("uses", "").startswith("actions/download-artifact")]
    assert downloads[0]["with"]["pattern"].replace("*", "1") == \
        uploads[0]["with"]["name"].replace("${{ matrix.shard }}", "1")


def _bash(command: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_shell_steps_run_in_order_and_gate_the_whole_suite(workflow, tmp_path):
    project = tmp_path / "project"
    (project / "suites").mkdir(parents=True)
    (project / "suites" / "recipe.yaml").write_text(SUITE)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    env.pop("CI", None)
    recorded = _bash("pytest --optbench suites/ --optbench-update-baselines -q -p no:cacheprovider",
                     project, env)
    assert recorded.returncode == 0, recorded.stdout[-2000:]
    shard_job, gate_job = workflow["jobs"]["shard"], workflow["jobs"]["gate"]
    artifacts = project / "shards"   # what download-artifact with merge-multiple leaves
    artifacts.mkdir()
    for index in shard_job["strategy"]["matrix"]["shard"]:
        command = _step(shard_job, "Shard").replace("${{ matrix.shard }}", str(index))
        ran = _bash(command, project, env)
        assert ran.returncode == 0, ran.stdout[-2000:]
        (project / f"shard-{index}.json").rename(artifacts / f"shard-{index}.json")
    gated = _bash(_step(gate_job, "Merge and gate"), project, env)
    assert gated.returncode == 0, gated.stdout[-2000:] + gated.stderr[-2000:]
    summary = _bash(_step(gate_job, "Job summary"), project, env)
    assert summary.returncode == 0
    merged = json.loads((project / "merged.json").read_text())
    assert merged["complete"] and merged["reported"] == 6 and len(merged["merged_from"]) == 4
    assert "6 cases, 6 passed" in (tmp_path / "summary.md").read_text()
    # one shard's file lost on the way: the gate fails and says which
    (artifacts / "shard-2.json").unlink()
    lost = _bash(_step(gate_job, "Merge and gate"), project, env)
    assert lost.returncode == 1 and "shard 2/4 missing" in lost.stdout
