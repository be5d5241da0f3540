"""Random, label-keeping transforms of each training batch, on the batch's device (``augment``).

``augment`` is a TorchNet parameter:

- ``False`` (the default): the training rows as they are;
- ``True``: images (the ``cnn``, or a user's module given ``image_shape``) each shifted by up
  to a tenth of their width and height and rotated by up to 10 degrees; sequences (the
  ``cnn1d``) each shifted by up to a tenth of their length and stretched or squeezed along it
  by up to 10% (the scale jitter);
- ``"flip"``: images as with ``True``, and half of them mirrored left to right.

Flips are the user's choice, not guessed from the data: a mirrored shirt is a shirt
(Fashion-MNIST: ``--param cnn.augment=flip``), a mirrored 2 is no digit (digits, MNIST:
``augment=true``), and only whoever knows the classes knows which. The nets' search spaces
offer ``False`` and ``True``, which suit any image or sequence set.

Why not ``torchvision.transforms.v2``: on a batch tensor a v2 transform draws ONE set of
random parameters for the whole batch (every image of a batch shifted and turned alike), a far
weaker augmentation than a draw per image, and calling it per image is a Python loop. Here
each sample gets its own affine map: one draw of uniforms makes the batch's ``(B, 2, 3)`` maps,
and ``affine_grid`` + ``grid_sample`` resample the whole batch in two kernels (a sequence is
an image one row high, so both kinds share them). Sampling is bilinear and the edges repeat
the border pixels (``padding_mode="border"``): the background, whatever the preprocessing
scaled it to.

Seeded, and on the device: the draws come from a generator on the batch's device, seeded once
per fit from the loop's own generator, so the same ``random_state`` gives the same transforms,
nothing goes through the CPU per batch, and a fit without augmentation draws nothing more than
before. The loop (:mod:`.training`) applies it to the training batches only: the validation
slice and every prediction see the rows as they are.

:func:`check_augment` refuses a value or an architecture it does not fit (``validate_params``
and every build call it); :func:`augmentation` is one fit's :class:`Augmentation`, or None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

from treesvsnets.errors import ConfigError

#: the values ``augment`` takes
AUGMENTS = (False, True, "flip")
#: the largest shift, as a fraction of the image's side or the sequence's length
MAX_SHIFT = 0.1
#: the largest rotation of an image, in degrees
MAX_ROTATION = 10.0
#: the largest stretch (or squeeze) of a sequence along its length, as a fraction
MAX_STRETCH = 0.1
#: how many samples' maps are drawn at once (a few kilobytes; each batch takes its share)
STOCK = 4096


def _shape_name(architecture: Any) -> str | None:
    """The parameter holding the shape an architecture's rows are augmented over."""
    if architecture == "cnn1d":
        return "sequence_shape"
    if architecture == "cnn" or callable(architecture):
        return "image_shape"
    return None


def check_augment(params: Mapping[str, Any]) -> None:
    """``augment`` is one of :data:`AUGMENTS`, on an architecture whose rows are images or
    sequences; ``"flip"`` only on images."""
    augment, architecture = params["augment"], params["architecture"]
    if not (isinstance(augment, bool) or augment == "flip"):
        raise ConfigError(f"augment must be false, true or 'flip', got {augment!r}.")
    if not augment:
        return
    name = getattr(architecture, "__name__", architecture)
    if _shape_name(architecture) is None:
        raise ConfigError(
            f"augment transforms images (the cnn) or sequences (the cnn1d), not the rows of "
            f"the {name}; leave augment=false for it."
        )
    if augment == "flip" and architecture == "cnn1d":
        raise ConfigError(
            "augment='flip' mirrors images; the cnn1d takes augment=true (shifts and stretches "
            "of each sequence)."
        )


