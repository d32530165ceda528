"""Where the running case is: each runner's loop says which step it reached, so that a timeout
can say where it struck and a long case can show its progress (live_progress.py draws it).

Setting a step is cheap: an attribute and, where something draws the progress, one clock read.
The drawing runs in the case's own thread, between steps, so it never races the case's output.
"""

from __future__ import annotations

import math
import time
from typing import Callable


def _span(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 60 else \
        f"{minutes // 60} h {minutes % 60:02d} min"


class Progress:
    step: int | None = None       # the step the running loop reached
    total: int | None = None      # the loop's length, where known
    per_epoch: int | None = None  # steps per epoch (real data), to say epochs
    seed: int | None = None
    seed_index = 0                # of `seeds`, the seeds one run of the case trains in turn
    seeds = 1
    run_started = 0.0             # when the first seed's loop of this run began
    case_started = 0.0            # when the case began
    sink: Callable[[], None] | None = None   # draws the progress when it is due
    due = math.inf                # when the sink is next called

    def begin_seed(self, index: int, count: int, seed: int) -> None:
        self.seed_index, self.seeds, self.seed = index, count, seed
        if index == 0:
            self.run_started = time.perf_counter()

    def begin(self, total: int, per_epoch: int | None = None) -> None:
        """A loop of `total` steps starts (an analytic batch, one seed's training)."""
        self.step, self.total, self.per_epoch = 0, total, per_epoch
        if self.seed_index == 0 and self.seeds == 1:
            self.run_started = time.perf_counter()

    def at(self, step: int) -> None:
        self.step = step
        if self.sink is not None and time.perf_counter() >= self.due:
            self.sink()

    def reset(self) -> None:
        self.step = self.total = self.per_epoch = self.seed = None
        self.seed_index, self.seeds = 0, 1
        self.run_started = self.case_started = time.perf_counter()

    def fraction(self) -> float | None:
        """The share of this run of the case done, from the seeds and the loop's steps."""
        if self.step is None or not self.total:
            return None
        return (self.seed_index + min(self.step, self.total) / self.total) / max(self.seeds, 1)

    def describe(self, now: float | None = None) -> str:
        """'seed 1 (2 of 3), epoch 1.4 of 2, 45 s, about 1 min 10 s left': the time since the
        case began, and what this run of it (recording runs a case several times) has left."""
        parts = []
        if self.seed is not None and self.seeds > 1:
            parts.append(f"seed {self.seed} ({self.seed_index + 1} of {self.seeds})")
        if self.step is not None and self.per_epoch:
            parts.append(f"epoch {self.step / self.per_epoch:.1f} of "
                         f"{(self.total or 0) / self.per_epoch:g}")
        elif self.step is not None:
            parts.append(f"step {self.step}" + (f" of {self.total}" if self.total else ""))
        now = time.perf_counter() if now is None else now
        parts.append(_span(now - self.case_started))
        done, running = self.fraction(), now - self.run_started
        if done and done > 0.02:
            parts.append(f"about {_span(running * (1 - done) / done)} left")
        return ", ".join(parts)


PROGRESS = Progress()
