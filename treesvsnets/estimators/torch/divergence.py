"""Whether a fit diverged, read from its history: the sentence a result row records.

:func:`divergence` returns ``"diverged: ..."`` (what, and at which epoch) or None;
:class:`~treesvsnets.estimators.torch.net.TorchNet` keeps it as ``diverged_`` and warns.

A net that diverges still returns predictions, and its row a score far below the baseline;
without a word on why, a reader blames the architecture. A fit has diverged when, at the
epoch whose weights the model ends with (the last, or the one early stopping restored):

- a training or validation loss is not finite (at that epoch or before it);
- its training loss is above where it began: above the first epoch's, or above what an
  untrained net's constant prediction scores on the training rows (the mean of a
  standardised target: 1.0; every class alike: log of the classes), by more than half
  (:data:`MARGIN`: noise is no divergence). With an L1 penalty, whose weight the training
  loss carries, only the first epoch's counts; a constant target's constant prediction
  scores 0, and is not compared with. A loss that ends above the constant's while still
  falling since the first epoch (blown up at the first steps, or a few epochs on unscaled
  inputs) says so, with where it began;
- its validation loss is more than :data:`VALIDATION_BLOWUP` times its best, and above the
  constant prediction's (a net that overfits a small validation slice can go from 0.004 to
  0.06: that is no divergence).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

#: a training loss this much above its start (relatively) is divergence, not noise: a
#: small net on a few hundred noisy rows ends up to 10% above the constant's loss; a
#: diverged one ends orders of magnitude above it (or not finite)
MARGIN = 0.5
#: a validation loss this many times its best is a blow-up
VALIDATION_BLOWUP = 10.0


def _number(value: float) -> str:
    """Four significant digits, a whole number shown as one (1.0, not 1)."""
    text = f"{value:.4g}"
    return text if any(c in text for c in ".en") else f"{text}.0"


def divergence(
    history: Sequence[dict[str, Any]],
    constant_loss: float | None,
    constant: str,
    final_epoch: int | None = None,
) -> str | None:
    """``"diverged: ..."`` (one clause saying what and at which epoch), or None.

    ``history`` is the fit's epochs (``epoch``, ``train_loss``, maybe ``val_loss``);
    ``constant_loss`` is what predicting ``constant`` (in words) scores on the training rows;
    ``final_epoch`` is the epoch whose weights were restored (None: the last epoch's)."""
    if not history:
        return None
    final = next((e for e in history if e["epoch"] == final_epoch), history[-1])
    used = [e for e in history if e["epoch"] <= final["epoch"]]
    for epoch in used:
        for key, what in (("train_loss", "training loss"), ("val_loss", "validation loss")):
            value = epoch.get(key)
            if value is not None and not math.isfinite(value):
                return f"diverged: {what} {value} at epoch {epoch['epoch']}"
    loss = final["train_loss"]
    where = f"training loss {_number(loss)} at epoch {final['epoch']}"
    first = history[0]["train_loss"]
    # a constant target's constant scores 0: any loss is above it, and that is no divergence
    if constant_loss and loss > (1 + MARGIN) * constant_loss:
        falling = (  # blown up at the first steps, or too few epochs on unscaled inputs
            f" (still falling from {_number(first)} at epoch 1)"
            if final is not history[0] and loss < first
            else ""
        )
        return (
            f"diverged: {where}, above the {_number(constant_loss)} of predicting {constant}"
            + falling
        )
    if final is not history[0] and loss > (1 + MARGIN) * first:
        return f"diverged: {where}, above the {_number(first)} it began with at epoch 1"
    validation = [(e["val_loss"], e["epoch"]) for e in used if e.get("val_loss") is not None]
    if validation and final.get("val_loss") is not None:
        best, best_epoch = min(validation)
        above_constant = constant_loss is None or final["val_loss"] > constant_loss
        if final["val_loss"] > VALIDATION_BLOWUP * best and above_constant:
            return (
                f"diverged: validation loss {_number(final['val_loss'])} at epoch "
                f"{final['epoch']}, more than {VALIDATION_BLOWUP:g}x its best "
                f"({_number(best)} at epoch {best_epoch})"
            )
    return None
