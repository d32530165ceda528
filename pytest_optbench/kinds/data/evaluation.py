"""The test-set evaluation of a real-data case: loss and accuracy, in chunks, without grad."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

EVAL_CHUNK = 2048


def evaluate(model: torch.nn.Module, inputs, test_x: torch.Tensor, test_y: torch.Tensor,
             autocast) -> dict:
    model.eval()
    loss_sum = torch.zeros((), device=test_y.device, dtype=torch.float64)
    correct = torch.zeros((), device=test_y.device, dtype=torch.int64)
    with torch.no_grad(), autocast:
        for x, y in zip(test_x.split(EVAL_CHUNK), test_y.split(EVAL_CHUNK)):
            logits = model(inputs(x, False)).float()
            loss_sum += F.cross_entropy(logits, y, reduction="sum").double()
            correct += (logits.argmax(1) == y).sum()
    model.train()
    count = len(test_y)
    loss = float(loss_sum) / count
    return {"test_loss": loss if math.isfinite(loss) else None,
            "test_accuracy": int(correct) / count}
