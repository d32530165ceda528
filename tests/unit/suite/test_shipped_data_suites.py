"""The shipped real-data suites: coverage, tiers, and committed CPU-tier baselines."""

import os
from pathlib import Path

import pytest

from pytest_optbench.gate.baselines import read
from pytest_optbench.api import load_suite
from pytest_optbench.suite.build import BuildContext

ROOT = Path(__file__).resolve().parents[3]
CPU = BuildContext(device_type_for=lambda device: "cpu", dataset_folders=frozenset())
GPU = BuildContext(device_type_for=lambda device: "cuda", dataset_folders=frozenset())


def suite(name, context=CPU):
    return load_suite(ROOT / "suites" / f"{name}.yaml", f"suites/{name}.yaml", context)


def test_mnist_covers_three_networks_three_modes_two_optimizers():
    cases = suite("mnist").cases
    assert len(cases) == 18
    modes = {c.problem.batch_size for c in cases}
    assert modes == {0, 1, 128}  # full batch, stochastic, mini-batch
    layers = {(len(c.problem.model_options["hidden"]) + 1, c.problem.model_options["activation"])
              for c in cases}
    assert layers == {(4, "sigmoid"), (3, "sigmoid"), (2, "relu")}
    assert {c.optimizer.class_name for c in cases} == {"SGD", "Adam"}


def test_fashion_mnist_covers_eight_optimizers_on_the_300_100_network():
    cases = suite("fashion_mnist").cases
    assert {c.optimizer.key for c in cases} == {"sgd", "momentum", "nesterov", "adagrad", "rmsprop",
                                               "adam", "adamax", "nadam"}
    assert {tuple(c.problem.model_options["hidden"]) for c in cases} == {(300, 100)}


def test_cifar_covers_lenet_alexnet_and_resnet18():
    cases = suite("cifar").cases
    by_model = {}
    for case in cases:
        by_model.setdefault(case.problem.model, set()).add(case.optimizer.class_name)
    assert by_model["lenet5"] == by_model["alexnet"] == {"SGD", "Adagrad", "RMSprop", "Adam"}
    assert {c.optimizer.key for c in cases if c.problem.model == "lenet5"} == \
        {"sgd", "momentum", "adagrad", "rmsprop", "adam"}
    assert all(c.optimizer.hyperparameters["lr"] == 0.001 for c in cases if c.problem.model != "resnet18")
    assert by_model["resnet18"] == {"SGD", "Adam", "Adadelta", "Adagrad", "AdamW", "Adamax", "ASGD"}


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar"])
def test_the_cpu_tier_is_chosen_on_a_cpu_and_is_smaller(name):
    on_cpu, on_gpu = suite(name, CPU), suite(name, GPU)
    assert on_cpu.tier == "cpu" and on_gpu.tier is None
    for small, full in zip(on_cpu.cases, on_gpu.cases):
        assert small.case_id == full.case_id and small.config_hash != full.config_hash


def test_resnet18_trains_in_bf16_with_channels_last_on_a_gpu():
    resnet = [c for c in suite("cifar", GPU).cases if c.problem.model == "resnet18"]
    assert all(c.problem.precision == "bf16" and c.problem.channels_last for c in resnet)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar"])
def test_committed_cpu_baselines_cover_every_case_and_are_current(name):
    entries = read(ROOT / "baselines" / f"{name}.json")["entries"]
    contexts = [c for c in entries if c.startswith("cpu|")]
    assert len(contexts) == 1, contexts
    stored = entries[contexts[0]]
    for case in suite(name).cases:
        assert case.case_id in stored, f"no baseline for {case.case_id}"
        assert stored[case.case_id]["config_hash"] == case.config_hash, f"stale: {case.case_id}"
        assert stored[case.case_id]["provenance"]["precision"] == "float32"


def test_the_local_mnist_copy_is_the_data_the_baselines_were_recorded_on():
    data_dir = Path(os.environ.get("OPTBENCH_DATA_DIR", ROOT.parent / "shared" / "data"))
    if not (data_dir / "MNIST" / "raw").is_dir():
        pytest.skip(f"needs the real MNIST files under {data_dir}/MNIST/raw (set OPTBENCH_DATA_DIR)")
    from pytest_optbench.kinds.data.datasets import load_dataset

    data = load_dataset("mnist", data_dir, None, download=False)
    assert data.train_x.shape == (60000, 1, 28, 28) and data.test_x.shape == (10000, 1, 28, 28)
    entries = read(ROOT / "baselines" / "mnist.json")["entries"]
    assert f"cpu|{data.label}" in entries
