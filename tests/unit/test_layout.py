"""The package's shape: which stage may import which, what loads without torch, module sizes."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pytest_optbench"
# Who may import whom, by stage; a top-level module is a stage of its own, and the package's
# __init__ (its version) may be read by anyone. Imports under `if TYPE_CHECKING:` are for
# annotations only and are not counted. The arrows run one way:
#   glue (pytest hooks and options) -> session -> run -> kinds -> {suite, gate}; report -> gate.
# Glue may import anything; nothing else imports glue.
GLUE = {"plugin", "options", "collect", "sharding", "schedule", "hard_stop", "deadline",
        "workers", "writable", "suite_files", "live_progress", "__main__"}
ALLOWED = {
    "gate": set(),
    "suite": {"gate"},
    "report": {"gate"},
    "settings": {"gate"},
    "provenance": {"gate"},
    "torch_state": set(),
    "devices": {"suite"},
    "kinds": {"suite", "gate", "report", "provenance", "settings"},
    "detect": {"suite", "gate", "kinds", "settings"},
    "run": {"suite", "gate", "kinds", "settings", "detect", "devices", "provenance",
            "torch_state"},
    "contributions": {"gate", "kinds", "report"},
    "session": {"gate", "report", "settings", "contributions", "history"},
    "history": {"gate", "report", "kinds"},
    "api": {"suite", "gate", "kinds", "run", "settings"},
    "shipped": {"suite", "gate"},
    "schema": {"suite", "gate", "kinds"},
    "validate": {"suite", "gate", "kinds", "devices"},
    "cli": {"session", "report", "gate", "kinds", "shipped", "schema", "validate", "history",
            "settings"},
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
                   if stage_of(target) not in ALLOWED[stage] | {stage, "pytest_optbench"})
    assert not wrong, "\n".join(wrong)


def test_every_module_has_a_place_in_the_layout():
    """A new top-level module or stage is placed above before it lands."""
    unplaced = sorted({stage_of(module) for _, module in modules()}
                      - set(ALLOWED) - GLUE - {"pytest_optbench"})
    assert not unplaced


def test_the_session_stage_and_what_it_reads_load_without_pytest():
    """conclude(), merge() and the writer run outside pytest: `optbench merge` and `report`."""
    loaded = loaded_after_importing(in_stage("session") + ["pytest_optbench.cli"])
    assert not {"pytest", "_pytest"} & loaded
    assert "torch" not in loaded


def complexity(function: ast.AST) -> int:
    """McCabe's number as radon counts it: 1, plus one per branch, loop, handler, boolean
    operator and comprehension clause."""
    count = 1
    for node in ast.walk(function):
        if isinstance(node, (ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While,
                             ast.ExceptHandler, ast.Assert, ast.comprehension)):
            count += 1 + (len(node.ifs) if isinstance(node, ast.comprehension) else 0)
        elif isinstance(node, ast.BoolOp):
            count += len(node.values) - 1
    return count


def test_the_plugin_module_holds_hooks_only():
    """No function of plugin.py decides much: what a session means lives in session/."""
    tree = ast.parse((PACKAGE / "plugin.py").read_text())
    functions = [node for node in ast.walk(tree)
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    complex_ = {f.name: n for f in functions if (n := complexity(f)) > 10}
    assert functions and not complex_


def test_complexity_counts_branches():
    tree = ast.parse("def f(a, b):\n    if a and b:\n        return [x for x in a if x]\n"
                     "    for _ in b:\n        pass\n    return 0\n")
    assert complexity(tree.body[0]) == 6


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
    from pytest_optbench.kinds import REGISTRY

    kinds = set(REGISTRY)
    assert {"analytic", "data", "step_time", "contracts"} <= kinds
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
