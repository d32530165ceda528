"""Real-data problems: a small model trained on MNIST, Fashion-MNIST, CIFAR-10 or a folder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, cast

from pytest_optbench.gate.record import BaselineContext, CaseResult
from pytest_optbench.kinds.base import ValidProblem, Figures, KindDefaults, Measured
from pytest_optbench.kinds.data.config import DataConfig
from pytest_optbench.kinds.data.metrics import METRICS
from pytest_optbench.kinds.data.validation import validate_data_problem
from pytest_optbench.kinds.data.spec import DataFields

if TYPE_CHECKING:
    from pytest_optbench.kinds.data.runner import DeviceData
    from pytest_optbench.settings import OptbenchOptions
    from pytest_optbench.report.plots import Style
    from pytest_optbench.suite.build import BuildContext
    from pytest_optbench.suite.cases import Case
    from pytest_optbench.suite.errors import Finding
    from pytest_optbench.suite.loader import Document, KeyPath
    from pytest_optbench.suite.spec import SuiteHeader


class DataKind(KindDefaults):
    name = "data"
    marker = "dataset"
    title = "a model trained on data"
    description = "an optbench case that trains a model on a dataset"
    fields = DataFields
    metrics = METRICS

    def validate_problem(self, doc: Document, path: KeyPath, raw: dict[str, Any],
                      header: SuiteHeader | None, context: BuildContext,
                      findings: list[Finding]) -> ValidProblem | None:
        return validate_data_problem(doc, path, raw, context.dataset_folders, findings)

    def keywords(self, case: Case) -> set[str]:
        return {cast(DataConfig, case.problem).dataset}

    def measure(self, case: Case, seeds: tuple[int, ...], device: Any,
                options: OptbenchOptions, cache: dict[str, Any], benchmark: Any) -> Measured:
        from pytest_optbench.kinds.data.runner import run_data
        from pytest_optbench.kinds.data.summary import summarize

        config = cast(DataConfig, case.problem)
        data = _on_device(config.dataset, options, device, cache)
        run = run_data(config, case.optimizer, seeds, device, data)
        outcome = summarize(run)
        text = None
        if outcome.divergence:
            d = outcome.divergence
            how = ("became NaN or infinite" if d.get("non_finite", True) else
                   f"grew to more than {config.divergence_factor:g} times its first value "
                   f"(divergence_factor)")
            text = (f"DIVERGED: the loss {how} at epoch {d['epoch']}, step {d['step']} (seed "
                    f"{d['seed']}); {d['seeds']} of {d['of']} seeds diverged")
        source = data.data
        return Measured(
            outcome.metrics, BaselineContext(device.type, data=source.label), outcome.wall_time_s,
            outcome.steps_run, outcome.divergence, text, outcome.curves,
            details={"parameters": outcome.parameters,
                     "protocol": case.optimizer.protocol.describe(run.closure_ignored)},
            provenance={"precision": config.precision, "data": {
                "dataset": config.dataset, "source": source.source,
                "location": source.location, "fingerprint": source.fingerprint}},
            dtype=config.precision)

    def figures(self, results: list[CaseResult], styles: Mapping[str, Style]) -> Figures:
        from pytest_optbench.kinds.data.figures import figures

        return figures(results, styles)


def _on_device(name: str, options: OptbenchOptions, device: Any,
               cache: dict[str, Any]) -> DeviceData:
    """Each dataset is loaded once per process, and put on each device once."""
    from pytest_optbench.kinds.data.datasets import load_dataset
    from pytest_optbench.kinds.data.runner import DeviceData

    folder = (options.dataset_folders or {}).get(name)
    key = f"{name}:{folder or options.data_dir}"
    loaded = cache.setdefault("loaded", {})
    placed = cache.setdefault("placed", {})
    if key not in loaded:
        loaded[key] = load_dataset(name, options.data_dir, folder, options.download,
                                   options.cache_dir)
    if (key, str(device)) not in placed:
        placed[(key, str(device))] = DeviceData.put(loaded[key], device)
    found: DeviceData = placed[(key, str(device))]
    return found


KIND = DataKind()
