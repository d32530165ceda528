"""The package's shape: which stage may import which, what loads without torch, module sizes."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pytest_optbench"
STAGES = ("suite", "kinds", "gate", "report")
# Who may import whom, by stage (a top-level module is a stage of its own). Imports under
# `if TYPE_CHECKING:` are for annotations only and are not counted.
ALLOWED = {
    "gate": set(),
    "suite": {"gate", "devices"},
    "report": {"gate"},
    "kinds": {"suite", "gate", "report", "devices", "provenance"},
}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield path, ".".join(("pytest_optbench",) + parts).removesuffix(".__init__")


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "pytest_optbench"


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    annotations_only = {id(node) for block in ast.walk(tree)
                        if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING"
                        for node in ast.walk(block)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in annotations_only:
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pytest_optbench"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pytest_optbench")}
    return found


@pytest.mark.parametrize("stage", sorted(ALLOWED))
def test_dependencies_run_one_way(stage):
    wrong = sorted(f"{module} imports {target}" for path, module in modules()
                   if stage_of(module) == stage for target in imported(path)
                   if stage_of(target) not in ALLOWED[stage] | {stage})
    assert not wrong, "\n".join(wrong)


def loaded_after_importing(names: list[str]) -> set[str]:
    code = ("import sys\n" + "".join(f"import {name}\n" for name in names)
            + "print('\\n'.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def in_stage(*stages: str) -> list[str]:
    return [module for _, module in modules() if stage_of(module) in stages]


def test_gate_and_suite_load_without_torch():
    loaded = loaded_after_importing(in_stage("gate", "suite"))
    assert "torch" not in loaded
    assert not [m for m in loaded if m.startswith("pytest_optbench.kinds")]


def test_report_loads_without_any_kind():
    loaded = loaded_after_importing([m for m in in_stage("report") if not m.endswith(".plots")])
    assert not [m for m in loaded if m.startswith("pytest_optbench.kinds")]
    assert "torch" not in loaded
    with_plots = loaded_after_importing(["pytest_optbench.report.plots"])
    assert not [m for m in with_plots if m.startswith("pytest_optbench.kinds")]


def test_the_kind_registry_and_each_kind_load_without_torch():
    """The plugin registers the kinds' markers on every run; collecting a suite validates it
    with the kinds. Neither may pay for torch."""
    loaded = loaded_after_importing(["pytest_optbench.kinds", "pytest_optbench.kinds.analytic",
                                     "pytest_optbench.kinds.data", "pytest_optbench.kinds.step_time"])
    assert "torch" not in loaded


def test_a_kind_is_found_only_through_the_registry():
    """Outside the kinds package no module names a kind: adding one is a folder and a line."""
    kinds = {"analytic", "data", "step_time"}
    naming = sorted(f"{module}: {target}" for path, module in modules()
                    if stage_of(module) != "kinds" for target in imported(path)
                    if target.split(".")[1:2] == ["kinds"] and target.split(".")[2:3]
                    and target.split(".")[2] in kinds
                    # the plugin's own step-time fixture times steps as that kind does
                    and module != "pytest_optbench.plugin")
    assert not naming, "\n".join(naming)


def test_no_module_is_over_400_lines():
    long = {module: n for path, module in modules()
            if (n := len(path.read_text().splitlines())) > 400}
    assert not long
