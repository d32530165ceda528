"""The real-data training loop on a small synthetic dataset held in memory."""

import pytest
import torch

from data_files import images
from pytest_optbench.kinds.data.config import DataConfig
from pytest_optbench.suite.cases import OptimizerConfig
from pytest_optbench.kinds.data.datasets import ImageData
from pytest_optbench.kinds.data.summary import summarize
from pytest_optbench.kinds.data.runner import DeviceData, OutOfMemory, SeedTraining, Split, run_data

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def data():
    train_x, train_y = images(2000, 28, 1, 0)
    test_x, test_y = images(500, 28, 1, 1)
    image_data = ImageData("synthetic", torch.from_numpy(train_x), torch.from_numpy(train_y).long(),
                           torch.from_numpy(test_x), torch.from_numpy(test_y).long(), 10,
                           (0.3,), (0.3,), "folder", "memory", "0" * 64)
    return DeviceData.put(image_data, CPU)


def config(**changes):
    base = dict(dataset="synthetic", model="mlp", model_options={"hidden": [32]}, epochs=2,
                steps=None, batch_size=64, eval_every=None, train_subset=None, test_subset=None,
                crop=0, flip=False, precision="float32", channels_last=False, target_accuracy=None)
    return DataConfig(**{**base, **changes})


def optimizer(name="SGD", groups=(), schedule=None, **hyper):
    return OptimizerConfig(name, name, name, hyper or {"lr": 0.1, "momentum": 0.9}, tuple(groups), schedule)


def run(data, cfg=None, opt=None, seeds=(0,)):
    return summarize(run_data(cfg or config(), opt or optimizer(), seeds, CPU, data))


def test_mini_batch_training_learns_and_records_curves(data):
    outcome = run(data, config(target_accuracy=0.9), seeds=(0, 1))
    assert all(acc > 0.95 for acc in outcome.metrics["test_accuracy"])
    curve = outcome.curves["seeds"]["0"]
    assert curve["epoch"] == [1.0, 2.0] and curve["step"] == [31, 62]
    assert curve["train_loss"][1] < curve["train_loss"][0]
    assert all(t > 0 for t in curve["train_time_s"])
    assert outcome.metrics["epochs_to_target"] == [1.0, 1.0]
    assert outcome.curves["mean"]["epoch"] == [1.0, 2.0]
    # The effort: seconds to the target per point of the accuracy reached there.
    first = outcome.curves["seeds"]["0"]
    assert outcome.metrics["effort"][0] == pytest.approx(
        first["train_time_s"][0] / (100 * first["test_accuracy"][0]), rel=1e-4)


def test_a_case_run_twice_gives_identical_metrics(data):
    assert run(data).metrics["test_accuracy"] == run(data).metrics["test_accuracy"]
    assert run(data).metrics["test_loss"] == run(data).metrics["test_loss"]


def test_seeds_change_initialisation_and_order(data):
    outcome = run(data, config(epochs=1), seeds=(0, 1, 2))
    assert len(set(outcome.metrics["train_loss"])) == 3


@pytest.mark.parametrize("batch_size, steps, expected_steps", [(0, 20, 20), (1, 300, 300), (64, 40, 40)])
def test_full_batch_stochastic_and_mini_batch_modes(data, batch_size, steps, expected_steps):
    cfg = config(epochs=None, steps=steps, batch_size=batch_size, eval_every=10)
    outcome = run(data, cfg, optimizer(lr=0.5) if batch_size == 0 else optimizer(lr=0.01))
    assert outcome.steps_run == expected_steps
    assert len(outcome.curves["seeds"]["0"]["step"]) == expected_steps // 10
    assert outcome.metrics["test_accuracy"][0] > 0.3


def test_full_batch_accumulates_exactly_over_chunks(data, monkeypatch):
    from pytest_optbench.kinds.data import runner as data_runner

    cfg = config(epochs=None, steps=3, batch_size=0)
    whole = run(data, cfg, optimizer(lr=0.5))
    monkeypatch.setattr(data_runner, "FULL_BATCH_CHUNK", 300)
    chunked = run(data, cfg, optimizer(lr=0.5))
    assert chunked.metrics["test_loss"][0] == pytest.approx(whole.metrics["test_loss"][0], rel=1e-4)


