"""Names in suite files -> the classes they mean: optimizers, learning-rate schedules.

A name is either a class in `torch.optim` (`Adam`) or `torch.optim.lr_scheduler` (`StepLR`), or a
user's class written as `"package.module:Class"`.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Mapping

from pytest_optbench.suite.errors import colon_hint, did_you_mean

SCHEDULE_KEYS = ("class", "interval")  # of a `schedule:`; the rest are the scheduler's own

# How a batch of independent start points is handed to an optimizer (see layouts.py).
SHARED_TENSOR = "shared-tensor"
TENSOR_PER_START = "tensor-per-start"
OPTIMIZER_PER_START = "optimizer-per-start"
ISOLATIONS = (SHARED_TENSOR, TENSOR_PER_START, OPTIMIZER_PER_START)



class UnresolvedName(LookupError):
    """A class name in a suite that cannot be resolved; the message says why and what to try."""

    def __init__(self, found: str, expected: str, hint: str | None = None):
        self.found, self.expected, self.hint = found, expected, hint
        super().__init__(f"found {found}; expected {expected}" + (f"; {hint}" if hint else ""))


def torch_optimizer_names() -> list[str]:
    import torch

    return sorted(
        name for name, obj in vars(torch.optim).items()
        if inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer)
        and obj is not torch.optim.Optimizer and not name.startswith("_")
    )


def torch_scheduler_names() -> list[str]:
    from torch.optim import lr_scheduler

    base = lr_scheduler.LRScheduler
    return sorted(
        name for name, obj in vars(lr_scheduler).items()
        if inspect.isclass(obj) and issubclass(obj, base) and obj is not base
        and not name.startswith("_")
    )


def import_object(spec: str) -> Any:
    """Import `package.module:attribute`."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise UnresolvedName(f"'{spec}'", "'package.module:Name'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UnresolvedName(f"'{spec}', but importing '{module_name}' failed ({exc})",
                         "an importable module",
                         "check the spelling and that the package is installed or on sys.path") from None
    except Exception as exc:  # the module itself is broken: say where, like a conftest.py would
        raise UnresolvedName(f"'{spec}', but importing '{module_name}' raised "
                             f"{type(exc).__name__}: {exc}{_raised_at(exc)}",
                             "a module that imports cleanly",
                             "run python -c 'import " + module_name + "' to see the whole error") from None
    obj = module
    for part in attribute.split("."):
        if not hasattr(obj, part):
            names = [n for n in dir(obj) if not n.startswith("_")]
            raise UnresolvedName(f"'{spec}', but '{module_name}' has no attribute '{attribute}'",
                             "an attribute of that module", did_you_mean(part, names))
        obj = getattr(obj, part)
    return obj


def _raised_at(exc: BaseException) -> str:
    """' (at file:line)' of the innermost frame that raised, when there is one."""
    traceback = exc.__traceback__
    if traceback is None:
        return ""
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    return f" (at {traceback.tb_frame.f_code.co_filename}:{traceback.tb_lineno})"


def resolve_optimizer(name: str) -> type:
    import torch

    if ":" in name:
        cls = import_object(name)
        # Optimizer-compatible: constructed from parameters, stepped with step().
        if not (inspect.isclass(cls) and callable(getattr(cls, "step", None))):
            raise UnresolvedName(f"'{name}', which is not an optimizer class",
                                 "a torch.optim.Optimizer subclass, or a class with a step() method")
        found_class: type = cls
        return found_class
    names = torch_optimizer_names()
    if name in names:
        found: type = getattr(torch.optim, name)
        return found
    raise UnresolvedName(f"unknown optimizer class '{name}'",
                     "a torch.optim class (" + ", ".join(names) + ") or 'package.module:Class'",
                     colon_hint(name) or did_you_mean(name, names))


def resolve_scheduler(name: str) -> type:
    if ":" in name:
        cls = import_object(name)
        if not (inspect.isclass(cls) and callable(getattr(cls, "step", None))):
            raise UnresolvedName(f"'{name}', which is not a learning-rate scheduler class",
                                 "a torch.optim.lr_scheduler.LRScheduler subclass, or a class "
                                 "with a step() method")
        return cls
    from torch.optim import lr_scheduler

    names = torch_scheduler_names()
    if name in names:
        scheduler: type = getattr(lr_scheduler, name)
        return scheduler
    raise UnresolvedName(f"unknown scheduler class '{name}'",
                     "a torch.optim.lr_scheduler class (" + ", ".join(names)
                     + ") or 'package.module:Class'", colon_hint(name) or did_you_mean(name, names))


