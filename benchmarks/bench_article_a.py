"""Article A's training at batch size 32: the plugin's loop against a plain PyTorch DataLoader
loop, side by side in one run, optimizer by optimizer.

Each of the suite's eight optimizers trains the 300-100-10 MLP on Fashion-MNIST from the same
initial weights, with its exact configuration from `suites/articles/a_fashion_mnist_keras.yaml`.
It trains for --epochs epochs twice: once with the plugin's runner, once with a loop over
`DataLoader(FashionMNIST(transform=ToTensor + Normalize), batch_size=32, shuffle=True)`. The
table gives the training seconds of both (evaluation excluded) and their ratio. It also
extrapolates the suite's full budget (20 epochs x 8 optimizers x 3 seeds) on one process and
on --processes processes of one thread each.

A second table says what a step costs at this batch size, phase by phase, timed around each
phase over --cost-steps steps (on a CPU every operation has finished when it returns): the
batch gather, zero_grad, forward with the loss, backward, the optimizer's step, and what the
plugin's loop adds beyond them (its whole step, from its own clock, less those phases). The
DataLoader's column is the time to fetch one batch from it, which its loop pays on top.

    python benchmarks/bench_article_a.py --data-dir ../shared/data [--epochs 1] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import cast

import torch
import torch.nn.functional as F

from pytest_optbench.api import load_suite
from pytest_optbench.kinds.data.config import DataConfig
from pytest_optbench.kinds.data.datasets import BUILTIN, load_dataset
from pytest_optbench.kinds.data.runner import DeviceData, Split, prepared_split, run_data
from pytest_optbench.kinds.models import build_model
from pytest_optbench.suite.build import BuildContext
from pytest_optbench.suite.resolve import construct_optimizer

SUITE = Path(__file__).resolve().parents[1] / "suites" / "articles" / "a_fashion_mnist_keras.yaml"
SEED = 0


def plugin_run(config: DataConfig, case, data: DeviceData) -> tuple[float, float]:
    seed = run_data(config, case.optimizer, (SEED,), torch.device("cpu"), data).seeds[0]
    return seed.train_time_s, seed.curve[-1]["test_accuracy"]


def fashion_mnist(root: Path, train: bool):
    """torchvision's Fashion-MNIST as the plain loop reads it: ToTensor, then Normalize."""
    from torchvision import datasets, transforms

    info = BUILTIN["fashion-mnist"]
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(info.mean, info.std)])
    return datasets.FashionMNIST(str(root), train=train, transform=transform)


def model_and_optimizer(config: DataConfig, case) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    """The case's model from seed SEED's weights, and its optimizer."""
    torch.manual_seed(SEED)
    model = build_model(config.model, dict(config.model_options), (1, 28, 28), 10)
    return model, construct_optimizer(case.optimizer.class_name, model.parameters(),
                                      case.optimizer.hyperparameters, None)


def dataloader_run(config: DataConfig, case, root: Path) -> tuple[float, float]:
    from torch.utils.data import DataLoader

    model, optimizer = model_and_optimizer(config, case)
    loader = DataLoader(fashion_mnist(root, train=True), batch_size=config.batch_size,
                        shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(SEED))
    began = time.perf_counter()
    for _ in range(config.epochs or 1):
        for x, y in loader:
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
    elapsed = time.perf_counter() - began
    test = fashion_mnist(root, train=False)
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in DataLoader(test, batch_size=2048))
    return elapsed, correct / len(test)


PHASES = ("gather", "zero_grad", "forward", "backward", "step")


def step_costs(config: DataConfig, case, data: DeviceData, steps: int) -> dict[str, float]:
    """Microseconds a step spends in each phase, the plugin's own step and its bookkeeping."""
    model, optimizer = model_and_optimizer(config, case)
    inputs = prepared_split(config, data, Split(*data.subset(None, None))).train_inputs
    assert inputs is not None   # no augmentation: the plugin prepares the inputs once
    labels, batch = data.train_y, config.batch_size or 32
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(SEED))
    spent = dict.fromkeys(PHASES, 0.0)
    warm = 100
    for i in range(warm + steps):
        clock = [time.perf_counter()]
        index = order[(i * batch) % (len(labels) - batch):][:batch]
        x, y = inputs.index_select(0, index), labels.index_select(0, index)
        clock.append(time.perf_counter())
        optimizer.zero_grad(set_to_none=True)
        clock.append(time.perf_counter())
        loss = F.cross_entropy(model(x), y)
        clock.append(time.perf_counter())
        loss.backward()
        clock.append(time.perf_counter())
        optimizer.step()
        clock.append(time.perf_counter())
        if i >= warm:
            for phase, began, ended in zip(PHASES, clock, clock[1:]):
                spent[phase] += ended - began
    costs = {phase: seconds / steps * 1e6 for phase, seconds in spent.items()}
    run = replace(config, epochs=None, steps=steps, eval_every=steps, target_accuracy=None)
    seed = run_data(run, case.optimizer, (SEED,), torch.device("cpu"), data).seeds[0]
    costs["plugin step"] = seed.train_time_s / steps * 1e6
    costs["bookkeeping"] = costs["plugin step"] - sum(costs[phase] for phase in PHASES)
    return costs


