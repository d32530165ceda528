"""Which statistic of the starts to gate, and how often the envelope gate raises a false alarm.

Part 1, statistics side by side. For each chosen analytic case it runs the recorded
configuration, `--replicas` perturbed replicas (the envelope, as recording measures it),
`--held-out` further replicas drawn with other seeds (stand-ins for other machines), and the
update scaled by 1 ± `--change`. For every candidate statistic of the starts' log10 loss gap
at the trajectory's checkpoints (each point compared, as the gate compares a trajectory) it
prints:

- noise: the RMS deviation of the held-out replicas from the recorded run, at the worst point;
- margin: t(0.9995, replicas) × the envelope replicas' RMS deviation (the gate's rule), per
  point (the range is shown); replicas and held-out replicas are whole runs, not mixes;
- false: how many held-out replicas fall outside that margin (false alarms);
- signal: the larger deviation under the scaled update, and whether it exceeds the margin.

Candidates: the median of the starts (what the gate compares), their mean, a 25% trimmed mean,
the 25% and 75% quantiles (a band: the larger deviation of the two), the share of starts that
converge (the basin share), and matched starts: how many starts end converged where the
recorded run's did not, or the reverse (its margin is the largest count a replica showed).

Part 2, the whole gate on held-out replicas. Every case of the suite is run again under
`--gate-held-out` perturbations that recording never saw and checked against the committed
baseline file exactly as a run is, envelopes, mixes and bands included; the false-alarm count
is printed per metric.

    python benchmarks/envelope_statistics.py [--cases a[b],c[d]] [--held-out 24] [--gate-held-out 4]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from tabulate import tabulate

from pytest_optbench.api import load_suite
from pytest_optbench.gate.baseline_view import BaselineView
from pytest_optbench.gate.baselines import read
from pytest_optbench.gate.envelope import Envelope, prediction_factor
from pytest_optbench.detect import UNSEEN
from pytest_optbench.gate.record import FAILING, BaselineState
from pytest_optbench.gate.checks import check_case
from pytest_optbench.kinds import kind
from pytest_optbench.kinds.analytic.perturbation import Perturbation
from pytest_optbench.kinds.analytic.precision import WATCHED_STEPS, coarsest_dtype
from pytest_optbench.kinds.analytic.runner import run_analytic
from pytest_optbench.kinds.analytic.summary import PerStart, summarize

# The cases that changed on a second CPU with the fixed tolerances (chaotic or non-settling
# dynamics), then smooth ones for contrast.
DEFAULT_CASES = ("styblinski-tang[nadam]", "goldstein-price[adadelta]", "quadratic[nadam]",
                 "matyas[rmsprop]", "rosenbrock[adam]", "himmelblau[momentum]",
                 "booth[adagrad]", "ackley[adam]")
HELD_OUT_SEED = 1000     # far from the envelope's replica numbers 0..replicas-1


def _trimmed(values: list[float], cut: float = 0.25) -> float:
    ordered = sorted(values)
    k = int(len(ordered) * cut)
    kept = ordered[k:len(ordered) - k] or ordered
    return sum(kept) / len(kept)


def _quantile(values: list[float], q: float) -> float:
    return float(torch.tensor(values, dtype=torch.float64).quantile(q))


def _per_seed(starts: PerStart, seeds: int, of: Callable[[list[float]], float]) -> list[float]:
    """The statistic at every trajectory checkpoint, averaged over the seeds."""
    gaps = starts.log_gap.nan_to_num(posinf=300.0)
    per = gaps.shape[1] // seeds
    return [statistics.fmean(of(point[i * per:(i + 1) * per].tolist()) for i in range(seeds))
            for point in gaps]


STATISTICS: dict[str, Callable[[PerStart, int], list[float]]] = {
    "median (gated)": lambda s, n: _per_seed(s, n, statistics.median),
    "mean": lambda s, n: _per_seed(s, n, statistics.fmean),
    "25% trimmed mean": lambda s, n: _per_seed(s, n, _trimmed),
    "quantile q25": lambda s, n: _per_seed(s, n, lambda v: _quantile(v, 0.25)),
    "quantile q75": lambda s, n: _per_seed(s, n, lambda v: _quantile(v, 0.75)),
    "basin share": lambda s, n: [float(s.converged.double().mean())],
    "matched starts": lambda s, n: [float(s.converged.double().sum())],
}


def _deviations(base: PerStart, others: Sequence[PerStart], seeds: int,
                ) -> dict[str, list[list[float]]]:
    """Per statistic, per other run, the deviation from `base` at each point."""
    found = {}
    for name, of in STATISTICS.items():
        then = of(base, seeds)
        found[name] = [[abs(a - b) for a, b in zip(of(o, seeds), then)] for o in others]
    # Matched starts: how many starts changed side, not how the count changed.
    found["matched starts"] = [[float((o.converged != base.converged).sum())] for o in others]
    return found


def _rms(values: Sequence[float]) -> float:
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0


def _margins(name: str, spread: list[list[float]], factor: float, floor: float) -> list[float]:
    points = list(zip(*spread))
    if name == "matched starts":   # a count: no more starts change side than any replica saw
        return [max(max(p), 0.5) for p in points]
    return [max(factor * _rms(p), floor) for p in points]


def _outside(deviation: list[float], margins: list[float]) -> bool:
    return any(d > m for d, m in zip(deviation, margins))


def compare_statistics(case_ids: Sequence[str], replicas: int, held_out: int,
                       change: float) -> None:
    suite = load_suite("suites/analytic.yaml")
    cases = {c.case_id: c for c in suite.cases}
    missing = [c for c in case_ids if c not in cases]
    if missing:
        raise SystemExit(f"no such case in suites/analytic.yaml: {', '.join(missing)}")
    factor = prediction_factor(replicas)
    totals: Counter[str] = Counter()
    detected: Counter[str] = Counter()
    for case_id in case_ids:
        case = cases[case_id]
        began = time.perf_counter()
        device = torch.device("cpu")
        config = case.problem

        def run(perturbation: Perturbation | None = None, scale: float = 1.0) -> PerStart:
            outcome = summarize(run_analytic(config, case.optimizer, case.seeds, device,
                                             perturbation=perturbation, update_scale=scale),
                                config.tol)
            assert outcome.per_start is not None
            return outcome.per_start


        coarsest = coarsest_dtype(lambda: run_analytic(
            dataclasses.replace(config, steps=min(config.steps, WATCHED_STEPS)), case.optimizer,
            case.seeds, device), getattr(torch, config.dtype))
        base = run()
        envelope = [run(Perturbation(r, coarsest=coarsest)) for r in range(replicas)]
        unseen = [run(Perturbation(HELD_OUT_SEED + r, coarsest=coarsest)) for r in range(held_out)]
        changed = [run(scale=1.0 + change), run(scale=1.0 - change)]
        n = len(case.seeds)
        spread, noise, signal = (_deviations(base, envelope, n), _deviations(base, unseen, n),
                                 _deviations(base, changed, n))
        rows = []
        for name in spread:
            floor = 0.5 / (config.starts * n) if name == "basin share" else 1e-3
            margins = _margins(name, spread[name], factor, floor)
            false = sum(_outside(d, margins) for d in noise[name])
            hit = any(_outside(d, margins) for d in signal[name])
            totals[name] += false
            detected[name] += hit
            worst_noise = max(_rms(p) for p in zip(*noise[name]))
            worst_signal = max(max(d) for d in signal[name])
            rows.append([name, f"{worst_noise:.3g}", f"{min(margins):.3g}-{max(margins):.3g}",
                         f"{false}/{held_out}", f"{worst_signal:.3g}", "yes" if hit else "no"])
        print(f"\n{case_id}  ({time.perf_counter() - began:.0f} s; {replicas} envelope replicas, "
              f"{held_out} held out, update × 1 ± {change:g})")
        print(tabulate(rows, headers=["statistic", "noise (RMS)", "margin", "false",
                                      f"signal ±{change:.0%}", "detected"]))
    print(f"\nover {len(case_ids)} cases: false alarms (of {len(case_ids) * held_out} held-out "
          f"replicas) and detections of a {change:.0%} change")
    print(tabulate([[name, totals[name], detected[name]] for name in totals],
                   headers=["statistic", "false alarms", "cases detecting"]))


def gate_false_alarms(suite_path: str, baseline_path: str, held_out: int) -> None:
    """Held-out perturbations against the committed baselines, judged by the real gate."""
    suite = load_suite(suite_path)
    data = read(Path(baseline_path))
    entries = data.get("entries", {}).get("cpu", {})
    of_kind = kind("analytic")
    device = torch.device("cpu")
    failing: Counter[str] = Counter()
    cases_failing: list[str] = []
    checked = 0
    began = time.perf_counter()
    verdicts: dict = {}
    for case in suite.cases:
        entry = entries.get(case.case_id)
        if case.kind != "analytic" or case.skip or entry is None or not entry.get("envelope"):
            continue
        view = BaselineView(BaselineState.OK, entry.get("metrics"), entry.get("provenance"),
                            seeds=entry.get("seeds"),
                            envelope=Envelope.from_json(entry.get("envelope")),
                            fingerprint=entry.get("fingerprint"), observed=entry.get("observed"))
        config = case.problem

        coarsest = coarsest_dtype(lambda: run_analytic(
            dataclasses.replace(config, steps=min(config.steps, WATCHED_STEPS)), case.optimizer,
            case.seeds, device, verdicts), getattr(torch, config.dtype))
        for r in range(held_out):
            outcome = summarize(run_analytic(config, case.optimizer, case.seeds, device, verdicts,
                                             perturbation=Perturbation(HELD_OUT_SEED + r,
                                                                       coarsest=coarsest)),
                                config.tol, config.divergence_factor)
            rows = check_case(case.case_id, outcome.metrics, case.expect, of_kind.metrics, view,
                              known_reason=case.does_not_converge, updating=False,
                              seeds=case.seeds)
            checked += 1
            bad = [row.metric for row in rows if row.status in FAILING - UNSEEN]
            failing.update(bad)
            if bad:
                cases_failing.append(f"{case.case_id} (replica {r}: {', '.join(bad)})")
    print(f"\nthe gate on {checked} held-out replicas of {suite_path} "
          f"({time.perf_counter() - began:.0f} s): {len(cases_failing)} failing")
    for line in cases_failing:
        print(f"  {line}")
    for metric, count in failing.items():
        print(f"  {metric}: {count}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES))
    parser.add_argument("--replicas", type=int, default=6)
    parser.add_argument("--held-out", type=int, default=24)
    parser.add_argument("--change", type=float, default=0.01)
    parser.add_argument("--gate-held-out", type=int, default=4,
                        help="held-out replicas per case for part 2 (0: skip it)")
    parser.add_argument("--suite", default="suites/analytic.yaml")
    parser.add_argument("--baselines", default="baselines/analytic.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    compare_statistics([c for c in args.cases.split(",") if c], args.replicas, args.held_out,
                       args.change)
    if args.gate_held_out:
        gate_false_alarms(args.suite, args.baselines, args.gate_held_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
