"""Training data: random HR crops from folders of images, degraded on the fly with the ``blur-bicubic`` protocol.

Sampling is a pure function of ``(seed, global sample index g)``, so it is deterministic, resumable from one
integer and shardable without changing what is trained on:

* epoch ``e = g // n`` visits the ``n`` images in the order of a permutation drawn from
  ``numpy.random.default_rng([seed, e])``;
* the crop position of sample ``g`` comes from ``numpy.random.default_rng([seed, 1 << 32, g])``;
* iteration ``t`` (1-based) uses samples ``(t-1) B .. t B - 1`` of the global stream (B = the global batch size);
  with ``W`` data-parallel ranks, rank ``r`` takes its ``B / W`` consecutive samples of them, so one process and
  ``W`` processes see exactly the same samples.

Images are checked up front from their headers (readable, large enough); grayscale is replicated to RGB.
Decoded images are kept in memory up to ``cache_bytes`` (all of them for T91 / BSDS200-sized sets); the others
are decoded when sampled, the images of one batch in parallel threads (PIL releases the GIL while decoding).
The HR crops stay uint8 until the degradation, which runs on the training device in float64
(:data:`DEGRADATION`, exactly the protocol srbench evaluates with) and is cast to float32 for the network.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from srbench.data.imageio import list_images, read_image
from srbench.errors import ConfigError, DataError, access_error
from srbench.protocol.degradations import DEGRADATIONS

DEGRADATION = "blur-bicubic"
DEFAULT_CACHE_BYTES = 4 << 30


def _header_size(path: Path) -> tuple[int, int]:
    """(width, height) from the file header, without decoding the pixels."""
    try:
        with Image.open(path) as im:
            return int(im.size[0]), int(im.size[1])
    except PermissionError as exc:
        raise access_error(path, "read", exc) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        reason = str(exc).split("\n")[0] or type(exc).__name__
        raise DataError(
            f"{path}: cannot read image ({reason}); the file is corrupt or not an image, remove or replace it"
        ) from None


def find_training_images(
    folders: Sequence[str | os.PathLike[str]], crop: int
) -> tuple[list[tuple[Path, int, int]], list[Path]]:
    """The images of ``folders`` usable with ``crop``: ``([(path, width, height)], [too small])``.

    Every file must be a readable image (a corrupt one is an error: it would silently change the data). Images with
    a side shorter than ``crop`` cannot give a crop; they are skipped, not fatal, and returned second so the caller
    can report how many (e.g. 75 of T91's 91 images at the paper's 288 crops). A folder with no usable image is
    an error.
    """
    if not folders:
        raise ConfigError("no training data folder given; pass --data DIR (repeatable)")
    found: list[tuple[Path, int, int]] = []
    skipped: list[Path] = []
    for folder in folders:
        d = Path(folder).expanduser()
        if not d.is_dir():
            raise DataError(f"{d}: training data folder not found; pass --data with a folder of images")
        files = list_images(d)
        if not files:
            raise DataError(
                f"{d}: no images in the training data folder (expected .png/.jpg/.bmp/.tif files); "
                "point --data at a folder of training images"
            )
        for f in files:
            w, h = _header_size(f)
            if w < crop or h < crop:
                skipped.append(f)
            else:
                found.append((f, w, h))
    if not found:
        raise DataError(
            f"{', '.join(str(Path(f).expanduser()) for f in folders)}: no training image is at least "
            f"{crop}x{crop} (all {len(skipped)} are smaller than the crop); pass a smaller --crop or larger images"
        )
    return found, skipped


@dataclass(frozen=True)
class SamplerState:
    """Everything needed to continue the sample stream: the next global sample index (plus checks)."""

    next_sample: int
    seed: int
    n_images: int

    def to_dict(self) -> dict[str, int]:
        return {"next_sample": self.next_sample, "seed": self.seed, "n_images": self.n_images}


class TrainData:
    """Random ``crop x crop`` HR patches of the training images and their degraded LR inputs.

    Args:
        folders: one or more folders of training images (read non-recursively, sorted by name).
        crop: HR patch size; a multiple of ``scale``.
        scale: SR factor.
        seed: sampling seed.
        cache_bytes: keep decoded images in memory up to this many bytes.
        workers: threads decoding the images of a batch that are not in memory.
    """

    def __init__(
        self,
        folders: Sequence[str | os.PathLike[str]],
        crop: int,
        scale: int,
        seed: int = 0,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        workers: int = 4,
    ) -> None:
        if crop < 8 or crop % scale:
            raise ConfigError(f"crop {crop} must be at least 8 and a multiple of the scale {scale}; change --crop")
        self.folders = [str(Path(f).expanduser()) for f in folders]
        self.crop = int(crop)
        self.scale = int(scale)
        self.seed = int(seed)
        self.images, self.too_small = find_training_images(folders, crop)
        self.degradation = DEGRADATIONS.get(DEGRADATION)
        self._perm_cache: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()
        self._cache: dict[int, np.ndarray] = {}
        self._cache_left = int(cache_bytes)
        self._pool: ThreadPoolExecutor | None = None
        if workers > 1 and sum(3 * w * h for _, w, h in self.images) > cache_bytes:
            self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="srbench-decode")
            weakref.finalize(self, self._pool.shutdown, wait=False)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def files(self) -> list[str]:
        return [str(p) for p, _, _ in self.images]

    def _permutation(self, epoch: int) -> np.ndarray:
        with self._lock:
            perm = self._perm_cache.get(epoch)
            if perm is None:
                perm = np.random.default_rng([self.seed, epoch]).permutation(len(self.images))
                self._perm_cache = {epoch: perm, **{k: v for k, v in self._perm_cache.items() if k >= epoch - 1}}
            return perm

    def image(self, index: int) -> np.ndarray:
        """Decoded image ``index`` as uint8 ``(H, W, 3)`` (grayscale replicated)."""
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        path, w, h = self.images[index]
        arr = read_image(path)
        if arr.ndim == 2:
            arr = np.repeat(arr[:, :, None], 3, axis=2)
        if arr.shape[0] != h or arr.shape[1] != w:  # pragma: no cover - header and pixels disagree
            raise DataError(f"{path}: decoded size {arr.shape[1]}x{arr.shape[0]} differs from its header; replace it")
        with self._lock:
            if arr.nbytes <= self._cache_left and index not in self._cache:
                self._cache[index] = arr
                self._cache_left -= arr.nbytes
        return arr

    def sample(self, g: int) -> tuple[int, int, int]:
        """Global sample ``g`` -> (image index, top, left) of its crop."""
        n = len(self.images)
        index = int(self._permutation(g // n)[g % n])
        _, w, h = self.images[index]
        rng = np.random.default_rng([self.seed, 1 << 32, g])
        top = int(rng.integers(0, h - self.crop + 1))
        left = int(rng.integers(0, w - self.crop + 1))
        return index, top, left

    def hr_batch(self, start: int, count: int) -> Tensor:
        """HR crops of global samples ``start .. start + count - 1`` as uint8 ``(count, 3, crop, crop)``."""
        c = self.crop
        out = np.empty((count, c, c, 3), dtype=np.uint8)
        samples = [self.sample(start + k) for k in range(count)]
        indices = [s[0] for s in samples]
        if self._pool is not None and any(i not in self._cache for i in indices):
            images = list(self._pool.map(self.image, indices))
        else:
            images = [self.image(i) for i in indices]
        for k, ((_, top, left), img) in enumerate(zip(samples, images, strict=True)):
            out[k] = img[top : top + c, left : left + c]
        return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()

    def degrade(self, hr_uint8: Tensor) -> tuple[Tensor, Tensor]:
        """``(lr, hr)`` as float32 on [0, 1] on ``hr_uint8``'s device: LR by the ``blur-bicubic`` protocol."""
        hr64 = hr_uint8.to(torch.float64)
        lr = self.degradation(hr64, self.scale, "double", "symmetric")
        return lr.to(torch.float32), (hr64 / 255.0).to(torch.float32)

    def batch_samples(self, iteration: int, batch_size: int, rank: int = 0, world: int = 1) -> tuple[int, int]:
        """(first global sample, count) of ``rank``'s share of 1-based ``iteration``."""
        per_rank = batch_size // world
        return (iteration - 1) * batch_size + rank * per_rank, per_rank

    def state(self, next_iteration: int, batch_size: int) -> SamplerState:
        return SamplerState((next_iteration - 1) * batch_size, self.seed, len(self.images))
