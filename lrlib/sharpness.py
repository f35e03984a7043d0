r"""Sharpness: the top eigenvalue of the loss's Hessian, by power iteration.

For a loss :math:`L(\theta)` the Hessian :math:`H = \nabla^2 L(\theta)` is never formed.
A Hessian-vector product costs two backward passes (Pearlmutter's trick),

.. math:: H v = \nabla_\theta \big( \nabla_\theta L(\theta)^\top v \big),

and power iteration :math:`v_{k+1} = H v_k / \lVert H v_k \rVert` converges to the
eigenvector of the eigenvalue largest in *magnitude*. Its Rayleigh quotient
:math:`\lambda_k = v_k^\top H v_k` (with :math:`\lVert v_k \rVert = 1`) is returned.
Near a minimum :math:`H` is close to positive semi-definite and :math:`\lambda` is the
sharpness :math:`\lambda_{\max}`; gradient descent with step :math:`\eta` on a
quadratic is stable only while :math:`\lambda_{\max} < 2/\eta` (Cohen et al. 2021).

This is the *plain* Hessian. For Adam the step is preconditioned,
:math:`\theta \leftarrow \theta - \eta P^{-1} m` with
:math:`P = \mathrm{diag}(\sqrt{\hat v} + \epsilon)`, and the bound concerns the
preconditioned sharpness
:math:`\lambda_{\max}(P^{-1} H)`; pass ``precondition`` (the diagonal of :math:`P^{-1}`,
one tensor per parameter) to measure that instead. :math:`P^{-1/2} H P^{-1/2}` has the
same eigenvalues as :math:`P^{-1} H` and is symmetric, so the same iteration applies.

The estimate depends on the random start (``seed``) and on ``iterations``; in the
book's figures it is shown as approximate.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from ._validate import check_int

__all__ = ["top_eigenvalue"]


def _params(params: object) -> list[torch.Tensor]:
    if isinstance(params, torch.Tensor):
        raise TypeError("params must be a sequence of tensors, not one tensor")
    try:
        out: list[torch.Tensor] = list(params)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(
            f"params must be a sequence of tensors, got {type(params).__name__}"
        ) from None
    if not out:
        raise ValueError("params must hold at least one tensor")
    for i, p in enumerate(out):
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"params[{i}] must be a tensor, got {type(p).__name__}")
        if not p.requires_grad:
            raise ValueError(f"params[{i}] does not require grad")
    return out


def top_eigenvalue(
    loss_fn: Callable[[], torch.Tensor],
    params: Sequence[torch.Tensor],
    *,
    iterations: int = 20,
    seed: int = 0,
    precondition: Sequence[torch.Tensor] | None = None,
) -> float:
    r"""The Hessian eigenvalue of largest magnitude of ``loss_fn()`` in ``params``.

    Args:
        loss_fn: recomputes the scalar loss (called once).
        params: the tensors the Hessian is taken in (``model.parameters()``).
        iterations: power-iteration steps, from 1 to 100,000.
        seed: seeds the random unit start vector.
        precondition: optional positive tensors ``d`` shaped like ``params``; then the
            eigenvalue of :math:`D^{1/2} H D^{1/2}` (that of :math:`D H`) is returned,
            e.g. ``d = 1 / (sqrt(v_hat) + eps)`` for Adam.

    Returns:
        The Rayleigh quotient :math:`v^\top H v` of the last iterate.
    """
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    ps = _params(params)
    iterations = check_int("iterations", iterations, minimum=1, maximum=100_000)
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    scale: list[torch.Tensor] | None = None
    if precondition is not None:
        if isinstance(precondition, (torch.Tensor, str, bytes)):
            raise TypeError("precondition must be a sequence of tensors")
        try:
            pre = list(precondition)
        except TypeError:
            raise TypeError(
                "precondition must be a sequence of tensors, got "
                f"{type(precondition).__name__}"
            ) from None
        if len(pre) != len(ps):
            raise ValueError(
                f"precondition has {len(pre)} tensors, params has {len(ps)}"
            )
        scale = []
        for i, (d, p) in enumerate(zip(pre, ps)):
            if not isinstance(d, torch.Tensor):
                raise TypeError(f"precondition[{i}] must be a tensor")
            if d.shape != p.shape:
                raise ValueError(f"precondition[{i}] has shape {tuple(d.shape)}")
            if not bool(torch.all(d > 0)):
                raise ValueError(f"precondition[{i}] must be positive")
            scale.append(d.detach().to(p.dtype).sqrt())
    loss = loss_fn()
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise TypeError("loss_fn must return a scalar tensor")
    grads = torch.autograd.grad(loss, ps, create_graph=True)
    gen = torch.Generator().manual_seed(seed)
    v = [torch.randn(p.shape, generator=gen, dtype=p.dtype) for p in ps]

    def normalize(vs: list[torch.Tensor]) -> list[torch.Tensor]:
        norm = torch.sqrt(sum((x * x).sum() for x in vs))  # type: ignore[arg-type]
        return [x / norm for x in vs]

    def product(vs: list[torch.Tensor]) -> list[torch.Tensor]:
        if scale is not None:
            vs = [x * s for x, s in zip(vs, scale)]
        hv = torch.autograd.grad(grads, ps, grad_outputs=vs, retain_graph=True)
        out = [h.detach() for h in hv]
        if scale is not None:
            out = [x * s for x, s in zip(out, scale)]
        return out

    v = normalize(v)
    value = 0.0
    for _ in range(iterations):
        hv = product(v)
        value = float(sum((a * b).sum() for a, b in zip(v, hv)))
        if not all(torch.isfinite(h).all() for h in hv):
            return float("nan")
        total = float(torch.sqrt(sum((h * h).sum() for h in hv)))  # type: ignore[arg-type]
        if total == 0.0:
            return 0.0
        v = normalize(hv)
    return value
