"""``srbench study create``: the study folder (spec, plan and every image a worker sees).

Per HR image (mod-cropped to the scale by the protocol): the LR input is the protocol's degradation of the RGB
image, rounded to ``uint8``; every method upscales that LR with :func:`srbench.inference.upscale.upscale_image`
(``sr-dir:`` methods contribute their stored file instead); the *reference* is the nearest-neighbour upsampling of
the LR by pixel replication, ``ref[i, j] = lr[i // s, j // s]``, shown at 1:1 pixels. Crops (``crop > 0``) are
seeded ``crop x crop`` windows on the scale grid, cut identically from the reference, the SR images and the HR.
Sentinels compare the HR crop with a Gaussian-blurred copy (``sigma = sentinel_blur_sigma`` HR pixels), so one
answer is obviously right.

Unpredictable stimuli: file names are ``HMAC-SHA256(secret, stimulus, label)`` with a per-study random secret that
is used once here and stored nowhere, and every file of a stimulus is padded (a PNG ``tEXt`` chunk) to the same byte
size, so neither a name, nor a size, nor a seed reveals which image is a sentinel or which method made it. The plan
seed is random unless given (it is recorded in ``study.json``, which is never served). A practice screen (HR
against its blurred copy, mirrored so its files match no study image) is written to ``images/practice/``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import hmac
import re
import secrets
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

import srbench
from srbench.atomic import check_writable
from srbench.data.datasets import resolve_dataset
from srbench.data.imageio import read_image, write_image
from srbench.errors import ConfigError, DataError
from srbench.evaluate.pipeline import method_input, prepare_hr
from srbench.inference.upscale import to_uint8, upscale_image
from srbench.methods import SrDirMethod, resolve_method
from srbench.methods.base import Method
from srbench.protocol.record import get_protocol
from srbench.study.design import StudyDesign
from srbench.study.display import DisplayPolicy, resolve_crop
from srbench.study.plan import BLUR_LABEL, HR_LABEL, Plan, make_plan
from srbench.study.qc import QcPolicy
from srbench.study.spec import DB_FILE, IMAGES_DIR, PLAN_FILE, SPEC_FILE, StudySpec

REF_LABEL = "ref"


def nearest_reference(lr: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour upsampling by pixel replication: ``out[i, j] = lr[i // scale, j // scale]``."""
    return np.repeat(np.repeat(lr, scale, axis=0), scale, axis=1)


