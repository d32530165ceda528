"""The report as a reader sees it: index.html rendered by headless Chromium.

The page of a run with a broken optimizer must open on what failed: its failing rows in red on
the first screen, and the figures reachable from the top. `make screenshot` writes the same
picture of the shipped analytic suite's report for a person to look at.
"""

import json
import re
import shutil
import subprocess

import pytest

from suite_texts import TINY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FAILING_RED = (0xB0, 0x00, 0x20)

pytestmark = pytest.mark.slow
needs_chromium = pytest.mark.skipif(CHROMIUM is None,
                                    reason="needs Chromium (apt install chromium)")


def screenshot(page, out, width=1400, height=1200):
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={width},{height}", f"--screenshot={out}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    from PIL import Image

    return Image.open(out).convert("RGB")


def red_rows(image, top, bottom):
    """Rows of pixels, between `top` and `bottom`, that hold the failing status colour."""
    pixels = image.load()
    found = set()
    for y in range(top, min(bottom, image.height)):
        for x in range(0, image.width, 2):
            r, g, b = pixels[x, y]
            if abs(r - FAILING_RED[0]) < 40 and g < 60 and b < 80:
                found.add(y)
                break
    return found


@needs_chromium
def test_the_page_opens_on_the_failing_rows_and_links_its_plots(pytester, tmp_path):
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-update-baselines")
    baseline = pytester.path / "baselines" / "tiny.json"
    data = json.loads(baseline.read_text())
    data["entries"]["cpu"]["booth[adam]"]["metrics"]["distance"] = [1e-9, 1e-9]
    baseline.write_text(json.dumps(data))
    result = pytester.runpytest("tiny.yaml", "--optbench-report", "report")
    assert result.ret == 1
    page = pytester.path / "report" / "index.html"
    text = page.read_text()
    assert text.index('id="checks"') < text.index('id="plots"')
    assert '<a href="#plots">' in text
    image = screenshot(page, tmp_path / "page.png")
    assert image.size == (1400, 1200)
    # The REGRESSION row, in red, within the first screen (the summary and nav sit above it).
    assert red_rows(image, 0, 600), "no failing row in red on the first screen"


BROKEN_ADAM = """
import torch
import optbench_testing

# Adam with its learning rate silently doubled, under its real name.
torch.optim.Adam = optbench_testing.AdamDoubledLR
"""


@pytest.fixture(scope="module")
def shipped_report(tmp_path_factory):
    """The report of the whole shipped analytic suite, run with a broken Adam swapped in."""
    import os
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    work = tmp_path_factory.mktemp("shipped")
    (work / "broken_adam.py").write_text(BROKEN_ADAM)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(work), str(root / "tests")])}
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "broken_adam", "-p",
                          "no:cacheprovider", "--optbench", str(root / "suites/analytic.yaml"),
                          "--optbench-report", str(work / "report"), "-q",
                          "--rootdir", str(root)], cwd=root, env=env, capture_output=True,
                         text=True, timeout=1200)
    assert run.returncode == 1, run.stdout[-2000:]
    return work / "report"


def test_the_shipped_suite_report_is_small_enough_to_open_and_mail(shipped_report):
    html_size = (shipped_report / "index.html").stat().st_size
    json_size = (shipped_report / "results.json").stat().st_size
    print(f"index.html {html_size / 1e6:.2f} MB, results.json {json_size / 1e6:.2f} MB")
    assert html_size < 3_000_000 and json_size < 2_000_000


def test_the_shipped_suite_report_opens_on_failures_then_failing_plots(shipped_report):
    text = (shipped_report / "index.html").read_text()
    figures = re.findall(r"<figcaption>(.*?)</figcaption>", text)
    failing = [caption.startswith("FAILING") for caption in figures]
    assert any(failing) and failing == sorted(failing, reverse=True)  # failing plots first
    assert "<details><summary>" in text  # the passing rows are folded


@needs_chromium
def test_the_shipped_suite_report_shows_its_failures_on_the_first_screen(shipped_report, tmp_path):
    image = screenshot(shipped_report / "index.html", tmp_path / "page.png", height=2400)
    assert red_rows(image, 0, 900)
