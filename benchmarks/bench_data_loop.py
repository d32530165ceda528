"""One epoch of the 300-100-10 MLP on Fashion-MNIST: the plugin's loop against the usual
torchvision `DataLoader(ToTensor())` loop, at the same batch size, learning rate and seed.

Both train the same model from the same initial weights with SGD and momentum; the table gives
the training time of the epoch (evaluation excluded, best of --repeats), the test accuracy
after it, and the ratio of the times. The plugin keeps the dataset as one uint8 tensor and
takes batches as index slices; the usual loop converts every image with ToTensor and Normalize
in Python and collates the batch.

    python benchmarks/bench_data_loop.py --data-dir ../shared/data [--device cpu] [--workers 0 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from pytest_optbench.kinds.data.config import DataConfig

from pytest_optbench.suite.cases import OptimizerConfig
from pytest_optbench.kinds.data.datasets import BUILTIN, load_dataset
from pytest_optbench.kinds.data.runner import DeviceData, run_data
from pytest_optbench.kinds.models import build_model

BATCH, LR, MOMENTUM, SEED = 128, 0.01, 0.9, 0


def plugin_epoch(data: DeviceData, device: torch.device) -> tuple[float, float]:
    config = DataConfig("fashion-mnist", "mlp", {"hidden": [300, 100]}, 1, None, BATCH, None,
                        None, None, 0, False, "float32", False, None)
    optimizer = OptimizerConfig("momentum", "momentum", "SGD", {"lr": LR, "momentum": MOMENTUM})
    seed = run_data(config, optimizer, (SEED,), device, data).seeds[0]
    return seed.train_time_s, seed.curve[-1]["test_accuracy"]


def dataloader_epoch(root: Path, device: torch.device, workers: int) -> tuple[float, float]:
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    info = BUILTIN["fashion-mnist"]
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(info.mean, info.std)])
    train = datasets.FashionMNIST(str(root), train=True, transform=transform)
    test = datasets.FashionMNIST(str(root), train=False, transform=transform)
    torch.manual_seed(SEED)
    model = build_model("mlp", {"hidden": [300, 100]}, (1, 28, 28), 10).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loader = DataLoader(train, batch_size=BATCH, shuffle=True, num_workers=workers,
                        drop_last=True, generator=torch.Generator().manual_seed(SEED))
    began = time.perf_counter()
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elapsed = time.perf_counter() - began
    correct = 0
    model.eval()
    with torch.no_grad():
        for x, y in DataLoader(test, batch_size=2048):
            correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
    return elapsed, correct / len(test)


def best(fn, repeats: int) -> tuple[float, float]:
    runs = [fn() for _ in range(repeats)]
    return min(r[0] for r in runs), runs[0][1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    device = torch.device(args.device)
    data = DeviceData.put(load_dataset("fashion-mnist", args.data_dir, None, download=False), device)
    plugin_epoch(data, device)  # warm-up: the first optimizer step imports torch._dynamo
    print(f"Fashion-MNIST, 300-100-10 MLP, batch {BATCH}, SGD lr {LR} momentum {MOMENTUM}, "
          f"one epoch on {device} ({torch.get_num_threads()} threads), best of {args.repeats}")
    plugin_time, plugin_accuracy = best(lambda: plugin_epoch(data, device), args.repeats)
    print(f"{'loop':34s} {'epoch':>8s} {'test accuracy':>14s} {'plugin faster by':>17s}")
    print(f"{'pytest-optbench (device tensors)':34s} {plugin_time:7.2f}s {plugin_accuracy:14.4f} "
          f"{'':>17s}")
    for workers in args.workers:
        elapsed, accuracy = best(lambda: dataloader_epoch(args.data_dir, device, workers),
                                 args.repeats)
        label = f"DataLoader(ToTensor), {workers} workers"
        print(f"{label:34s} {elapsed:7.2f}s {accuracy:14.4f} {elapsed / plugin_time:16.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
