r"""Several seeded runs of one MLP trained side by side, in one batched model.

A run of the book's small MLPs is a few hundred tiny steps, and their time goes to
Python and PyTorch overhead rather than to arithmetic. :class:`SeedStack` holds the
MLPs of several runs at once: slice :math:`i` of every weight is the weight of
``lrlib.train.mlp(..., seed=seeds[i])``, and every layer is a batched product

.. math::

    h^{(i)}_{l+1} = \sigma\bigl(h^{(i)}_l W^{(i)}_l + b^{(i)}_l\bigr),
    \qquad i = 1, \dots, n,

of slice :math:`i` of the input (the activation :math:`\sigma` is left out after the
last layer). Trained on the loss :math:`L = \sum_i L_i`, where :math:`L_i` is run
:math:`i`'s mean loss on its own batch, the gradient in slice :math:`i` is
:math:`\partial L/\partial W^{(i)} = \partial L_i/\partial W^{(i)}`, since no other
term depends on it. SGD (with momentum and weight decay), Adam and AdamW act entry by
entry, so each slice takes exactly the steps its run would take alone, at about the
cost of one run. Optimizers that couple entries (a global gradient-norm clip, LBFGS)
break this.

The slices may be split into consecutive *groups*, each a set of tensors of its own
(:meth:`SeedStack.group_parameters`), so that each group can be a param group of the
optimizer with its own learning rate, as in a sweep over peak learning rates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import cast

import torch
from torch import nn

from ._validate import check_int, check_ints, check_seed
from .train import mlp

__all__ = ["SeedStack"]


def _linears(net: nn.Sequential) -> list[nn.Linear]:
    return [m for m in net if isinstance(m, nn.Linear)]


class SeedStack(nn.Module):
    """The MLPs of several seeded runs side by side (see the module's docstring).

    ``SeedStack(in_features, out_features, seeds, hidden=..., activation=...)`` stacks
    ``mlp(in_features, out_features, hidden, seed=s, activation=activation)`` for each
    ``s`` in ``seeds`` (a seed may repeat, e.g. one copy per learning rate). ``groups``
    gives the sizes of consecutive groups of slices (default: one group of all of
    them); group ``g``'s tensors are :meth:`group_parameters` ``(g)``.

    :meth:`forward` maps ``x`` of shape ``(slices, batch, in_features)`` to logits of
    shape ``(slices, batch, out_features)``; :meth:`losses` gives each slice's mean
    cross-entropy, whose sum is the loss to train on; :meth:`model` gives slice ``i``
    as an ordinary ``mlp`` (a copy). Everything is in :data:`lrlib.train.DTYPE`.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        seeds: Sequence[int],
        *,
        hidden: Sequence[int] = (64,),
        activation: Callable[[], nn.Module] = nn.ReLU,
        groups: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        in_features = check_int("in_features", in_features, minimum=1)
        out_features = check_int("out_features", out_features, minimum=1)
        seed_list = check_ints("seeds", seeds)
        if not seed_list:
            raise ValueError("seeds must hold at least one seed, got none")
        seed_list = [check_seed(f"seeds[{i}]", s) for i, s in enumerate(seed_list)]
        hidden = check_ints("hidden", hidden, minimum=1)
        if not callable(activation):
            raise TypeError(
                f"activation must be callable, got {type(activation).__name__}"
            )
        act = activation()
        if not isinstance(act, nn.Module):
            raise TypeError(
                "activation must build a torch.nn.Module (such as torch.nn.ReLU), "
                f"got {type(act).__name__}"
            )
        if any(True for _ in act.parameters()):
            raise ValueError(
                "activation must have no parameters of its own (each slice would need "
                f"its own), got {type(act).__name__}"
            )
        if groups is None:
            sizes = [len(seed_list)]
        else:
            sizes = check_ints("groups", groups, minimum=1)
            if sum(sizes) != len(seed_list):
                raise ValueError(
                    f"groups must split the {len(seed_list)} slices of seeds into "
                    f"consecutive groups, but its sizes {sizes} add up to {sum(sizes)}"
                )
        nets = [
            mlp(in_features, out_features, hidden, seed=s, activation=activation)
            for s in seed_list
        ]
        self.in_features, self.out_features = in_features, out_features
        self.hidden = tuple(hidden)
        self.activation = activation
        self.seeds = tuple(seed_list)
        self.sizes = tuple(sizes)
        self.act = act
        self.depth = len(hidden) + 1
        self.blocks = nn.ModuleList()
        start = 0
        for size in sizes:
            block = nn.ParameterDict()
            layers = [_linears(net) for net in nets[start : start + size]]
            for k in range(self.depth):
                w = torch.stack([lay[k].weight.detach().T for lay in layers])
                b = torch.stack([lay[k].bias.detach()[None] for lay in layers])
                block[f"w{k}"] = nn.Parameter(w)
                block[f"b{k}"] = nn.Parameter(b)
            self.blocks.append(block)
            start += size

    def __len__(self) -> int:
        """The number of slices (runs)."""
        return len(self.seeds)

    def group_parameters(self, group: int) -> Iterator[nn.Parameter]:
        """The tensors of group ``group`` (its slices' weights and biases)."""
        group = check_int("group", group, minimum=0, maximum=len(self.sizes) - 1)
        return iter(self._block(group).values())

    def _block(self, group: int) -> nn.ParameterDict:
        # Every block is built as a ParameterDict in __init__; ModuleList types its
        # items as Module.
        return cast(nn.ParameterDict, self.blocks[group])

    def _layer(self, name: str) -> torch.Tensor:
        tensors = [self._block(g)[name] for g in range(len(self.sizes))]
        return tensors[0] if len(tensors) == 1 else torch.cat(tensors)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(slices, batch, out_features)`` of ``x`` ``(slices, batch, in)``:
        slice ``i`` of the output is slice ``i``'s MLP applied to slice ``i`` of x."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 3 or x.shape[0] != len(self) or x.shape[2] != self.in_features:
            raise ValueError(
                f"x must have shape ({len(self)}, batch, {self.in_features}), "
                f"got {tuple(x.shape)}"
            )
        for k in range(self.depth):
            x = torch.baddbmm(self._layer(f"b{k}"), x, self._layer(f"w{k}"))
            if k < self.depth - 1:
                x = self.act(x)
        return x

    def losses(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Each slice's mean cross-entropy on its own batch, shape ``(slices,)``.

        ``x`` is ``(slices, batch, in_features)`` and ``y`` the class labels
        ``(slices, batch)``; train on ``losses(x, y).sum()``.
        """
        if not isinstance(y, torch.Tensor):
            raise TypeError(f"y must be a torch.Tensor, got {type(y).__name__}")
        out = self(x)
        if y.shape != out.shape[:2]:
            raise ValueError(
                f"y must have shape {tuple(out.shape[:2])} (slices, batch), "
                f"got {tuple(y.shape)}"
            )
        each = nn.functional.cross_entropy(
            out.flatten(0, 1), y.flatten(), reduction="none"
        )
        return each.view(y.shape).mean(dim=1)

    @torch.no_grad()
    def model(self, i: int) -> nn.Sequential:
        """Slice ``i`` as an ordinary :func:`lrlib.train.mlp`, a copy of its weights."""
        i = check_int("i", i, minimum=0, maximum=len(self) - 1)
        net = mlp(
            self.in_features,
            self.out_features,
            self.hidden,
            seed=self.seeds[i],
            activation=self.activation,
        )
        for k, layer in enumerate(_linears(net)):
            layer.weight.copy_(self._layer(f"w{k}")[i].T)
            layer.bias.copy_(self._layer(f"b{k}")[i, 0])
        return net

    def extra_repr(self) -> str:
        return (
            f"slices={len(self)}, in_features={self.in_features}, "
            f"hidden={self.hidden}, out_features={self.out_features}, "
            f"groups={self.sizes}"
        )