def test_divergence_names_the_epoch_and_step(data):
    outcome = run(data, config(epochs=None, steps=300, eval_every=100), optimizer(lr=1e30))
    divergence = outcome.divergence
    assert divergence is not None and divergence["seed"] == 0
    assert 1 <= divergence["step"] <= 300 and divergence["epoch"] == round(divergence["step"] / 31, 3)
    assert outcome.metrics["test_accuracy"] == [None]  # never a number from a diverged run


def test_a_train_loss_that_grows_without_overflowing_diverges_at_the_factor(data):
    """A cross-entropy loss grows roughly linearly with the weights' scale, so a learning rate
    that is too high reaches 1e6 times the first loss long before it overflows."""
    exploding = optimizer("optbench_testing:ExplodingSGD", lr=0.1)
    outcome = run(data, config(epochs=None, steps=30, eval_every=10), exploding)
    assert outcome.divergence is not None and outcome.divergence["non_finite"] is False
    lenient = run(data, config(epochs=None, steps=30, eval_every=10, divergence_factor=1e300),
                  exploding)
    assert lenient.divergence is None or lenient.divergence["step"] > outcome.divergence["step"]


def test_subsets_are_fixed_across_seeds_and_cases(data):
    a = data.subset(100, 50)
    b = data.subset(100, 50)
    assert torch.equal(a[0], b[0]) and torch.equal(a[3], b[3]) and len(a[1]) == 100


def test_augmentation_bf16_and_channels_last_run(data):
    outcome = run(data, config(epochs=1, crop=2, flip=True, precision="bf16", channels_last=True,
                               model="lenet5", model_options={}))
    assert outcome.metrics["test_accuracy"][0] > 0.2


def test_parameter_groups_by_name(data):
    frozen = optimizer(groups=[{"match": r"^1\.", "lr": 0.0}], lr=0.1)  # the first Linear layer
    training = SeedTraining(config(epochs=1), frozen, 0, CPU, data, Split(*data.subset(None, None)))
    before = {name: p.detach().clone() for name, p in training.model.named_parameters()}
    assert training.run().curve
    after = dict(training.model.named_parameters())
    assert [group["lr"] for group in training.optimizer.param_groups] == [0.0, 0.1]
    for name, value in before.items():
        unchanged = torch.equal(value, after[name])
        assert unchanged == name.startswith("1."), name  # the lr-0 group alone stays put


def test_epoch_schedule(data):
    opt = optimizer(schedule={"class": "StepLR", "step_size": 1, "gamma": 0.0, "interval": "epoch"},
                    lr=0.1, momentum=0.0)
    two_epochs = run(data, config(epochs=2), opt).curves["seeds"]["0"]["train_loss"]
    one_epoch = run(data, config(epochs=1), opt).curves["seeds"]["0"]["train_loss"]
    assert two_epochs[0] == one_epoch[0]
    # lr is 0 in the second epoch: the weights, and so the test loss, stay where epoch 1 left them
    curves = run(data, config(epochs=2), opt).curves["seeds"]["0"]
    assert curves["test_loss"][1] == pytest.approx(curves["test_loss"][0])


