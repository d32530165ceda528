"""An analytic run's histories -> per-seed metrics, divergence, and loss curves."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import torch

from pytest_optbench.kinds.analytic.runner import AnalyticRun

CURVE_POINTS = 80
# Plots need no more: a report of the whole shipped suite stays small enough to open quickly.
PLOT_DIGITS = 4
TRAJECTORY_POINTS = 16
# Loss gaps below this are rounding noise: a change down there is no change of behaviour.
TRAJECTORY_FLOOR = 1e-12


def checkpoints(steps: int, count: int = TRAJECTORY_POINTS) -> list[int]:
    """Log-spaced steps 1..steps: early steps, where optimizers differ most, are dense."""
    if steps < 1:
        return [0]
    points = {max(1, round(steps ** (i / (count - 1)))) for i in range(count)}
    return sorted(points | {steps})


@dataclass
class AnalyticOutcome:
    metrics: dict[str, list]                   # metric -> one value (or curve) per seed
    divergence: dict | None                    # where the first non-finite loss appeared
    curves: dict                               # loss quantiles over starts against step
    converged: list[bool]                      # per start, in seed order
    wall_time_s: float
    steps_run: int
    isolation: str
    starts: int
    per_start: PerStart | None = None


def finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class PerStart:
    """What each start ended with (every tensor's last axis is the start): the per-seed
    metrics are statistics of these."""

    converged: torch.Tensor      # (N,) bool
    settle_step: torch.Tensor    # (N,) the step from which the criterion held
    final_loss: torch.Tensor     # (N,)
    distance: torch.Tensor       # (N,) to the nearest global minimum
    log_gap: torch.Tensor        # (points, N) log10 of the loss gap at the checkpoints
    final_point: torch.Tensor    # (N, d)
    # (N,) log10 of the convergence criterion at the last step over the tolerance: how far,
    # in decades, a start ended from changing its convergence (negative: converged)
    criterion_margin: torch.Tensor | None = None

    FIELDS = ("converged", "settle_step", "final_loss", "distance", "log_gap")

    def free(self, others: list[PerStart], move: float, reach: float = 0.0) -> torch.Tensor:
        """(N,) bool: the starts that end elsewhere under rounding, in some replica: their
        convergence flips, or their final point moves by more than `move` (a visible share of
        the domain: another basin, or a start still wandering). No statistic of where they end
        is predictable from one run. A start that only jitters about its minimum is not free:
        its values stay close, and the replicas' spread covers it.

        `reach` > 0: also free is a start whose final criterion moves, in decades (rms over
        the replicas) times `reach`, as far as the tolerance. A start that ends bouncing near
        the tolerance (a trust-ratio step near a minimum moves its final loss by a factor of
        10 under rounding) flips on another machine though no replica flipped it."""
        free = torch.zeros_like(self.converged)
        for other in others:
            free |= other.converged != self.converged
            moved = (other.final_point - self.final_point).abs().amax(-1)
            free |= moved.nan_to_num(nan=float("inf")) > move
        margins = [o.criterion_margin for o in others if o.criterion_margin is not None]
        if reach > 0 and self.criterion_margin is not None and margins:
            deviation = torch.stack([m - self.criterion_margin for m in margins])
            spread = deviation.nan_to_num(nan=0.0, posinf=0.0, neginf=0.0).square() \
                .mean(0).sqrt()
            free |= self.criterion_margin.abs() <= reach * spread
        return free

    def extreme(self, free: torch.Tensor, others: list[PerStart], converged: bool,
                high: bool, last_step: int) -> PerStart:
        """The free starts at one corner of what the runs saw them do: converged or not, and
        every value at the highest (`high`) or the lowest any run reached. A median of starts
        moves with the ranks of its starts, not with how far they go, so the corners bound
        the jumps a median makes when free starts change side; the other starts keep their
        own values."""
        runs = [self, *others]

        def edge(name: str) -> torch.Tensor:
            stacked = torch.stack([getattr(r, name) for r in runs]).double()
            stacked = stacked.nan_to_num(nan=float("inf") if high else float("-inf"))
            return (stacked.amax(0) if high else stacked.amin(0)).to(getattr(self, name).dtype)

        settled = torch.stack([r.converged for r in runs])
        settles = torch.stack([r.settle_step for r in runs])
        latest = torch.where(settled, settles, -1).amax(0)
        earliest = torch.where(settled, settles, last_step + 1).amin(0)
        # A free start that no run saw converge would converge at the end, if it did at all.
        settle = torch.where(latest < 0, last_step, latest if high else earliest)
        return PerStart(
            torch.where(free, converged, self.converged),
            torch.where(free, settle, self.settle_step),
            torch.where(free, edge("final_loss"), self.final_loss),
            torch.where(free, edge("distance"), self.distance),
            torch.where(free, edge("log_gap"), self.log_gap),
            self.final_point, self.criterion_margin)

    def mixed(self, others: list[PerStart], source: torch.Tensor) -> PerStart:
        """Start j taken from run source[j] (0: this one, k: others[k - 1])."""
        runs = [self, *others]
        picked = []
        for name in self.FIELDS:
            stacked = torch.stack([getattr(r, name) for r in runs])   # (runs, ..., N)
            index = source.expand(stacked.shape[1:]).unsqueeze(0)
            picked.append(stacked.gather(0, index).squeeze(0))
        return PerStart(**dict(zip(self.FIELDS, picked)), final_point=self.final_point,
                        criterion_margin=self.criterion_margin)


def distance_to_minima(final: torch.Tensor, minima: list) -> torch.Tensor:
    points = torch.tensor(minima, dtype=final.dtype)
    return ((final.unsqueeze(1) - points) ** 2).sum(-1).min(-1).values.sqrt()


def seed_metrics(starts: PerStart, seeds: int, per_seed: int) -> dict[str, list]:
    """Each metric, one value (or curve) per seed, from what each start ended with."""
    metrics: dict[str, list] = {name: [] for name in
                                ("converged_fraction", "final_loss", "distance",
                                 "steps_to_converge", "trajectory")}
    for index in range(seeds):
        part = slice(index * per_seed, (index + 1) * per_seed)
        done = starts.converged[part]
        metrics["converged_fraction"].append(float(done.double().mean()))
        # nanmedian: a diverged start fails the case on its own; the others still tell something.
        metrics["final_loss"].append(finite_or_none(float(starts.final_loss[part].nanmedian())))
        metrics["distance"].append(finite_or_none(float(starts.distance[part].nanmedian())))
        steps = starts.settle_step[part][done]
        metrics["steps_to_converge"].append(float(steps.double().median()) if len(steps) else None)
        metrics["trajectory"].append(
            [finite_or_none(float(v)) for v in starts.log_gap[:, part].nanmedian(1).values])
    return metrics


def summarize(run: AnalyticRun, tol: float, divergence_factor: float = 1e6) -> AnalyticOutcome:
    end = run.steps_run
    loss = run.loss[:end + 1].cpu()
    crit = run.criterion[:end + 1].cpu()
    rows = torch.arange(end + 1).unsqueeze(1).expand_as(loss)

    # A start has converged when the criterion holds at the end; it converged at the step from
    # which the criterion held without a break until the end.
    holds = crit <= tol
    last_break = torch.where(~holds, rows, -1).max(0).values
    converged = last_break < end
    settle_step = last_break + 1

    # Diverged: a non-finite loss, or a gap to the minimum that grew beyond `divergence_factor`
    # times the start's own (at least 1, so that a start on the minimum may still wobble) and
    # stayed there to the end. A spike that comes back (RAdam's first steps on Rosenbrock) is
    # the optimizer's behaviour, gated by the baseline; one that never comes back is not.
    non_finite = ~torch.isfinite(loss)
    gap0 = (loss[0] - run.function.f_min).abs().clamp_min(1.0)
    above = (loss - run.function.f_min) > divergence_factor * gap0
    last_below = torch.where(~above, rows, -1).max(0).values
    grew_from = torch.where(last_below < end, last_below + 1, end + 1)
    first_bad = torch.minimum(torch.where(non_finite, rows, end + 1).min(0).values, grew_from)
    diverged = first_bad <= end

    final = run.final_points.cpu()
    starts = PerStart(converged, settle_step, loss[end],
                      distance_to_minima(final, run.function.minima),
                      (loss[checkpoints(end)] - run.function.f_min)
                      .clamp_min(TRAJECTORY_FLOOR).log10(), final,
                      (crit[end].double().clamp_min(1e-300) / tol).log10())
    metrics = seed_metrics(starts, len(run.seeds), run.starts_per_seed)

    return AnalyticOutcome(metrics, _divergence(first_bad, diverged, non_finite, run),
                           _curves(loss - run.function.f_min),
                           converged.tolist(), run.wall_time_s, end, run.isolation,
                           loss.shape[1], starts)


def fingerprint(run: AnalyticRun) -> str:
    """A hash of every start's loss at every step and its final point, bit for bit."""
    digest = hashlib.sha256()
    for tensor in (run.loss[:run.steps_run + 1], run.final_points):
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def for_plots(value: float) -> float | None:
    """`value` to PLOT_DIGITS significant digits (None where it is not finite)."""
    finite = finite_or_none(value)
    return None if finite is None else float(f"{finite:.{PLOT_DIGITS}g}")


def trajectory_sample(run: AnalyticRun, starts: int = 4, points: int = 40) -> dict | None:
    """A few start points' paths (of the first seed), for plots over the function's contours.

    Steps are taken log-spaced: optimizers move most in their first steps.
    """
    if run.points is None or run.function.dim != 2:
        return None
    end = run.steps_run
    chosen = min(starts, run.starts_per_seed)
    marks = sorted({0, end} | {min(end, round(end ** (i / (points - 1)))) for i in range(points)})
    paths = run.points[marks, :chosen].cpu()
    as_lists = lambda t: [[for_plots(float(v)) for v in row] for row in t]  # noqa: E731
    return {"steps": marks, "paths": [as_lists(paths[:, i]) for i in range(chosen)],
            "starts": as_lists(run.start_points[:chosen].cpu()),
            "minima": [list(m) for m in run.function.minima],
            "domain": [list(box) for box in run.function.domain]}


def _divergence(first_bad: torch.Tensor, diverged: torch.Tensor, non_finite: torch.Tensor,
                run: AnalyticRun) -> dict | None:
    if not bool(diverged.any()):
        return None
    first = int(torch.argmin(torch.where(diverged, first_bad, first_bad.max() + 1)))
    step = int(first_bad[first])
    return {"starts": int(diverged.sum()), "of": int(diverged.numel()),
            "step": step, "seed": run.seeds[first // run.starts_per_seed],
            "start": first % run.starts_per_seed, "non_finite": bool(non_finite[step, first])}


def _curves(gap: torch.Tensor) -> dict:
    """Median and quartiles over starts of the loss gap to the minimum (`of: gap`; a gap, not
    the loss, so that rounding for plots keeps it), at up to CURVE_POINTS steps."""
    loss = gap
    steps = loss.shape[0]
    stride = max(1, math.ceil(steps / CURVE_POINTS))
    index = list(range(0, steps, stride))
    if index[-1] != steps - 1:
        index.append(steps - 1)
    picked = loss[index]
    q = torch.nanquantile(picked, torch.tensor([0.25, 0.5, 0.75], dtype=picked.dtype), dim=1)
    as_list = lambda row: [for_plots(float(v)) for v in row]  # noqa: E731
    return {"of": "gap", "step": index, "q25": as_list(q[0]), "median": as_list(q[1]),
            "q75": as_list(q[2])}
