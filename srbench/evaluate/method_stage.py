"""The method stage of an evaluation: HR images -> the method's input -> the method -> luminance, shaved.

The input is the protocol's degradation of the HR images (:func:`srbench.evaluate.pipeline.method_input`) or the
given LR files (:mod:`srbench.evaluate.lr_files`); the output is checked (size, NaN/Inf), turned into the
protocol's luminance and shaved, and optionally kept (:mod:`srbench.evaluate.save_sr`) and given to RGB metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import Tensor

from srbench.errors import DataError
from srbench.evaluate.grouping import groups_by_shape
from srbench.evaluate.lr_files import given_lr
from srbench.evaluate.pipeline import hr_stack, method_input, sr_to_rgb, sr_to_y, y_of
from srbench.evaluate.save_sr import SrFolder
from srbench.evaluate.sources import AnyHR, materialize
from srbench.evaluate.timing import Timer
from srbench.evaluate.workers import map_in_threads
from srbench.methods.base import Method
from srbench.protocol.crops import shave
from srbench.protocol.record import Protocol


def run_method(
    method: Method,
    images: Sequence[AnyHR],
    scale: int,
    protocol: Protocol,
    device: torch.device,
    timer: Timer,
    lr_folder: Path | None = None,
    batch: int = 8,
    advance: Callable[[int], None] = lambda n: None,
    workers: int = 1,
    rgb: dict[str, tuple[Tensor, Tensor]] | None = None,
    save: SrFolder | None = None,
) -> list[tuple[str, Tensor, Tensor]]:
    """Run ``method`` on ``images`` and return ``(image_id, y_sr, y_gt)`` per image, shaved, on the CPU.

    Groups of one shape run on ``workers`` threads (each group on its own, so no value depends on it). When
    ``rgb`` is a dict, it also receives ``image_id -> (rgb_sr, rgb_gt)`` for RGB metrics: ``(C, H, W)`` float32
    on [0, 255], shaved alike (:func:`srbench.evaluate.pipeline.sr_to_rgb`; C = 1 for grayscale images).
    ``save`` keeps the scored SR images (:mod:`srbench.evaluate.save_sr`).
    """
    border = protocol.shave_for(scale)

    def one_group(pending: list[AnyHR]) -> list[tuple[str, Tensor, Tensor]]:
        group = [materialize(g) for g in pending]  # decoded here, on this worker, if not yet
        gray = group[0].gray
        if any(g.gray != gray for g in group):  # split mixed gray/colour groups
            grays, colours = [g for g in group if g.gray], [g for g in group if not g.gray]
            return run_method(
                method, grays, scale, protocol, device, timer, lr_folder, 1, rgb=rgb, save=save
            ) + run_method(method, colours, scale, protocol, device, timer, lr_folder, batch, rgb=rgb, save=save)
        hr = hr_stack(group, device)
        ids = [g.id for g in group]
        with timer("to_y", device):
            y_gt = y_of(hr, gray, protocol)
        with timer("degrade", device):
            if not method.consumes_lr and protocol.histmatch == "none":
                # nothing reads it (histogram matching would): an empty LR batch of the right size and device
                lr = torch.empty((len(group), 1 if gray else 3, 0, 0), dtype=torch.float64, device=device)
            elif lr_folder is not None:
                lr = given_lr(lr_folder, group, method.space, protocol, scale, device)
            else:
                lr = method_input(hr, gray, method.space, protocol, scale, y_gt)
        with timer("method", device), torch.no_grad():
            sr = method.upscale(lr, scale, ids)
        expected = (hr.shape[-2], hr.shape[-1])
        if tuple(sr.shape[-2:]) != expected or sr.shape[0] != len(group):
            raise DataError(
                f"method {method.name} returned {tuple(sr.shape)} for {ids[0]}, expected {len(group)} images of "
                f"{expected[1]}x{expected[0]}; check the method's scale"
            )
        # the sum is finite unless a value is NaN/Inf (or the sum overflows, then the exact check below passes):
        # one reduction instead of a boolean map of the whole batch
        if not torch.isfinite(sr.sum()) and not torch.isfinite(sr).all():
            bad = [ids[i] for i in range(len(ids)) if not torch.isfinite(sr[i]).all()]
            raise DataError(
                f"method {method.name} produced NaN/Inf for image {bad[0]}; check the model and its weights"
            )
        with timer("to_y", device):
            y_sr = sr_to_y(sr, lr, gray, method.space, protocol)
        if save is not None:
            with timer("save_sr", device):
                save.save(ids, sr, y_sr, lr)
        y_sr, y_gt = shave(y_sr, border).cpu(), shave(y_gt, border).cpu()
        if rgb is not None:
            with timer("to_rgb", device):
                lr_rgb = lr
                if method.space == "y" and not gray:
                    if lr_folder is not None:
                        lr_rgb = given_lr(lr_folder, group, "rgb", protocol, scale, device)
                    else:
                        lr_rgb = method_input(hr, gray, "rgb", protocol, scale)
                rgb_sr = shave(sr_to_rgb(sr, lr_rgb, gray, method.space, protocol, scale), border)
                rgb_gt = shave(hr, border)
                if gray and rgb_sr.shape[1] == 3:
                    # an RGB method on a grayscale image: a grayscale image stays one channel (as `srbench upscale`
                    # writes it), the luminance that is scored, so its RGB metrics see one channel as for every method
                    rgb_sr = y_sr
                for i, image_id in enumerate(ids):
                    rgb[image_id] = (rgb_sr[i].to("cpu", torch.float32), rgb_gt[i].to("cpu", torch.float32))
        return [(image_id, y_sr[i], y_gt[i]) for i, image_id in enumerate(ids)]

    out: list[tuple[str, Tensor, Tensor]] = []
    for scored in map_in_threads(one_group, groups_by_shape(images, batch if method.batchable else 1), workers):
        out += scored
        advance(len(scored))
    return out
