"""Real-data suites through pytest: data locations, ImageFolder copies, tiers, the gate."""

import json

import pytest
import torch

import optbench_testing
from data_files import write_image_folder, write_mnist
from suite_texts import DATA

# Each of these trains models through whole pytest sessions.
pytestmark = pytest.mark.slow

QUICK = DATA.replace("seeds: [0, 1, 2, 3, 4, 5]", "seeds: [0, 1]").replace("steps: 100", "steps: 20") \
    .replace("eval_every: 50", "eval_every: 10")


@pytest.fixture
def digits(pytester):
    """The data suite and its MNIST-format files, found through OPTBENCH_DATA_DIR."""
    write_mnist(pytester.path / "data", train=4000, test=1000, signal=0.25, noise=0.12)
    pytester.makefile(".yaml", digits=DATA)
    pytester.makefile(".yaml", quick=QUICK)
    return pytester


@pytest.fixture
def env_data(digits, monkeypatch):
    monkeypatch.setenv("OPTBENCH_DATA_DIR", str(digits.path / "data"))
    return digits


def test_data_dir_from_the_environment_option_and_ini(digits, monkeypatch):
    digits.runpytest("quick.yaml", "--optbench-data-dir", "data").assert_outcomes(failed=2)  # no baseline
    digits.runpytest("quick.yaml", "--optbench-data-dir", "data",
                     "--optbench-update-baselines").assert_outcomes(passed=2)
    digits.runpytest("quick.yaml", "--optbench-data-dir", "data").assert_outcomes(passed=2)
    monkeypatch.setenv("OPTBENCH_DATA_DIR", str(digits.path / "data"))
    digits.runpytest("quick.yaml").assert_outcomes(passed=2)
    monkeypatch.delenv("OPTBENCH_DATA_DIR")
    digits.makeini("[pytest]\noptbench_data_dir = data\n")
    digits.runpytest("quick.yaml").assert_outcomes(passed=2)


def test_missing_data_fails_clearly_without_a_download_attempt(digits, monkeypatch):
    from pytest_optbench.kinds.data import datasets

    monkeypatch.setattr(datasets.socket, "create_connection",
                        lambda *a, **k: pytest.fail("a download was attempted"))
    result = digits.runpytest("quick.yaml", "--optbench-data-dir", "empty", "--optbench-no-download")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["MNIST not found: searched */empty/MNIST/raw for train-images-idx3-ubyte*"
                                 "--optbench-dataset-folder mnist=PATH*"])
    assert "Traceback" not in result.stdout.str()


def test_an_image_folder_copy_is_other_data_with_its_own_baselines(env_data):
    env_data.runpytest("quick.yaml", "--optbench-update-baselines").assert_outcomes(passed=2)
    write_image_folder(env_data.path / "copy", train=300, test=100)
    result = env_data.runpytest("quick.yaml", "--optbench-dataset-folder", "mnist=copy")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*no baseline for cpu on folder:* data; baselines are kept per device type and data, and "
        "this case has one for cpu on torchvision:* data only; record it with: pytest --optbench "
        "'quick.yaml::mlp[[]adam[]]' --optbench-update-baselines --optbench-dataset-folder mnist=*/copy*"])
    env_data.runpytest("quick.yaml", "--optbench-dataset-folder", "mnist=copy",
                       "--optbench-update-baselines").assert_outcomes(passed=2)
    entries = json.loads((env_data.path / "baselines" / "digits.json").read_text())["entries"]
    assert sorted(key.split(":")[0] for key in entries) == ["cpu|folder", "cpu|torchvision"]


def test_a_dataset_folder_that_does_not_exist_is_a_usage_error(digits):
    result = digits.runpytest("quick.yaml", "--optbench-dataset-folder", "mnist=nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--optbench-dataset-folder: found 'mnist=nowhere', but */nowhere is not a folder*"])


def test_a_dataset_of_your_own(pytester, monkeypatch):
    write_image_folder(pytester.path / "flowers", side=16, channels=3, train=200, test=50, classes=5)
    pytester.makefile(".yaml", mine=QUICK.replace("dataset: mnist", "dataset: flowers"))
    unknown = pytester.runpytest("mine.yaml")
    unknown.stdout.fnmatch_lines(["*problems.mlp.dataset: found unknown dataset 'flowers'*"
                                  "--optbench-dataset-folder flowers=PATH*"])
    result = pytester.runpytest("mine.yaml", "--optbench-dataset-folder", "flowers=flowers",
                                "--optbench-update-baselines", "--optbench-json", "out.json")
    result.assert_outcomes(passed=2)
    case = json.loads((pytester.path / "out.json").read_text())["cases"][0]
    assert case["provenance"]["data"]["source"] == "folder"