def dataloader_fetch(config: DataConfig, root: Path, batches: int) -> float:
    """Microseconds to fetch one batch from the DataLoader of the plain loop."""
    from torch.utils.data import DataLoader

    loader = iter(DataLoader(fashion_mnist(root, train=True), batch_size=config.batch_size,
                             shuffle=True, drop_last=True))
    next(loader)
    began = time.perf_counter()
    for _ in range(batches):
        next(loader)
    return (time.perf_counter() - began) / batches * 1e6


def print_step_costs(suite, data: DeviceData, root: Path, steps: int) -> None:
    first = cast(DataConfig, suite.cases[0].problem)
    fetch = dataloader_fetch(first, root, min(steps, 1500))
    columns = (*PHASES, "bookkeeping", "plugin step")
    print(f"\nwhat a step costs at batch {first.batch_size}, in microseconds ({steps} steps; "
          f"shares of the plugin's step)")
    print(f"{'optimizer':10s} " + " ".join(f"{c:>15s}" for c in columns)
          + f" {'DataLoader fetch':>17s}")
    for case in suite.cases:
        costs = step_costs(cast(DataConfig, case.problem), case, data, steps)
        total = costs["plugin step"]
        cells = [f"{costs[c]:7.1f} ({costs[c] / total:4.0%})" for c in columns[:-1]]
        print(f"{case.optimizer.key:10s} " + " ".join(f"{c:>15s}" for c in cells)
              + f" {total:15.1f} {fetch:17.1f}")


def print_epochs(suite, data: DeviceData, args: argparse.Namespace) -> None:
    first = cast(DataConfig, suite.cases[0].problem)
    print(f"Article A: 300-100-10 MLP on Fashion-MNIST, batch {first.batch_size}, {args.epochs} "
          f"epoch(s), seed {SEED}, CPU, {torch.get_num_threads()} thread(s)")
    print(f"{'optimizer':10s} {'plugin':>8s} {'DataLoader':>11s} {'ratio':>6s} "
          f"{'plugin acc':>10s} {'loop acc':>9s}")
    totals = [0.0, 0.0]
    for case in suite.cases:
        config = replace(cast(DataConfig, case.problem), epochs=args.epochs, target_accuracy=None)
        ours, our_accuracy = plugin_run(config, case, data)
        theirs, their_accuracy = dataloader_run(config, case, args.data_dir)
        totals[0] += ours
        totals[1] += theirs
        print(f"{case.optimizer.key:10s} {ours:7.2f}s {theirs:10.2f}s {theirs / ours:5.2f}x "
              f"{our_accuracy:10.4f} {their_accuracy:9.4f}")
    print(f"{'all':10s} {totals[0]:7.2f}s {totals[1]:10.2f}s {totals[1] / totals[0]:5.2f}x")
    epochs = first.epochs or 20
    seeds = len(suite.cases[0].seeds)
    full = totals[0] * epochs / args.epochs * seeds
    print(f"the full suite ({epochs} epochs x {len(suite.cases)} optimizers x {seeds} seeds), "
          f"training time: {full / 60:.1f} min on one process, about "
          f"{full / args.processes / 60:.1f} min on {args.processes}; the DataLoader loop: "
          f"{totals[1] * epochs / args.epochs * seeds / args.processes / 60:.1f} min on "
          f"{args.processes}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--epochs", type=int, default=1, help="epochs per optimizer for the "
                        "first table (0: no such table)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the suite runs "
                        "one per process under -n 2)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--cost-steps", type=int, default=2000,
                        help="steps timed phase by phase (0: no cost table)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    suite = load_suite(SUITE, context=BuildContext(tier="none"))
    data = DeviceData.put(load_dataset("fashion-mnist", args.data_dir, None, download=False),
                          torch.device("cpu"))
    first = cast(DataConfig, suite.cases[0].problem)
    plugin_run(replace(first, epochs=None, steps=50), suite.cases[0], data)  # warm-up
    if args.epochs:
        print_epochs(suite, data, args)
    if args.cost_steps:
        print_step_costs(suite, data, args.data_dir, args.cost_steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
