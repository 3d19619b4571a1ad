"""Tiled inference: run an SR function on overlapping LR tiles and stitch the SR tiles, exactly.

Why tiles: a fully convolutional network's activations grow with the image (Johnson x4 holds 64 channels at 16x
the LR area after its last upsampling stage), so a large image may not fit the GPU in one piece.

Why overlap: every SR pixel depends on the LR pixels within the network's receptive field. A tile is padded at
its own borders (zeros for Johnson, replicated pixels for SRCNN, mirrored ones for ``imresize``), where the whole
image has real neighbours, so SR pixels near a tile edge differ from the untiled output. Neighbouring tiles
therefore share ``overlap`` LR rows / columns, and each output pixel is taken from the tile in which it lies
farthest from an edge: the shared band is cut at its middle and each tile keeps its side of the cut (no
blending). Every kept pixel is then at least ``floor(overlap / 2)`` LR pixels from the edges of its tile (edges
that are image borders do not count: there the tile and the image are padded alike).

Exactness: if every SR pixel depends only on LR pixels at most ``r`` away (``r`` the receptive radius, in LR
pixels, on each side), the stitched output equals the untiled one whenever ``overlap >= 2 r``. Equal means the
same arithmetic on the same values; convolution libraries may still pick different algorithms (blocking,
summation order) for different input sizes, so float32 results may differ in the last bits (measured: 6e-8 on
[0, 1] for Johnson x4; ``tests/inference/test_tiling.py`` pins 1e-5, float64 1e-12; float64 came out
bit-identical on CPU). Linear
feathering of the shared band was not chosen: with a sufficient overlap both tiles are already exact there, and
with an insufficient one feathering only hides the seam.

Receptive radius of Johnson et al. x4 (:class:`srbench.models.johnson.JohnsonSR`), in LR pixels:

* the 9x9 head convolution reaches 4 pixels, the 4 residual blocks (two 3x3 convolutions each) 8 more: 12;
* each 3x3 stride-2 transposed convolution (padding 1, output padding 1) maps output ``2p`` from input ``p``
  and output ``2p + 1`` from inputs ``p`` and ``p + 1``: half an LR pixel at x2, a quarter at x4 (one side);
* the 9x9 tail convolution at x4 reaches 4 SR pixels, one LR pixel.

Measured by back-propagating from single SR pixels of a network with positive weights: the SR pixels of LR pixel
``p`` depend on LR pixels ``p - 13`` to ``p + 14``, a receptive field 28 LR pixels wide (x8 too: 13 / 14). So
``overlap >= 28`` makes tiled Johnson inference exact (27 is the bare minimum with the cut at the middle: the
kept side of a cut needs ``ceil(overlap / 2) >= 14``; with 26 float64 outputs differ by ~1e-7, with 27 they are
bit-identical on CPU). That is why the default overlap is 32 and not a "usual" 16: with 16 the seams of a
random-init float32 Johnson x4 differ from the untiled output by ~1e-4 on [0, 1], with 8 by ~3e-3. Batch norm
in eval mode is a per-channel affine map of each pixel (running statistics, not the tile's), so it does not
depend on the tile and does not break exactness; in training mode it would. For SRCNN (9-5-5 on the bicubic
upscale) the radius is 2 LR pixels of bicubic support plus 8 SR pixels of convolution; bicubic ``imresize``
alone needs 2.

Images no larger than one tile go through ``fn`` untiled. All tiles have the same size (the last tile of a row
or column is aligned to the image end, so it overlaps its neighbour more), which keeps the work per call even.

A low-level module: :mod:`srbench.methods` (SRCNN) and :mod:`srbench.inference` both tile, so it sits below both,
and it imports no torch (``srbench upscale --help`` shows its defaults).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from srbench.errors import ConfigError

if TYPE_CHECKING:  # the tiles are sliced and stitched with tensor methods only: importing this needs no torch
    from torch import Tensor

#: default LR tile size and overlap (pixels); ``overlap >= 28`` makes Johnson x4 / x8 tiling exact
DEFAULT_TILE = 256
DEFAULT_OVERLAP = 32


def check_tiling(tile: int | None, overlap: int) -> None:
    """Raise ``ConfigError`` unless ``tile`` (``None`` / 0: no tiling) and ``overlap`` can tile an image."""
    if overlap < 0:
        raise ConfigError(f"overlap {overlap} is negative; pass --overlap 0 or more (32 makes Johnson exact)")
    if tile is None or tile == 0:
        return
    if tile < 0:
        raise ConfigError(f"tile size {tile} is negative; pass --tile 0 (no tiling) or a positive size")
    if overlap >= tile:
        raise ConfigError(
            f"overlap {overlap} must be smaller than the tile size {tile}; lower --overlap or raise --tile"
        )


def tile_spans(n: int, tile: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Tiles along one axis of length ``n``: ``(start, end, keep_start, keep_end)`` in LR pixels.

    Tiles are ``min(tile, n)`` long and start every ``tile - overlap`` pixels, the last one at ``n - tile``; the
    kept ranges partition ``[0, n)`` with cuts at the middle of each shared band.
    """
    if n <= tile:
        return [(0, n, 0, n)]
    step = tile - overlap
    starts = [*range(0, n - tile, step), n - tile]
    cuts = [0] + [(starts[i + 1] + starts[i] + tile) // 2 for i in range(len(starts) - 1)] + [n]
    return [(s, s + tile, cuts[i], cuts[i + 1]) for i, s in enumerate(starts)]


def upscale_tiled(
    fn: Callable[[Tensor], Tensor],
    lr: Tensor,
    scale: int,
    tile: int | None = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
) -> Tensor:
    """Apply ``fn`` (LR ``(N, C, h, w)`` -> SR ``(N, C', s h, s w)``) to ``lr`` tile by tile and stitch the result.

    Args:
        fn: the SR function; it must return exactly ``scale`` times the size of what it is given.
        lr: ``(N, C, h, w)`` on any device and dtype; the output has ``fn``'s device and dtype.
        scale: the integer scale factor ``fn`` applies.
        tile: LR tile size in pixels (square); ``None`` or 0 runs ``fn`` on the whole image.
        overlap: LR pixels shared by neighbouring tiles; exact for a receptive radius ``r <= overlap // 2``.
    """
    check_tiling(tile, overlap)
    if lr.ndim != 4:
        raise ValueError(f"upscale_tiled expects (N, C, h, w), got {tuple(lr.shape)}")
    n, _, h, w = (int(d) for d in lr.shape)
    s = int(scale)

    def run(x: Tensor) -> Tensor:
        y = fn(x)
        want = (n, x.shape[-2] * s, x.shape[-1] * s)
        if y.ndim != 4 or (y.shape[0], y.shape[-2], y.shape[-1]) != want:
            raise ValueError(
                f"the SR function returned {tuple(y.shape)} for input {tuple(x.shape)}; expected x{s} of the input"
            )
        return y

    if not tile or (h <= tile and w <= tile):
        return run(lr)
    out: Tensor | None = None
    for y0, _y1, ky0, ky1 in tile_spans(h, tile, overlap):
        for x0, _x1, kx0, kx1 in tile_spans(w, tile, overlap):
            sr = run(lr[..., y0:_y1, x0:_x1])
            if out is None:
                out = sr.new_empty((n, sr.shape[1], h * s, w * s))
            out[..., ky0 * s : ky1 * s, kx0 * s : kx1 * s] = sr[
                ..., (ky0 - y0) * s : (ky1 - y0) * s, (kx0 - x0) * s : (kx1 - x0) * s
            ]
    assert out is not None
    return out
