"""Batched augmentation, and the model zoo."""

import pytest
import torch

from pytest_optbench.kinds.data.augment import random_crop, random_flip
from pytest_optbench.kinds.models import MODELS, build_model


def test_random_crop_is_a_translation_of_the_padded_image():
    images = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    out = random_crop(images, 2, torch.Generator().manual_seed(0))
    assert out.shape == images.shape
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2))
    for index in range(2):
        windows = [padded[index, :, r:r + 8, c:c + 8] for r in range(5) for c in range(5)]
        assert any(torch.equal(out[index], w) for w in windows)


def test_random_crop_moves_images_independently_and_reproducibly():
    images = torch.rand(810, 1, 8, 8)
    first = random_crop(images, 4, torch.Generator().manual_seed(1))
    again = random_crop(images, 4, torch.Generator().manual_seed(1))
    assert torch.equal(first, again)
    unshifted = sum(torch.equal(first[i], images[i]) for i in range(810))
    assert 0 < unshifted < 30  # the unshifted window is one of 81: about 10 of 810


def test_random_flip_mirrors_about_half():
    images = torch.rand(1000, 1, 4, 4)
    out = random_flip(images, torch.Generator().manual_seed(2))
    mirrored = [torch.equal(o, i.flip(2)) for o, i in zip(out, images)]
    kept = [torch.equal(o, i) for o, i in zip(out, images)]
    assert all(m or k for m, k in zip(mirrored, kept))
    assert 430 < sum(mirrored) < 570


@pytest.mark.parametrize("kind", list(MODELS))
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_every_model_classifies_both_input_sizes(kind, shape):
    model = build_model(kind, {}, shape, 10)
    assert model(torch.rand(2, *shape)).shape == (2, 10)


def test_model_options():
    mlp = build_model("mlp", {"hidden": [64, 32, 16], "activation": "sigmoid"}, (1, 28, 28), 10)
    linear = [m for m in mlp if isinstance(m, torch.nn.Linear)]
    assert [l.out_features for l in linear] == [64, 32, 16, 10]
    assert sum(isinstance(m, torch.nn.Sigmoid) for m in mlp) == 3
    lenet = build_model("lenet5", {}, (3, 32, 32), 10)
    assert sum(p.numel() for p in lenet.parameters()) == 62006  # LeNet-5's classic count
    resnet = build_model("resnet18", {}, (3, 32, 32), 10)
    assert 11.1e6 < sum(p.numel() for p in resnet.parameters()) < 11.2e6


def test_a_user_factory(tmp_path, monkeypatch):
    (tmp_path / "my_models.py").write_text(
        "import torch\n"
        "def tiny(shape, classes, width=8):\n"
        "    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(shape[0]*shape[1]*shape[2], classes))\n"
        "def not_a_model(shape, classes):\n    return 3\n")
    monkeypatch.syspath_prepend(tmp_path)
    assert build_model("my_models:tiny", {"width": 4}, (1, 28, 28), 10)(torch.rand(1, 1, 28, 28)).shape == (1, 10)
    with pytest.raises(TypeError, match="not a torch.nn.Module"):
        build_model("my_models:not_a_model", {}, (1, 28, 28), 10)
