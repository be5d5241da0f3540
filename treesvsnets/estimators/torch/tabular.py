"""The nets that compete on tables, around the published modules.

- ``resnet`` and ``ft_transformer``: Gorishniy et al. 2021, "Revisiting Deep Learning Models
  for Tabular Data" (``rtdl-revisiting-models``'s ``ResNet``, on the numbers and the
  flattened category embeddings, and ``FTTransformer``, categories as tokens);
- ``mlp_plr``: the MLP on periodic embeddings of the numbers (PLR), Gorishniy et al. 2022,
  "On Embeddings for Numerical Features in Tabular Deep Learning" (``rtdl-num-embeddings``'s
  ``PeriodicEmbeddings``, ``lite=False``, then rtdl's ``MLP``);
- ``tabm``: Gorishniy et al. 2025, "TabM: Advancing Tabular Deep Learning with
  Parameter-Efficient Ensembling" (the ``tabm`` package's ``TabM.make``, on PLR-lite
  embeddings): k MLPs sharing most weights, trained at once; the training loss is each
  head's (see :class:`~treesvsnets.estimators.torch.objectives.HeadsLoss`), a prediction the
  heads' mean probability (their mean for regression).

Every module here takes the flat rows the harness gives every estimator. A table's
categorical columns arrive last, as the training fold's category codes (-1 for a category
the fold never had, see :func:`treesvsnets.datasets.columns.category_codes`):
:class:`TableInputs` says what a module is built for (the numbers, then one code column per
cardinality, and the outputs); :class:`TabularNet` splits a row into its numbers and its
codes (an unseen code, negative or past the fold's categories, becomes its column's last
index), and each module learns an embedding per category (FT-Transformer's categorical
tokens; a vector per category, per column, for the others; TabM's own one-hot encoding),
with one more entry per column for an unseen category; :func:`cardinalities_of` counts each
code column's categories in the training rows. The packages are imported when a module is
built. Each builder's settings and their defaults are declared once, in
:data:`treesvsnets.estimators.architectures.TABLE_NETS`, which the registry reads too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from treesvsnets.estimators.architectures import module_settings


@dataclass(frozen=True)
class TableInputs:
    """What a tabular module is built for: the numeric columns first, then one column of
    codes per entry of ``cardinalities`` (each column's category count in the training
    fold), and the outputs (classes, or 1 for a regressor)."""

    n_numeric: int
    cardinalities: tuple[int, ...]
    n_outputs: int

    @property
    def embedded(self) -> list[int]:
        """The embedding tables' sizes: each column's categories, and one for the unseen."""
        return [cardinality + 1 for cardinality in self.cardinalities]


class TabularNet(nn.Module):
    """A row -> (numbers, codes): the codes as indices, an unseen one (negative, or past the
    training fold's categories) as its column's last index. Subclasses define
    :meth:`forward_parts`."""

    def __init__(self, inputs: TableInputs) -> None:
        super().__init__()
        self.n_numeric = inputs.n_numeric
        self.register_buffer(
            "cardinalities", torch.tensor(inputs.cardinalities, dtype=torch.long), persistent=True
        )

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        numbers = x[:, : self.n_numeric] if self.n_numeric else None
        if not len(self.cardinalities):
            return numbers, None
        codes = x[:, self.n_numeric :].long()
        unseen = (codes < 0) | (codes >= self.cardinalities)
        return numbers, torch.where(unseen, self.cardinalities, codes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_parts(*self.split(x))

    def forward_parts(self, numbers: torch.Tensor | None, codes: torch.Tensor | None):
        raise NotImplementedError


class FlatEmbeddingNet(TabularNet):
    """A backbone on the concatenation of the numbers (embedded by ``numeric``, or as they
    are) and a learned vector per category of each categorical column."""

    def __init__(
        self, inputs: TableInputs, d_embedding: int, numeric: nn.Module | None = None
    ) -> None:
        super().__init__(inputs)
        from rtdl_revisiting_models import CategoricalEmbeddings

        self.numeric = numeric
        self.categorical = (
            CategoricalEmbeddings(inputs.embedded, d_embedding) if inputs.cardinalities else None
        )
        d_numbers = inputs.n_numeric * (d_embedding if numeric is not None else 1)
        self.d_in = d_numbers + len(inputs.cardinalities) * d_embedding
        self.backbone: nn.Module = nn.Identity()

    def forward_parts(self, numbers, codes):
        parts = []
        if numbers is not None:
            parts.append(numbers if self.numeric is None else self.numeric(numbers).flatten(1))
        if codes is not None:
            parts.append(self.categorical(codes).flatten(1))
        return self.backbone(torch.cat(parts, dim=1) if len(parts) > 1 else parts[0])


def resnet(inputs: TableInputs, **given: Any) -> nn.Module:
    """Linear -> [BatchNorm -> Linear -> ReLU -> Dropout -> Linear -> Dropout + skip] x n_blocks
    -> BatchNorm -> ReLU -> Linear, on the numbers and the categories' embeddings."""
    from rtdl_revisiting_models import ResNet

    settings = module_settings("resnet", given)
    net = FlatEmbeddingNet(inputs, settings["d_embedding"])
    net.backbone = ResNet(
        d_in=net.d_in,
        d_out=inputs.n_outputs,
        n_blocks=settings["n_blocks"],
        d_block=settings["d_block"],
        d_hidden_multiplier=settings["d_hidden_multiplier"],
        dropout1=settings["dropout"],
        dropout2=settings["residual_dropout"],
    )
    return net


def mlp_plr(inputs: TableInputs, **given: Any) -> nn.Module:
    """Each number -> periodic embedding (sin and cos of learned frequencies -> Linear ->
    ReLU), each category -> its vector, then [Linear -> ReLU -> Dropout] x n_blocks -> Linear."""
    from rtdl_num_embeddings import PeriodicEmbeddings
    from rtdl_revisiting_models import MLP

    settings = module_settings("mlp_plr", given)
    periodic = (
        PeriodicEmbeddings(
            inputs.n_numeric,
            settings["d_embedding"],
            n_frequencies=settings["n_frequencies"],
            frequency_init_scale=settings["frequency_scale"],
            lite=False,
        )
        if inputs.n_numeric
        else None
    )
    net = FlatEmbeddingNet(inputs, settings["d_embedding"], numeric=periodic)
    net.backbone = MLP(
        d_in=net.d_in,
        d_out=inputs.n_outputs,
        n_blocks=settings["n_blocks"],
        d_block=settings["d_block"],
        dropout=settings["dropout"],
    )
    return net


class FTTransformerNet(TabularNet):
    """FT-Transformer: a token per number (linear embedding) and per category (its learned
    vector), a [CLS] token, n_blocks of attention and ReGLU feed-forward, the [CLS] token's
    output -> LayerNorm -> ReLU -> Linear."""

    def __init__(self, inputs: TableInputs, **backbone: float | int) -> None:
        super().__init__(inputs)
        from rtdl_revisiting_models import FTTransformer

        self.transformer = FTTransformer(
            n_cont_features=inputs.n_numeric,
            cat_cardinalities=inputs.embedded if inputs.cardinalities else [],
            d_out=inputs.n_outputs,
            ffn_d_hidden=None,
            ffn_d_hidden_multiplier=4 / 3,
            **backbone,
        )

    def forward_parts(self, numbers, codes):
        return self.transformer(numbers, codes)


def ft_transformer(inputs: TableInputs, **given: Any) -> nn.Module:
    settings = module_settings("ft_transformer", given)
    settings["attention_n_heads"] = settings.pop("attention_heads")
    return FTTransformerNet(inputs, **settings)


class TabMNet(TabularNet):
    """TabM: k MLPs sharing their weights but for per-head scalings (BatchEnsemble), on
    periodic embeddings of the numbers (TabM's "TabM†" with PLR-lite embeddings) and one-hot
    categories. Training returns every head's outputs, (rows, k, outputs); evaluation their
    mean probability as logits (a classifier: ``log(mean(softmax))``) or their mean."""

    trains_heads = True  # the training loop takes every head's loss

    def __init__(self, inputs: TableInputs, k: int, d_embedding: int, **backbone) -> None:
        super().__init__(inputs)
        from rtdl_num_embeddings import PeriodicEmbeddings
        from tabm import TabM

        self.classifier = inputs.n_outputs > 1
        embeddings = (
            PeriodicEmbeddings(inputs.n_numeric, d_embedding, lite=True)
            if inputs.n_numeric and d_embedding
            else None
        )
        self.tabm = TabM.make(
            n_num_features=inputs.n_numeric,
            cat_cardinalities=inputs.embedded if inputs.cardinalities else None,
            d_out=inputs.n_outputs,
            num_embeddings=embeddings,
            k=k,
            **backbone,
        )

    def forward_parts(self, numbers, codes):
        heads = self.tabm(numbers, codes)  # (rows, k, outputs)
        if self.training:
            return heads
        if self.classifier:
            return torch.logsumexp(torch.log_softmax(heads, dim=-1), dim=1) - torch.log(
                torch.tensor(float(heads.shape[1]), device=heads.device)
            )
        return heads.mean(dim=1)


def tabm(inputs: TableInputs, **given: Any) -> nn.Module:
    """``ensemble_size`` heads (TabM's k) over n_blocks of d_block."""
    settings = module_settings("tabm", given)
    return TabMNet(
        inputs,
        k=settings.pop("ensemble_size"),
        d_embedding=settings.pop("d_embedding"),
        **settings,
    )


def cardinalities_of(codes: Sequence) -> tuple[int, ...]:
    """Each code column's category count in the training rows (codes 0..n-1; -1 unseen)."""
    import numpy as np

    codes = np.asarray(codes)
    if not len(codes):  # no rows: no category seen
        return (0,) * codes.shape[1]
    return tuple(int(max(column.max(), -1)) + 1 for column in codes.T)


__all__ = [
    "TableInputs",
    "TabularNet",
    "cardinalities_of",
    "ft_transformer",
    "mlp_plr",
    "resnet",
    "tabm",
]
