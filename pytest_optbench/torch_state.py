"""The process-wide state every case starts from, and what a case changed of it.

A user's function or optimizer that sets the default device or dtype, turns on anomaly
detection or deterministic algorithms, changes the thread count, leaves grad mode off, changes
the working directory or an environment variable would otherwise change every case after it:
a default device of "meta" makes every later case fail with "Cannot copy out of meta tensor".
Torch's state is taken once, before the first case; each case starts from it and it is put
back after each case, whatever the case did. The working directory and the environment are
put back to where each case found them. Random-number states (torch's, Python's, numpy's) are
put back too, but changing them is what training does, so only the other settings are
reported: an optimizer that changes global state is a bug its author wants to know about.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Any

import torch

# Environment variables that pytest and torch set themselves while cases run: the test being
# run, and the compile caches torch creates on first use. Left as they are, never reported.
QUIET_ENVIRONMENT = frozenset({"PYTEST_CURRENT_TEST", "TORCHINDUCTOR_CACHE_DIR",
                               "TRITON_CACHE_DIR"})


@dataclass(frozen=True)
class TorchState:
    settings: tuple[tuple[str, Any], ...]   # (name, value) of every reported setting
    cpu_rng: torch.Tensor
    cuda_rng: tuple[torch.Tensor, ...] | None
    environment: tuple[tuple[str, str], ...] = ()
    python_rng: Any = None
    numpy_rng: Any = None

    @classmethod
    def capture(cls) -> TorchState:
        cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
        return cls(tuple(_settings().items()), torch.get_rng_state(),
                   tuple(cuda) if cuda is not None else None,
                   tuple(sorted(os.environ.items())), random.getstate(), _numpy_state())

    def restore(self) -> None:
        values = dict(self.settings)
        if torch.get_default_device() != values["default device"]:
            device = values["default device"]
            torch.set_default_device(None if device == torch.device("cpu") else device)
        torch.set_default_dtype(values["default dtype"])
        torch.use_deterministic_algorithms(values["deterministic algorithms"],
                                           warn_only=values["deterministic warn only"])
        if torch.get_num_threads() != values["threads"]:
            torch.set_num_threads(values["threads"])
        torch.set_grad_enabled(values["grad mode"])
        torch.set_anomaly_enabled(values["anomaly detection"], values["anomaly checks nan"])
        torch.backends.cudnn.benchmark = values["cudnn benchmark"]
        torch.backends.cudnn.deterministic = values["cudnn deterministic"]
        torch.backends.cudnn.enabled = values["cudnn enabled"]
        torch.backends.cudnn.allow_tf32 = values["cudnn tf32"]
        torch.backends.cuda.matmul.allow_tf32 = values["cuda matmul tf32"]
        torch.set_float32_matmul_precision(values["float32 matmul precision"])
        torch.set_rng_state(self.cpu_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(list(self.cuda_rng))
        if self.python_rng is not None:
            random.setstate(self.python_rng)
        if self.numpy_rng is not None:
            import numpy

            numpy.random.set_state(self.numpy_rng)

    def restore_process(self) -> None:
        """The working directory and the environment. Put back to where a case found them
        (not to the first case's): the user's own fixtures may change them between cases."""
        directory = dict(self.settings)["working directory"]
        if directory is not None and _cwd() != directory:
            os.chdir(directory)
        _restore_environment(dict(self.environment))

    def changed_by(self, now: TorchState) -> list[str]:
        """The settings that differ in `now`, as "name: before -> after"."""
        after = dict(now.settings)
        changes = [f"{name}: {before} -> {after[name]}" for name, before in self.settings
                   if after[name] != before]
        before_env, after_env = dict(self.environment), dict(now.environment)
        for name in sorted((set(before_env) | set(after_env)) - QUIET_ENVIRONMENT):
            if before_env.get(name) != after_env.get(name):
                changes.append(f"environment variable {name}: {_shown(before_env.get(name))} "
                               f"-> {_shown(after_env.get(name))}")
        return changes


def _settings() -> dict[str, Any]:
    return {
        "default device": torch.get_default_device(),
        "default dtype": torch.get_default_dtype(),
        "deterministic algorithms": torch.are_deterministic_algorithms_enabled(),
        "deterministic warn only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "threads": torch.get_num_threads(),
        "grad mode": torch.is_grad_enabled(),
        "anomaly detection": torch.is_anomaly_enabled(),
        "anomaly checks nan": torch.is_anomaly_check_nan_enabled(),
        "cudnn benchmark": torch.backends.cudnn.benchmark,
        "cudnn deterministic": torch.backends.cudnn.deterministic,
        "cudnn enabled": torch.backends.cudnn.enabled,
        "cudnn tf32": torch.backends.cudnn.allow_tf32,
        "cuda matmul tf32": torch.backends.cuda.matmul.allow_tf32,
        "float32 matmul precision": torch.get_float32_matmul_precision(),
        "working directory": _cwd(),
    }


def _cwd() -> str | None:
    try:
        return os.getcwd()
    except FileNotFoundError:   # a case removed the folder it was in
        return None


def _restore_environment(saved: dict[str, str]) -> None:
    for name in [n for n in os.environ if n not in saved and n not in QUIET_ENVIRONMENT]:
        del os.environ[name]
    for name, value in saved.items():
        if name not in QUIET_ENVIRONMENT and os.environ.get(name) != value:
            os.environ[name] = value


def _shown(value: str | None) -> str:
    if value is None:
        return "(unset)"
    return repr(value) if len(value) <= 60 else repr(value[:57] + "...")


def _numpy_state() -> Any:
    try:
        import numpy
    except ImportError:   # numpy is a dependency, but the state is only put back when present
        return None
    return numpy.random.get_state()
