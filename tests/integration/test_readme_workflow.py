"""The GitHub Actions workflow of docs/ci.md: it parses, it has the jobs it promises, and every
optbench option its commands use exists, so the example cannot silently rot."""

import re
import shlex
from pathlib import Path

import pytest
import yaml

README = Path(__file__).resolve().parents[2] / "docs" / "ci.md"


@pytest.fixture(scope="module")
def workflow() -> dict:
    text = README.read_text()
    section = text.split("## Using it as a CI gate", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block, "the CI section has no yaml block"
    return yaml.safe_load(block.group(1))


def _runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def _pytest_arguments(job: dict) -> list[str]:
    commands = [run for run in _runs(job) if "pytest --optbench" in run]
    assert len(commands) == 1
    return shlex.split(commands[0].replace("\n", " "))


def test_the_cpu_tier_runs_on_every_pull_request_and_posts_the_report(workflow):
    assert "pull_request" in workflow[True]  # PyYAML reads the key `on` as True
    job = workflow["jobs"]["cpu-tier"]
    assert "if" not in job
    arguments = _pytest_arguments(job)
    assert arguments[arguments.index("--optbench-device") + 1] == "cpu"
    report = arguments[arguments.index("--optbench-report") + 1]
    summary = [run for run in _runs(job) if "GITHUB_STEP_SUMMARY" in run]
    assert summary and f"{report}/report.md" in summary[0]
    assert [s for s in job["steps"] if s.get("name") == "Job summary"][0]["if"] == "always()"
    assert "suites/" in arguments  # the suites the README's setup block copies into a project


def test_the_setup_block_copies_shipped_suites():
    from pytest_optbench.shipped import shipped_suites

    section = README.read_text().split("## Using it as a CI gate", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the CI section has no setup block"
    names = re.findall(r"^optbench init (\S+)", block.group(1), re.M)
    assert names and all(name in shipped_suites() for name in names)


def test_the_gpu_tier_runs_only_where_a_gpu_runner_is_named(workflow):
    job = workflow["jobs"]["gpu-tier"]
    assert "OPTBENCH_GPU_RUNNER" in job["if"] and "OPTBENCH_GPU_RUNNER" in job["runs-on"]
    arguments = _pytest_arguments(job)
    assert arguments[arguments.index("--optbench-device") + 1] == "cuda"
    assert any("GITHUB_STEP_SUMMARY" in run for run in _runs(job))


def test_every_optbench_option_in_the_workflow_exists(workflow, pytester):
    used = {a for job in workflow["jobs"].values() for a in _pytest_arguments(job)
            if a.startswith("--optbench")}
    assert {"--optbench-report", "--optbench-device", "--optbench-data-dir"} <= used
    known = pytester.runpytest("--help").stdout.str()
    assert not [option for option in used if option not in known]


def _installs(job: dict) -> str:
    return next(step["run"] for step in job["steps"] if step.get("name") == "Install")


def test_torch_is_pinned_to_one_build_in_every_job(workflow):
    pinned = workflow["env"]["TORCH_VERSION"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned)
    for name, job in workflow["jobs"].items():
        # every line that installs torch names the pinned build
        installs = [line for line in _installs(job).splitlines() if re.search(r"[\s\"]torch", line)]
        assert installs and all('"torch==$TORCH_VERSION"' in line for line in installs), name


def test_a_record_job_runs_by_hand_and_uploads_the_baselines_for_review(workflow):
    assert "workflow_dispatch" in workflow[True]
    job = workflow["jobs"]["record"]
    assert "workflow_dispatch" in job["if"]
    arguments = _pytest_arguments(job)
    assert {"--optbench-update-baselines", "--optbench-allow-ci-update"} <= set(arguments)
    upload = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert upload and upload[0]["with"]["path"] == "baselines"


def test_the_dataset_cache_is_saved_whatever_the_gate_says(workflow):
    steps = workflow["jobs"]["cpu-tier"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    restore = next(i for i, u in enumerate(uses) if u.startswith("actions/cache/restore"))
    save = next(i for i, u in enumerate(uses) if u.startswith("actions/cache/save"))
    gate = next(i for i, s in enumerate(steps) if s.get("name") == "Gate (CPU tier)")
    assert restore < gate < save and steps[save]["if"] == "always()"
    assert steps[restore]["with"]["key"] == steps[save]["with"]["key"]
