"""Augmentation of a whole batch at once, on the batch's device: no per-sample Python."""

from __future__ import annotations

import torch

Tensor = torch.Tensor


def random_crop(images: Tensor, padding: int, generator: torch.Generator) -> Tensor:
    """Zero-pad each image by `padding` and cut a random window of the original size."""
    if padding <= 0:
        return images
    count, channels, height, width = images.shape
    padded = torch.nn.functional.pad(images, (padding, padding, padding, padding))
    shifts = torch.randint(0, 2 * padding + 1, (2, count), device=images.device,
                           generator=generator)
    rows = shifts[0, :, None] + torch.arange(height, device=images.device)   # count x H
    cols = shifts[1, :, None] + torch.arange(width, device=images.device)    # count x W
    index = torch.arange(count, device=images.device)[:, None, None]
    windows = padded.permute(0, 2, 3, 1)[index, rows[:, :, None], cols[:, None, :]]
    return windows.permute(0, 3, 1, 2)


def random_flip(images: Tensor, generator: torch.Generator) -> Tensor:
    """Mirror each image left to right with probability one half."""
    flip = torch.rand(images.shape[0], device=images.device, generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], images.flip(3), images)
