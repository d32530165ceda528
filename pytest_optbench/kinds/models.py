"""Models a data problem can train: MLPs, LeNet-5, AlexNet and ResNet-18 sized for 32x32 (or
28x28) inputs, a small fast CIFAR network, or a user's factory named "package.module:function".

Every builder takes the input shape (C, H, W), the number of classes and its own options.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Sequence

import torch
from torch import nn

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "gelu": nn.GELU, "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU, "silu": nn.SiLU,
}


def mlp(shape: tuple[int, int, int], classes: int, hidden: Sequence[int] = (300, 100),
        activation: str = "relu") -> nn.Module:
    """Fully connected layers of the given widths; the last layer gives the class scores."""
    widths = [shape[0] * shape[1] * shape[2], *hidden]
    layers: list[nn.Module] = [nn.Flatten()]
    for w_in, w_out in zip(widths, widths[1:]):
        layers += [nn.Linear(w_in, w_out), ACTIVATIONS[activation]()]
    layers.append(nn.Linear(widths[-1], classes))
    return nn.Sequential(*layers)


def lenet5(shape: tuple[int, int, int], classes: int, activation: str = "relu") -> nn.Module:
    """LeNet-5: two 5x5 convolutions with pooling, then 120-84 fully connected layers."""
    act = ACTIVATIONS[activation]
    pad = 2 if shape[1] == 28 else 0  # 28x28 inputs are padded to LeNet's 32x32
    side = (shape[1] + 2 * pad - 4) // 2
    side = (side - 4) // 2
    return nn.Sequential(
        nn.Conv2d(shape[0], 6, 5, padding=pad), act(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), act(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * side * side, 120), act(), nn.Linear(120, 84), act(),
        nn.Linear(84, classes))


def alexnet(shape: tuple[int, int, int], classes: int, dropout: float = 0.5) -> nn.Module:
    """AlexNet's five convolutions and three fully connected layers, sized for 32x32 inputs."""
    features = nn.Sequential(
        nn.Conv2d(shape[0], 64, 3, stride=2, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Conv2d(64, 192, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2))
    side = shape[1] // 16
    return nn.Sequential(
        features, nn.Flatten(),
        nn.Dropout(dropout), nn.Linear(256 * side * side, 4096), nn.ReLU(inplace=True),
        nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, classes))


class _BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(c_out))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class _ResNet18(nn.Module):
    """ResNet-18 for small images: a 3x3 stem without max pooling, then 4 stages of 2 blocks."""

    def __init__(self, shape: tuple[int, int, int], classes: int, width: int = 64):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(shape[0], width, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        stages, c_in = [], width
        for index, c_out in enumerate([width, 2 * width, 4 * width, 8 * width]):
            stride = 1 if index == 0 else 2
            stages += [_BasicBlock(c_in, c_out, stride), _BasicBlock(c_out, c_out, 1)]
            c_in = c_out
        self.stages = nn.Sequential(*stages)
        self.head = nn.Linear(c_in, classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def resnet18(shape: tuple[int, int, int], classes: int, width: int = 64) -> nn.Module:
    return _ResNet18(shape, classes, width)


class _FastBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)

    def forward(self, x):
        x = nn.functional.max_pool2d(nn.functional.gelu(self.bn1(self.conv1(x))), 2)
        return nn.functional.gelu(self.bn2(self.conv2(x)))


class _FastNet(nn.Module):
    """A small network that trains CIFAR-10 quickly: a patch stem, three conv-pool-conv blocks,
    global max pooling and a scaled linear head, in the manner of the fastest CIFAR speed runs."""

    def __init__(self, shape: tuple[int, int, int], classes: int, widths=(64, 256, 256)):
        super().__init__()
        self.stem = nn.Conv2d(shape[0], 24, 2, padding=0)
        blocks, c_in = [], 24
        for c_out in widths:
            blocks.append(_FastBlock(c_in, c_out))
            c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(c_in, classes, bias=False)

    def forward(self, x):
        x = self.blocks(nn.functional.gelu(self.stem(x)))
        return self.head(torch.amax(x, dim=(2, 3))) / 9.0


def fastnet(shape: tuple[int, int, int], classes: int, widths: Sequence[int] = (64, 256, 256)) -> nn.Module:
    return _FastNet(shape, classes, tuple(widths))


MODELS: dict[str, Callable[..., nn.Module]] = {
    "mlp": mlp, "lenet5": lenet5, "alexnet": alexnet, "resnet18": resnet18, "fastnet": fastnet,
}


def model_options(kind: str) -> tuple[list[str], bool]:
    """The options a model builder takes (beyond shape and classes), and whether it takes any."""
    builder = MODELS[kind]
    parameters = list(inspect.signature(builder).parameters.values())[2:]
    names = [p.name for p in parameters if p.kind is not p.VAR_KEYWORD]
    return names, any(p.kind is p.VAR_KEYWORD for p in parameters)


def build_model(kind: str, options: dict[str, Any], shape: tuple[int, int, int],
                classes: int) -> nn.Module:
    if ":" in kind:
        from pytest_optbench.suite.resolve import import_object

        factory = import_object(kind)
        if not callable(factory) or isinstance(factory, nn.Module):
            raise TypeError(f"{kind} is a {type(factory).__name__}, not a function that builds "
                            f"a model: expected factory(shape, classes, **options) -> nn.Module")
        model = factory(shape, classes, **options)
        if not isinstance(model, nn.Module):
            raise TypeError(f"{kind} returned {type(model).__name__}, not a torch.nn.Module")
        return model
    return MODELS[kind](shape, classes, **options)
