"""The per-image steps between an HR file and the tensors the metrics see; pure functions over batches.

HR (uint8) -> mod-crop -> ground-truth luminance (``Y_gt``) and the method input (LR, in the method's colour
space) -> method -> optional histogram matching -> clip and round to uint8 -> luminance (``Y_sr``) -> shave.
Every choice comes from the :class:`~srbench.protocol.record.Protocol`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from srbench import kernels
from srbench.data.protocol_files import read_values
from srbench.errors import ConfigError, DataError
from srbench.methods.base import Space
from srbench.postprocess.histmatch import histmatch_batch
from srbench.protocol.colour import luminance, to_uint8_values
from srbench.protocol.crops import modcrop
from srbench.protocol.degradations import DEGRADATIONS
from srbench.protocol.record import Protocol


@dataclass
class HRImage:
    """A mod-cropped HR image, C = 3 or 1 (gray).

    ``data`` is the ``(C, H, W)`` tensor as decoded (uint8, 1 byte per value, for the usual 8-bit images); the
    float64 values on [0, 255] that the pipeline computes with are made by each step that needs them or on
    access (:attr:`pixels`). Holding a whole dataset as float64 would take 8x the memory, and on the CPU the
    first touch of that much fresh memory (page faults) was measured to cost more than the conversion.
    """

    id: str
    data: Tensor
    gray: bool

    @property
    def pixels(self) -> Tensor:
        """``(C, H, W)`` float64 on [0, 255] (a new tensor unless ``data`` is float64 already)."""
        return self.data.to(torch.float64)

    @property
    def size(self) -> tuple[int, int]:
        return int(self.data.shape[-2]), int(self.data.shape[-1])


def prepare_hr(image_id: str, array: np.ndarray, scale: int, protocol: Protocol) -> HRImage:
    """Mod-crop (if the protocol says so) and copy ``(H, W[, 3])`` uint8 to a ``(C, H, W)`` uint8 tensor."""
    if protocol.modcrop:
        array = modcrop(array, scale)
    h, w = array.shape[:2]
    if h % scale or w % scale:
        raise DataError(f"image {image_id} is {w}x{h}, not a multiple of the scale {scale}; enable mod-crop")
    if h < 2 * scale or w < 2 * scale:
        raise DataError(f"image {image_id} is {w}x{h}, too small for scale {scale}; drop it or use a smaller scale")
    gray = array.ndim == 2
    channels_first = array[None] if gray else array.transpose(2, 0, 1)
    dtype = np.uint8 if array.dtype == np.uint8 else np.float64  # other input keeps its values exactly
    return HRImage(image_id, torch.from_numpy(np.array(channels_first, dtype=dtype, order="C")), gray)


def hr_stack(images: Sequence[HRImage], device: torch.device) -> Tensor:
    """``(N, C, H, W)`` HR images of one shape on ``device``, in their decoded dtype (uint8 for 8-bit files).

    Every consumer (luminance, degradations, RGB metrics) converts to float64 itself, and the values are the
    same; skipping the float64 copy of the whole batch (8 bytes per value of fresh memory) is what it saves.
    """
    return torch.stack([img.data for img in images]).to(device)


def y_of(images: Tensor, gray: bool, protocol: Protocol) -> Tensor:
    """Protocol luminance ``(N, 1, H, W)`` on [0, 255] of ``(N, C, H, W)`` images on [0, 255]."""
    return luminance(images, gray_source=gray, gray=protocol.grayscale, rounding=protocol.y_rounding)  # type: ignore[arg-type]


def method_input(
    hr: Tensor, gray: bool, space: Space, protocol: Protocol, scale: int, y_hr: Tensor | None = None
) -> Tensor:
    """The LR a method of colour ``space`` receives, on [0, 1]: the protocol's degradation of the HR.

    ``y_hr``: ``y_of(hr, gray, protocol)`` when the caller has it already (it is not recomputed).
    """
    src = hr
    if space == "y":
        src = y_of(hr, gray, protocol) if y_hr is None else y_hr
    deg = DEGRADATIONS.get(protocol.degradation)
    lr = deg(src, scale, protocol.lr_path, protocol.lr_border)  # type: ignore[arg-type]
    if protocol.lr_quantize:
        lr = to_uint8_values(lr * 255.0) / 255.0
    return lr


def given_input(
    path: Path, hr: HRImage, space: Space, protocol: Protocol, scale: int, file_space: Space = "rgb"
) -> Tensor:
    """Read a given LR file for ``hr`` and convert it to the method's ``space``; ``(1, C, h, w)`` on [0, 1].

    ``file_space``: what the file holds (:mod:`srbench.data.protocol_files`): ``rgb``, the LR image (8-bit, or
    float64 on [0, 1] in a ``.npy`` file), converted to Y for luminance methods; ``y``, the protocol's LR
    luminance (``srbench degrade --space y``), given to luminance methods as it is.
    """
    arr, unit = read_values(path)
    h, w = hr.size
    if arr.shape[:2] != (h // scale, w // scale):
        raise DataError(
            f"{path}: LR is {arr.shape[1]}x{arr.shape[0]}, expected {w // scale}x{h // scale} "
            f"(HR {w}x{h} / {scale}); pass the LR folder made for this scale"
        )
    t = torch.from_numpy(np.array(arr, dtype=np.float64, copy=True))
    t = t[None, None] if arr.ndim == 2 else t.permute(2, 0, 1)[None]
    if file_space == "y":
        if space != "y":
            raise DataError(
                f"{path}: the folder holds luminance LR (srbench degrade --space y) but the method works on RGB; "
                "write the LR with --space rgb"
            )
        if t.shape[1] != 1:
            raise DataError(f"{path}: luminance LR must have one channel; write the folder again with srbench degrade")
        return t if unit else t / 255.0  # .npy files hold the values on [0, 1] exactly
    if not hr.gray and t.shape[1] != 3:
        raise DataError(f"{path}: LR is grayscale but the HR image is colour; use the matching LR file")
    if space == "y":
        return y_of(t * 255.0 if unit else t, hr.gray, protocol) / 255.0
    if hr.gray and t.shape[1] == 3:
        t = y_of(t * 255.0 if unit else t, True, protocol.replace(grayscale="as-y"))  # R = G = B -> the gray value
        return t / 255.0
    return t if unit else t / 255.0


def sr_to_y(sr: Tensor, lr: Tensor, gray: bool, space: Space, protocol: Protocol) -> Tensor:
    """SR output on [0, 1] -> (histogram matching) -> uint8 rounding -> protocol Y ``(N, 1, H, W)`` on [0, 255]."""
    if protocol.histmatch == "none" and protocol.quantize_sr and kernels.usable(sr):
        from srbench.kernels.pointwise_cpu import quantize

        x = torch.from_numpy(quantize(sr.numpy()))  # the steps below in one pass, equal bit for bit
        return x if space == "y" else y_of(x, gray, protocol)
    x = (sr.to(torch.float64) * 255.0).clamp_(0.0, 255.0)
    if protocol.histmatch != "none":
        ref = lr.to(torch.float64) * 255.0
        if protocol.histmatch == "y" and space == "rgb" and x.shape[1] == 3:
            x = histmatch_batch(y_of(x, gray, protocol.replace(y_rounding="float")), y_of(ref, gray, protocol))
            return to_uint8_values(x) if protocol.quantize_sr else x
        if ref.shape[1] != x.shape[1]:
            ref = ref.expand(-1, x.shape[1], -1, -1)
        x = histmatch_batch(x, ref)
    if protocol.quantize_sr:
        # x is clamped already: to_uint8_values(x) (round half away from zero), in place on this fresh tensor
        x = to_uint8_values(x) if protocol.histmatch != "none" else x.add_(0.5).floor_()
    if space == "y":
        return x
    return y_of(x, gray, protocol)


def sr_to_rgb(sr: Tensor, lr_rgb: Tensor, gray: bool, space: Space, protocol: Protocol, scale: int) -> Tensor:
    """SR output on [0, 1] -> the RGB image RGB metrics (LPIPS, DISTS) score, ``(N, C, H, W)`` on [0, 255].

    * RGB methods: the output itself.
    * Luminance methods (bicubic, SRCNN) on colour images: the SR Y recombined with the chroma of the RGB LR
      upscaled by MATLAB bicubic (``rgb2ycbcr`` -> ``imresize`` of Cb, Cr -> ``ycbcr2rgb``), as the SRCNN authors'
      colour results and :func:`srbench.inference.upscale.upscale_float` make them. The SR Y is the one that is
      scored, so it comes from the protocol's Y of the LR (rounded as MATLAB's uint8 ``rgb2ycbcr`` under
      ``standard``; ``srbench upscale`` feeds float Y, identical with ``--y-rounding float``). Grayscale images
      stay one channel (the metrics replicate it).
    * Histogram matching ``rgb`` is applied to the RGB image as for scoring Y; then clip and round to uint8 values
      (the image a user would save).

    ``lr_rgb``: the LR in RGB (``(N, 3, h, w)`` on [0, 1]; for grayscale images ``(N, 1, h, w)``).
    """
    from srbench.inference.colour_convert import rgb_to_ycbcr, ycbcr_to_rgb
    from srbench.protocol.imresize import imresize

    if protocol.histmatch == "y":
        raise ConfigError("RGB metrics (lpips, dists) are not defined with --histmatch y; use rgb or none")
    x = sr.to(torch.float64) * 255.0
    if space == "y" and not gray:
        ycc = rgb_to_ycbcr(lr_rgb.to(torch.float64) * 255.0)
        chroma = imresize(ycc[:, 1:] / 255.0, scale, kernel="cubic", path="double") * 255.0
        x = ycbcr_to_rgb(torch.cat([x, chroma.to(x.device)], dim=1))
    x = x.clamp(0.0, 255.0)
    if protocol.histmatch == "rgb":
        ref = lr_rgb.to(torch.float64) * 255.0
        if ref.shape[1] != x.shape[1]:
            ref = ref.expand(-1, x.shape[1], -1, -1)
        x = histmatch_batch(x, ref)
    return to_uint8_values(x.clamp(0.0, 255.0))
