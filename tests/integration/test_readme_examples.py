"""Every example of the README and of the pages under docs/, run as written: each suite in a
```yaml block (it collects, records its baselines and then passes its own thresholds), each
```python block, and each command of a ```sh block, in one project folder, in reading order
(the README, then the pages as its table lists them).

Budgets: commands that run a whole shipped suite run it on one problem (`-k booth`); the
README says the shipped suites take minutes. Lines that install (`pip`, `make`) or use git are
what CI itself does and are not run here; the GitHub Actions workflow has its own test
(test_wheel.py). Examples that need the real datasets skip without them.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# Reading order; docs/development.md is about the checkout itself: its commands are what CI
# runs, and are not run here.
PAGES = [ROOT / "README.md", *(ROOT / "docs" / name for name in (
    "writing-suites.md", "gate-and-baselines.md", "reports.md", "ci.md", "own-library.md",
    "guarantees.md", "history.md", "options.md", "figures.md", "development.md"))]
USER_PAGES = PAGES[:-1]
DATA = Path(os.environ.get("OPTBENCH_DATA_DIR", ROOT.parent / "shared" / "data")).resolve()
SHIPPED_SUITE = re.compile(r"suites/(analytic|third_party)\.yaml")
NOT_RUN = ("pip ", "make ", "git ")

pytestmark = pytest.mark.slow

# The user modules the README's suites name: small but real optimizers and a function.
MYPKG_OPTIM = '''
import torch


class Lion(torch.optim.Optimizer):
    """Lion: the sign of an interpolated momentum."""

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                exp_avg = state["exp_avg"]
                p.mul_(1 - group["lr"] * group["weight_decay"])
                update = exp_avg.mul(beta1).add(p.grad, alpha=1 - beta1).sign_()
                p.add_(update, alpha=-group["lr"])
                exp_avg.mul_(beta2).add_(p.grad, alpha=1 - beta2)
        return loss
'''
MYPKG_FUNCTIONS = '''
def bowl(X):
    return ((X - 0.5) ** 2).sum(1)
'''
MYLIB = '''
import torch


class Fancy(torch.optim.Optimizer):
    """Heavy-ball momentum with the step held to length lr: steep walls do not throw it out."""

    def __init__(self, params, lr=0.01, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                buffer = self.state[p].setdefault("momentum", torch.zeros_like(p))
                buffer.mul_(group["momentum"]).add_(p.grad)
                p.sub_(group["lr"] * buffer / buffer.norm().clamp_min(1.0))


class SecondOrder(torch.optim.Optimizer):
    """A Newton-like step on the diagonal of the Hessian, through a Hessian-vector product."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, dict(lr=lr))

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            grads = [p.grad for p in params]
            probes = [torch.ones_like(p) for p in params]
            hvps = torch.autograd.grad(grads, params, probes, retain_graph=False)
            with torch.no_grad():
                for p, g, h in zip(params, grads, hvps):
                    p.sub_(group["lr"] * g / h.abs().clamp_min(1.0))
        return loss


class SAM(torch.optim.Optimizer):
    """Sharpness-aware minimisation around a base optimizer class."""

    def __init__(self, params, base_optimizer, rho=0.05, **kwargs):
        super().__init__(params, dict(rho=rho, **kwargs))
        self.base = base_optimizer(self.param_groups, **kwargs)

    @torch.no_grad()
    def step(self, closure):
        with torch.enable_grad():
            loss = closure()
        grads = [p.grad for g in self.param_groups for p in g["params"] if p.grad is not None]
        norm = torch.norm(torch.stack([g.norm() for g in grads])) + 1e-12
        moved = []
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    e = p.grad * group["rho"] / norm
                    p.add_(e)
                    moved.append((p, e))
        with torch.enable_grad():
            closure()
        for p, e in moved:
            p.sub_(e)
        self.base.step()
        return loss


