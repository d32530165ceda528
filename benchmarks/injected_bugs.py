"""Which realistic single bugs does a shipped suite catch, with fixed tolerances (before noise
envelopes) and with the measured envelopes (now)?

Each bug is one line of torch.optim's own implementation changed, as a mistake in a real
change would be: an off-by-one bias correction, swapped betas, weight decay not scaled by the
learning rate, a momentum buffer used before it is updated, a missing eps, a wrong root in a
preconditioner, a momentum schedule off by a step, a rectification threshold moved. The mutated
function replaces the original in its module (the class keeps its name, so the configuration
hash and the committed baseline are the ones compared). Each bug runs the cases of the classes
it touches twice: against the committed baselines as they are, and against a copy with every
noise envelope removed, which the gate judges with the fixed tolerances it used before.

    python benchmarks/injected_bugs.py [--suite suites/analytic.yaml]

A bug is caught by a suite when at least one of its cases fails. The table prints, per bug,
the failing cases of the touched classes before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]

# name -> (module, function, the line as torch has it, the line with the bug, classes, what)
BUGS: dict[str, tuple[str, str, str, str, tuple[str, ...], str]] = {
    "adam-bias-correction-off-by-one": (
        "torch.optim.adam", "_single_tensor_adam",
        "            bias_correction1 = 1 - beta1**step\n",
        "            bias_correction1 = 1 - beta1 ** (step + 1)\n",
        ("Adam", "AdamW"), "the first moment's bias correction uses the next step"),
    "adam-swapped-betas": (
        "torch.optim.adam", "_single_tensor_adam",
        "        exp_avg.lerp_(grad, 1 - device_beta1)\n",
        "        exp_avg.lerp_(grad, 1 - beta2)\n",
        ("Adam", "AdamW"), "the first moment decays with beta2"),
    "adamw-decay-not-scaled-by-lr": (
        "torch.optim.adam", "_single_tensor_adam",
        "                param.mul_(1 - lr * weight_decay)\n",
        "                param.mul_(1 - weight_decay)\n",
        ("Adam", "AdamW"), "decoupled weight decay not multiplied by the learning rate"),
    "sgd-weight-decay-sign": (
        "torch.optim.sgd", "_single_tensor_sgd",
        "                grad = grad.add(param, alpha=weight_decay)\n",
        "                grad = grad.add(param, alpha=-weight_decay)\n",
        ("SGD",), "weight decay added with its sign flipped"),
    "sgd-dampening-ignored": (
        "torch.optim.sgd", "_single_tensor_sgd",
        "                buf.mul_(momentum).add_(grad, alpha=1 - dampening)\n",
        "                buf.mul_(momentum).add_(grad)\n",
        ("SGD",), "dampening dropped from the momentum update"),
    "rmsprop-missing-eps": (
        "torch.optim.rmsprop", "_single_tensor_rmsprop",
        "            avg = avg.add_(eps)\n",
        "            avg = avg.add_(0.0)\n",
        ("RMSprop",), "eps left out of the denominator"),
    "adagrad-wrong-root": (
        "torch.optim.adagrad", "_single_tensor_adagrad",
        "                std = state_sum.sqrt().add_(eps)\n",
        "                std = state_sum.pow(0.25).add_(eps)\n",
        ("Adagrad",), "the preconditioner takes a fourth root instead of a square root"),
    "nadam-momentum-schedule-off-by-one": (
        "torch.optim.nadam", "_single_tensor_nadam",
        "        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))\n",
        "        mu = beta1 * (1.0 - 0.5 * (0.96 ** ((step - 1) * momentum_decay)))\n",
        ("NAdam",), "the momentum schedule uses the previous step"),
    "radam-rectification-threshold": (
        "torch.optim.radam", "_single_tensor_radam",
        "            if rho_t > 5.0:\n",
        "            if rho_t > 4.0:\n",
        ("RAdam",), "the variance rectification starts a step early"),
    "adadelta-eps-outside-root": (
        "torch.optim.adadelta", "_single_tensor_adadelta",
        "        std = square_avg.add(eps).sqrt_()\n",
        "        std = square_avg.sqrt().add_(eps)\n",
        ("Adadelta",), "eps added after the root instead of before"),
    # Third-party classes (suites/third_party.yaml); each changes a code path an option opens.
    "lion-momentum-before-sign": (
        "lion_pytorch.lion_pytorch", "update_fn",
        "    update = exp_avg.clone().mul_(beta1).add(grad, alpha = 1. - beta1).sgn_()\n",
        "    update = exp_avg.clone().mul_(beta2).add(grad, alpha = 1. - beta2).sgn_()\n",
        ("lion_pytorch:Lion",), "the sign is taken of the momentum as updated, not interpolated"),
    "lion-decay-not-scaled-by-lr": (
        "lion_pytorch.lion_pytorch", "update_fn",
        "    p.data.mul_(1. - lr * wd)\n",
        "    p.data.mul_(1. - wd)\n",
        ("lion_pytorch:Lion",), "weight decay not multiplied by the learning rate"),
    "lookahead-alpha-swapped": (
        "pytorch_optimizer.optimizer.lookahead", "Lookahead.update",
        "            torch._foreach_lerp_(batch['params'], batch['slow_params'], "
        "weight=1.0 - self.alpha)\n",
        "            torch._foreach_lerp_(batch['params'], batch['slow_params'], "
        "weight=self.alpha)\n",
        ("pytorch_optimizer:Lookahead",), "alpha and 1 - alpha swapped in the slow-weight pull"),
    "schedule-free-average-off-by-one": (
        "schedulefree.adamw_schedulefree", "AdamWScheduleFree.step",
        "                ckp1 = weight/weight_sum\n",
        "                ckp1 = weight/(weight_sum + weight)\n",
        ("schedulefree:AdamWScheduleFree",), "the averaging weight counts one step too many"),
    "muon-decay-not-scaled-by-lr": (
        "torch.optim._muon", "_single_tensor_muon",
        "        param.mul_(1 - lr * weight_decay)\n",
        "        param.mul_(1 - weight_decay)\n",
        ("Muon",), "weight decay not multiplied by the learning rate"),
    "prodigy-decay-not-scaled-by-lr": (
        "prodigyopt.prodigy", "Prodigy.step",
        "                    p.data.add_(p.data, alpha=-decay * dlr)\n",
        "                    p.data.add_(p.data, alpha=-decay)\n",
        ("prodigyopt:Prodigy",), "decoupled weight decay not multiplied by the adapted step"),
    "soap-decay-not-scaled-by-lr": (
        "pytorch_optimizer.optimizer.soap", "SOAP.step",
        "                    fixed_decay=False,\n",
        "                    fixed_decay=True,\n",
        ("pytorch_optimizer:SOAP",), "weight decay not multiplied by the learning rate"),
    "shampoo-decay-decoupled": (
        "pytorch_optimizer.optimizer.shampoo", "Shampoo.step",
        "                    weight_decouple=group['weight_decouple'],\n",
        "                    weight_decouple=not group['weight_decouple'],\n",
        ("pytorch_optimizer:Shampoo",), "weight decay applied decoupled where it is coupled"),
}

# Loaded in the pytest process (-p): applies the bug named in OPTBENCH_BUG before collection.
PLUGIN = r'''
import importlib, inspect, os, textwrap
import injected_bugs

name = os.environ.get("OPTBENCH_BUG")
if name:
    module_name, function, old, new, _, _ = injected_bugs.BUGS[name]
    module = importlib.import_module(module_name)
    owner_name, _, method = function.rpartition(".")
    owner = getattr(module, owner_name) if owner_name else module
    source = inspect.getsource(getattr(owner, method))
    # Whole lines only: the same statement may sit deeper in a branch the case never takes.
    if source.count("\n" + old) != 1:
        raise RuntimeError(f"{name}: the line to mutate is not once in {module_name}.{function}")
    namespace = dict(module.__dict__)
    exec(compile(textwrap.dedent(source.replace("\n" + old, "\n" + new)), module.__file__,
                 "exec"), namespace)
    setattr(owner, method, namespace[method])
'''
RUN_LIMIT_S = 1800


def without_envelopes(source: Path, target: Path) -> None:
    data = json.loads(source.read_text())
    for cases in data["entries"].values():
        for entry in cases.values():
            entry.pop("envelope", None)
    target.write_text(json.dumps(data))


def node_ids(suite: str, classes: tuple[str, ...]) -> list[str]:
    from pytest_optbench.api import load_suite

    return [f"{suite}::{case.case_id}" for case in load_suite(ROOT / suite).cases
            if case.optimizer.class_name in classes]


def failing(suite: str, baselines: Path, classes: tuple[str, ...], bug: str,
            work: Path) -> tuple[int, int]:
    """(failing cases, cases run) of the classes `classes` under `bug`."""
    out = work / "out.json"
    env = {**os.environ, "PYTHONPATH": f"{work}{os.pathsep}{ROOT / 'benchmarks'}",
           "OPTBENCH_BUG": bug}
    out.unlink(missing_ok=True)
    run = subprocess.run([sys.executable, "-m", "pytest", "--optbench",
                          *node_ids(suite, classes), "-q", "-p", "no:cacheprovider", "-p",
                          "bug_plugin", "--optbench-baseline-dir", str(baselines),
                          "--optbench-json", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=RUN_LIMIT_S, check=False)
    if not out.exists():
        raise RuntimeError(f"{bug}: pytest wrote no results:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    cases = json.loads(out.read_text())["cases"]
    return sum(1 for c in cases if c["status"] in ("failed", "error")), len(cases)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", default="suites/analytic.yaml")
    parser.add_argument("--bugs", nargs="+", default=None,
                        help="bugs to inject (default: every bug whose classes the suite runs)")
    args = parser.parse_args()
    name = Path(args.suite).stem
    committed = ROOT / "baselines" / f"{name}.json"
    with tempfile.TemporaryDirectory(prefix="optbench-bugs-") as folder:
        work = Path(folder)
        (work / "bug_plugin.py").write_text(PLUGIN)
        fixed = work / "fixed"
        fixed.mkdir()
        without_envelopes(committed, fixed / f"{name}.json")
        rows = []
        bugs = args.bugs or [bug for bug, spec in BUGS.items() if node_ids(args.suite, spec[4])]
        for bug in bugs:
            classes, what = BUGS[bug][4], BUGS[bug][5]
            before, cases = failing(args.suite, fixed, classes, bug, work)
            after, _ = failing(args.suite, committed.parent, classes, bug, work)
            rows.append([bug, "/".join(classes), cases, before, after,
                         "yes" if after else "no", what])
            print(f"  {bug}: {before} before, {after} after, of {cases}", flush=True)
        print()
        print(tabulate(rows, headers=["bug", "classes", "cases", "failing before (fixed)",
                                      "failing after (envelopes)", "caught", "the bug"]))
        missed_before = [r[0] for r in rows if not r[3]]
        missed_after = [r[0] for r in rows if not r[4]]
        print(f"\ncaught before: {len(rows) - len(missed_before)} of {len(rows)}; "
              f"after: {len(rows) - len(missed_after)} of {len(rows)}")
        lost = [bug for bug in missed_after if bug not in missed_before]
        print(f"caught before but not after: {', '.join(lost) or 'none'}")
        if missed_after:
            print(f"missed after: {', '.join(missed_after)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
