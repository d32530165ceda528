"""The standard dataset files' checksums, verified before the files are read.

torchvision checks the CIFAR-10 batches on every load and the MNIST archives when it downloads
them, but reads the extracted MNIST-format files as they are: a byte flipped on disk would train
on other data and read only as "no baseline for this data". Each extracted file of the standard
size is therefore checked against the md5 of torchvision's verified archive, decompressed. A file
of another size is not the standard one (a subset of the user's own, or a truncated copy, which
torchvision's parser refuses), and its content is judged by its fingerprint instead.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pytest_optbench.kinds.base import CaseTrouble

STANDARD_SIZES = {"train-images-idx3-ubyte": 47_040_016, "train-labels-idx1-ubyte": 60_008,
                  "t10k-images-idx3-ubyte": 7_840_016, "t10k-labels-idx1-ubyte": 10_008}
EXTRACTED_MD5 = {
    "MNIST": {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    "FashionMNIST": {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}


class ChecksumMismatch(CaseTrouble):
    """A standard dataset file whose content is not the published one."""


def verify(folder: Path, torchvision_class: str) -> None:
    """Every standard-size file of the dataset in `folder` has its published checksum."""
    for name, md5 in sorted(EXTRACTED_MD5.get(torchvision_class, {}).items()):
        path = folder / name
        if not path.is_file() or path.stat().st_size != STANDARD_SIZES[name]:
            continue
        found = file_md5(path)
        if found != md5:
            raise ChecksumMismatch(f"checksum mismatch for {path}: found md5 {found}, expected "
                                   f"{md5}; delete it and download again (or copy it again "
                                   f"from a good source)")


def file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