class Lookahead(torch.optim.Optimizer):
    """Lookahead around an inner optimizer instance."""

    def __init__(self, optimizer, k=5, alpha=0.5):
        self.inner, self.k, self.alpha, self.count = optimizer, k, alpha, 0
        self.param_groups = optimizer.param_groups
        self.defaults = optimizer.defaults
        self.state = optimizer.state
        self.slow = [[p.detach().clone() for p in g["params"]] for g in self.param_groups]

    @torch.no_grad()
    def step(self, closure=None):
        loss = self.inner.step(closure)
        self.count += 1
        if self.count % self.k == 0:
            for group, slow in zip(self.param_groups, self.slow):
                for p, s in zip(group["params"], slow):
                    s.add_(p - s, alpha=self.alpha)
                    p.copy_(s)
        return loss


class Orthogonal(torch.optim.Optimizer):
    """Steps along the orthogonal factor of each matrix gradient."""

    def __init__(self, params, lr=0.02):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.dim() == 2:
                    u, _, vh = torch.linalg.svd(p.grad, full_matrices=False)
                    p.sub_(group["lr"] * u @ vh)
                else:
                    p.sub_(group["lr"] * p.grad)
'''


def blocks(language: str, pages: list[Path] = PAGES) -> list[tuple[str, str]]:
    """(where, text) of every fenced block in `language`; where: 'docs/ci.md:12'."""
    found = []
    for page in pages:
        text = page.read_text()
        for match in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
            if match.group(1) == language:
                line = text[:match.start()].count("\n") + 1
                found.append((f"{page.relative_to(ROOT)}:{line}", match.group(2)))
    return found


def suite_blocks() -> list[tuple[str, str]]:
    return [(line, text) for line, text in blocks("yaml") if text.startswith("optbench: 1")]


def commands() -> list[tuple[str, str]]:
    """The user's commands, each with where it is written (docs/development.md's are the
    checkout's own, run by CI)."""
    found = []
    for where, text in blocks("sh", USER_PAGES):
        page, line = where.rsplit(":", 1)
        for offset, command in enumerate(text.splitlines()):
            command = command.split(" #", 1)[0].strip()
            if command and not command.startswith(NOT_RUN):
                found.append((f"{page}:{int(line) + 1 + offset}", command))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_fenced_block_is_labelled(page):
    """An unlabelled block would escape this test: each is sh, yaml, python, bash or text."""
    languages = re.findall(r"^```(\w*)\n", page.read_text(), re.M)
    assert "" not in languages[::2]
    assert set(languages[::2]) <= {"sh", "yaml", "python", "bash", "text"}


def test_the_readme_stays_short_and_links_every_page():
    readme = PAGES[0].read_text()
    assert len(readme.splitlines()) <= 300
    for page in PAGES[1:]:
        assert f"(docs/{page.name})" in readme, page.name


def test_the_readme_has_the_examples_this_test_runs():
    names = {yaml.safe_load(text)["suite"] for _, text in suite_blocks()}
    assert {"mine", "fashion", "steps", "mylib", "my-contracts"} <= names
    assert len(blocks("python")) == 2 and len(commands()) >= 10


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A project with the shipped analytic suite, the README's own suites and their modules."""
    folder = tmp_path_factory.mktemp("readme")
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "mypkg").mkdir()
    (folder / "mypkg" / "__init__.py").write_text("")
    (folder / "mypkg" / "optim.py").write_text(MYPKG_OPTIM)
    (folder / "mypkg" / "functions.py").write_text(MYPKG_FUNCTIONS)
    (folder / "mylib.py").write_text(MYLIB)
    (folder / "suites").mkdir()
    for _, text in suite_blocks():
        (folder / "suites" / f"{yaml.safe_load(text)['suite']}.yaml").write_text(text)
    return folder


def run(folder: Path, command: str, timeout: float = 900) -> subprocess.CompletedProcess:
    arguments = shlex.split(command)
    if arguments[0] in ("pytest", "optbench"):
        arguments = [sys.executable, "-m", "pytest" if arguments[0] == "pytest"
                     else "pytest_optbench", *arguments[1:]]
    elif arguments[:2] == ["python", "-m"]:
        arguments[0] = sys.executable
    if arguments[2] == "pytest" and SHIPPED_SUITE.search(command) and "--optbench-json" not in command:
        arguments += ["-k", "booth"]  # the results file is compared with all stored cases
    # The project's own modules, then whatever PYTHONPATH names (another checkout of the plugin).
    path = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "OPTBENCH_DATA_DIR": str(DATA)}
    result = subprocess.run(arguments, cwd=folder, env=env, capture_output=True, text=True,
                            timeout=timeout)
    print(f"$ {command}\n{result.stdout[-4000:]}{result.stderr[-3000:]}")
    return result


def needs_data(text: str) -> bool:
    return "dataset:" in text and not (DATA / "FashionMNIST" / "raw").is_dir()


@pytest.mark.parametrize("line,text", suite_blocks(), ids=lambda v: v.replace("/", "-") if isinstance(v, str) and ".md:" in v else None)
def test_each_suite_records_and_then_passes_its_own_thresholds(project, line, text):
    if needs_data(text):
        pytest.skip(f"{line}: needs the Fashion-MNIST files under {DATA}")
    suite = f"suites/{yaml.safe_load(text)['suite']}.yaml"
    recorded = run(project, f"pytest --optbench {suite} --optbench-update-baselines -p no:cacheprovider")
    assert recorded.returncode == 0, f"{line}: {recorded.stdout[-3000:]}"
    if "params:" in text:
        # A step-time suite: gating it again would assert a speed on a shared machine. It
        # collected, timed every case and recorded them; that is what the example shows.
        assert re.search(r"baselines \S+: (\d+) added", recorded.stdout)
        assert "not recorded" not in recorded.stdout
        return
    gated = run(project, f"pytest --optbench {suite} -p no:cacheprovider")
    assert gated.returncode == 0, f"{line}: {gated.stdout[-3000:]}"
    # Every case passed, or (a contract) was skipped as not applicable, with its reason.
    summary = re.search(r"optbench: (\d+) cases, (\d+) passed(?:, (\d+) skipped)?;", gated.stdout)
    assert summary, gated.stdout[-2000:]
    cases, passed, skipped = (int(group or 0) for group in summary.groups())
    assert passed > 0 and passed + skipped == cases, summary.group(0)
    assert " FAIL" not in gated.stdout and "DIVERGED" not in gated.stdout


def test_the_step_time_test_function(project):
    (line, text), = [(line, text) for line, text in blocks("python") if "def test_" in text]
    (project / "test_readme_step.py").write_text(text)
    result = run(project, "pytest test_readme_step.py -p no:cacheprovider -s")
    assert result.returncode == 0, f"{line}: {result.stdout[-3000:]}"
    assert "1 passed" in result.stdout


def test_each_command_runs_in_order(project):
    """The README's commands chain: one writes what the next reads (results, reports)."""
    failures = []
    for line, command in commands():
        if "fashion" in command and not (DATA / "FashionMNIST" / "raw").is_dir():
            continue
        for suite in re.findall(r"suites/(\w+)\.yaml", command):
            # The README records its own suites' baselines before gating them; so does this
            # test, where the suite test above did not run (-k).
            if not (project / "baselines" / f"{suite}.json").exists() and \
                    (project / "suites" / f"{suite}.yaml").exists():
                run(project, f"pytest --optbench suites/{suite}.yaml --optbench-update-baselines")
        result = run(project, command)
        if result.returncode != 0:
            failures.append(f"{line}: `{command}` exited {result.returncode}:\n"
                            f"{result.stdout[-1500:]}{result.stderr[-1500:]}")
    assert not failures, "\n\n".join(failures)


def test_the_python_api_example(project):
    """After the commands: it reads suites/analytic.yaml, which `optbench init` copied."""
    (line, text), = [(line, text) for line, text in blocks("python") if "load_suite" in text]
    (project / "api_example.py").write_text(text)
    result = run(project, "python -m api_example")
    assert result.returncode == 0, f"{line}: {result.stderr[-3000:]}"
    assert "converged_fraction" in result.stdout and "None" in result.stdout


def test_the_readme_suite_in_one_screen_is_valid(project):
    """The README shows a suite as plain text (it names a dataset and a class of the user's):
    it must still be one that validates."""
    [(where, text)] = [(where, text) for where, text in blocks("text", PAGES[:1])
                       if text.startswith("optbench: 1")]
    (project / "suites" / "screen.yaml").write_text(text)
    result = run(project, "optbench validate suites/screen.yaml")
    assert result.returncode == 0, f"{where}: {result.stdout}"
