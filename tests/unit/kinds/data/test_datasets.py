"""Dataset loading from tiny files in the real formats: idx, pickled batches, ImageFolder."""


import pytest
import torch
import torchvision

from data_files import write_cifar, write_image_folder, write_mnist
from pytest_optbench.kinds.data import datasets
from pytest_optbench.kinds.data.datasets import DataCorrupt, DataUnavailable, load_dataset


def test_mnist_idx_files(tmp_path):
    write_mnist(tmp_path, train=200, test=50)
    data = load_dataset("mnist", tmp_path, None, download=False)
    assert data.train_x.shape == (200, 1, 28, 28) and data.train_x.dtype == torch.uint8
    assert data.test_y.shape == (50,) and data.test_y.dtype == torch.int64
    assert data.source == "torchvision" and data.classes == 10
    again = load_dataset("mnist", tmp_path, None, download=False)
    assert again.fingerprint == data.fingerprint and data.label.startswith("torchvision:")


def test_fashion_mnist_reads_its_own_folder(tmp_path):
    write_mnist(tmp_path, folder="FashionMNIST", train=100, test=20)
    assert load_dataset("fashion-mnist", tmp_path, None, download=False).train_x.shape[0] == 100
    with pytest.raises(DataUnavailable, match="MNIST not found"):
        load_dataset("mnist", tmp_path, None, download=False)


def test_a_truncated_idx_file_is_reported_as_corrupt(tmp_path):
    raw = write_mnist(tmp_path, train=100, test=20)
    path = raw / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(DataCorrupt) as info:
        load_dataset("mnist", tmp_path, None, download=False)
    message = str(info.value)
    assert str(tmp_path / "MNIST/raw") in message and "cannot read as MNIST" in message
    assert "train-images-idx3-ubyte" in message  # the files expected


def test_missing_files_say_where_what_and_how(tmp_path):
    with pytest.raises(DataUnavailable) as info:
        load_dataset("mnist", tmp_path, None, download=False)
    message = str(info.value)
    for fragment in (f"searched {tmp_path / 'MNIST/raw'}", "train-images-idx3-ubyte",
                     "--optbench-data-dir", "OPTBENCH_DATA_DIR", "--optbench-dataset-folder mnist=PATH",
                     "downloading is turned off"):
        assert fragment in message, fragment


def test_offline_download_fails_fast(tmp_path, monkeypatch):
    def unreachable(address, timeout=None):
        assert timeout is not None and timeout <= 10  # the probe never waits long
        raise OSError("network is unreachable")

    monkeypatch.setattr(datasets.socket, "create_connection", unreachable)
    with pytest.raises(DataUnavailable, match="could not be reached within 5 s"):
        load_dataset("cifar10", tmp_path, None, download=True)


@pytest.fixture
def cifar_files(tmp_path, monkeypatch):
    """Tiny CIFAR-10 batches, with torchvision told their checksums."""
    md5 = write_cifar(tmp_path, per_batch=40, test=30)
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "train_list",
                        [[f"data_batch_{i}", md5[f"data_batch_{i}"]] for i in range(1, 6)])
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "meta",
                        {"filename": "batches.meta", "key": "label_names", "md5": md5["batches.meta"]})
    return tmp_path


def test_cifar_pickled_batches(cifar_files):
    data = load_dataset("cifar10", cifar_files, None, download=False)
    assert data.train_x.shape == (200, 3, 32, 32) and data.test_x.shape == (30, 3, 32, 32)
    # Channels first, in the batch's R, G, B planes: row 0 of class c's band is bright.
    label = int(data.train_y[0])
    assert data.train_x[0, :, label * 3].float().mean() > data.train_x[0].float().mean()


def test_a_cifar_batch_that_fails_its_checksum(cifar_files):
    path = cifar_files / "cifar-10-batches-py" / "data_batch_3"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataUnavailable, match="CIFAR-10 not found"):
        # torchvision treats a failed checksum like a missing file: downloading would replace it.
        load_dataset("cifar10", cifar_files, None, download=False)


def test_image_folder_copy(tmp_path):
    root = write_image_folder(tmp_path / "copy", train=60, test=20)
    data = load_dataset("mnist", tmp_path / "nowhere", root, download=False, cache_dir=tmp_path / "cache")
    assert data.train_x.shape == (60, 1, 28, 28) and data.source == "folder"
    assert sorted(set(data.train_y.tolist())) == list(range(len(set(data.train_y.tolist()))))
    assert data.mean == datasets.BUILTIN["mnist"].mean  # a stand-in keeps the dataset's statistics


def test_image_folder_is_cached_and_the_cache_is_exact(tmp_path, monkeypatch):
    root = write_image_folder(tmp_path / "copy", train=40, test=10)
    first = load_dataset("mnist", tmp_path, root, download=False, cache_dir=tmp_path / "cache")
    monkeypatch.setattr(datasets, "_decode", lambda *a: pytest.fail("decoded again"))
    second = load_dataset("mnist", tmp_path, root, download=False, cache_dir=tmp_path / "cache")
    assert torch.equal(first.train_x, second.train_x) and first.fingerprint == second.fingerprint


def test_a_dataset_of_your_own(tmp_path):
    root = write_image_folder(tmp_path / "mine", side=16, channels=3, train=50, test=10, classes=4)
    data = load_dataset("flowers", tmp_path, root, download=False)
    assert data.shape == (3, 16, 16) and data.classes == 4
    assert len(data.mean) == 3 and all(0 < m < 1 for m in data.mean)  # measured from the data


@pytest.mark.parametrize("damage, message", [
    ("no_test", "found no 'test' folder"),
    ("class_mismatch", "in train but"),
    ("wrong_size", "found an image of 20x20 pixels; expected 28x28"),
    ("not_an_image", "not a readable image"),
    ("too_few_classes", "found 3 class folders; expected 10 for MNIST"),
])
def test_broken_image_folders(tmp_path, damage, message):
    from PIL import Image

    root = write_image_folder(tmp_path / "copy", train=30, test=10,
                              classes=3 if damage == "too_few_classes" else 10)
    if damage == "no_test":
        import shutil
        shutil.rmtree(root / "test")
    elif damage == "class_mismatch":
        (root / "test" / "extra").mkdir()
        Image.new("L", (28, 28)).save(root / "test" / "extra" / "x.png")
    elif damage == "wrong_size":
        Image.new("L", (20, 20)).save(next((root / "train").iterdir()) / "small.png")
    elif damage == "not_an_image":
        (next((root / "train").iterdir()) / "broken.png").write_bytes(b"not a png")
    with pytest.raises((DataCorrupt, DataUnavailable), match=message):
        load_dataset("mnist", tmp_path, root, download=False)


def test_an_unknown_dataset_without_a_folder(tmp_path):
    with pytest.raises(DataUnavailable, match="--optbench-dataset-folder flowers=PATH"):
        load_dataset("flowers", tmp_path, None, download=False)
