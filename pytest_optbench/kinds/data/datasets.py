"""Datasets as whole uint8 tensors: through torchvision's classes, or from an ImageFolder copy.

torchvision's classes download, verify and parse the standard files. A folder in ImageFolder
layout (`train/<class>/*`, `test/<class>/*`) can stand in for a dataset, or bring one of the
user's own. Either way the result is four tensors (images N x C x H x W uint8, labels int64),
a fingerprint of the content, and where it came from.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import io
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch

from pytest_optbench.kinds.base import CaseTrouble
from pytest_optbench.kinds.data.checksums import verify

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte")
CIFAR_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")
PROBE_TIMEOUT_S = 5.0      # is the download server reachable at all?
DOWNLOAD_TIMEOUT_S = 60.0  # longest wait for any one network read while downloading
CACHE_FORMAT = 1


class DataUnavailable(CaseTrouble):
    """The dataset is not on disk and cannot be fetched; the message says how to provide it."""


class DataCorrupt(CaseTrouble):
    """Files are there but cannot be read as the dataset; the message names them."""


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    torchvision_class: str
    subfolder: str            # where torchvision keeps the files under the data directory
    files: tuple[str, ...]
    channels: int
    size: int
    classes: int
    mean: tuple[float, ...]   # per channel, on a 0..1 scale
    std: tuple[float, ...]


BUILTIN: dict[str, DatasetInfo] = {info.name: info for info in [
    DatasetInfo("mnist", "MNIST", "MNIST", "MNIST/raw", MNIST_FILES, 1, 28, 10,
                (0.1307,), (0.3081,)),
    DatasetInfo("fashion-mnist", "Fashion-MNIST", "FashionMNIST", "FashionMNIST/raw",
                MNIST_FILES, 1, 28, 10, (0.2860,), (0.3530,)),
    DatasetInfo("cifar10", "CIFAR-10", "CIFAR10", "cifar-10-batches-py", CIFAR_FILES, 3, 32, 10,
                (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
]}


@dataclass
class ImageData:
    name: str
    train_x: torch.Tensor     # N x C x H x W, uint8
    train_y: torch.Tensor     # N, int64
    test_x: torch.Tensor
    test_y: torch.Tensor
    classes: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    source: str               # "torchvision" or "folder"
    location: str
    fingerprint: str          # of the content: equal data, equal fingerprint, on any machine

    @property
    def label(self) -> str:
        """Names the data in baseline keys: results on other data are never compared."""
        return f"{self.source}:{self.fingerprint[:12]}"

    @property
    def shape(self) -> tuple[int, int, int]:
        channels, height, width = self.train_x.shape[1:]
        return int(channels), int(height), int(width)


def load_dataset(name: str, data_dir: Path, folder: Path | None, download: bool,
                 cache_dir: Path | None = None) -> ImageData:
    info = BUILTIN.get(name)
    if folder is not None:
        return load_image_folder(name, Path(folder), info, cache_dir)
    if info is None:
        raise DataUnavailable(
            f"dataset '{name}' is not built in (built in: {', '.join(BUILTIN)}); give an "
            f"ImageFolder copy of it with --optbench-dataset-folder {name}=PATH "
            f"(PATH holding train/<class>/... and test/<class>/...)")
    return load_torchvision(info, Path(data_dir), download)


# --- torchvision ---------------------------------------------------------------------------

def load_torchvision(info: DatasetInfo, data_dir: Path, download: bool) -> ImageData:
    import torchvision

    cls = getattr(torchvision.datasets, info.torchvision_class)
    verify(data_dir / info.subfolder, info.torchvision_class)
    try:
        train, test = _open(cls, info, data_dir, download)
    except DataUnavailable:
        raise
    except Exception as exc:  # torchvision's own parse or integrity errors
        raise DataCorrupt(
            f"{data_dir / info.subfolder}: found files that torchvision cannot read as "
            f"{info.title} ({type(exc).__name__}: {exc}); expected the standard files "
            f"{', '.join(info.files)}; delete them to download again, or replace them") from None
    train_x, train_y = _tensors(train, info)
    test_x, test_y = _tensors(test, info)
    digest = _fingerprint(train_x, train_y, test_x, test_y)
    return ImageData(info.name, train_x, train_y, test_x, test_y, info.classes, info.mean,
                     info.std, "torchvision", str(data_dir / info.subfolder), digest)


def _open(cls, info: DatasetInfo, data_dir: Path, download: bool):
    def both(fetch: bool):
        return (cls(str(data_dir), train=True, download=fetch),
                cls(str(data_dir), train=False, download=fetch))

    try:
        return both(False)
    except RuntimeError as exc:
        if "not found" not in str(exc).lower():
            raise
    missing = _unavailable_message(info, data_dir)
    if not download:
        raise DataUnavailable(missing + "; downloading is turned off (--optbench-no-download)")
    url = _download_url(cls)
    host = urlparse(url).hostname
    try:
        socket.create_connection((host, 443), timeout=PROBE_TIMEOUT_S).close()
    except OSError as exc:
        raise DataUnavailable(f"{missing}; the download server {host} could not be reached "
                              f"within {PROBE_TIMEOUT_S:.0f} s ({exc})") from None
    with _socket_timeout(DOWNLOAD_TIMEOUT_S):
        try:
            return both(True)
        except (OSError, RuntimeError) as exc:
            raise DataUnavailable(f"{missing}; downloading from {host} failed ({exc})") from None


def _download_url(cls) -> str:
    mirrors = getattr(cls, "mirrors", None)
    if mirrors:
        return mirrors[0]
    return getattr(cls, "url", "https://download.pytorch.org")


@contextlib.contextmanager
def _socket_timeout(seconds: float):
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _unavailable_message(info: DatasetInfo, data_dir: Path) -> str:
    return (f"{info.title} not found: searched {data_dir / info.subfolder} for "
            f"{', '.join(info.files)}; provide them there (set the data directory with "
            f"--optbench-data-dir, the optbench_data_dir ini value or OPTBENCH_DATA_DIR), let "
            f"pytest-optbench download them when online, or give an ImageFolder copy with "
            f"--optbench-dataset-folder {info.name}=PATH")


def _tensors(dataset, info: DatasetInfo) -> tuple[torch.Tensor, torch.Tensor]:
    data = dataset.data
    images = torch.as_tensor(data) if not isinstance(data, torch.Tensor) else data
    if images.dim() == 3:                      # MNIST: N x H x W
        images = images.unsqueeze(1)
    elif images.shape[-1] == info.channels:    # CIFAR: N x H x W x C
        images = images.permute(0, 3, 1, 2)
    labels = torch.as_tensor(dataset.targets, dtype=torch.int64)
    return images.contiguous().to(torch.uint8), labels


def _fingerprint(*tensors: torch.Tensor) -> str:
    digest = hashlib.sha256()
    for tensor in tensors:
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()


# --- ImageFolder -----------------------------------------------------------------------------

def load_image_folder(name: str, root: Path, info: DatasetInfo | None,
                      cache_dir: Path | None) -> ImageData:
    from torchvision.datasets import ImageFolder

    splits = {}
    for split in ("train", "test"):
        path = root / split
        if not path.is_dir():
            raise DataUnavailable(
                f"{root}: found no '{split}' folder; expected an ImageFolder copy of {name}: "
                f"{root}/train/<class>/<image> and {root}/test/<class>/<image>")
        try:
            splits[split] = ImageFolder(str(path))
        except (FileNotFoundError, RuntimeError) as exc:
            raise DataUnavailable(f"{path}: {exc}; expected one folder of images per class") from None
    train, test = splits["train"], splits["test"]
    if train.classes != test.classes:
        raise DataCorrupt(f"{root}: found classes {train.classes} in train but {test.classes} "
                          f"in test; expected the same class folders in both")
    if info is not None and len(train.classes) != info.classes:
        raise DataCorrupt(f"{root / 'train'}: found {len(train.classes)} class folders; "
                          f"expected {info.classes} for {info.title}")
    key = _listing_key(root, train.samples + test.samples, info)
    cached = _read_cache(cache_dir, name, key)
    if cached is not None:
        return cached
    mode = "L" if (info.channels if info else _first_mode(train)) == 1 else "RGB"
    size = (info.size, info.size) if info else None
    train_x, train_y, train_digest, size = _decode(train.samples, mode, size, root)
    test_x, test_y, test_digest, _ = _decode(test.samples, mode, size, root)
    if info is not None:
        mean, std = info.mean, info.std
    else:
        pixels = train_x.float().div_(255)
        mean = tuple(pixels.mean(dim=(0, 2, 3)).tolist())
        std = tuple(pixels.std(dim=(0, 2, 3)).tolist())
    digest = hashlib.sha256((train_digest + test_digest).encode()).hexdigest()
    data = ImageData(name, train_x, train_y, test_x, test_y, len(train.classes), mean, std,
                     "folder", str(root), digest)
    _write_cache(cache_dir, name, key, data)
    return data


def _first_mode(dataset) -> int:
    from PIL import Image

    with Image.open(dataset.samples[0][0]) as image:
        return 1 if image.mode in ("L", "1", "I;16", "I") else 3


def _decode(samples, mode: str, size, root: Path):
    """Decode every image in parallel (PIL releases the GIL while decoding)."""
    from PIL import Image

    def one(item):
        path, label = item
        raw = Path(path).read_bytes()
        try:
            with Image.open(io.BytesIO(raw)) as image:
                pixels = torch.frombuffer(bytearray(image.convert(mode).tobytes()), dtype=torch.uint8)
                shape = image.size[::-1]
        except Exception as exc:
            raise DataCorrupt(f"{path}: found a file that is not a readable image ({exc}); "
                              f"expected an image file; remove or replace it") from None
        return pixels, shape, label, hashlib.sha256(raw).digest()

    workers = min(8, (os.cpu_count() or 2) * 2)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        decoded = list(pool.map(one, samples, chunksize=256))
    if size is None:
        size = decoded[0][1]
    channels = 1 if mode == "L" else 3
    images = torch.empty((len(decoded), channels, *size), dtype=torch.uint8)
    digest = hashlib.sha256()
    for index, ((pixels, shape, _, file_digest), (path, _)) in enumerate(zip(decoded, samples)):
        if tuple(shape) != tuple(size):
            raise DataCorrupt(f"{path}: found an image of {shape[1]}x{shape[0]} pixels; expected "
                              f"{size[1]}x{size[0]} like the others; resize the folder's images")
        images[index] = pixels.view(size[0], size[1], channels).permute(2, 0, 1)
        digest.update(os.path.relpath(path, root).encode())
        digest.update(file_digest)
    labels = torch.tensor([label for _, _, label, _ in decoded], dtype=torch.int64)
    return images, labels, digest.hexdigest(), tuple(size)


def _listing_key(root: Path, samples, info: DatasetInfo | None) -> str:
    """Names, sizes and modification times: cheap to compute, and changes with any file."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}:{info.name if info else ''}".encode())
    for path, label in samples:
        stat = os.stat(path)
        digest.update(f"{os.path.relpath(path, root)}:{label}:{stat.st_size}:{stat.st_mtime_ns}"
                      .encode())
    return digest.hexdigest()[:20]


def _cache_path(cache_dir: Path, name: str, key: str) -> Path:
    return Path(cache_dir) / f"{name}-{key}.pt"


def _read_cache(cache_dir: Path | None, name: str, key: str) -> ImageData | None:
    if cache_dir is None:
        return None
    path = _cache_path(cache_dir, name, key)
    if not path.exists():
        return None
    try:
        stored = torch.load(path, weights_only=True)
        return ImageData(**{**stored, "mean": tuple(stored["mean"]), "std": tuple(stored["std"])})
    except Exception:
        return None  # an unreadable cache is rebuilt, never trusted


def _write_cache(cache_dir: Path | None, name: str, key: str, data: ImageData) -> None:
    if cache_dir is None:
        return
    path = _cache_path(cache_dir, name, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save({**data.__dict__}, temporary)
        os.replace(temporary, path)
    except OSError:
        pass  # the cache only saves time; without it every session decodes again
