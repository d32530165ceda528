"""Which machines' step times are comparable."""

import torch

from pytest_optbench.kinds.step_time.machine import machine_name, not_comparable
from pytest_optbench.provenance import cpu_name


def test_the_cpu_context_names_the_threads_and_the_torch_build():
    name = machine_name(torch.device("cpu"))
    assert name == f"{cpu_name()}, {torch.get_num_threads()} threads, torch {torch.__version__}"
    assert "|" not in name and "@" not in name


def test_bandwidths_more_than_one_and_a_half_apart_are_not_comparable():
    assert not_comparable({"bandwidth_gbps": 20.0}, {"bandwidth_gbps": 25.0}) is None
    assert "1.60x apart" in not_comparable({"bandwidth_gbps": 20.0}, {"bandwidth_gbps": 32.0})
    assert "2.00x apart" in not_comparable({"bandwidth_gbps": 40.0}, {"bandwidth_gbps": 20.0})


def test_an_entry_without_a_bandwidth_is_judged_by_its_context_alone():
    assert not_comparable({}, {"bandwidth_gbps": 20.0}) is None
    assert not_comparable(None, {"bandwidth_gbps": 20.0}) is None
    assert not_comparable({"bandwidth_gbps": "fast"}, {"bandwidth_gbps": 20.0}) is None
