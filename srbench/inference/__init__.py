"""Upscaling images with any srbench method: tiled inference, colour handling, histogram matching, PNG output.

* :func:`upscale_tiled` runs a network on overlapping tiles and stitches the result (exact for a receptive field
  smaller than the overlap; see :mod:`srbench.tiling`).
* :func:`upscale_image` upscales one ``uint8`` array; :func:`upscale_path` one file or a folder of images,
  recording how each PNG was made in the PNG itself (``srbench upscale``).
"""

from srbench.inference.upscale import UpscaleResult, read_png_info, upscale_image, upscale_path
from srbench.tiling import upscale_tiled

__all__ = ["UpscaleResult", "read_png_info", "upscale_image", "upscale_path", "upscale_tiled"]
