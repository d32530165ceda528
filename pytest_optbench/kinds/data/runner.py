"""Trains one real-data case, seed by seed, with the dataset already on the device.

Batches are index slices of the device tensors; normalisation and augmentation happen on the
device, for the whole batch at once. There is no DataLoader and no per-sample Python. Knows
nothing of pytest.
"""

from __future__ import annotations

import contextlib
import gc
import re
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
import torch.nn.functional as F

from pytest_optbench.kinds.data.config import DataConfig

from pytest_optbench.suite.cases import OptimizerConfig
from pytest_optbench.kinds.data.augment import random_crop, random_flip
from pytest_optbench.kinds.data.evaluation import evaluate
from pytest_optbench.kinds.data.datasets import ImageData
from pytest_optbench.kinds.base import CaseTrouble
from pytest_optbench.kinds.progress import PROGRESS
from pytest_optbench.suite.resolve import construct_optimizer, construct_scheduler

Tensor = torch.Tensor
FULL_BATCH_CHUNK = 4096      # full-batch descent accumulates gradients over chunks this big
DIVERGENCE_CHECK_EVERY = 100  # steps between checks for a non-finite loss (each one syncs)
SUBSET_SEED = 1234           # subsets are the same for every seed and every case


class OutOfMemory(CaseTrouble):
    """The case did not fit on the device; its memory has been released."""


