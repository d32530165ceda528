"""What the wheel carries: every package of the tree, the shipped suites and baselines, the
licence and the typing marker (tests/integration/test_wheel.py builds and installs it)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PROJECT["tool"]["setuptools"]


def test_every_package_of_the_tree_is_listed():
    found = {".".join(path.parent.relative_to(ROOT).parts)
             for path in (ROOT / "pytest_optbench").rglob("__init__.py")}
    listed = set(SETUPTOOLS["packages"])
    assert found - listed == set(), "packages the wheel would leave out"
    assert listed - found == set(SETUPTOOLS["package-dir"])


def test_the_shipped_folders_are_the_top_level_suites_and_baselines():
    assert SETUPTOOLS["package-dir"] == {"pytest_optbench.shipped_suites": "suites",
                                         "pytest_optbench.shipped_baselines": "baselines"}
    data = SETUPTOOLS["package-data"]
    assert data["pytest_optbench.shipped_suites"] == ["*.yaml"]
    assert data["pytest_optbench.shipped_baselines"] == ["*.json"]
    assert "py.typed" in data["pytest_optbench"] and (ROOT / "pytest_optbench/py.typed").is_file()


def test_licence_and_urls_are_declared():
    assert PROJECT["project"]["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert PROJECT["project"]["license-files"] == ["LICENSE"]
    assert {"Homepage", "Issues"} <= set(PROJECT["project"]["urls"])
    assert PROJECT["project"]["scripts"]["optbench"] == "pytest_optbench.cli:main"


def test_every_shipped_suite_has_its_baselines():
    from pytest_optbench.shipped import shipped_suites

    suites = shipped_suites()
    assert {"analytic", "mnist", "fashion_mnist", "cifar", "step_time"} <= set(suites)
    assert [name for name, suite in suites.items() if suite.baseline is None] == []


def test_the_changelog_names_the_format_versions_the_code_writes():
    import re
    from pathlib import Path

    from pytest_optbench.gate.baselines import FORMAT
    from pytest_optbench.gate.results_file import RESULTS_FORMAT

    text = (Path(__file__).resolve().parents[2] / "CHANGELOG.md").read_text()
    versions = dict(re.findall(r"\| `(optbench_\w+)` \| (\d+) \|", text))
    assert versions == {"optbench_results": str(RESULTS_FORMAT),
                        "optbench_baseline": str(FORMAT), "optbench_report": "1"}
