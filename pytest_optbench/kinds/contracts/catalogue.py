"""Every contract: its name, the promise it checks in one sentence, and its check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from pytest_optbench.kinds.contracts import compiled, groups, numerics, state
from pytest_optbench.kinds.contracts.problems import Factory


@dataclass(frozen=True)
class Contract:
    name: str
    promise: str
    check: Callable[[Factory, list[tuple[int, ...]]], str] | None  # None: the defaults contract
    # Whether the check steps on the dense problems of SHAPES (and so needs a class that takes
    # them); the sparse contract builds its own gradients, for classes that take only those.
    dense: bool = True


CONTRACTS: dict[str, Contract] = {c.name: c for c in [
    Contract("resume", "k steps, state_dict, a fresh instance with load_state_dict and m more steps "
             "give exactly the result of k + m uninterrupted steps (also through a deep copy and "
             "torch.save/torch.load)", state.resume),
    Contract("param-groups", "each of two parameter groups with their own hyperparameters gives "
             "exactly the result of that group alone; add_param_group works after steps; a group "
             "with lr 0 stays put", groups.param_groups),
    Contract("defaults", "the constructor's defaults and optimizer.defaults are those recorded in "
             "the baseline", None),
    Contract("implementations", "the foreach, fused and capturable implementations the class "
             "offers agree with its for-loop within the tolerance of the dtype",
             numerics.implementations),
    Contract("compile", "the step under torch.compile agrees with the eager step within the "
             "tolerance of float32", compiled.compiled),
    Contract("dtypes", "float16, bfloat16, float32 and float64 parameters and their state keep "
             "their dtype, and a complex parameter steps like its real view", numerics.dtypes),
    Contract("shape-invariance", "an elementwise optimizer updates the same values the same way "
             "whether they are one flat tensor or tensors of other shapes",
             numerics.shape_invariance),
    Contract("maximize", "maximize=True on f gives bitwise the result of minimising -f",
             numerics.maximize),
    Contract("untouched", "a parameter whose grad is None is not changed and gets no state, and "
             "a zero gradient leaves a parameter where it is", groups.untouched),
    Contract("closure", "step(closure) returns the closure's loss and calls it as often as the "
             "class documents", groups.closures),
    Contract("determinism", "two identical runs are bitwise equal, and an optimizer that draws "
             "random numbers honours torch.manual_seed", state.determinism),
    Contract("sparse", "sparse gradients leave the rows they do not touch alone and step like the "
             "same gradients dense", numerics.sparse, dense=False),
    Contract("differentiable", "with differentiable=True, gradients through a step pass "
             "torch.autograd.gradcheck", numerics.differentiable),
]}
