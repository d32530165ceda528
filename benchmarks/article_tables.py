"""Markdown tables of an article suite's run, for docs/articles.md: per case, each metric's
mean ± sd over seeds (with the seed count), and the suite's claims with their verdicts.

    pytest --optbench suites/articles/a_fashion_mnist_keras.yaml --optbench-json a.json
    python benchmarks/article_tables.py a.json [--suite suites/articles/a_fashion_mnist_keras.yaml]
        [--metrics test_accuracy test_loss epochs_to_target]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from statistics import fmean, stdev


def spread(values: list) -> str:
    present = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not present:
        return f"never ({len(values)} seeds)" if values else "-"
    sd = f" ± {stdev(present):.3g}" if len(present) > 1 else ""
    missing = len(values) - len(present)
    return f"{fmean(present):.4g}{sd} (n={len(present)}{f', {missing} never' if missing else ''})"


def case_table(cases: list[dict], metrics: list[str]) -> str:
    lines = ["| case | " + " | ".join(metrics) + " | wall s |",
             "|---" * (len(metrics) + 2) + "|"]
    for case in sorted(cases, key=lambda c: (c["problem"], c["order"])):
        values = [spread(case["metrics"].get(m, [])) for m in metrics]
        lines.append(f"| `{case['case']}` | " + " | ".join(values) +
                     f" | {case.get('wall_time_s') or 0:.1f} |")
    return "\n".join(lines)


def claims_table(claims: list[dict]) -> str:
    lines = ["| claim | the article says | verdict | our numbers |", "|---|---|---|---|"]
    for entry in claims:
        claim = entry["claim"]
        numbers = "; ".join(entry.get("comparisons") or []) or entry.get("reason") or ""
        status = entry["status"]
        lines.append(f"| `{claim['name']}` | {claim['says']} | {entry['verdict']} ({status}) | "
                     f"{numbers} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--suite", type=Path, help="judge this suite's claims again, against the "
                        "results file (for results written before a claim was added or changed)")
    parser.add_argument("--metrics", nargs="+",
                        default=["test_accuracy", "test_loss", "epochs_to_target", "effort"])
    args = parser.parse_args()
    document = json.loads(args.results.read_text())
    print(case_table(document["cases"], args.metrics))
    if args.suite:
        from pytest_optbench.api import load_suite
        from pytest_optbench.gate.claims import judge
        from pytest_optbench.gate.record import CaseResult
        from pytest_optbench.suite.build import BuildContext

        suite = load_suite(args.suite, display=document["cases"][0]["suite_file"],
                           context=BuildContext(tier="none"))
        results = [CaseResult.from_json(case) for case in document["cases"]]
        document["claims"] = [verdict.to_json() for verdict in judge(suite.claims, results)]
    if document.get("claims"):
        print()
        print(claims_table(document["claims"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
