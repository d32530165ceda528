"""Contracts on an optimizer's arithmetic: implementations, dtypes, shapes, maximize, sparse
gradients, differentiable steps."""

from __future__ import annotations

from typing import Any

import torch

from pytest_optbench.kinds.contracts.problems import (Broken, Factory, NotApplicable, current_device,
                                                      first_difference, initial, run, targets_like)

STEPS = 4
# How far implementations may drift apart in STEPS steps, by dtype: the for-loop, foreach and
# fused kernels round differently (fused ones fold the arithmetic into one expression).
AGREEMENT = {torch.float32: (1e-5, 1e-6), torch.float64: (1e-7, 1e-9)}
# torch.optim classes whose update of each element depends on that element's history alone.
ELEMENTWISE = frozenset({"ASGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam",
                         "RAdam", "RMSprop", "Rprop", "SGD"})
DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
# Classes that compute part of their step in a lower precision whatever the parameters' dtype,
# and so agree across kernels only to that precision (documented).
INTERNAL_PRECISION = {"Muon": (torch.bfloat16, "Muon orthogonalises its update in bfloat16")}
LOW_PRECISION_AGREEMENT = {torch.bfloat16: (1.6e-2, 1e-5)}


def implementations(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    flags = [flag for flag in ("foreach", "fused", "capturable") if factory.has(flag)]
    if not flags:
        raise NotApplicable("it offers no foreach, fused or capturable implementation")
    checked, limits, agreement = [], [], {}
    for dtype, (rtol, atol) in AGREEMENT.items():
        loop_options: dict[str, Any] = {"foreach": False} if factory.has("foreach") else {}
        loop, _ = run(factory, initial(shapes, dtype), STEPS, **loop_options)
        for flag in flags:
            params = initial(shapes, dtype)
            flag_options: dict[str, Any] = {flag: True}
            try:
                run(factory, params, STEPS, **flag_options)
            except (RuntimeError, ValueError, AssertionError) as exc:
                text = str(exc)
                if flag in ("fused", "capturable") and any(
                        word in text for word in ("device", "CUDA", "cuda", "supported")):
                    limits.append(f"{flag} not on {params[0].device.type} ({text[:90]})")
                    continue
                raise Broken(f"{flag}=True, which the class offers, raised {type(exc).__name__}: "
                             f"{text[:300]}") from None
            name = f"{flag} {str(dtype).removeprefix('torch.')}"
            apart = first_difference(loop, params)
            if apart and flag in factory.bitwise:
                raise Broken(f"{flag}=True against the for-loop, {STEPS} steps, which the suite "
                             f"declares bitwise equal: {apart}")
            found = first_difference(loop, params, rtol, atol) if apart else None
            if found:
                raise Broken(f"{flag}=True against the for-loop, {STEPS} steps: {found}")
            agreement[name] = "bitwise" if apart is None else f"within rtol {rtol:g}"
            checked.append(f"{name} {'bitwise' if apart is None else 'within tolerance'}")
    if not checked:
        raise NotApplicable("; ".join(sorted(set(limits))))
    factory.recorded["agreement"] = agreement
    return "agree with the for-loop: " + ", ".join(checked) + \
        (f"; {'; '.join(sorted(set(limits)))}" if limits else "")


def dtypes(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    kept, refused = [], []
    for dtype in DTYPES:
        params = initial(shapes, dtype)
        try:
            _, optimizer = run(factory, params, 2)
        except (RuntimeError, TypeError) as exc:
            refused.append(f"{str(dtype).removeprefix('torch.')} ({str(exc)[:80]})")
            continue
        for index, p in enumerate(params):
            if p.dtype != dtype:
                raise Broken(f"a {dtype} parameter (tensor {index}) came back as {p.dtype}; "
                             f"expected {dtype}")
            for name, value in optimizer.state[p].items():
                if torch.is_tensor(value) and value.shape == p.shape and value.numel() > 1 \
                        and value.dtype != dtype:
                    raise Broken(f"the state '{name}' of a {dtype} parameter (tensor {index}) is "
                                 f"{value.dtype}; expected {dtype}")
        kept.append(str(dtype).removeprefix("torch."))
    if not kept:
        raise NotApplicable("it steps on none of " + ", ".join(refused))
    note = _complex(factory, shapes)
    return "keep their dtype: " + ", ".join(kept) + (f"; refused {', '.join(refused)}" if refused else "") + \
        f"; {note}"


def _complex(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    """A complex parameter steps like its real view (two real numbers an element)."""
    real = initial([tuple(s) + (2,) for s in shapes])
    as_complex = [torch.view_as_complex(p.detach().clone()).requires_grad_() for p in real]
    targets = targets_like(real)
    try:
        run(factory, real, STEPS, targets=targets)
        complex_targets = [torch.view_as_complex(t.contiguous()) for t in targets]
        optimizer = factory(as_complex)
        for _ in range(STEPS):
            optimizer.zero_grad(set_to_none=True)
            with torch.enable_grad():
                loss = sum((((torch.view_as_real(p) - torch.view_as_real(t)) ** 2 * 0.5
                             + 0.1 * torch.sin(3 * torch.view_as_real(p))).sum()
                            for p, t in zip(as_complex, complex_targets)), torch.zeros(()))
                loss.backward()
            optimizer.step(lambda: loss) if factory.takes_closure else optimizer.step()
    except (RuntimeError, TypeError, ValueError, NotImplementedError) as exc:
        return f"complex not supported ({str(exc)[:80]})"
    found = first_difference(real, [torch.view_as_real(p) for p in as_complex], 1e-5, 1e-6)
    if found:
        raise Broken(f"a complex parameter against its real view, {STEPS} steps: {found}")
    return "complex steps like its real view"


def shape_invariance(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    name = factory.cls.__name__
    if not factory.elementwise:
        raise NotApplicable(f"{name} is not declared elementwise (list it under 'elementwise:')")
    split = initial(shapes)
    flat = [torch.cat([p.detach().reshape(-1) for p in split]).requires_grad_()]
    targets = targets_like(split)
    flat_targets = [torch.cat([t.reshape(-1) for t in targets])]
    run(factory, split, STEPS, targets=targets)
    run(factory, flat, STEPS, targets=flat_targets)
    joined = [torch.cat([p.detach().reshape(-1) for p in split])]
    found = first_difference(joined, flat)
    if found:
        raise Broken(f"the same values as tensors of shapes {shapes} and as one flat tensor, "
                     f"{STEPS} steps: {found} (expected: the split run, found: the flat one)")
    return f"shapes {shapes} step as one flat tensor does"


def maximize(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    if not factory.has("maximize"):
        raise NotApplicable("it has no maximize option")
    up, _ = run(factory, initial(shapes), STEPS, maximize=True)
    down, _ = run(factory, initial(shapes), STEPS, sign=-1.0)
    # maximize=True on f climbs f; minimising -f climbs it too, with the same arithmetic.
    found = first_difference(down, up)
    if found:
        raise Broken(f"maximize=True on f against minimising -f, {STEPS} steps: {found}")
    return "maximize=True on f equals minimising -f, bitwise"


def sparse(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    device = current_device()
    rows = torch.tensor([1, 3], device=device)
    table = initial([(6, 4)])[0]
    dense = table.detach().clone().requires_grad_()
    grads = torch.linspace(-1.0, 1.0, 8, device=device).view(2, 4)
    try:
        optimizer = factory([table])
        for step in range(STEPS):
            table.grad = torch.sparse_coo_tensor(rows.view(1, -1), grads * (step + 1), (6, 4),
                                                 check_invariants=True)
            optimizer.step(lambda: torch.zeros(())) if factory.takes_closure else optimizer.step()
    except Exception as exc:  # noqa: BLE001 - a class that refuses sparse gradients, in any words
        raise NotApplicable(f"it does not take sparse gradients ({type(exc).__name__}: "
                            f"{str(exc)[:120]})") from None
    untouched = [i for i in range(6) if i not in rows.tolist()]
    found = first_difference([dense.detach()[untouched]], [table.detach()[untouched]])
    if found:
        raise Broken(f"rows without a sparse gradient moved: {found}")
    try:
        optimizer = factory([dense])
        for step in range(STEPS):
            full = torch.zeros(6, 4, device=device)
            full[rows] = grads * (step + 1)
            dense.grad = full
            optimizer.step(lambda: torch.zeros(())) if factory.takes_closure else optimizer.step()
    except RuntimeError:
        return "rows without a gradient stay; the class takes no dense gradients to compare"
    found = first_difference([dense], [table], *AGREEMENT[torch.float32])
    if found:
        raise Broken(f"sparse gradients against the same gradients dense, {STEPS} steps: {found}")
    return "sparse gradients step as the same gradients dense"


def differentiable(factory: Factory, shapes: list[tuple[int, ...]]) -> str:
    if not factory.has("differentiable"):
        raise NotApplicable("it has no differentiable option")
    shape = (3,) if (3,) in shapes or (5,) in shapes else shapes[0]
    generator = torch.Generator().manual_seed(0)
    p, g = (torch.randn(shape, generator=generator, dtype=torch.float64).to(current_device())
            .requires_grad_() for _ in range(2))

    def stepped(p: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        q = p.clone()
        q.grad = g
        optimizer = factory([q], differentiable=True)
        with torch.enable_grad():
            optimizer.step(lambda: torch.zeros((), dtype=torch.float64)) \
                if factory.takes_closure else optimizer.step()
        return q

    try:
        torch.autograd.gradcheck(stepped, (p, g), eps=1e-6, atol=1e-4, raise_exception=True)
    except RuntimeError as exc:  # GradcheckError
        raise Broken(f"gradcheck through one step with differentiable=True failed: "
                     f"{str(exc).splitlines()[0][:300]}") from None
    return "gradcheck through a step with differentiable=True"


