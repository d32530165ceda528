"""The screenshots in docs/: the HTML report and the history's trend page, in headless Chromium.

    python docs/make_screenshots.py [--out docs] [--work DIR]    (or: make screenshots)

One small suite, run as a user would:
- its baselines recorded on the scalar kernels (ATEN_CPU_CAPABILITY=default), standing in for
  another machine, then gated here with Adam's update doubled (a units mix-up): the report
  opens on the failing rows, shows the provenance of both runs, and draws each baseline with
  the statistic of the current line, so the unchanged optimizers lie on theirs;
- five runs recorded in a history while Adam's update grows by 1% a run, then the trend page.

Needs Chromium (Debian: apt install chromium) and the plot extra (matplotlib).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SUITE = """\
optbench: 1
suite: demo
description: "Three optimizers on two analytic functions"
seeds: [0, 1, 2]
dtype: float64
defaults:
  starts: 16
  steps: 500
  converge: {criterion: distance, tol: 1.0e-3}
optimizers:
  sgd-momentum: {class: SGD, lr: 0.001, momentum: 0.9}
  rmsprop:      {class: RMSprop, lr: 0.01}
  adam:         {class: "demo_optimizers:Adam", lr: 0.05}
problems:
  booth:      {function: booth}
  himmelblau: {function: himmelblau}
"""

# Adam under the user's own name, its update scaled by $DEMO_UPDATE_SCALE: the configuration,
# and so every baseline key, stays the same from run to run.
OPTIMIZERS = '''
import os

import torch


class Adam(torch.optim.Adam):
    def step(self, closure=None):
        scale = float(os.environ.get("DEMO_UPDATE_SCALE", "1"))
        params = [p for group in self.param_groups for p in group["params"]]
        before = [p.detach().clone() for p in params]
        loss = super().step(closure)
        with torch.no_grad():
            for p, old in zip(params, before):
                p.copy_(old + scale * (p - old))
        return loss
'''

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def pytest(work: Path, *arguments: str, scale: str = "1", scalar_kernels: bool = False) -> int:
    env = {**os.environ, "DEMO_UPDATE_SCALE": scale, "PYTHONPATH": str(work)}
    if scalar_kernels:
        env["ATEN_CPU_CAPABILITY"] = "default"
    done = subprocess.run([sys.executable, "-m", "pytest", "--optbench", "demo.yaml", "-q",
                           "-p", "no:cacheprovider", *arguments], cwd=work, env=env,
                          capture_output=True, text=True, timeout=1800)
    summary = [line for line in done.stdout.splitlines() if line.startswith("optbench: ")]
    print(f"  exit {done.returncode}: {summary[-1] if summary else done.stdout[-400:]}")
    return done.returncode


def screenshot(chromium: str, page: Path, out: Path, width: int, height: int) -> None:
    """The page's top `height` pixels, then cropped below its last non-white row."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                        f"--window-size={width},{height}", f"--screenshot={out}", page.as_uri()],
                       check=True, capture_output=True, timeout=120)
    from PIL import Image, ImageChops

    image = Image.open(out).convert("RGB")
    content = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if content:
        image = image.crop((0, 0, width, min(height, content[3] + 16)))
    image.save(out, optimize=True)
    print(f"  {out}: {image.width} x {image.height}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") \
        or shutil.which("google-chrome")
    if chromium is None:
        print("needs Chromium: apt install chromium", file=sys.stderr)
        return 2
    work = args.work or Path(tempfile.mkdtemp(prefix="optbench-screenshots-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "demo.yaml").write_text(SUITE)
    (work / "demo_optimizers.py").write_text(OPTIMIZERS)
    print(f"in {work}")

    print("baselines, recorded on the scalar kernels (ATEN_CPU_CAPABILITY=default):")
    pytest(work, "--optbench-update-baselines", scalar_kernels=True)
    print("the gate here, Adam's update doubled:")
    pytest(work, "--optbench-report", "report", scale="2")
    screenshot(chromium, work / "report" / "index.html", args.out / "report-screenshot.png",
               1400, 3200)

    print("five runs into a history, Adam's update x1.00 .. x1.04:")
    for scale in ("1.00", "1.01", "1.02", "1.03", "1.04"):
        pytest(work, "--optbench-history", "history.sqlite", "--optbench-allow-unchecked",
               scale=scale)
    from pytest_optbench.cli import main as optbench

    if optbench(["history", "--db", str(work / "history.sqlite"), "--out", str(work / "trend")]):
        return 1
    screenshot(chromium, work / "trend" / "index.html", args.out / "history-trend-screenshot.png",
               1400, 2600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
