"""`auto` under xdist on a machine with several GPUs: worker gwN uses cuda:(N mod count)."""

import pytest

from pytest_optbench.devices import auto_cuda_index


@pytest.mark.parametrize("worker, count, expected", [
    ("gw0", 4, 0), ("gw1", 4, 1), ("gw3", 4, 3), ("gw4", 4, 0), ("gw9", 4, 1),
    ("gw5", 2, 1), ("gw12", 8, 4)])
def test_each_worker_takes_its_own_gpu(worker, count, expected):
    assert auto_cuda_index(count, worker) == expected


@pytest.mark.parametrize("worker, count", [
    ("gw3", 1), ("gw3", 0), (None, 4), ("", 4), ("master", 4), ("gwx", 4)])
def test_one_gpu_or_no_worker_keeps_the_default_device(worker, count):
    assert auto_cuda_index(count, worker) is None


def test_the_resolved_device_follows_the_worker(monkeypatch):
    import torch

    from pytest_optbench import devices

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw6")
    assert devices.resolve_device("auto") == torch.device("cuda:2")
    assert devices.resolve_device("cuda:1") == torch.device("cuda:1")  # named: taken as it is
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert devices.resolve_device("auto") == torch.device("cuda")


def test_the_report_names_each_device_when_cases_ran_on_several():
    from pytest_optbench.report.table import device_line
    from records import case_result as result

    cases = [result(f"p[o{i}]") for i in range(4)]
    for index, case in enumerate(cases):
        case.device = f"cuda:{index % 2}"
    assert device_line(cases) == ("4 cases by device: cuda:0 2 (p[o0], p[o2]), "
                                  "cuda:1 2 (p[o1], p[o3])")
    for case in cases:
        case.device = "cuda:0"
    assert device_line(cases) == ""