def test_out_of_memory_fails_the_case_clearly(data, monkeypatch):
    from pytest_optbench.kinds import models

    real = models.build_model

    def huge(*args):
        model = real(*args)
        model.register_forward_hook(lambda *a: (_ for _ in ()).throw(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 80 GiB")))
        return model

    monkeypatch.setattr(models, "build_model", huge)
    with pytest.raises(OutOfMemory, match="out of memory on cpu training seed 0 .*released for the next case"):
        run(data)
    monkeypatch.setattr(models, "build_model", real)
    assert run(data).metrics["test_accuracy"][0] > 0.9  # the next case runs


def protocol_optimizer(class_name, protocol=None, wraps=None, **hyper):
    from pytest_optbench.suite.resolve import detect_protocol, resolve_optimizer

    return OptimizerConfig("o", "o", class_name, hyper, (), None, None,
                           detect_protocol(resolve_optimizer(class_name), protocol), wraps)


def test_lbfgs_gets_its_closure_on_real_data(data):
    outcome = run(data, config(epochs=1, batch_size=500),
                  protocol_optimizer("LBFGS", lr=0.5, max_iter=3))
    assert outcome.metrics["test_accuracy"][0] > 0.5


def test_a_schedule_free_optimizer_is_evaluated_in_eval_mode(data, monkeypatch):
    import optbench_testing
    from pytest_optbench.kinds.data import runner as data_runner

    modes = []
    real = data_runner.evaluate

    def spy(model, inputs, test_x, test_y, autocast):
        modes.append(training.optimizer.training)
        return real(model, inputs, test_x, test_y, autocast)

    monkeypatch.setattr(data_runner, "evaluate", spy)
    opt = protocol_optimizer("optbench_testing:AveragedSGD", lr=0.1)
    split = Split(data.train_x, data.train_y, data.test_x, data.test_y)
    training = SeedTraining(config(epochs=2), opt, 0, CPU, data, split)
    assert isinstance(training.optimizer, optbench_testing.AveragedSGD)
    result = training.run()
    assert modes == [False, False] and len(result.curve) == 2
    assert result.curve[-1]["test_accuracy"] > 0.5
    # Without train(), stepping raises: the protocol is what makes it run at all.
    plain = protocol_optimizer("optbench_testing:AveragedSGD", {"train_eval": False}, lr=0.1)
    with pytest.raises(RuntimeError, match="train mode"):
        run(data, config(epochs=1), plain)


def test_second_order_methods_get_gradients_with_their_graph(data):
    opt = protocol_optimizer("optbench_testing:NewtonDiagonal", {"create_graph": True}, lr=0.01)
    outcome = run(data, config(epochs=1, model_options={"hidden": [8]}), opt)
    assert outcome.metrics["train_loss"][0] is not None
    with pytest.raises(RuntimeError, match="create_graph"):
        run(data, config(epochs=1), protocol_optimizer("optbench_testing:NewtonDiagonal", lr=0.01))


def test_closure_and_plain_step_train_bitwise_alike(data):
    closure = run(data, config(epochs=1), protocol_optimizer("Adam", lr=1e-3))
    plain = run(data, config(epochs=1), protocol_optimizer("Adam", {"closure": False}, lr=1e-3))
    assert closure.metrics == plain.metrics


def test_wrapped_optimizers_train(data):
    opt = protocol_optimizer("optbench_testing:Averaging", wraps={"class": "SGD", "lr": 0.1}, k=2)
    assert run(data, config(epochs=1), opt).metrics["test_accuracy"][0] > 0.5


@pytest.mark.parametrize("class_name", ["optbench_testing:ClosureIgnoringSGD",
                                        "optbench_testing:GradientsFirstSGD"])
def test_an_optimizer_that_ignores_its_closure_trains_on_gradients_computed_first(data, class_name):
    given = run_data(config(epochs=1), protocol_optimizer(class_name, lr=0.1), (0,), CPU, data)
    plain = run_data(config(epochs=1), protocol_optimizer(class_name, {"closure": False}, lr=0.1),
                     (0,), CPU, data)
    assert given.closure_ignored and not plain.closure_ignored
    assert summarize(given).metrics == summarize(plain).metrics
    assert summarize(given).metrics["test_accuracy"][0] > 0.5


@pytest.mark.parametrize("class_name, step", [("optbench_testing:ClosureOnceSGD", 1),
                                              ("optbench_testing:DecayWithoutClosure", 0)])
def test_a_step_that_moves_without_calling_its_closure_fails_the_case(data, class_name, step):
    from pytest_optbench.kinds.base import CaseTrouble

    with pytest.raises(CaseTrouble, match=rf"never called the closure \(step {step}\)"):
        run(data, config(epochs=1), protocol_optimizer(class_name, lr=0.1))


def test_effort_is_training_seconds_to_the_target_per_accuracy_point():
    from pytest_optbench.kinds.data.summary import effort

    assert effort(12.0, 0.8) == 0.15          # 12 s to reach 80%: 0.15 s a point
    assert effort(None, None) is None          # the target never reached
    assert effort(3.0, 0.0) is None
