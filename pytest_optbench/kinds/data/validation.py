"""Validation of one real-data problem of a suite -> its configuration and expectations."""

from __future__ import annotations

from pytest_optbench.gate.expectations import Expectation
from pytest_optbench.kinds.data.config import DataConfig
from pytest_optbench.kinds.data.metrics import METRICS
from pytest_optbench.kinds.data.spec import DataFields, DataProblem
from pytest_optbench.suite.expectations import validate_expectations
from pytest_optbench.suite.errors import Finding, describe, did_you_mean, one_of
from pytest_optbench.suite.loader import Document, KeyPath
from pytest_optbench.suite.problem_kind import ValidProblem
from pytest_optbench.suite.spec import DEFAULT_DIVERGENCE_FACTOR, validate

DEFAULT_BATCH_SIZE = 128
DEFAULT_EXPECT = ("test_accuracy", "test_loss")
TARGET_METRICS = ("epochs_to_target", "time_to_target", "effort")


def validate_data_problem(doc: Document, path: KeyPath, raw: dict, dataset_folders: frozenset[str],
                       findings: list[Finding]) -> ValidProblem | None:
    """Validate a data problem (defaults and tier merged); None, with `findings` extended."""
    before = len(findings)
    spec = validate(DataProblem, raw, doc, path, findings) or _partial(raw)
    if spec is None:
        return None
    _validate_dataset(doc, path, spec.dataset, dataset_folders, findings)
    kind, options = _validate_model(doc, path, spec, findings)
    if (spec.epochs is None) == (spec.steps is None):
        found = "both" if spec.epochs is not None else "neither"
        findings.append(doc.finding(path, f"{found} of 'epochs' and 'steps'",
                                    "exactly one budget: 'epochs: N' or 'steps: N'",
                                    field_name=".".join(map(str, path + ("epochs",)))))
    def needs_target(name: str, expectation: Expectation) -> tuple[str, str] | None:
        if name in TARGET_METRICS and spec.target_accuracy is None:
            return f"'{name}' without a target", "'target_accuracy:' set on the problem, e.g. 0.97"
        return None

    expect = validate_expectations(doc, path, spec.expect, METRICS, DEFAULT_EXPECT, findings,
                                   needs_target)
    if len(findings) > before:
        return None
    augment = spec.augment
    config = DataConfig(
        dataset=spec.dataset, model=kind, model_options=options, epochs=spec.epochs,
        steps=spec.steps,
        batch_size=DEFAULT_BATCH_SIZE if spec.batch_size is None else spec.batch_size,
        eval_every=spec.eval_every, train_subset=spec.train_subset, test_subset=spec.test_subset,
        crop=augment.crop if augment else 0, flip=augment.flip if augment else False,
        precision=spec.precision or "float32", channels_last=bool(spec.channels_last),
        target_accuracy=spec.target_accuracy,
        divergence_factor=spec.divergence_factor or DEFAULT_DIVERGENCE_FACTOR)
    return ValidProblem({"": config}, spec, expect)


def _partial(raw: dict) -> DataProblem | None:
    """The fields of a problem that validate on their own."""
    if not isinstance(raw.get("dataset"), str) or not isinstance(raw.get("model"), dict):
        return None
    valid = {key: value for key, value in raw.items() if key not in ("dataset", "model")
             and validate(DataFields, {key: value}, Document("", None), (), []) is not None}
    return DataProblem.model_validate({**valid, "dataset": raw["dataset"], "model": raw["model"]})


def _validate_dataset(doc: Document, path: KeyPath, name: str, folders: frozenset[str],
                   findings: list[Finding]) -> None:
    from pytest_optbench.kinds.data.datasets import BUILTIN

    if name in BUILTIN or name in folders:
        return
    findings.append(doc.finding(
        path + ("dataset",), f"unknown dataset '{name}'",
        one_of(BUILTIN) + ", or a dataset of your own given as an ImageFolder copy with "
        f"--optbench-dataset-folder {name}=PATH", did_you_mean(name, [*BUILTIN, *folders])))


def _validate_model(doc: Document, path: KeyPath, spec: DataProblem,
                 findings: list[Finding]) -> tuple[str, dict]:
    """The model's kind and options, after building it once on the CPU."""
    from pytest_optbench.kinds.data.datasets import BUILTIN
    from pytest_optbench.kinds.models import ACTIVATIONS, MODELS, build_model, model_options

    where = path + ("model",)
    before = len(findings)
    options = {k: v for k, v in spec.model.items() if k != "kind"}
    kind = spec.model.get("kind")
    if not isinstance(kind, str):
        findings.append(doc.finding(where + ("kind",), describe(kind),
                                    one_of(MODELS) + ", or 'package.module:function'"))
        return "", options
    if ":" not in kind:
        if kind not in MODELS:
            findings.append(doc.finding(where + ("kind",), f"unknown model '{kind}'",
                                        one_of(MODELS) + ", or 'package.module:function'",
                                        did_you_mean(kind, MODELS)))
            return kind, options
        accepted, open_ended = model_options(kind)
        for name in options:
            if name not in accepted and not open_ended:
                findings.append(doc.finding(where + (name,), f"unknown option '{name}' of {kind}",
                                            one_of(accepted), did_you_mean(name, accepted)))
        activation = options.get("activation")
        if activation is not None and activation not in ACTIVATIONS:
            findings.append(doc.finding(where + ("activation",), describe(activation),
                                        one_of(ACTIVATIONS), did_you_mean(str(activation), ACTIVATIONS)))
    info = BUILTIN.get(spec.dataset)
    if info is None or len(findings) > before:  # a folder's shape is known only when loaded
        return kind, options
    try:
        build_model(kind, options, (info.channels, info.size, info.size), info.classes)
    except Exception as exc:  # the builder's own complaint, whatever its type
        findings.append(doc.finding(where, f"{describe(spec.model)}, which cannot be built "
                                           f"({type(exc).__name__}: {exc})",
                                    f"a model for {info.title} ({info.channels}x{info.size}x"
                                    f"{info.size} inputs, {info.classes} classes)"))
    return kind, options
