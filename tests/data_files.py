"""Tiny datasets written in the real on-disk formats, for the loader and plugin tests.

The images are learnable: each class lights up its own band of pixels, under noise, so that a
small model reaches high accuracy within a few hundred steps.
"""

import hashlib
import pickle
import struct
from pathlib import Path

import numpy as np


def images(count: int, side: int, channels: int, seed: int, signal: float = 0.9,
           noise: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Dark images with sparse bright pixels, like handwriting: each pixel is lit with
    probability `noise`, and in the band of rows that belongs to the image's class with
    probability `signal`. 0.9 against 0.05 is learnt at once; 0.25 against 0.12 only gradually,
    so that how well the optimizer works shows in the accuracy."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % 10)  # every class present, even in tiny sets
    rows = np.arange(side)[None, :, None]
    band = side // 10
    in_band = (rows >= labels[:, None, None] * band) & (rows < (labels[:, None, None] + 1) * band)
    chance = np.where(in_band, signal, noise)[:, None]                 # count x 1 x side x 1
    lit = rng.random((count, channels, side, side)) < chance
    return (lit * 255).astype(np.uint8), labels.astype(np.uint8)


def idx_bytes(array: np.ndarray) -> bytes:
    """The idx format of the MNIST files: magic, dimensions, then the raw bytes."""
    magic = {1: 0x00000801, 3: 0x00000803}[array.ndim]
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.tobytes()


def write_mnist(root: Path, folder: str = "MNIST", train: int = 2000, test: int = 500,
                signal: float = 0.9, noise: float = 0.05) -> Path:
    raw = Path(root) / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, count, seed in (("train", train, 0), ("t10k", test, 1)):
        x, y = images(count, 28, 1, seed, signal, noise)
        for kind, array in (("images-idx3-ubyte", x[:, 0]), ("labels-idx1-ubyte", y)):
            (raw / f"{prefix}-{kind}").write_bytes(idx_bytes(array))
    return raw


def write_cifar(root: Path, per_batch: int = 100, test: int = 100) -> dict[str, str]:
    """The pickled batches of CIFAR-10; returns each file's MD5, which torchvision checks."""
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for index, name in enumerate(names):
        x, y = images(test if name == "test_batch" else per_batch, 32, 3, 10 + index)
        # str keys: the real batches are Python 2 pickles, read by torchvision as latin-1.
        batch = {"data": x.reshape(len(x), -1), "labels": [int(v) for v in y],
                 "batch_label": name}
        (folder / name).write_bytes(pickle.dumps(batch))
    meta = {"label_names": [f"class{i}" for i in range(10)]}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta))
    return {name: hashlib.md5((folder / name).read_bytes()).hexdigest()
            for name in names + ["batches.meta"]}


def write_image_folder(root: Path, side: int = 28, channels: int = 1, train: int = 300,
                       test: int = 100, classes: int = 10) -> Path:
    from PIL import Image

    mode = "L" if channels == 1 else "RGB"
    for split, count, seed in (("train", train, 0), ("test", test, 1)):
        x, y = images(count, side, channels, seed)
        for index, (pixels, label) in enumerate(zip(x, y)):
            folder = Path(root) / split / f"c{int(label) % classes}"
            folder.mkdir(parents=True, exist_ok=True)
            array = pixels[0] if channels == 1 else pixels.transpose(1, 2, 0)
            Image.fromarray(array, mode).save(folder / f"{index:05d}.png")
    return Path(root)
