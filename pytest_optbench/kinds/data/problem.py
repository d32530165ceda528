"""Checks of one real-data problem of a suite -> its configuration and expectations."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_optbench.suite.cases import DataConfig
from pytest_optbench.suite.errors import Problem, describe, did_you_mean, one_of
from pytest_optbench.suite.loader import Document
from pytest_optbench.gate.metrics import DATA_METRICS
from pytest_optbench.suite.spec import DataFields, DataProblem, Expectation, validate

DEFAULT_BATCH_SIZE = 128
DEFAULT_EXPECT = ("test_accuracy", "test_loss")
TARGET_METRICS = ("epochs_to_target", "time_to_target")


@dataclass
class CheckedData:
    config: DataConfig
    spec: DataProblem                  # for the optimizer-related fields the suite checks
    expect: dict[str, Expectation]


def check_data_problem(doc: Document, path: tuple, raw: dict, dataset_folders: frozenset[str],
                       problems: list[Problem]) -> CheckedData | None:
    """Validate a data problem (defaults and tier merged); None, with `problems` extended."""
    before = len(problems)
    spec = validate(DataProblem, raw, doc, path, problems) or _partial(raw)
    if spec is None:
        return None
    _check_dataset(doc, path, spec.dataset, dataset_folders, problems)
    kind, options = _check_model(doc, path, spec, problems)
    if (spec.epochs is None) == (spec.steps is None):
        found = "both" if spec.epochs is not None else "neither"
        problems.append(doc.problem(path, f"{found} of 'epochs' and 'steps'",
                                    "exactly one budget: 'epochs: N' or 'steps: N'",
                                    field_name=".".join(map(str, path + ("epochs",)))))
    expect = _check_expect(doc, path, spec, problems)
    if len(problems) > before:
        return None
    augment = spec.augment
    config = DataConfig(
        dataset=spec.dataset, model=kind, model_options=options, epochs=spec.epochs,
        steps=spec.steps,
        batch_size=DEFAULT_BATCH_SIZE if spec.batch_size is None else spec.batch_size,
        eval_every=spec.eval_every, train_subset=spec.train_subset, test_subset=spec.test_subset,
        crop=augment.crop if augment else 0, flip=augment.flip if augment else False,
        precision=spec.precision or "float32", channels_last=bool(spec.channels_last),
        target_accuracy=spec.target_accuracy)
    return CheckedData(config, spec, expect)


def _partial(raw: dict) -> DataProblem | None:
    """The fields of a problem that validate on their own."""
    if not isinstance(raw.get("dataset"), str) or not isinstance(raw.get("model"), dict):
        return None
    valid = {key: value for key, value in raw.items() if key not in ("dataset", "model")
             and validate(DataFields, {key: value}, Document("", None), (), []) is not None}
    return DataProblem.model_validate({**valid, "dataset": raw["dataset"], "model": raw["model"]})


def _check_dataset(doc: Document, path: tuple, name: str, folders: frozenset[str],
                   problems: list[Problem]) -> None:
    from pytest_optbench.kinds.data.datasets import BUILTIN

    if name in BUILTIN or name in folders:
        return
    problems.append(doc.problem(
        path + ("dataset",), f"unknown dataset '{name}'",
        one_of(BUILTIN) + ", or a dataset of your own given as an ImageFolder copy with "
        f"--optbench-dataset-folder {name}=PATH", did_you_mean(name, [*BUILTIN, *folders])))


def _check_model(doc: Document, path: tuple, spec: DataProblem,
                 problems: list[Problem]) -> tuple[str, dict]:
    """The model's kind and options, after building it once on the CPU."""
    from pytest_optbench.kinds.data.datasets import BUILTIN
    from pytest_optbench.kinds.models import ACTIVATIONS, MODELS, build_model, model_options

    where = path + ("model",)
    before = len(problems)
    options = {k: v for k, v in spec.model.items() if k != "kind"}
    kind = spec.model.get("kind")
    if not isinstance(kind, str):
        problems.append(doc.problem(where + ("kind",), describe(kind),
                                    one_of(MODELS) + ", or 'package.module:function'"))
        return "", options
    if ":" not in kind:
        if kind not in MODELS:
            problems.append(doc.problem(where + ("kind",), f"unknown model '{kind}'",
                                        one_of(MODELS) + ", or 'package.module:function'",
                                        did_you_mean(kind, MODELS)))
            return kind, options
        accepted, open_ended = model_options(kind)
        for name in options:
            if name not in accepted and not open_ended:
                problems.append(doc.problem(where + (name,), f"unknown option '{name}' of {kind}",
                                            one_of(accepted), did_you_mean(name, accepted)))
        activation = options.get("activation")
        if activation is not None and activation not in ACTIVATIONS:
            problems.append(doc.problem(where + ("activation",), describe(activation),
                                        one_of(ACTIVATIONS), did_you_mean(str(activation), ACTIVATIONS)))
    info = BUILTIN.get(spec.dataset)
    if info is None or len(problems) > before:  # a folder's shape is known only when loaded
        return kind, options
    try:
        build_model(kind, options, (info.channels, info.size, info.size), info.classes)
    except Exception as exc:  # the builder's own complaint, whatever its type
        problems.append(doc.problem(where, f"{describe(spec.model)}, which cannot be built "
                                           f"({type(exc).__name__}: {exc})",
                                    f"a model for {info.title} ({info.channels}x{info.size}x"
                                    f"{info.size} inputs, {info.classes} classes)"))
    return kind, options


def _check_expect(doc: Document, path: tuple, spec: DataProblem,
                  problems: list[Problem]) -> dict[str, Expectation]:
    if spec.expect is None:
        return {name: Expectation(baseline=True) for name in DEFAULT_EXPECT}
    for name, expectation in spec.expect.items():
        where = path + ("expect", name)
        if name not in DATA_METRICS:
            problems.append(doc.problem(where, f"unknown metric '{name}'", one_of(DATA_METRICS),
                                        did_you_mean(name, DATA_METRICS)))
        elif name in TARGET_METRICS and spec.target_accuracy is None:
            problems.append(doc.problem(where, f"'{name}' without a target",
                                        "'target_accuracy:' set on the problem, e.g. 0.97"))
        elif expectation.min is not None and expectation.max is not None \
                and expectation.min > expectation.max:
            problems.append(doc.problem(where, f"min {expectation.min} > max {expectation.max}",
                                        "min <= max"))
    return dict(spec.expect)