def blurred(hr: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of the spatial axes only (``scipy.ndimage.gaussian_filter``), rounded to ``uint8``."""
    sig = (sigma, sigma, 0.0) if hr.ndim == 3 else (sigma, sigma)
    return to_uint8(gaussian_filter(hr.astype(np.float64), sigma=sig, mode="reflect"))


def crop_windows(h: int, w: int, crop: int, count: int, scale: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """``count`` top-left corners of ``crop x crop`` windows inside ``h x w``, on multiples of ``scale``."""
    if crop > h or crop > w:
        raise DataError(f"--crop {crop} is larger than an image ({w}x{h}); pass a smaller --crop")
    ys = np.arange(0, h - crop + 1, scale)
    xs = np.arange(0, w - crop + 1, scale)
    return [(int(rng.choice(ys)), int(rng.choice(xs))) for _ in range(count)]


def degrade_rgb(hr: np.ndarray, scale: int, protocol_name: str, image_id: str) -> tuple[np.ndarray, np.ndarray]:
    """The mod-cropped HR and its ``uint8`` LR under the protocol (the evaluation pipeline's degradation)."""
    proto = get_protocol(protocol_name)
    img = prepare_hr(image_id, hr, scale, proto)
    lr = method_input(img.pixels[None], img.gray, "rgb", proto, scale)[0]  # (C, h, w) on [0, 1]
    arr = to_uint8((lr * 255.0).to(torch.float64).permute(1, 2, 0).numpy())
    mod = img.pixels.permute(1, 2, 0).numpy().astype(np.uint8)
    if img.gray:
        arr, mod = arr[..., 0], mod[..., 0]
    return np.ascontiguousarray(mod), np.ascontiguousarray(arr)


def _sr(method: Method, lr: np.ndarray, hr: np.ndarray, scale: int, image_id: str) -> np.ndarray:
    if isinstance(method, SrDirMethod):
        f = method.files.get(image_id)
        if f is None:
            raise DataError(f"--sr-dir {method.folder}: no SR file for image {image_id}; name files after HR images")
        sr = read_image(f)
        if sr.shape[:2] != hr.shape[:2]:
            raise DataError(
                f"{f}: SR is {sr.shape[1]}x{sr.shape[0]}, expected {hr.shape[1]}x{hr.shape[0]} "
                f"(HR mod-cropped to x{scale}); pass SR files of the HR size"
            )
        if sr.ndim != hr.ndim:
            sr = sr if sr.ndim == 3 else np.repeat(sr[..., None], 3, axis=2)
        return sr
    out, _ = upscale_image(method, lr, scale, device="cpu", image_id=image_id)
    return out


def _safe_id(image_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", image_id)[:60] or "image"


def _file_name(secret: bytes, stimulus: str, label: str) -> str:
    return hmac.new(secret, f"{stimulus}\0{label}".encode(), hashlib.sha256).hexdigest()[:16] + ".png"


PAD_KEY = "Comment"


def write_padded(paths: dict[str, Path], pixels: dict[str, np.ndarray]) -> int:
    """Write every image of one stimulus, padded with a ``tEXt`` chunk to one common byte size; returns it."""
    for lab, path in paths.items():
        write_image(path, np.ascontiguousarray(pixels[lab]))
    sizes = {lab: p.stat().st_size for lab, p in paths.items()}
    overhead = 12 + len(PAD_KEY) + 1  # chunk length, type and CRC; the key and its NUL
    target = max(sizes.values()) + overhead
    for lab, path in paths.items():
        write_image(path, np.ascontiguousarray(pixels[lab]), text={PAD_KEY: " " * (target - sizes[lab] - overhead)})
        if path.stat().st_size != target:  # pragma: no cover - PNG encoding is deterministic
            raise RuntimeError(f"{path}: padding did not reach {target} bytes")
    return target


def _removes_a_failed_study(create: Callable[..., StudySpec]) -> Callable[..., StudySpec]:
    """A creation that fails (a bad method, an unreadable image, Ctrl-C, ...) removes what it wrote: the study
    folder if it made it, else the ``images/`` and ``plan.json`` it added, so no half-made study is left behind.
    An unwritable folder is refused before any image is made."""

    @functools.wraps(create)
    def wrapper(folder: str | Path, *args: object, **kwargs: object) -> StudySpec:
        out = Path(folder)
        if not (out / SPEC_FILE).exists() and not (out / DB_FILE).exists():
            check_writable(out, folder=True)
        made = [out] if not out.exists() else [p for p in (out / IMAGES_DIR, out / PLAN_FILE) if not p.exists()]
        try:
            return create(folder, *args, **kwargs)
        except BaseException:
            if not (out / SPEC_FILE).exists():  # never touch a finished study (create refuses to overwrite one)
                for p in made:
                    if p.is_dir():
                        shutil.rmtree(p, ignore_errors=True)
                    else:
                        p.unlink(missing_ok=True)
            raise

    return wrapper


@_removes_a_failed_study
def create_study(
    folder: str | Path,
    dataset: str,
    scale: int,
    methods: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    protocol: str = "standard",
    crop: int = 0,
    crops_per_image: int = 1,
    max_images: int = 0,
    workers_per_pair: int = 5,
    trials_per_worker: int = 20,
    sentinels_per_worker: int = 4,
    repeats_per_worker: int = 2,
    sentinel_blur_sigma: float = 4.0,
    seed: int | None = None,
    qc: QcPolicy | None = None,
    display: DisplayPolicy | None = None,
    design: StudyDesign | None = None,
    data_root: Path | None = None,
    name: str | None = None,
) -> StudySpec:
    """Write ``study.json``, ``plan.json`` and ``images/`` into ``folder`` (see the module docstring).

    ``design`` is the researcher's study design (texts, platforms, slot policy, display, QC; defaults if omitted);
    ``qc`` and ``display``, if given, replace its QC rules and display policy. ``seed`` (crops and plan) is random
    unless given. ``crop > 0`` crops every image to that side; ``crop = 0`` leaves it to the display policy's crop
    policy (:func:`srbench.study.display.resolve_crop`: by default, crops only images too large for a 1366 x 768
    screen).
    """
    out = Path(folder)
    if (out / DB_FILE).exists():
        raise ConfigError(f"{out} already holds collected responses ({DB_FILE}); pick a new study folder")
    if (out / SPEC_FILE).exists():
        raise ConfigError(f"{out} already holds a study; pick a new folder (or delete it if nothing was collected)")
    get_protocol(protocol)
    resolved = [resolve_method(m) for m in methods]
    labs = tuple(labels) if labels else tuple(m.name for m in resolved)
    for m in resolved:
        m.check_scale(scale)
    ds = resolve_dataset(dataset, data_root)
    entries = list(ds.images)[: max_images or None]
    design = design or StudyDesign()
    if qc is not None:
        design = design.model_copy(update={"qc": qc})
    if display is not None:
        design = design.model_copy(update={"display": display})
    if seed is None:
        seed = secrets.randbelow(2**31)
    secret = secrets.token_bytes(32)  # file names; never stored
    prepared = [(entry, *degrade_rgb(entry.load(), scale, protocol, entry.id)) for entry in entries]
    if not crop:
        crop = resolve_crop(design.display, [hr.shape[:2] for _, hr, _ in prepared], scale)
    spec = StudySpec(
        name=name or out.name,
        dataset=dataset,
        scale=scale,
        methods=tuple(methods),
        labels=labs,
        protocol=get_protocol(protocol).to_dict(),
        images=tuple(e.id for e in entries),
        crop=crop,
        crops_per_image=crops_per_image if crop else 1,
        workers_per_pair=workers_per_pair,
        trials_per_worker=trials_per_worker,
        sentinels_per_worker=sentinels_per_worker,
        repeats_per_worker=repeats_per_worker,
        sentinel_blur_sigma=sentinel_blur_sigma,
        seed=seed,
        completion_code=secrets.token_hex(4).upper(),
        design=design,
        srbench_version=srbench.__version__,
        created=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    )
    rng = np.random.default_rng(seed)
    images: dict[str, dict[str, str]] = {}
    practice: dict[str, str] = {}
    placement: dict[str, dict[str, Any]] = {}
    for entry, hr, lr in prepared:
        srs = {lab: _sr(m, lr, hr, scale, entry.id) for lab, m in zip(labs, resolved, strict=True)}
        ref = nearest_reference(lr, scale)
        h, w = hr.shape[:2]
        windows = crop_windows(h, w, crop, spec.crops_per_image, scale, rng) if crop else [(0, 0)]
        for k, (y, x) in enumerate(windows):
            stim = _safe_id(entry.id) + (f"-c{k}" if crop else "")
            cy, cx = (crop, crop) if crop else (h, w)
            cut = (slice(y, y + cy), slice(x, x + cx))
            hr_c = hr[cut]
            views = {REF_LABEL: ref[cut], HR_LABEL: hr_c, BLUR_LABEL: blurred(hr_c, sentinel_blur_sigma)}
            views |= {lab: sr[cut] for lab, sr in srs.items()}
            placement[stim] = {"image": entry.id, "y": y, "x": x, "h": cy, "w": cx}
            images[stim] = {lab: f"{stim}/{_file_name(secret, stim, lab)}" for lab in views}
            write_padded({lab: out / IMAGES_DIR / rel for lab, rel in images[stim].items()}, views)
            if design.practice and not practice:
                practice = _practice(out, secret, views, secrets.randbelow(2))
    plan = make_plan(
        sorted(images),
        labs,
        workers_per_pair=workers_per_pair,
        trials_per_worker=trials_per_worker,
        sentinels_per_worker=sentinels_per_worker,
        repeats_per_worker=repeats_per_worker,
        seed=seed,
        min_repeat_gap=spec.qc.min_repeat_gap,
    )
    plan.images = images
    plan.windows = placement
    plan.practice = practice
    plan.save(out / PLAN_FILE)
    spec.save(out)  # written last: a folder with study.json is complete
    return spec


def _practice(out: Path, secret: bytes, views: dict[str, np.ndarray], hr_left: int) -> dict[str, str]:
    """The practice screen: a mirrored copy of one stimulus's reference, HR and blurred HR (its files match no
    study image byte for byte); ``answer`` is the side of the sharp HR."""
    mirrored = {k: np.ascontiguousarray(views[k][:, ::-1]) for k in (REF_LABEL, HR_LABEL, BLUR_LABEL)}
    rel = {k: f"practice/{_file_name(secret, '@practice', k)}" for k in mirrored}
    write_padded({k: out / IMAGES_DIR / r for k, r in rel.items()}, mirrored)
    left, right = (HR_LABEL, BLUR_LABEL) if hr_left else (BLUR_LABEL, HR_LABEL)
    return {"ref": rel[REF_LABEL], "left": rel[left], "right": rel[right], "answer": "left" if hr_left else "right"}


def load_plan(folder: str | Path) -> Plan:
    return Plan.load(Path(folder) / PLAN_FILE)