def detect_protocol(cls: type, explicit: Mapping[str, Any] | None = None) -> Any:
    """How to drive `cls`, from what the class itself offers, overridden by the suite's
    `protocol:`. Detection is by behaviour the class declares, never by its name:

    - closure: whenever `step` takes a `closure` argument (LBFGS, SAM, and every torch.optim
      class); an optimizer that calls it re-evaluates the loss where it needs to.
    - train_eval: whenever the class has both `train()` and `eval()` (schedule-free methods).
    - create_graph: never detected (a Hessian-vector product cannot be asked of a class
      safely); the suite sets it for second-order methods.
    """
    from pytest_optbench.suite.cases import StepProtocol

    detected = {"closure": step_takes_closure(cls),
                "train_eval": callable(getattr(cls, "train", None))
                and callable(getattr(cls, "eval", None)),
                "create_graph": False}
    return StepProtocol(**{**detected, **dict(explicit or {})})


def step_takes_closure(cls: type) -> bool:
    try:
        return "closure" in inspect.signature(cls.step).parameters  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return False


def keyword_parameters(cls: type, skip: tuple[str, ...]) -> tuple[list[str], bool]:
    """The keyword arguments a class's constructor takes, and whether it takes **kwargs."""
    try:
        signature = inspect.signature(cls.__init__)  # type: ignore[misc]
    except (TypeError, ValueError):
        return [], True
    names, open_ended = [], False
    for parameter in list(signature.parameters.values())[1:]:
        if parameter.kind is parameter.VAR_KEYWORD:
            open_ended = True
        elif parameter.kind is not parameter.VAR_POSITIONAL and parameter.name not in skip:
            names.append(parameter.name)
    return names, open_ended


def construct_optimizer(class_name: str | type, params: Any,
                        hyperparameters: Mapping[str, Any],
                        wraps: Mapping[str, Any] | None = None) -> Any:
    """The optimizer a suite names, built on `params` (tensors or parameter groups).

    With `wraps` (`{"class": Adam, "lr": 0.01}`), the inner optimizer is built on `params` and
    the named class wraps that instance (Lookahead). Hyperparameters that name a class are
    passed as the class (SAM's `base_optimizer`), see `class_valued`.
    """
    cls = resolve_optimizer(class_name) if isinstance(class_name, str) else class_name
    hyper = {name: class_valued(name, value) for name, value in hyperparameters.items()}
    if wraps:
        inner = {k: v for k, v in wraps.items() if k != "class"}
        return cls(construct_optimizer(wraps["class"], params, inner), **hyper)
    return cls(params, **hyper)


def class_valued(name: str, value: Any) -> Any:
    """`{class: SGD}`, or a `"package.module:Class"` string given to a parameter named like
    `base_optimizer`, is the optimizer class itself: wrappers take a class, not its name."""
    if isinstance(value, Mapping) and set(value) == {"class"} and isinstance(value["class"], str):
        return resolve_optimizer(value["class"])
    if isinstance(value, str) and name.endswith("optimizer") and ":" in value:
        return resolve_optimizer(value)
    return value


def construct_scheduler(schedule: Mapping[str, Any] | None, optimizer: Any) -> tuple[Any, str]:
    """The learning-rate scheduler of a suite's `schedule:` on `optimizer` (None without one),
    and its interval: "step" or "epoch"."""
    if not schedule:
        return None, "step"
    options = {k: v for k, v in schedule.items() if k not in SCHEDULE_KEYS}
    return resolve_scheduler(schedule["class"])(optimizer, **options), \
        schedule.get("interval", "step")


# Words of errors an optimizer raises when the suite's protocol is not the one it needs, and the
# protocol option that fixes each.
_PROTOCOL_SYMPTOMS = (
    ("create_graph", True, ("does not require grad and does not have a grad_fn",
                            "create_graph")),
    ("closure", True, ("missing 1 required positional argument: 'closure'",
                       "'NoneType' object is not callable", "requires closure",
                       "closure is required", "needs a closure")),
    ("train_eval", True, ("train mode", "optimizer.train()", "call train()", ".train() before")),
)


def protocol_hint(exc: BaseException, protocol: Any) -> str | None:
    """The `protocol:` option that fixes an error a step raised, where its words say which:
    AdaHessian differentiating gradients that have no graph, a step called without the closure
    it needs, a schedule-free class stepped outside train mode."""
    text = str(exc)
    for option, value, symptoms in _PROTOCOL_SYMPTOMS:
        if getattr(protocol, option, None) != value and any(s in text for s in symptoms):
            return (f"hint: the optimizer looks like it needs `protocol: {{{option}: "
                    f"{str(value).lower()}}}` in its suite entry, which this run did not use")
    return None
