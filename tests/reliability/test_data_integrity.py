"""A dataset file that is not what it claims: a flipped byte in a standard file is a checksum
mismatch that says what to do, not a silent run on other data."""

import os
import shutil
from pathlib import Path

import pytest

from data_files import write_mnist
from pytest_optbench.kinds.data.checksums import ChecksumMismatch
from pytest_optbench.kinds.data.datasets import load_dataset

REAL = Path(os.environ.get("OPTBENCH_DATA_DIR", "../shared/data")).resolve() / "MNIST" / "raw"


def flip_a_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_standard_size_file_with_other_bytes_is_a_checksum_mismatch(tmp_path):
    raw = write_mnist(tmp_path, train=60_000, test=10_000)  # the sizes of the real files
    with pytest.raises(ChecksumMismatch, match=r"checksum mismatch for .*/MNIST/raw/"
                                               r"t10k-images-idx3-ubyte: found md5 [0-9a-f]{32}, "
                                               r"expected 2646ac647ad5339dbf082846283269ea; delete "
                                               r"it and download again"):
        load_dataset("mnist", tmp_path, None, download=False)
    assert (raw / "t10k-images-idx3-ubyte").exists()  # reported, never deleted


@pytest.mark.skipif(not (REAL / "train-images-idx3-ubyte").is_file(),
                    reason="the real MNIST files are not here (set OPTBENCH_DATA_DIR)")
def test_one_flipped_byte_in_the_real_mnist_is_caught(tmp_path):
    copy = tmp_path / "MNIST" / "raw"
    copy.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        shutil.copyfile(REAL / name, copy / name)
    assert load_dataset("mnist", tmp_path, None, download=False).train_x.shape[0] == 60_000
    flip_a_byte(copy / "train-images-idx3-ubyte", 1_000_000)
    with pytest.raises(ChecksumMismatch, match="checksum mismatch for .*train-images-idx3-ubyte"):
        load_dataset("mnist", tmp_path, None, download=False)