def test_tiers_apply_by_device_type_and_can_be_chosen(env_data):
    tiered = QUICK + "tiers:\n  cpu: {steps: 10, eval_every: 5}\n  big: {steps: 30}\n"
    env_data.makefile(".yaml", tiered=tiered)
    for args, steps in (((), 10), (("--optbench-tier", "big"), 30), (("--optbench-tier", "none"), 20)):
        env_data.runpytest("tiered.yaml", "--optbench-json", "out.json", *args)
        cases = json.loads((env_data.path / "out.json").read_text())["cases"]
        assert {c["steps_run"] for c in cases} == {steps}, args
    unknown = env_data.runpytest("tiered.yaml", "--optbench-tier", "gpu")
    unknown.stdout.fnmatch_lines(["*tiers: found no tier 'gpu' (--optbench-tier); expected one of big, cpu*"])


def test_json_results_hold_curves_and_data_provenance(env_data):
    env_data.runpytest("quick.yaml", "--optbench-json", "out.json")
    case = json.loads((env_data.path / "out.json").read_text())["cases"][0]
    assert case["kind"] == "data" and case["baseline_context"].startswith("cpu|torchvision:")
    assert case["curves"]["seeds"]["0"]["step"] == [10, 20]
    assert set(case["curves"]["mean"]) >= {"epoch", "test_accuracy", "train_loss", "test_loss"}
    assert case["provenance"]["precision"] == "float32"
    assert len(case["provenance"]["data"]["fingerprint"]) == 64


def test_recorded_baselines_keep_the_mean_learning_curve(env_data):
    env_data.runpytest("quick.yaml", "--optbench-update-baselines")
    entries = json.loads((env_data.path / "baselines" / "digits.json").read_text())["entries"]
    (entry,) = [e for e in next(iter(entries.values())).values()][:1]
    assert entry["curve"]["step"] == [10, 20] and len(entry["curve"]["test_accuracy"]) == 2


def test_a_diverging_case_names_its_epoch_and_step(env_data):
    env_data.makefile(".yaml", wild=QUICK.replace("lr: 0.01, momentum: 0.9", "lr: 1.0e+30, momentum: 0.9"))
    result = env_data.runpytest("wild.yaml", "--optbench-update-baselines")
    result.stdout.fnmatch_lines(["*DIVERGED: the loss became NaN or infinite at epoch *, step * (seed 0); "
                                 "2 of 2 seeds diverged*", "not recorded: mlp[[]momentum[]] (diverged)"])


@pytest.fixture
def recorded(env_data):
    env_data.runpytest("digits.yaml", "--optbench-update-baselines").assert_outcomes(passed=2)
    return env_data


def test_the_real_optimizers_pass_the_accuracy_gate(recorded):
    result = recorded.runpytest("digits.yaml", "--optbench-report", "report")
    result.assert_outcomes(passed=2)
    # The report states what the seed comparison can see: 6 new against 6 stored seeds.
    report = (recorded.path / "report" / "report.md").read_text()
    assert "### Sensitivity" in report
    line = next(line for line in report.splitlines()
                if line.startswith("| digits | test_accuracy |"))
    # Two noisy metrics share the false-alarm rate of 1e-3: 5e-4 each, 3.64 sd at 6+6 seeds.
    assert "| 6+6 | 0.0005 | 3.64 sd |" in line


@pytest.mark.parametrize("name, broken, failing", [
    ("Adam", optbench_testing.AdamBetasSwapped, "adam"),
    ("SGD", optbench_testing.SGDIgnoringMomentum, "momentum"),
], ids=["adam-with-betas-swapped", "sgd-ignoring-momentum"])
def test_the_accuracy_gate_catches_a_broken_optimizer(recorded, monkeypatch, name, broken, failing):
    monkeypatch.setattr(torch.optim, name, broken)
    result = recorded.runpytest("digits.yaml")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"mlp[[]{failing}[]] * test_accuracy * REGRESSION",
                                 f"mlp[[]{failing}[]] * test_loss * REGRESSION"])
