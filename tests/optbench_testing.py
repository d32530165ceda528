"""Optimizers for the plugin's own tests: one that needs per-tensor isolation, and broken ones.

The broken ones stand in for real bugs that a gate must catch when they replace the real class
under the same name.
"""

import time

import torch


class Lamb(torch.optim.Optimizer):
    """LAMB: Adam's update scaled by a per-tensor trust ratio ||w|| / ||update||.

    The norms make the update of one element depend on the whole tensor, so start points that
    share a tensor would change each other's trajectories.
    """

    def __init__(self, params, lr=1e-2, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                m, v = state["m"], state["v"]
                m.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                update = (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + group["eps"])
                update = update + group["weight_decay"] * p
                w_norm, u_norm = p.norm(), update.norm()
                trust = torch.where((w_norm > 0) & (u_norm > 0), w_norm / u_norm,
                                    torch.ones_like(w_norm))
                p.sub_(update * (group["lr"] * trust))
        return loss


class AdamWithoutBiasCorrection(torch.optim.Optimizer):
    """Adam with the bias correction of both moments forgotten: a classic implementation bug."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    grad = grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                m, v = state["m"], state["v"]
                m.mul_(beta1).add_(grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                p.addcdiv_(m, v.sqrt().add_(group["eps"]), value=-group["lr"])


class SGDIgnoringMomentum(torch.optim.SGD):
    """SGD that validates `momentum` like the real one, then silently drops it from its update."""

    def __init__(self, params, lr=1e-3, momentum=0.0, **kwargs):
        super().__init__(params, lr=lr, momentum=momentum, **kwargs)
        for group in self.param_groups:
            group["momentum"] = 0.0


class AdamDoubledLR(torch.optim.Adam):
    """Adam whose learning rate is silently doubled (a units mix-up)."""

    def __init__(self, params, lr=1e-3, **kwargs):
        super().__init__(params, lr=2 * lr, **kwargs)


class SGDDoubledLR(torch.optim.SGD):
    def __init__(self, params, lr=1e-3, **kwargs):
        super().__init__(params, lr=2 * lr, **kwargs)


class TickClock:
    """A clock that moves only when a TickingSGD steps: step times measured with it
    (`--benchmark-timer optbench_testing.tick_clock`) are exact, whatever the machine's load."""

    now = 0.0


def tick_clock() -> float:
    return TickClock.now


class TickingSGD(torch.optim.SGD):
    """Correct SGD whose every step takes exactly 1 ms on the TickClock."""

    tick = 1e-3

    def step(self, closure=None):
        TickClock.now += self.tick
        return super().step(closure)


class SlowTickingSGD(TickingSGD):
    """The same SGD, 10 ms a step on the TickClock: a performance regression only."""

    tick = 1e-2


class InterruptingSGD(torch.optim.SGD):
    """SGD that raises KeyboardInterrupt at its 50th step, as Ctrl-C would."""

    def __init__(self, params, lr=1e-3, **kwargs):
        super().__init__(params, lr=lr, **kwargs)
        self.calls = 0

    def step(self, closure=None):
        self.calls += 1
        if self.calls == 50:
            raise KeyboardInterrupt
        return super().step(closure)


class AdamBetasSwapped(torch.optim.Adam):
    """Adam that passes its two betas to the moments the wrong way round."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), **kwargs):
        super().__init__(params, lr=lr, betas=(betas[1], betas[0]), **kwargs)


class RaisingSGD(torch.optim.SGD):
    """An optimizer whose step raises, as a third-party one missing its set-up would."""

    def step(self, closure=None):
        raise RuntimeError("step() called before train(): this optimizer needs train() first")


class RaisingInit(torch.optim.SGD):
    """An optimizer whose constructor raises on any configuration."""

    def __init__(self, params, lr=0.01):
        raise NotImplementedError("dense parameters are not supported yet")


def summed_bowl(x):
    """A user's objective that sums over the batch: one scalar instead of one value per start,
    which would couple every start's gradient through the sum of them all."""
    return (x * x).sum()


def raising_function(x):
    """A user's objective that fails on the points it is asked about."""
    if x.abs().max() > 1e-6:
        raise ValueError("raising_function is only defined at the origin")
    return (x * x).sum(dim=-1)


class KwargsSGD(torch.optim.SGD):
    """Takes **kwargs, as many third-party optimizers do, and reads only the names it knows."""

    def __init__(self, params, lr=0.1, **kwargs):
        super().__init__(params, lr=lr, momentum=kwargs.get("momentum", 0.0),
                         weight_decay=kwargs.get("weight_decay", 0.0))


class GlobalNormSGD(torch.optim.Optimizer):
    """SGD on the gradient divided by the norm of all the gradients it holds, like the one step
    size that Prodigy and D-Adaptation estimate over every tensor: starts that share an
    instance change each other's steps, whichever tensors they are in."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self, closure=None):
        if closure is not None:
            with torch.enable_grad():
                closure()
        grads = [p.grad for g in self.param_groups for p in g["params"] if p.grad is not None]
        norm = torch.sqrt(sum((g * g).sum() for g in grads)) + 1e-12
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.sub_(p.grad / norm, alpha=group["lr"])


class NoisySGD(torch.optim.Optimizer):
    """SGD with Gaussian noise on every step, drawn from torch's global generator."""

    def __init__(self, params, lr=0.01, noise=0.01):
        super().__init__(params, dict(lr=lr, noise=noise))

    @torch.no_grad()
    def step(self, closure=None):
        if closure is not None:
            with torch.enable_grad():
                closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.sub_(p.grad, alpha=group["lr"]).add_(torch.randn_like(p), alpha=group["noise"])


class ClosureIgnoringSGD(torch.optim.SGD):
    """Takes a closure, as torch's signature does, and never calls it."""

    @torch.no_grad()
    def step(self, closure=None):
        return super().step()


class GradientsFirstSGD(torch.optim.Optimizer):
    """Takes a closure and never calls it, and fails without gradients ready (`p.grad` None)."""

    def __init__(self, params, lr=0.01):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                p.sub_(p.grad * group["lr"])


class ClosureOnceSGD(torch.optim.SGD):
    """Calls its closure on the first step only, then steps on stale gradients."""

    @torch.no_grad()
    def step(self, closure=None):
        first = not getattr(self, "_stepped", False)
        self._stepped = True
        if first and closure is not None:
            with torch.enable_grad():
                closure()
        return super().step()


class DecayWithoutClosure(torch.optim.SGD):
    """Ignores its closure and shrinks every parameter, gradient or not."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                p.mul_(0.99)
        return super().step()


class AveragedSGD(torch.optim.Optimizer):
    """A minimal schedule-free-style method: it steps a training point y and keeps the running
    average x as the point it returns. The parameters hold y in train mode and x in eval mode,
    and stepping outside train mode raises, as schedule-free optimizers do."""

    def __init__(self, params, lr=0.01):
        super().__init__(params, dict(lr=lr))
        self.training = False

    def train(self):
        if not self.training:
            self._swap()
        self.training = True

    def eval(self):
        if self.training:
            self._swap()
        self.training = False

    @torch.no_grad()
    def _swap(self):
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                if "other" not in state:
                    state["other"], state["count"] = p.clone(), 0
                tmp = p.clone()
                p.copy_(state["other"])
                state["other"] = tmp

    @torch.no_grad()
    def step(self, closure=None):
        if not self.training:
            raise RuntimeError("optimizer is not in train mode: call optimizer.train() first")
        if closure is not None:
            with torch.enable_grad():
                closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                p.sub_(p.grad, alpha=group["lr"])
                state["count"] += 1
                # `other` is x, the average of the training points so far.
                state["other"].lerp_(p, 1.0 / state["count"])


class NewtonDiagonal(torch.optim.Optimizer):
    """Divides the gradient by |the Hessian's diagonal| estimated with a Hessian-vector product
    on a fixed probe vector: it needs gradients created with create_graph=True."""

    def __init__(self, params, lr=0.5, eps=1e-3):
        super().__init__(params, dict(lr=lr, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        if closure is not None:
            with torch.enable_grad():
                closure()
        params = [p for g in self.param_groups for p in g["params"] if p.grad is not None]
        if any(p.grad.grad_fn is None for p in params):
            raise RuntimeError("the gradient has no graph: backward(create_graph=True) "
                               "is needed for Hessian-vector products")
        # Every product first: updating a parameter in place would change the graph.
        with torch.enable_grad():
            hvs = torch.autograd.grad([p.grad for p in params], params,
                                      [torch.ones_like(p) for p in params])
        products = dict(zip(map(id, params), hvs))
        for group in self.param_groups:
            for p in group["params"]:
                if id(p) in products:
                    p.sub_(p.grad / (products[id(p)].abs() + group["eps"]), alpha=group["lr"])


class ClosureOnlySGD(torch.optim.SGD):
    """`step(closure=None)` in its signature, as AliG has, but a closure is required."""

    def step(self, closure=None):
        if closure is None:
            raise RuntimeError("ClosureOnlySGD needs a closure")
        return super().step(closure)


class BaseClassSGD(torch.optim.Optimizer):
    """A wrapper that takes its base optimizer as a class (as SAM does) and halves its steps."""

    def __init__(self, params, base_optimizer, shrink=0.5, **kwargs):
        params = list(params)
        super().__init__(params, dict(shrink=shrink, **kwargs))
        self.base = base_optimizer(self.param_groups, **kwargs)

    @torch.no_grad()
    def step(self, closure=None):
        if closure is not None:
            with torch.enable_grad():
                closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad.mul_(group["shrink"])
        self.base.step()


class Averaging:
    """A wrapper around an optimizer instance (as Lookahead is): every k steps the parameters
    move to the average of where they were and where the inner optimizer took them."""

    def __init__(self, optimizer, k=2):
        self.optimizer, self.k, self.count = optimizer, k, 0
        self.param_groups = optimizer.param_groups
        self.defaults = {**optimizer.defaults, "k": k}
        self.slow = [p.detach().clone() for g in self.param_groups for p in g["params"]]

    def zero_grad(self, set_to_none=True):
        self.optimizer.zero_grad(set_to_none=set_to_none)

    @torch.no_grad()
    def step(self, closure=None):
        loss = self.optimizer.step(closure)
        self.count += 1
        if self.count % self.k == 0:
            for slow, p in zip(self.slow, (p for g in self.param_groups for p in g["params"])):
                slow.lerp_(p, 0.5)
                p.copy_(slow)
        return loss


class HangingSGD(torch.optim.SGD):
    """SGD whose 20th step never returns, as a deadlocked kernel or a lost collective would."""

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.steps = 0

    def step(self, closure=None):
        self.steps += 1
        if self.steps >= 20:
            while True:
                time.sleep(0.05)
        return super().step(closure)


class ExplodingSGD(torch.optim.SGD):
    """SGD that multiplies its parameters by 1e4 a step: the loss grows enormously, yet stays
    finite for the whole of a short run."""

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    p.mul_(1e4)
        return loss


class DtypeChangingSGD(torch.optim.SGD):
    """Correct SGD that sets torch's default dtype to float64 and turns deterministic
    algorithms on, as some user code does, and never puts them back."""

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        torch.set_default_dtype(torch.float64)
        torch.use_deterministic_algorithms(True)


class TimeoutSwallowingSGD(torch.optim.SGD):
    """SGD whose 20th step waits forever and catches everything that would interrupt it, the
    time limit's exception included, as a retry loop around a flaky call may."""

    def step(self, closure=None):
        self.count = getattr(self, "count", 0) + 1
        if self.count >= 20:
            while True:
                try:
                    time.sleep(0.05)
                except BaseException:   # noqa: BLE001 - the fault this double stands for
                    pass
        return super().step(closure)


class SignalBlockingSGD(torch.optim.SGD):
    """SGD whose 20th step blocks SIGALRM and then waits forever, as code running with its
    signals masked (a native library's worker thread setup) would."""

    def step(self, closure=None):
        import signal

        self.count = getattr(self, "count", 0) + 1
        if self.count >= 20:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            while True:
                time.sleep(0.05)
        return super().step(closure)


class ProcessStateChangingSGD(torch.optim.SGD):
    """Correct SGD whose step changes process-wide state every later case would see: the
    default device (to "meta", where no tensor has data), anomaly detection, the working
    directory and an environment variable."""

    def step(self, closure=None):
        import os
        import tempfile

        loss = super().step(closure)
        torch.set_default_device("meta")
        torch.autograd.set_detect_anomaly(True)
        os.chdir(tempfile.gettempdir())
        os.environ["OPTBENCH_TESTING_LEAK"] = "1"
        return loss


class DefaultDtypeRecorder(torch.optim.SGD):
    """Correct SGD that remembers the default dtype and grad mode it was constructed under."""

    seen: list = []

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        DefaultDtypeRecorder.seen.append((torch.get_default_dtype(),
                                          torch.are_deterministic_algorithms_enabled()))


class CrashingSGD(torch.optim.SGD):
    """SGD whose process dies at its first step, as a segfault in an extension would."""

    def step(self, closure=None):
        import os

        os._exit(13)


class SGDWithLRSlightlyLarge(torch.optim.SGD):
    """SGD whose learning rate is 0.05% too large (a constant carried to too few digits): on
    the ill-conditioned quadratic a change inside the old fixed tolerance of 0.1 decades, and
    far outside what rounding moves it by."""

    def __init__(self, params, lr=1e-3, **kwargs):
        super().__init__(params, lr=1.0005 * lr, **kwargs)


class SleepingSGD(torch.optim.SGD):
    """Correct SGD that sleeps 2 ms a step: a case that takes seconds on any machine, to show
    its progress."""

    def step(self, closure=None):
        import time

        time.sleep(0.002)
        return super().step(closure)


class PositiveLRSGD(torch.optim.SGD):
    """Correct SGD whose constructor refuses lr 0, as many hand-written optimizers do."""

    def __init__(self, params, lr=1e-3, **kwargs):
        if lr <= 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(params, lr=lr, **kwargs)


class DriftingAdam(torch.optim.Adam):
    """Adam whose every update is scaled by $OPTBENCH_DRIFT (default 1): the same configuration
    run after run, an update that drifts slowly."""

    def step(self, closure=None):
        import os

        scale = float(os.environ.get("OPTBENCH_DRIFT", "1"))
        before = [p.detach().clone() for group in self.param_groups for p in group["params"]]
        loss = super().step(closure)
        if scale != 1.0:
            with torch.no_grad():
                params = [p for group in self.param_groups for p in group["params"]]
                for p, old in zip(params, before):
                    p.copy_(old + scale * (p - old))
        return loss
