"""Suite entries for other libraries' optimizers: requires, protocol, wraps, trial shapes."""

import textwrap

import pytest

from pytest_optbench.api import build_suite
from pytest_optbench.suite.errors import SuiteError
from pytest_optbench.suite.loader import load_text


def build(text):
    return build_suite(load_text(textwrap.dedent(text), "s.yaml"), "s")


def test_cases_of_an_optimizer_from_a_missing_package_skip_saying_what_to_install():
    suite = build("""\
        optbench: 1
        requires:
          no_such_optimizer_library: no-such-optimizer-library==1.0
        optimizers:
          theirs: {class: "no_such_optimizer_library.optim:Fancy", lr: 0.1, beta: 2}
          wrapped: {class: Adam, base_optimizer: {class: "no_such_optimizer_library:Base"}}
          ours: {class: Adam, lr: 0.1}
        problems:
          booth: {function: booth, steps: 5}
        """)
    skips = {c.optimizer.key: c.skip for c in suite.cases}
    assert skips["ours"] is None
    for key in ("theirs", "wrapped"):
        assert skips[key] == ("needs no_such_optimizer_library, which is not installed: "
                              "pip install 'no-such-optimizer-library==1.0'")


def test_without_requires_a_missing_package_is_a_located_error():
    with pytest.raises(SuiteError, match=r"s.yaml:3: .*importing 'no_such_optimizer_library' failed"):
        build("""\
            optbench: 1
            optimizers:
              theirs: {class: "no_such_optimizer_library:Fancy", lr: 0.1}
            problems:
              booth: {function: booth, steps: 5}
            """)


def test_an_installed_requirement_changes_nothing():
    suite = build("""\
        optbench: 1
        requires: {torch: torch}
        optimizers:
          adam: {class: "torch.optim:Adam", lr: 0.1}
        problems:
          booth: {function: booth, steps: 5}
        """)
    assert [c.skip for c in suite.cases] == [None]


def test_a_matrix_optimizer_is_tried_on_the_problems_own_shapes():
    suite = build("""\
        optbench: 1
        optimizers:
          muon: {class: Muon, lr: 0.02}
        problems:
          least-squares: {function: matrix-least-squares, steps: 5, options: {rows: 5, cols: 3}}
          booth: {function: booth, steps: 5}
        """)
    rejected = {c.case_id: c.optimizer.rejected for c in suite.cases}
    assert rejected["least-squares[muon]"] is None
    assert rejected["booth[muon]"] is not None
    assert rejected["booth[muon]"].startswith("s.yaml:3: optimizers.muon: found {'lr': 0.02}")
    assert "Muon rejects (ValueError: Muon only supports 2D parameters" in rejected["booth[muon]"]


def test_one_unread_name_error_per_entry_however_many_problems_share_it():
    with pytest.raises(SuiteError) as info:
        build("""\
            optbench: 1
            optimizers:
              kw: {class: "optbench_testing:KwargsSGD", lr: 0.02, weight_decy: 0.1}
            problems:
              booth: {function: booth, steps: 5}
              beale: {function: beale, steps: 5}
            """)
    assert len(info.value.findings) == 1
    assert "'weight_decy'" in str(info.value) and "did you mean 'weight_decay'?" in str(info.value)


@pytest.mark.parametrize("entry, where, expected", [
    ("{class: Adam, protocol: {closure: maybe}}", "optimizers.adam.protocol.closure", "valid boolean"),
    ("{class: Adam, protocol: {train_evaluate: true}}", "optimizers.adam.protocol.train_evaluate",
     "train_eval"),
    ("{class: Adam, wraps: {class: Adamm}}", "optimizers.adam.wraps.class", "Adam"),
    ("{class: Adam, wraps: {lr: 0.1}}", "optimizers.adam.wraps.class", "wrapped optimizer"),
])
def test_bad_protocol_and_wraps_entries_are_located_errors(entry, where, expected):
    with pytest.raises(SuiteError) as info:
        build(f"""\
            optbench: 1
            optimizers:
              adam: {entry}
            problems:
              booth: {{function: booth, steps: 5}}
            """)
    text = str(info.value)
    assert "s.yaml:3" in text and where in text and expected in text, text


def test_protocol_settings_join_the_hash_only_when_they_differ_from_plain():
    suite = build("""\
        optbench: 1
        optimizers:
          plain: {class: Adam, lr: 0.1}
          closure-on: {class: Adam, lr: 0.1, protocol: {closure: true}}
          no-closure: {class: Adam, lr: 0.1, protocol: {closure: false}}
        problems:
          booth: {function: booth, steps: 5}
        """)
    hashes = {c.optimizer.key: c.config_hash for c in suite.cases}
    assert hashes["plain"] == hashes["closure-on"] != hashes["no-closure"]
