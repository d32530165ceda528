"""Under xdist, cases run longest first by the durations of earlier runs; a serial run keeps
the suite's order; a cache that cannot be read changes nothing."""

import json

import pytest

from suite_texts import TINY

pytestmark = pytest.mark.slow

SUITE_ORDER = ["tiny.yaml::booth[sgd]", "tiny.yaml::booth[adam]",
               "tiny.yaml::himmelblau[sgd]", "tiny.yaml::himmelblau[adam]"]

# Each process writes the order it collected its items in.
RECORD_ORDER = """
import json, os

def pytest_collection_finish(session):
    name = os.environ.get("PYTEST_XDIST_WORKER", "serial")
    path = session.config.rootpath / f"order-{name}.json"
    path.write_text(json.dumps([item.nodeid for item in session.items]))
"""


@pytest.fixture
def project(pytester):
    pytester.makefile(".yaml", tiny=TINY)
    pytester.makeconftest(RECORD_ORDER)
    return pytester


def stored(pytester) -> object:
    return json.loads((pytester.path / ".pytest_cache/v/optbench/durations").read_text())


def store(pytester, durations: object) -> None:
    path = pytester.path / ".pytest_cache/v/optbench/durations"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(durations))


def orders(pytester) -> dict[str, list[str]]:
    return {path.stem.removeprefix("order-"): json.loads(path.read_text())
            for path in sorted(pytester.path.glob("order-*.json"))}


def run(pytester, *args):
    result = pytester.runpytest_subprocess("tiny.yaml", "--optbench-update-baselines", *args)
    result.assert_outcomes(passed=4)
    return result


def test_a_run_stores_each_cases_duration_and_keeps_the_suite_order_without_them(project):
    run(project, "-n", "2")
    durations = stored(project)
    assert sorted(durations) == sorted(SUITE_ORDER)
    assert all(isinstance(v, float) and v > 0 for v in durations.values())
    assert orders(project) == {"gw0": SUITE_ORDER, "gw1": SUITE_ORDER}


def test_workers_run_the_longest_cases_first(project):
    store(project, {"tiny.yaml::booth[sgd]": 1.0, "tiny.yaml::booth[adam]": 2.0,
                    "tiny.yaml::himmelblau[sgd]": 3.0, "tiny.yaml::himmelblau[adam]": 4.0,
                    "elsewhere.yaml::gone[sgd]": 9.0})
    run(project, "-n", "2")
    longest_first = SUITE_ORDER[::-1]
    assert orders(project) == {"gw0": longest_first, "gw1": longest_first}
    # This run's times replace the stored ones; an entry of a case not run is kept.
    durations = stored(project)
    assert durations["elsewhere.yaml::gone[sgd]"] == 9.0
    assert durations["tiny.yaml::himmelblau[adam]"] != 4.0


def test_a_serial_run_keeps_the_suite_order(project):
    store(project, {nodeid: float(i) for i, nodeid in enumerate(SUITE_ORDER)})
    run(project)
    assert orders(project) == {"serial": SUITE_ORDER}


@pytest.mark.parametrize("content", [["a", "list"], {"tiny.yaml::booth[sgd]": "slow"}],
                         ids=["not-a-mapping", "not-a-number"])
def test_an_unreadable_cache_changes_nothing(project, content):
    store(project, content)
    run(project, "-n", "2")
    assert orders(project) == {"gw0": SUITE_ORDER, "gw1": SUITE_ORDER}


def test_without_the_cache_plugin_nothing_is_stored_or_reordered(project):
    run(project, "-n", "2", "-p", "no:cacheprovider")
    assert not (project.path / ".pytest_cache").exists()
    assert orders(project) == {"gw0": SUITE_ORDER, "gw1": SUITE_ORDER}


# Another plugin's YAML tests: node ids like a suite's, but not cases.
OTHER_YAML_PLUGIN = RECORD_ORDER + """
import pytest

class OtherFile(pytest.File):
    def collect(self):
        for name in ("first", "second", "third"):
            yield OtherItem.from_parent(self, name=name)

class OtherItem(pytest.Item):
    def runtest(self):
        pass

def pytest_collect_file(file_path, parent):
    if file_path.name == "other.yaml":
        return OtherFile.from_parent(parent, path=file_path)
"""


def test_another_plugins_yaml_tests_are_neither_timed_nor_reordered(pytester):
    pytester.makefile(".yaml", other="not a suite: 1\n")
    pytester.makeconftest(OTHER_YAML_PLUGIN)
    ids = ["other.yaml::first", "other.yaml::second", "other.yaml::third"]
    store(pytester, {nodeid: float(i) for i, nodeid in enumerate(ids)})
    result = pytester.runpytest_subprocess("other.yaml", "-n", "2")
    result.assert_outcomes(passed=3)
    assert orders(pytester) == {"gw0": ids, "gw1": ids}
    assert stored(pytester) == {nodeid: float(i) for i, nodeid in enumerate(ids)}