@dataclass
class DeviceData:
    """A dataset's tensors on one device, shared by every case of a session."""

    data: ImageData
    device: torch.device
    train_x: Tensor
    train_y: Tensor
    test_x: Tensor
    test_y: Tensor
    mean: Tensor
    std: Tensor

    @classmethod
    def put(cls, data: ImageData, device: torch.device) -> "DeviceData":
        shape = (1, -1, 1, 1)
        return cls(data, device, data.train_x.to(device), data.train_y.to(device),
                   data.test_x.to(device), data.test_y.to(device),
                   torch.tensor(data.mean, device=device).view(shape),
                   torch.tensor(data.std, device=device).view(shape))

    def subset(self, train: int | None, test: int | None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Fixed subsets: the first examples of one permutation, the same for every case."""
        def pick(x: Tensor, y: Tensor, count: int | None):
            if count is None or count >= len(y):
                return x, y
            order = torch.randperm(len(y), generator=torch.Generator().manual_seed(SUBSET_SEED))
            index = order[:count].to(y.device)
            return x[index], y[index]

        return (*pick(self.train_x, self.train_y, train), *pick(self.test_x, self.test_y, test))


@dataclass
class SeedRun:
    seed: int
    curve: list[dict] = field(default_factory=list)   # one row per evaluation
    steps: int = 0
    train_time_s: float = 0.0
    epochs_to_target: float | None = None
    time_to_target: float | None = None
    accuracy_at_target: float | None = None   # the test accuracy of that evaluation
    divergence: dict | None = None


@dataclass
class DataRun:
    seeds: list[SeedRun]
    wall_time_s: float
    parameters: int
    closure_ignored: bool = False  # `step` ignored its closure: gradients were computed first


def run_data(config: DataConfig, optimizer: OptimizerConfig, seeds: tuple[int, ...],
             device: torch.device, data: DeviceData) -> DataRun:
    began = time.perf_counter()
    split = prepared_split(config, data, Split(*data.subset(config.train_subset, config.test_subset)))
    runs, parameters, ignored = [], 0, False
    for index, seed in enumerate(seeds):
        PROGRESS.begin_seed(index, len(seeds), seed)
        try:
            training = SeedTraining(config, optimizer, seed, device, data, split)
            runs.append(training.run())
            parameters = training.parameters
            ignored |= training.closure_ignored
        except torch.OutOfMemoryError as exc:
            _release(device)
            batch = config.batch_size or "full"
            raise OutOfMemory(f"out of memory on {device} training seed {seed} (batch size "
                              f"{batch}, precision {config.precision}): {str(exc).splitlines()[0]}; "
                              f"its memory was released for the next case") from None
    return DataRun(runs, time.perf_counter() - began, parameters, ignored)


@dataclass(frozen=True)
class Split:
    """The examples a case trains and evaluates on, already on the device."""

    train_x: Tensor
    train_y: Tensor
    test_x: Tensor
    test_y: Tensor
    # The training images as model inputs (normalised, in the model's memory format), made
    # once for every seed where no augmentation draws them afresh and they fit PREPARED_LIMIT:
    # a batch is then one index, not five operations.
    train_inputs: Tensor | None = None


PREPARED_LIMIT = 1 << 30   # bytes of float32 inputs kept prepared for a case


def prepared_split(config: DataConfig, data: DeviceData, split: Split) -> Split:
    if config.crop or config.flip or split.train_x.numel() * 4 > PREPARED_LIMIT:
        return split
    memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
    inputs = split.train_x.float().div_(255).sub_(data.mean).div_(data.std)
    return Split(split.train_x, split.train_y, split.test_x, split.test_y,
                 inputs.contiguous(memory_format=memory_format))


def _release(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def _param_groups(model: torch.nn.Module, optimizer: OptimizerConfig) -> list[dict]:
    """Groups select parameters by name (`match`, first match wins); the rest form the last."""
    if not optimizer.param_groups:
        return [{"params": list(model.parameters())}]
    groups = [{"params": [], **{k: v for k, v in g.items() if k != "match"}}
              for g in optimizer.param_groups]
    rest = []
    for name, parameter in model.named_parameters():
        for spec, group in zip(optimizer.param_groups, groups):
            if re.search(spec["match"], name):
                group["params"].append(parameter)
                break
        else:
            rest.append(parameter)
    return [g for g in groups if g["params"]] + ([{"params": rest}] if rest else [])


class SeedTraining:
    """One seed of a case: the model, its optimizer and schedule, and the training loop."""

    def __init__(self, config: DataConfig, optimizer: OptimizerConfig, seed: int,
                 device: torch.device, data: DeviceData, split: Split):
        from pytest_optbench.kinds.models import build_model

        self.config, self.seed, self.device, self.data, self.split = \
            config, seed, device, data, split
        torch.manual_seed(seed)  # the model's initial weights, drawn on the CPU: the same anywhere
        model = build_model(config.model, dict(config.model_options), data.data.shape,
                            data.data.classes).to(device)
        self.memory_format = torch.channels_last if config.channels_last \
            else torch.contiguous_format
        self.model = model.to(memory_format=self.memory_format)
        self.optimizer_config = optimizer
        self.protocol = optimizer.protocol
        self.closure_ignored = False  # True once `step` is seen to ignore its closure
        self.steps_taken = 0
        self.optimizer, self.schedule, interval = self.build_optimizer()
        self.per_epoch_schedule = interval == "epoch"
        self.generator = torch.Generator(device=device).manual_seed(seed)
        self.count = len(split.train_y)
        self.batch = config.batch_size or self.count
        self.steps_per_epoch = max(1, self.count // self.batch)
        self.total = config.steps or (config.epochs or 0) * self.steps_per_epoch
        self.interval = config.eval_every or self.steps_per_epoch
        self.autocast: Any = torch.autocast(device.type, dtype=torch.bfloat16) \
            if config.precision == "bf16" else contextlib.nullcontext()

    def build_optimizer(self) -> tuple[Any, Any, str]:
        config = self.optimizer_config
        optimizer = construct_optimizer(config.class_name, _param_groups(self.model, config),
                                        config.hyperparameters, config.wraps)
        schedule, interval = construct_scheduler(config.schedule, optimizer)
        return optimizer, schedule, interval

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def inputs(self, images: Tensor, augment: bool) -> Tensor:
        """uint8 images -> normalised float inputs, augmented for training."""
        x = images.float().div_(255).sub_(self.data.mean).div_(self.data.std)
        if augment and self.config.crop:
            x = random_crop(x, self.config.crop, self.generator)
        if augment and self.config.flip:
            x = random_flip(x, self.generator)
        return x.contiguous(memory_format=self.memory_format)

    def batch_loss(self, index: Tensor) -> Callable[[], Tensor]:
        """The batch's mean loss as a function that accumulates its gradient; a full batch
        chunk by chunk. Inputs are drawn (augmented) once, so that an optimizer that evaluates
        again (SAM, LBFGS) sees the same batch."""
        train_x, train_y = self.split.train_x, self.split.train_y
        create_graph = self.protocol.create_graph
        if len(index) <= FULL_BATCH_CHUNK or self.config.batch_size:
            # index_select: half the time of indexing with a tensor, at the small batches
            # where a step's fixed costs matter.
            prepared = self.split.train_inputs
            inputs = prepared.index_select(0, index) if prepared is not None \
                else self.inputs(train_x.index_select(0, index), True)
            labels = train_y.index_select(0, index)

            def whole() -> Tensor:
                with self.autocast:
                    loss = F.cross_entropy(self.model(inputs), labels)
                loss.backward(create_graph=create_graph)
                return loss.detach()
            return whole

        def chunked() -> Tensor:
            total_loss = torch.zeros((), device=self.device)
            prepared = self.split.train_inputs
            for chunk in index.split(FULL_BATCH_CHUNK):
                inputs = prepared[chunk] if prepared is not None else self.inputs(train_x[chunk], True)
                with self.autocast:
                    part = F.cross_entropy(self.model(inputs), train_y[chunk],
                                           reduction="sum") / len(index)
                part.backward(create_graph=create_graph)
                total_loss += part.detach()
            return total_loss
        return chunked

    def run(self) -> SeedRun:
        run = SeedRun(self.seed)
        device = self.device
        # Each step's loss goes into a window on the device, read at most every
        # DIVERGENCE_CHECK_EVERY steps: one copy a step, where a running sum and the divergence
        # test on every loss would cost a dozen small operations a step.
        window = torch.empty(DIVERGENCE_CHECK_EVERY, device=device)
        filled = 0
        running, running_steps = torch.zeros((), device=device), 0
        order = torch.arange(self.count, device=device)
        limit: Tensor | None = None
        clock = time.perf_counter()
        self.model.train()
        self.train_mode()
        PROGRESS.begin(self.total, self.steps_per_epoch)
        for step in range(self.total):
            PROGRESS.at(step)
            position = step % self.steps_per_epoch
            if position == 0 and self.config.batch_size:
                order = torch.randperm(self.count, device=device, generator=self.generator)
            loss = self.step(order[position * self.batch:(position + 1) * self.batch])
            if limit is None:  # the scale a loss that grows without overflowing is judged by
                limit = self.config.divergence_factor * loss.detach().abs().clamp_min(1.0)
            window[filled] = loss
            filled += 1
            done = step + 1
            if self.schedule is not None and self.per_epoch_schedule \
                    and done % self.steps_per_epoch == 0:
                self.schedule.step()
            evaluate = done % self.interval == 0 or done == self.total
            if not evaluate and done % DIVERGENCE_CHECK_EVERY:
                continue
            losses = window[:filled]
            bad = ~torch.isfinite(losses) | (losses > limit)
            first_bad = int(torch.where(bad.any(), bad.int().argmax(), -1))  # synchronises
            if first_bad >= 0:
                at = done - filled + first_bad
                run.divergence = {"seed": self.seed, "step": at + 1,
                                  "epoch": round((at + 1) / self.steps_per_epoch, 3),
                                  "non_finite": not bool(torch.isfinite(losses[first_bad]))}
                run.steps = done
                break
            running += losses.sum()
            running_steps += filled
            filled = 0
            if not evaluate:
                continue
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            run.train_time_s += time.perf_counter() - clock
            self.record(run, done, float(running) / running_steps)
            running, running_steps = torch.zeros((), device=device), 0
            clock = time.perf_counter()
        return run

    def train_mode(self) -> None:
        if self.protocol.train_eval:
            self.optimizer.train()

    def eval_mode(self) -> None:
        """Schedule-free optimizers hold the training point; measure at the evaluation point."""
        if self.protocol.train_eval:
            self.optimizer.eval()

    def step(self, index: Tensor) -> Tensor:
        """One optimizer step on the batch `index`; its loss, still on the device."""
        loss_of = self.batch_loss(index)
        if not self.protocol.create_graph:
            loss = self._step(loss_of)
        else:
            with warnings.catch_warnings():
                # create_graph's gradient holds its parameter; clearing gradients after each
                # step breaks the cycle torch warns of.
                warnings.filterwarnings("ignore", message="Using backward\\(\\) with create_graph")
                loss = self._step(loss_of)
            self.optimizer.zero_grad(set_to_none=True)  # a gradient's graph holds the model
        if self.schedule is not None and not self.per_epoch_schedule:
            self.schedule.step()
        return loss

    def _step(self, loss_of: Callable[[], Tensor]) -> Tensor:
        first = self.steps_taken == 0
        self.steps_taken += 1
        if self.protocol.closure and not self.closure_ignored:
            loss = self._step_with_closure(loss_of, first)
            if loss is not None:
                return loss
            # `step` ignored its closure and moved nothing: a fresh optimizer on gradients
            # computed beforehand is then exact.
            self.closure_ignored = True
            self.optimizer, self.schedule, _ = self.build_optimizer()
            self.train_mode()
        self.optimizer.zero_grad(set_to_none=True)
        loss = loss_of()
        self.optimizer.step()
        return loss

    def _step_with_closure(self, loss_of: Callable[[], Tensor], first: bool) -> Tensor | None:
        """`step(closure)`: the loss of the closure's first evaluation; None where the first
        step never called it and left every parameter as it was."""
        evaluations: list[Tensor] = []

        def closure() -> Tensor:
            self.optimizer.zero_grad(set_to_none=True)
            evaluations.append(loss_of())
            return evaluations[-1]

        before = [p.detach().clone() for p in self.model.parameters()] if first else None

        def unmoved() -> bool:
            return before is not None and not evaluations and all(
                torch.equal(p, q) for p, q in zip(self.model.parameters(), before))

        try:
            self.optimizer.step(closure)
        except Exception:
            if unmoved():  # likely a step on missing gradients: retried with them ready
                return None
            raise
        if evaluations:
            return evaluations[0]
        if unmoved():
            return None
        raise CaseTrouble(f"{type(self.optimizer).__name__}.step(closure) never called the "
                          f"closure (step {self.steps_taken - 1}), so it stepped without "
                          f"gradients; give the optimizer `protocol: {{closure: false}}` in the "
                          f"suite")

    def record(self, run: SeedRun, done: int, train_loss: float) -> None:
        """An evaluation after `done` steps, added to the seed's curve."""
        self.eval_mode()
        row = evaluate(self.model, self.inputs, self.split.test_x, self.split.test_y,
                        self.autocast)
        self.train_mode()
        epoch = done / self.steps_per_epoch
        row.update(epoch=round(epoch, 4), step=done, train_time_s=round(run.train_time_s, 4),
                   train_loss=train_loss)
        run.curve.append(row)
        target = self.config.target_accuracy
        if target is not None and run.epochs_to_target is None \
                and row["test_accuracy"] >= target:
            run.epochs_to_target, run.time_to_target = epoch, run.train_time_s
            run.accuracy_at_target = row["test_accuracy"]
        run.steps = done