class Augmentation:
    """The random transforms of one fit's training batches: flat rows in, flat rows out, each
    row reshaped to ``shape`` (``(channels, height, width)`` or ``(channels, length)``) and
    given its own affine map, drawn from ``generator`` (on the rows' device).

    The maps are drawn :data:`STOCK` samples at a time and handed out in order, and the
    sampling grid's pixel centres are made once, so a batch costs three kernels (its slice of
    maps times the centres, ``grid_sample``) rather than the twenty small ones that drawing
    its maps and calling ``affine_grid`` launch, which on a GPU or a small image cost as much
    as the resampling."""

    def __init__(self, shape: tuple[int, ...], flip: bool, generator: torch.Generator) -> None:
        self.shape = tuple(int(n) for n in shape)
        if len(self.shape) not in (2, 3):
            raise ConfigError(
                f"augment needs an image shape (channels, height, width) or a sequence shape "
                f"(channels, length), got {self.shape}."
            )
        self.flip = flip
        self.generator = generator
        self._stock: torch.Tensor | None = None
        self._used = 0
        self._centres: torch.Tensor | None = None

    @torch.no_grad()
    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        n = X.shape[0]
        channels, *size = self.shape
        height, width = ([1] if len(size) == 1 else []) + size
        images = X.reshape(n, channels, height, width)
        if self._centres is None:
            self._centres = _pixel_centres(height, width, X.device, X.dtype)
        if self._stock is None or self._used + n > len(self._stock):
            self._stock = self.maps(max(n, STOCK), X.device, X.dtype)
            self._used = 0
        maps = self._stock[self._used : self._used + n]
        self._used += n
        # what affine_grid computes: each output pixel's centre, mapped into the input
        grid = torch.matmul(self._centres, maps.transpose(1, 2)).view(n, height, width, 2)
        moved = F.grid_sample(
            images, grid, mode="bilinear", padding_mode="border", align_corners=False
        )
        return moved.reshape(n, -1)

    def maps(self, n: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """``n`` affine maps ``(n, 2, 3)`` from output to input coordinates (``affine_grid``'s
        [-1, 1] units, where a side spans 2), one per sample: a shift, and a rotation (with
        a mirror for half of them under ``flip``) of an image, or a stretch of a sequence."""
        draws = torch.rand(n, 4, generator=self.generator, device=device, dtype=dtype) * 2 - 1
        shift_x, shift_y = 2 * MAX_SHIFT * draws[:, 0], 2 * MAX_SHIFT * draws[:, 1]
        zero, one = torch.zeros_like(shift_x), torch.ones_like(shift_x)
        if len(self.shape) == 2:  # a sequence: stretched and shifted along its length only
            stretch = 1 + MAX_STRETCH * draws[:, 2]
            rows = [(stretch, zero, shift_x), (zero, one, zero)]
        else:
            height, width = self.shape[1:]
            angle = math.radians(MAX_ROTATION) * draws[:, 2]
            cos, sin = angle.cos(), angle.sin()
            mirror = torch.where(draws[:, 3] < 0, -one, one) if self.flip else one
            # a rotation in pixels, written in [-1, 1] units (the aspect ratio scales the
            # off-diagonal terms), after an optional mirror of x
            rows = [
                (cos * mirror, -sin * height / width, shift_x),
                (sin * width / height * mirror, cos, shift_y),
            ]
        return torch.stack([torch.stack(row, dim=1) for row in rows], dim=1)


def _pixel_centres(
    height: int, width: int, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """``(height * width, 3)``: each pixel centre's (x, y, 1) in [-1, 1] units, row by row (as
    ``affine_grid`` places them with ``align_corners=False``)."""
    y, x = torch.meshgrid(
        (torch.arange(height, device=device, dtype=dtype) * 2 + 1) / height - 1,
        (torch.arange(width, device=device, dtype=dtype) * 2 + 1) / width - 1,
        indexing="ij",
    )
    return torch.stack([x.reshape(-1), y.reshape(-1), torch.ones_like(x).reshape(-1)], dim=1)


def augmentation(
    params: Mapping[str, Any], device: torch.device, generator: torch.Generator
) -> Augmentation | None:
    """One fit's augmentation (None with ``augment=False``, drawing nothing from
    ``generator``): its own generator on ``device``, seeded from the loop's ``generator``."""
    check_augment(params)
    augment = params["augment"]
    if not augment:
        return None
    name = _shape_name(params["architecture"])
    shape = params[name]
    if not shape:
        raise ConfigError(f"augment needs {name}: the shape each row is transformed as.")
    seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    own = torch.Generator(device=device).manual_seed(seed)
    return Augmentation(tuple(shape), augment == "flip", own)


__all__ = ["AUGMENTS", "Augmentation", "augmentation", "check_augment"]
