"""A real-data run -> per-seed metrics, divergence, and per-evaluation curves."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pytest_optbench.kinds.data.runner import DataRun

CURVE_FIELDS = ("epoch", "step", "train_time_s", "train_loss", "test_loss", "test_accuracy")


@dataclass
class DataOutcome:
    metrics: dict[str, list]        # metric -> one value per seed
    divergence: dict | None         # the first seed that diverged: seed, epoch, step
    curves: dict                    # per seed, per evaluation; and their mean over seeds
    wall_time_s: float
    steps_run: int
    parameters: int


def _finite(value) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def summarize(run: DataRun) -> DataOutcome:
    metrics: dict[str, list] = {name: [] for name in
                                ("test_accuracy", "test_loss", "train_loss", "epochs_to_target",
                                 "time_to_target", "effort")}
    for seed in run.seeds:
        last = seed.curve[-1] if seed.curve and not seed.divergence else {}
        metrics["test_accuracy"].append(_finite(last.get("test_accuracy")))
        metrics["test_loss"].append(_finite(last.get("test_loss")))
        metrics["train_loss"].append(_finite(last.get("train_loss")))
        metrics["epochs_to_target"].append(seed.epochs_to_target)
        metrics["time_to_target"].append(
            round(seed.time_to_target, 4) if seed.time_to_target is not None else None)
        metrics["effort"].append(effort(seed.time_to_target, seed.accuracy_at_target))
    divergence = next((s.divergence for s in run.seeds if s.divergence), None)
    if divergence:
        divergence = {**divergence, "seeds": sum(1 for s in run.seeds if s.divergence),
                      "of": len(run.seeds)}
    per_seed = {str(s.seed): {name: [row.get(name) for row in s.curve] for name in CURVE_FIELDS}
                for s in run.seeds}
    return DataOutcome(metrics, divergence, {"seeds": per_seed, "mean": mean_curve(run)},
                       run.wall_time_s, max((s.steps for s in run.seeds), default=0),
                       run.parameters)


def effort(time_to_target: float | None, accuracy: float | None) -> float | None:
    """Training seconds to reach the target accuracy, per percentage point of the accuracy
    reached there: the effort of a configuration, comparable across targets and machines'
    runs of one suite."""
    if time_to_target is None or not accuracy:
        return None
    return round(time_to_target / (100 * accuracy), 6)


def mean_curve(run: DataRun) -> dict:
    """The curve averaged over seeds, at the evaluations every seed reached."""
    curves = [s.curve for s in run.seeds if s.curve]
    if not curves:
        return {}
    length = min(len(c) for c in curves)
    mean = {}
    for name in CURVE_FIELDS:
        columns = [[c[i].get(name) for c in curves] for i in range(length)]
        mean[name] = [_mean(values) for values in columns]
    return mean


def _mean(values) -> float | None:
    present = [v for v in values if v is not None and math.isfinite(v)]
    return round(sum(present) / len(present), 6) if present else None
