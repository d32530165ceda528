"""Claims: an article's conclusions about a suite's cases (an ordering, a comparison, a bound),
judged against a run's results: holds, within the seeds' noise, or contradicted.

Each side is the mean over seeds. The margin is the claim's own plus twice the standard error
of the difference of the means (of the mean, against a bound), so that with few or noisy seeds
a difference must be larger before it counts either way.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from statistics import fmean, stdev
from typing import Any, Sequence

from pytest_optbench.gate.record import CaseResult

HOLDS, NOISE, CONTRADICTED, UNCHECKED = "holds", "within noise", "contradicted", "not checked"
# Measures read from a case's per-seed curves, and whether more is better for each.
CURVE_MEASURES = {"best_epoch": False, "epochs_to": False, "gain_over_last": True}

@dataclass(frozen=True)
class Claim:
    name: str
    suite_file: str
    line: int
    says: str
    measure: str                  # a metric name, "best_epoch", "epochs_to" or "gain_over_last"
    argument: float | None        # the threshold of epochs_to, the count of gain_over_last
    problem: str
    better: tuple[str, ...] = ()
    than: tuple[str, ...] = ()
    of: str | None = None
    below: float | None = None
    above: float | None = None
    margin: float = 0.0
    expected: str = "holds"
    because: str | None = None
    higher_is_better: bool = True   # of a metric measure; curve measures know their own

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Claim":
        return cls(**{**data, "better": tuple(data["better"]), "than": tuple(data["than"])})

    @property
    def where(self) -> str:
        return f"{self.suite_file}:{self.line}"

    def describe_measure(self) -> str:
        if self.measure == "epochs_to":
            return f"epochs to {self.argument:g} test accuracy"
        if self.measure == "gain_over_last":
            return f"test-accuracy gain over the last {int(self.argument or 0)} epochs"
        if self.measure == "best_epoch":
            return "epoch of the lowest test loss"
        return self.measure


class Unmeasured(Exception):
    """The result holds no value of the measure; the message says why."""


def per_seed(claim: Claim, result: CaseResult) -> list[float]:
    if claim.measure in CURVE_MEASURES:
        curves = (result.curves or {}).get("seeds") or {}
        if not curves:
            raise Unmeasured(f"{result.case} has no per-seed curve")
        return [_from_curve(claim, curve, result.case) for curve in curves.values()]
    values = (result.metrics or {}).get(claim.measure)
    if values is None:
        raise Unmeasured(f"{result.case} has no metric '{claim.measure}'")
    present = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not present:
        raise Unmeasured(f"{result.case}: no seed has a value of '{claim.measure}'")
    return present


def _from_curve(claim: Claim, curve: dict[str, Any], case: str) -> float:
    epochs = [e for e in curve.get("epoch") or [] if e is not None]
    accuracy = curve.get("test_accuracy") or []
    if not epochs:
        raise Unmeasured(f"{case} has an empty curve")
    if claim.measure == "epochs_to":
        reached = [e for e, a in zip(epochs, accuracy) if a is not None and a >= (claim.argument or 0)]
        # Never reached: counted as one epoch past the end, the least it would have taken.
        return float(reached[0] if reached else epochs[-1] + 1)
    if claim.measure == "gain_over_last":
        span = int(claim.argument or 1)
        if len(accuracy) <= span:
            raise Unmeasured(f"{case} has {len(accuracy)} evaluations, too few for a gain over "
                             f"the last {span}")
        return float(accuracy[-1]) - float(accuracy[-1 - span])
    losses = [(loss, e) for e, loss in zip(epochs, curve.get("test_loss") or []) if loss is not None]
    if not losses:
        raise Unmeasured(f"{case} has no finite test loss")
    return float(min(losses)[1])


@dataclass
class Side:
    optimizer: str
    values: list[float]

    @property
    def mean(self) -> float:
        return fmean(self.values)

    @property
    def sd(self) -> float:
        return stdev(self.values) if len(self.values) > 1 else 0.0

    def describe(self) -> str:
        spread = f" ± {_fmt(self.sd)}" if len(self.values) > 1 else ""
        return f"{self.optimizer} {_fmt(self.mean)}{spread} ({len(self.values)} seed" \
               f"{'s' if len(self.values) != 1 else ''})"


@dataclass
class Comparison:
    text: str
    verdict: str


@dataclass
class ClaimVerdict:
    claim: Claim
    verdict: str
    comparisons: list[Comparison] = field(default_factory=list)
    reason: str = ""

    @property
    def failed(self) -> bool:
        if self.verdict == UNCHECKED:
            return False
        if self.claim.expected == "contradicted":
            return self.verdict != CONTRADICTED
        return self.verdict == CONTRADICTED

    def status(self) -> str:
        if self.verdict == UNCHECKED:
            return "not checked"
        if self.claim.expected == "contradicted":
            return "expected contradicted" if self.verdict == CONTRADICTED else "FAIL"
        return "FAIL" if self.failed else "pass"

    def to_json(self) -> dict[str, Any]:
        return {"claim": self.claim.to_json(), "verdict": self.verdict, "status": self.status(),
                "comparisons": [c.text for c in self.comparisons], "reason": self.reason,
                "explanation": self.explanation()}

    def explanation(self) -> str:
        shown = self.comparisons if self.verdict == HOLDS else \
            [c for c in self.comparisons if c.verdict != HOLDS]
        head = f"claim {self.claim.name} ({self.claim.where}) {self.verdict}: \"{self.claim.says}\""
        if self.verdict == UNCHECKED:
            return f"{head}: {self.reason}"
        text = f"{head}; {self.claim.describe_measure()}: " + "; ".join(c.text for c in shown[:4])
        if len(shown) > 4:
            text += f"; and {len(shown) - 4} more"
        if self.claim.expected == "contradicted":
            text += (f" (expected contradicted: {self.claim.because})" if self.verdict == CONTRADICTED
                     else f"; the suite expects it contradicted ({self.claim.because}): it no longer "
                          f"is, so remove 'expected: contradicted'")
        return text


def judge(claims: Sequence[Claim], results: Sequence[CaseResult]) -> list[ClaimVerdict]:
    by_case = {(r.suite_file, r.problem, r.optimizer): r for r in results}
    return [_judge(claim, by_case) for claim in claims]


def _judge(claim: Claim, by_case: dict[tuple[str, str, str], CaseResult]) -> ClaimVerdict:
    wanted = [*claim.better, *claim.than] + ([claim.of] if claim.of else [])
    missing = [o for o in wanted if (claim.suite_file, claim.problem, o) not in by_case]
    if missing:
        return ClaimVerdict(claim, UNCHECKED, reason=f"needs the cases of {', '.join(missing)} on "
                            f"{claim.problem} in the same run")
    try:
        sides = {o: Side(o, per_seed(claim, by_case[(claim.suite_file, claim.problem, o)]))
                 for o in wanted}
    except Unmeasured as exc:
        return ClaimVerdict(claim, UNCHECKED, reason=str(exc))
    sign = 1.0 if CURVE_MEASURES.get(claim.measure, claim.higher_is_better) else -1.0
    comparisons = []
    if claim.of is not None:
        side = sides[claim.of]
        limit = claim.below if claim.below is not None else claim.above
        assert limit is not None
        gap = (limit - side.mean) if claim.below is not None else (side.mean - limit)
        margin = claim.margin + 2 * side.sd / math.sqrt(len(side.values))
        word = "below" if claim.below is not None else "above"
        comparisons.append(_compare(f"{side.describe()} against the bound: {word} {_fmt(limit)}",
                                    gap, margin))
    else:
        for a in claim.better:
            for b in claim.than:
                x, y = sides[a], sides[b]
                gap = sign * (x.mean - y.mean)
                se = math.sqrt(x.sd ** 2 / len(x.values) + y.sd ** 2 / len(y.values))
                comparisons.append(_compare(f"{x.describe()} against {y.describe()}", gap,
                                            claim.margin + 2 * se))
    verdicts = {c.verdict for c in comparisons}
    verdict = CONTRADICTED if CONTRADICTED in verdicts else HOLDS if verdicts == {HOLDS} else NOISE
    return ClaimVerdict(claim, verdict, comparisons)


def _compare(text: str, gap: float, margin: float) -> Comparison:
    verdict = HOLDS if gap > margin else CONTRADICTED if gap < -margin else NOISE
    how = {HOLDS: "by", CONTRADICTED: "the other way by", NOISE: "within noise:"}[verdict]
    return Comparison(f"{text}: {how} {_fmt(abs(gap))} (margin {_fmt(margin)})", verdict)


def _fmt(value: float) -> str:
    return f"{value:.4g}"
