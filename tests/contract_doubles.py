"""Optimizers that each break one contract, for the tests that show every contract can fail.

Each is a torch.optim class with one bug of the kind users meet; they are swapped in under the
real class's name, so a suite's `class: Adam` runs the broken copy.
"""

import torch


class AdamForgetsStateOnLoad(torch.optim.Adam):
    """load_state_dict keeps the hyperparameters and drops the moments: resume restarts."""

    def load_state_dict(self, state_dict):
        super().load_state_dict({**state_dict, "state": {}})


class AdamFirstGroupLR(torch.optim.Adam):
    """Every group stepped with the first group's learning rate: the others' are ignored."""

    @torch.no_grad()
    def step(self, closure=None):
        kept = [group["lr"] for group in self.param_groups]
        for group in self.param_groups:
            group["lr"] = kept[0]
        try:
            return super().step(closure)
        finally:
            for group, lr in zip(self.param_groups, kept):
                group["lr"] = lr


class AdamDefaultLR(torch.optim.Adam):
    """The default learning rate changed from 1e-3 to 2e-3."""

    def __init__(self, params, lr=2e-3, **kwargs):
        super().__init__(params, lr=lr, **kwargs)


class AdamForeachDrifts(torch.optim.Adam):
    """The foreach path scales its step by 1.001: it disagrees with the for-loop."""

    def drift(self, dtype):
        return 0.001

    @torch.no_grad()
    def step(self, closure=None):
        before = [[p.clone() for p in g["params"]] for g in self.param_groups]
        loss = super().step(closure)
        for group, old in zip(self.param_groups, before):
            if group.get("foreach"):
                for p, q in zip(group["params"], old):
                    p.add_(p - q, alpha=self.drift(p.dtype))
        return loss


class AdamForeachRoundsDifferently(AdamForeachDrifts):
    """The foreach path reorders its arithmetic: it stays within float32's tolerance of the
    for-loop (a relative 2e-7 a step) but is no longer bitwise equal to it."""

    def drift(self, dtype):
        return 1e-10 if dtype == torch.float64 else 2e-7


class AdamOneDimensionalBug(torch.optim.Adam):
    """The update of 1-D parameters (biases) is 10% too large."""

    @torch.no_grad()
    def step(self, closure=None):
        before = {p: p.clone() for g in self.param_groups for p in g["params"] if p.dim() == 1}
        loss = super().step(closure)
        for p, old in before.items():
            p.add_(p - old, alpha=0.1)
        return loss


class SGDUpcasts(torch.optim.SGD):
    """Parameters come back as float32, whatever they were."""

    @torch.no_grad()
    def step(self, closure=None):
        loss = super().step(closure)
        for group in self.param_groups:
            for p in group["params"]:
                p.data = p.data.float()
        return loss


class SGDIgnoresMaximize(torch.optim.SGD):
    """maximize=True is accepted and ignored."""

    def __init__(self, params, lr=1e-3, maximize=False, **kwargs):
        super().__init__(params, lr=lr, maximize=False, **kwargs)


class SGDTouchesIdle(torch.optim.SGD):
    """A parameter without a gradient is nudged anyway."""

    @torch.no_grad()
    def step(self, closure=None):
        loss = super().step(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    p.add_(1e-3)
        return loss


class SGDLosesTheLoss(torch.optim.SGD):
    """step(closure) calls the closure and returns None."""

    def step(self, closure=None):
        if closure is not None:
            with torch.enable_grad():
                closure()
        super().step()
        return None


class SGDUnseededNoise(torch.optim.SGD):
    """Adds noise from a generator of its own, seeded from the clock: no two runs agree."""

    @torch.no_grad()
    def step(self, closure=None):
        import time

        loss = super().step(closure)
        generator = torch.Generator().manual_seed(time.perf_counter_ns())
        for group in self.param_groups:
            for p in group["params"]:
                p.add_(torch.randn(p.shape, generator=generator, dtype=p.dtype) * 1e-6)
        return loss


class SGDSparseSpill(torch.optim.SGD):
    """A sparse gradient also moves every row it does not touch."""

    @torch.no_grad()
    def step(self, closure=None):
        sparse = [p for g in self.param_groups for p in g["params"]
                  if p.grad is not None and p.grad.is_sparse]
        loss = super().step(closure)
        for p in sparse:
            p.sub_(1e-3)
        return loss


class SGDDetachedGradient(torch.optim.Optimizer):
    """Offers differentiable=True, but steps on a detached gradient."""

    def __init__(self, params, lr=1e-3, differentiable=False, maximize=False):
        super().__init__(params, dict(lr=lr, differentiable=differentiable, maximize=maximize))

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                sign = -1.0 if group["maximize"] else 1.0
                with torch.set_grad_enabled(group["differentiable"]):
                    p.sub_(sign * group["lr"] * p.grad.detach())
        return loss


class SGDCompiledDiffers(torch.optim.SGD):
    """Under torch.compile, its step is 1% longer: the compiled path disagrees with eager."""

    @torch.no_grad()
    def step(self, closure=None):
        scale = 1.01 if torch.compiler.is_compiling() else 1.0
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.sub_(group["lr"] * scale * p.grad)
