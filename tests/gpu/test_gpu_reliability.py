"""The plugin's GPU paths under stress: they skip cleanly without CUDA, and `make gpu-check`
runs them on a CUDA machine.

- a real out-of-memory error, then a normal case, with the memory back where it was;
- the synchronised step clock against the device's own time, and an unsynchronised one;
- deterministic mode in two processes, bitwise-identical parameters;
- two xdist workers on one GPU, without out-of-memory errors between them.
"""

import json
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from data_files import write_mnist

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

SUITE = """\
optbench: 1
suite: gpu
device: cuda
seeds: [0]
optimizers:
  adam: {{class: Adam, lr: 0.003}}
problems:
  huge:
    dataset: mnist
    model: {{kind: mlp, hidden: [{width}, {width}]}}
    steps: 2
    expect: {{test_accuracy: {{baseline: false}}}}
  small:
    dataset: mnist
    model: {{kind: mlp, hidden: [64]}}
    batch_size: 64
    steps: 60
    expect: {{test_accuracy: {{min: 0.5, baseline: false}}}}
"""


@pytest.fixture
def mnist(tmp_path):
    write_mnist(tmp_path)
    return tmp_path


def free_width() -> int:
    """A hidden width whose square of float32 weights needs twice the free memory."""
    free, _ = torch.cuda.mem_get_info()
    return int((2 * free / 4) ** 0.5) + 1


def test_an_out_of_memory_case_releases_its_memory_and_the_next_case_runs(mnist):
    from pytest_optbench.api import build_suite, run_case
    from pytest_optbench.suite.loader import load_text

    suite = build_suite(load_text(SUITE.format(width=free_width()), "gpu.yaml"), "gpu")
    huge, small = suite.cases
    from pytest_optbench.kinds.data.runner import OutOfMemory

    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    # The pytest item reports this trouble as the case's failure; the API raises it.
    with pytest.raises(OutOfMemory, match="out of memory on cuda.*its memory was released"):
        run_case(huge, data_dir=mnist, download=False, baseline_dir=mnist / "baselines")
    assert torch.cuda.memory_allocated() == before
    after = run_case(small, data_dir=mnist, download=False, baseline_dir=mnist / "baselines")
    assert after.failure is None, after.failure
    assert after.result.metrics["test_accuracy"][0] > 0.5


def test_the_step_clock_waits_for_the_device_and_an_unsynchronised_one_does_not():
    from pytest_optbench.kinds.step_time.timer import _clock

    device = torch.device("cuda")
    params = [torch.zeros(50_000_000, device=device, requires_grad=True)]
    params[0].grad = torch.ones_like(params[0])
    optimizer = torch.optim.Adam(params, lr=1e-3, foreach=True)
    for _ in range(3):
        optimizer.step()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    clock = _clock(device)
    began = clock()
    start.record()
    for _ in range(20):
        optimizer.step()
    end.record()
    synced = clock() - began
    torch.cuda.synchronize()
    device_s = start.elapsed_time(end) / 1e3
    # The synchronised clock covers the device's work; a plain clock read at once sees the
    # launches only, which return long before 20 steps over 50M parameters are done.
    assert synced >= device_s * 0.98
    began = time.perf_counter()
    for _ in range(20):
        optimizer.step()
    unsynced = time.perf_counter() - began
    torch.cuda.synchronize()
    assert unsynced < device_s, (unsynced, device_s)


DETERMINISTIC = textwrap.dedent("""
    import os, sys, torch
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    from pytest_optbench.kinds.data.config import DataConfig
    from pytest_optbench.kinds.data.datasets import load_dataset
    from pytest_optbench.kinds.data.runner import DeviceData, SeedTraining, Split, prepared_split
    from pytest_optbench.suite.cases import OptimizerConfig
    device = torch.device("cuda")
    data = DeviceData.put(load_dataset("mnist", sys.argv[1], None, download=False), device)
    config = DataConfig("mnist", "lenet5", {}, None, 40, 64, None, None, None, 0, False,
                        "float32", False, None)
    split = prepared_split(config, data, Split(*data.subset(None, None)))
    training = SeedTraining(config, OptimizerConfig("adam", "adam", "Adam", {"lr": 1e-3}), 0,
                            device, data, split)
    training.run()
    torch.save([p.detach().cpu() for p in training.model.parameters()], sys.argv[2])
""")


def test_deterministic_mode_gives_bitwise_identical_parameters_in_two_processes(mnist, tmp_path):
    script = tmp_path / "train.py"
    script.write_text(DETERMINISTIC)
    saved = []
    for run in range(2):
        out = tmp_path / f"params{run}.pt"
        subprocess.run([sys.executable, str(script), str(mnist), str(out)], check=True,
                       env={"CUBLAS_WORKSPACE_CONFIG": ":4096:8", **__import__("os").environ})
        saved.append(torch.load(out))
    assert all(torch.equal(a, b) for a, b in zip(*saved))


TWO_WORKERS = """\
optbench: 1
suite: workers
device: cuda
seeds: [0, 1]
optimizers:
  adam:     {class: Adam, lr: 0.003}
  momentum: {class: SGD, lr: 0.01, momentum: 0.9}
  rmsprop:  {class: RMSprop, lr: 0.001}
  adamw:    {class: AdamW, lr: 0.003}
problems:
  cnn:
    dataset: mnist
    model: {kind: lenet5}
    batch_size: 256
    steps: 40
    expect: {test_accuracy: {min: 0.3, baseline: false}}
"""


def test_two_xdist_workers_share_one_gpu_without_out_of_memory_errors(pytester, mnist):
    pytester.makefile(".yaml", workers=TWO_WORKERS)
    result = pytester.runpytest_subprocess("workers.yaml", "-n", "2", "--optbench-data-dir",
                                           str(mnist), "--optbench-no-download",
                                           "--optbench-json", "out.json", "-p", "no:cacheprovider")
    assert "out of memory" not in result.stdout.str().lower()
    document = json.loads((pytester.path / "out.json").read_text())
    assert document["counts"] == {"passed": 4}, document["counts"]
    assert {case["device_type"] for case in document["cases"]} == {"cuda"}
