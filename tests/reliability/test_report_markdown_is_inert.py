"""report.md is pasted into pull requests and CI job summaries, where GitHub renders it: text
from suites, optimizers, exceptions and results files must arrive there as text."""

import json
import re

import pytest

from suite_texts import TINY

from pytest_optbench.cli import main

HOSTILE = '<img src=x onerror=alert(1)> [click](https://evil.example) **loud** a|b <script>x</script>'


@pytest.fixture
def results(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    pytester.runpytest("tiny.yaml", "--optbench-json", "out.json")
    return pytester.path / "out.json"


def test_hostile_text_in_a_results_file_renders_as_text(results, tmp_path):
    data = json.loads(results.read_text())
    for case in data["cases"]:
        case["case"] = case["case"] + HOSTILE
        case["nodeid"] = case["nodeid"] + "`" + HOSTILE
        case["reason"] = HOSTILE
        case["optimizer"] = HOSTILE
        for row in case["rows"]:
            row["detail"] = HOSTILE
            row["limit"] = HOSTILE
    results.write_text(json.dumps(data))
    assert main(["report", str(results), "--out", str(tmp_path / "report")]) == 0
    text = (tmp_path / "report" / "report.md").read_text()
    # Code spans show their content literally (the failing nodeids sit in them); outside them
    # no HTML element comes from the text: only the report's own <details>, <summary>, <sub>.
    assert "``tiny.yaml::booth[adam]`<img" in text
    outside = re.sub(r"(`+)(?!`).+?(?<!`)\1(?!`)", "", text)
    text = outside
    tags = set(re.findall(r"<\s*([a-zA-Z]+)", text))
    assert tags <= {"details", "summary", "sub"}, tags
    assert "](https://evil.example)" not in text         # no link
    assert "**loud**" not in text                          # no emphasis
    assert "&lt;img src=x onerror=alert(1)&gt;" in text   # the text itself is all there
    assert "a\\|b" in text and " a|b " not in text            # no extra table cell


def test_a_nodeid_with_backticks_stays_in_its_code_span():
    from pytest_optbench.report.markdown import _code

    span = _code("s.yaml::a``b")
    assert span == "```s.yaml::a``b```"
