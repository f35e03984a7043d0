"""The chaos canary: move every model's initial weights by one ulp.

Set ``LRLIB_NUDGE_WEIGHTS=1`` before Python starts (``make nbval-portability`` does) and
importing :mod:`lrlib` patches :class:`torch.optim.Optimizer` so that, when an optimizer
is built, every nonzero floating-point parameter it will train moves to the next
representable value towards +inf (:func:`torch.nextafter`). Each parameter moves once,
however many optimizers see it; weights loaded afterwards from a checkpoint are not
touched, so an exact resume stays exact.

A printed number that changes under this nudge depends on the last bit of the
arithmetic, so another CPU (another matrix-product kernel) can change it too: it is not
a result. Nothing here runs unless the variable is set.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import torch
from torch.optim import Optimizer

__all__ = ["ENV", "install", "install_from_env", "nudge_"]

#: The environment variable that switches the canary on.
ENV = "LRLIB_NUDGE_WEIGHTS"

_MARK = "_lrlib_nudged"
_installed = False


@torch.no_grad()
def nudge_(tensor: torch.Tensor) -> torch.Tensor:
    """Move every nonzero entry of a floating tensor one ulp towards +inf, in place."""
    if tensor.is_floating_point() and tensor.numel():
        up = torch.full_like(tensor, float("inf"))
        tensor.copy_(torch.where(tensor != 0, torch.nextafter(tensor, up), tensor))
    return tensor


def install() -> None:
    """Patch ``Optimizer.__init__`` to nudge each parameter once (idempotent)."""
    global _installed
    if _installed:
        return
    original = Optimizer.__init__

    @functools.wraps(original)
    def __init__(self: Optimizer, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        for group in self.param_groups:
            for p in group["params"]:
                if isinstance(p, torch.Tensor) and not getattr(p, _MARK, False):
                    nudge_(p.data)
                    setattr(p, _MARK, True)

    Optimizer.__init__ = __init__  # type: ignore[method-assign]
    _installed = True


def install_from_env() -> bool:
    """Install the canary if ``LRLIB_NUDGE_WEIGHTS`` is set to a non-empty value other
    than ``0``; returns whether it is active."""
    if os.environ.get(ENV, "") not in ("", "0"):
        install()
    return _installed
