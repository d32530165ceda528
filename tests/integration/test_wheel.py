"""The package as a user gets it: build the wheel, install it into a new virtual environment,
and run the CI workflow commands of docs/ci.md in an empty folder.

The new environment gets the wheel alone; torch and the other dependencies come from the
environment running these tests through a path file (not a download of several GB), whose own
editable install of pytest-optbench is never activated there.
"""

import os
import re
import shlex
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "docs" / "ci.md").read_text()
DATA = Path(os.environ.get("OPTBENCH_DATA_DIR", ROOT.parent / "shared" / "data")).resolve()

pytestmark = pytest.mark.slow


def _ci_section() -> str:
    return README.split("## Using it as a CI gate", 1)[1].split("\n## ", 1)[0]


def _setup_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", _ci_section(), re.S)
    assert block
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line and not line.startswith("git ")]


def _workflow_step(job: str, name: str) -> str:
    workflow = yaml.safe_load(re.search(r"```yaml\n(.*?)```", _ci_section(), re.S).group(1))
    return next(step["run"] for step in workflow["jobs"][job]["steps"] if step.get("name") == name)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True)
    (built,) = out.glob("pytest_optbench-*.whl")
    return built


def test_the_wheel_carries_suites_baselines_licence_and_typing_marker(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for suite in ("analytic", "mnist", "fashion_mnist", "cifar", "step_time", "third_party"):
        assert f"pytest_optbench/shipped_suites/{suite}.yaml" in names
        assert f"pytest_optbench/shipped_baselines/{suite}.json" in names
    assert "pytest_optbench/py.typed" in names
    assert "pytest_optbench/suite.schema.json" in names   # optbench schema reads it
    assert any(name.endswith("licenses/LICENSE") for name in names)
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA")))
    assert b"Project-URL: Homepage" in metadata and b"License-Expression: MIT" in metadata


@pytest.fixture(scope="module")
def fresh(wheel, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("fresh")
    env_dir = home / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # Added after the install, so that pip never sees (or touches) the other environment.
    Path(site, "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    # The console script pip would install with pytest, for this environment's python.
    script = env_dir / "bin" / "pytest"
    script.write_text(f"#!{python}\nimport sys, pytest\nsys.exit(pytest.main())\n")
    script.chmod(0o755)
    return env_dir


def _run(command: str, env_dir: Path, cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "HOME": str(cwd.parent / "home"), **extra}
    env.pop("PYTHONPATH", None)
    env.pop("OPTBENCH_DATA_DIR", None)
    result = subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=1500)
    print(f"$ {command}\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    return result


def test_the_installed_package_is_the_wheel(fresh, tmp_path):
    result = _run("python -c 'import pytest_optbench; print(pytest_optbench.__file__)'; "
                  "optbench --help", fresh, tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith(str(fresh))
    assert "usage: optbench" in result.stdout


@pytest.mark.skipif(not (DATA / "FashionMNIST" / "raw").is_dir(),
                    reason=f"needs the Fashion-MNIST files under {DATA} (OPTBENCH_DATA_DIR)")
def test_the_readme_ci_workflow_runs_in_an_empty_project(fresh, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "optbench-data").symlink_to(DATA.resolve())
    for command in _setup_commands():
        if "--optbench-update-baselines" in command:
            continue  # the shipped baselines stand in for a first recording
        assert _run(command, fresh, project).returncode == 0, command
    assert {p.name for p in (project / "suites").iterdir()} == {"analytic.yaml",
                                                                "fashion_mnist.yaml"}
    gate = " ".join(shlex.split(_workflow_step("cpu-tier", "Gate (CPU tier)").replace("\n", " ")))
    # The command as written, on one analytic problem and the Fashion-MNIST SGD cases (the
    # whole suites add minutes and nothing this test looks for; make test gates them anyway).
    result = _run(gate + " -p no:cacheprovider -k 'booth or (fashion_mnist and sgd)'", fresh,
                  project)
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"optbench: \d+ cases, \d+ passed; \d+ metrics compared", result.stdout)
    summary = tmp_path / "summary.md"
    assert _run(_workflow_step("cpu-tier", "Job summary"), fresh, project,
                GITHUB_STEP_SUMMARY=str(summary)).returncode == 0
    assert "optbench:" in summary.read_text()
