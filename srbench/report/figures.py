"""Figures for papers: a Fig. 8-style visual comparison and a chart of a metric by method and dataset.

**Visual comparison** (Johnson et al. 2016, Fig. 8): the HR crop and the same crop of every method's SR
output, each captioned with the method's *whole-image* PSNR / SSIM on Y after the shave, i.e. exactly the
numbers ``srbench eval`` reports for that image. The SR outputs come from
:func:`srbench.evaluate.method_stage.run_method` (the evaluation's own code path, with the protocol's degradation,
colour handling, histogram matching and rounding) and the scores from
:func:`srbench.evaluate.scoring.score_pairs`; the method is wrapped only to record what it returned.

Panels show either

* ``display='y'``: the protocol luminance the metrics see (HR: ``Y_gt``; methods: ``Y_sr`` after histogram
  matching and rounding), before the shave so that any box can be shown; or
* ``display='rgb'``: the mod-cropped HR pixels and each method's RGB output clipped and rounded to 8 bits (only
  for colour images and protocols without histogram matching, where this is the image whose luminance is scored).
  A luminance method (bicubic, SRCNN) has no colour output of its own: its panel is its SR luminance with the LR
  chroma upscaled by MATLAB bicubic (:func:`srbench.evaluate.pipeline.sr_to_rgb`: how the SRCNN authors make
  colour results, and the image LPIPS / DISTS score), and the figure says so.

``'auto'`` picks ``'rgb'`` when every method works in RGB and it applies, else ``'y'``. Pixels are drawn with
nearest-neighbour interpolation: no resampling blur.

The default crop is the square, about a third of the short side, with the most HR gradient energy
``Σ (∂Y/∂x)² + (∂Y/∂y)²`` (central differences, :func:`numpy.gradient`) inside the shaved area; ties go to the
top-most, then left-most window, so the choice is deterministic.

**Metric chart**: a grouped bar chart of the per-dataset mean of a metric by method, with the BCa bootstrap 95 %
confidence interval of each mean over images as error bars (:func:`srbench.report.stats.bootstrap_mean_ci`).
These intervals include the image-to-image spread that a paired comparison cancels, so overlapping bars do not
mean "no difference": use :func:`srbench.report.stats.paired_comparison` for that.

Figures are drawn on a bare :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot state) and written
as PNG and PDF through :func:`srbench.atomic.atomic_path`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import Tensor

from srbench.atomic import atomic_path
from srbench.config import data_root
from srbench.data.datasets import Dataset, resolve_dataset
from srbench.errors import ConfigError, DataError
from srbench.evaluate.method_stage import run_method
from srbench.evaluate.pipeline import method_input, prepare_hr, sr_to_rgb, sr_to_y, y_of
from srbench.evaluate.request import check_scale
from srbench.evaluate.scoring import score_pairs
from srbench.evaluate.timing import Timer
from srbench.methods.base import Method
from srbench.methods.resolve import resolve_method
from srbench.methods.srdir import SrDirMethod
from srbench.metrics import METRICS
from srbench.protocol.colour import to_uint8_values
from srbench.protocol.crops import shave
from srbench.protocol.record import Protocol
from srbench.report.stats import bootstrap_mean_ci

Box = tuple[int, int, int, int]
Display = Literal["auto", "rgb", "y"]
PNG_DPI = 200
PDF_DPI = 300


@dataclass(frozen=True)
class Panel:
    """One panel: ``pixels`` is the crop drawn (uint8 ``(h, w[, 3])`` for RGB, float64 ``(h, w)`` on [0, 255]
    for Y); ``psnr`` / ``ssim`` are the whole-image scores of the caption (``None`` for the HR panel)."""

    label: str
    pixels: np.ndarray
    psnr: float | None = None
    ssim: float | None = None

    def caption(self) -> str:
        if self.psnr is None or self.ssim is None:
            return f"{self.label}\nPSNR / SSIM"
        p, s = METRICS.get("psnr").decimals, METRICS.get("ssim").decimals
        return f"{self.label}\n{self.psnr:.{p}f} / {self.ssim:.{s}f}"


@dataclass(frozen=True)
class Comparison:
    """Everything a visual comparison shows: the HR overview with the box, and the panels (HR first)."""

    dataset: str
    title: str
    image_id: str
    scale: int
    box: Box
    display: Literal["rgb", "y"]
    shave: int
    overview: np.ndarray
    panels: tuple[Panel, ...]
    lr_chroma: tuple[str, ...] = ()
    """Luminance methods whose RGB panel is their Y with the LR chroma upscaled by bicubic (``display='rgb'``)."""


class _Recorder(Method):
    """Delegates to ``inner`` and keeps every ``(lr, sr)`` it produced, so the figure shows what was scored."""

    def __init__(self, inner: Method) -> None:
        self.inner = inner
        self.name = inner.name
        self.space = inner.space
        self.batchable = inner.batchable
        self.calls: list[tuple[Tensor, Tensor]] = []

    def upscale(self, lr: Tensor, scale: int, ids: Sequence[str]) -> Tensor:
        sr = self.inner.upscale(lr, scale, ids)
        self.calls.append((lr, sr))
        return sr

    def provenance(self) -> dict[str, Any]:
        return self.inner.provenance()

    def check_scale(self, scale: int) -> None:
        self.inner.check_scale(scale)


def auto_box(y: np.ndarray, border: int) -> Box:
    """The square window (side ≈ a third of the short side) of most gradient energy inside ``border``.

    ``y`` is the HR luminance ``(H, W)``. Window sums come from a summed-area table; ``np.argmax`` returns the
    first maximum in row-major order, so ties resolve to the top-most, then left-most window.
    """
    h, w = y.shape
    inner_h, inner_w = h - 2 * border, w - 2 * border
    if inner_h < 1 or inner_w < 1:
        raise DataError(f"image of {w}x{h} has nothing left after a shave of {border}; use a larger image")
    side = max(1, min(round(min(h, w) / 3), inner_h, inner_w))
    gy, gx = np.gradient(np.asarray(y, dtype=np.float64))
    energy: np.ndarray = np.asarray(gx**2 + gy**2)
    energy = energy[border : h - border, border : w - border]
    sat = np.zeros((inner_h + 1, inner_w + 1))
    sat[1:, 1:] = energy.cumsum(0).cumsum(1)
    sums = sat[side:, side:] - sat[:-side, side:] - sat[side:, :-side] + sat[:-side, :-side]
    top, left = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(top) + border, int(left) + border, side, side


def _check_box(box: Sequence[int], h: int, w: int, image_id: str) -> Box:
    if len(box) != 4:
        raise ConfigError(f"box {tuple(box)} must be 4 numbers: top, left, height, width (HR pixels)")
    top, left, bh, bw = (int(v) for v in box)
    if bh < 1 or bw < 1 or top < 0 or left < 0 or top + bh > h or left + bw > w:
        raise ConfigError(
            f"box (top={top}, left={left}, height={bh}, width={bw}) does not fit the {w}x{h} mod-cropped HR "
            f"image {image_id}; pick a box inside it"
        )
    return top, left, bh, bw


def _find_image(ds: Dataset, image_id: str) -> np.ndarray:
    for img in ds.images:
        if img.id == image_id:
            return img.load()
    ids = [img.id for img in ds.images]
    shown = ", ".join(ids[:12]) + (f", ... ({len(ids)} in all)" if len(ids) > 12 else "")
    raise DataError(f"dataset {ds.name} has no image {image_id!r}; its images: {shown}")


def _pick_display(display: Display, gray: bool, methods: Sequence[Method], protocol: Protocol) -> Literal["rgb", "y"]:
    y_only = [m.name for m in methods if m.space != "rgb"]
    why = ""
    if gray:
        why = "the image is grayscale"
    elif protocol.histmatch != "none":
        why = "the protocol histogram-matches the outputs"
    if display == "auto":
        return "y" if why or y_only else "rgb"
    if display == "rgb" and why:
        raise ConfigError(f"cannot show RGB panels: {why}; use display 'y' (the luminance that is scored)")
    if display not in ("rgb", "y"):
        raise ConfigError(f"display {display!r} is not one of auto, rgb, y")
    return display


def comparison_panels(
    dataset: Dataset | str,
    image_id: str,
    scale: int,
    methods: Sequence[Method | str],
    *,
    box: Sequence[int] | None = None,
    protocol: Protocol | None = None,
    device: torch.device | str = "cpu",
    display: Display = "auto",
    root: Path | None = None,
) -> Comparison:
    """Run ``methods`` on one image as ``evaluate`` does; return the crops and the whole-image captions.

    Args:
        dataset: a :class:`Dataset` or a name/folder for :func:`resolve_dataset` (data root: ``root`` or
            ``$SRBENCH_DATA``).
        image_id: the image's id in the dataset.
        scale: 2, 3, 4 or 8.
        methods: :class:`Method` objects or names for :func:`resolve_method`.
        box: ``(top, left, height, width)`` in mod-cropped HR pixels; default :func:`auto_box`.
        protocol: the evaluation protocol (default ``standard``).
        device: where the methods and metrics run.
        display: ``'auto'``, ``'rgb'`` or ``'y'`` (module docstring).
    """
    check_scale(scale)
    if not methods:
        raise ConfigError("name at least one method to compare with the HR image")
    protocol = protocol or Protocol()
    ds = dataset if isinstance(dataset, Dataset) else resolve_dataset(dataset, data_root(root))
    ms = [m if isinstance(m, Method) else resolve_method(m) for m in methods]
    for m in ms:
        m.check_scale(scale)
    hr = prepare_hr(image_id, _find_image(ds, image_id), scale, protocol)
    h, w = hr.size
    border = protocol.shave_for(scale)
    dev = torch.device(device)
    y_gt_full = y_of(hr.pixels[None], hr.gray, protocol)[0, 0]
    top, left, bh, bw = auto_box(y_gt_full.numpy(), border) if box is None else _check_box(box, h, w, image_id)
    mode = _pick_display(display, hr.gray, ms, protocol)
    window = (slice(top, top + bh), slice(left, left + bw))

    overview = hr.pixels.permute(1, 2, 0).numpy().astype(np.uint8) if mode == "rgb" else y_gt_full.numpy()
    panels = [Panel("HR (ground truth)", overview[window].copy())]
    specs = [METRICS.get("psnr"), METRICS.get("ssim")]
    timer = Timer()
    lr_chroma: list[str] = []
    for m in ms:
        if isinstance(m, SrDirMethod):
            m.check_files({image_id: (h, w)}, scale)
        rec = _Recorder(m)
        pairs = run_method(rec, [hr], scale, protocol, dev, timer, batch=1)
        scores = score_pairs(pairs, specs, dev, timer)[image_id]
        (lr, sr) = rec.calls[-1]
        if mode == "rgb" and m.space != "rgb":  # its Y with the LR chroma (module docstring)
            lr_rgb = method_input(hr.pixels[None].to(dev), hr.gray, "rgb", protocol, scale)
            rgb = sr_to_rgb(sr, lr_rgb, hr.gray, m.space, protocol, scale)[0].cpu()
            shown = rgb.permute(1, 2, 0).numpy().astype(np.uint8)
            lr_chroma.append(m.name)
        elif mode == "rgb":
            shown = to_uint8_values(sr[0].to("cpu", torch.float64) * 255.0).permute(1, 2, 0).numpy().astype(np.uint8)
        else:
            y_sr = sr_to_y(sr, lr, hr.gray, m.space, protocol)[0].cpu()
            if not torch.equal(shave(y_sr, border), pairs[0][1]):  # the figure must show what was scored
                raise RuntimeError(f"internal: luminance of {m.name} differs from the scored one")
            shown = y_sr[0].numpy()
        panels.append(Panel(m.name, shown[window].copy(), scores["psnr"], scores["ssim"]))
    return Comparison(
        ds.name, ds.title, image_id, scale, (top, left, bh, bw), mode, border, overview, tuple(panels),
        tuple(lr_chroma),
    )  # fmt: skip


def _show(ax: Any, pixels: np.ndarray) -> None:
    if pixels.ndim == 2:
        ax.imshow(pixels, cmap="gray", vmin=0.0, vmax=255.0, interpolation="nearest")
    else:
        ax.imshow(pixels, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def render_comparison(comp: Comparison, *, overview: bool = True, panel_inches: float = 2.4) -> Figure:
    """The figure: optionally the whole HR image with the box outlined, then one captioned panel per crop.

    ``fig.axes[k].images[0].get_array()`` is ``comp.panels[k - overview].pixels``.
    """
    n = len(comp.panels) + int(overview)
    fig = Figure(figsize=(panel_inches * n, panel_inches + 0.9), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, n, squeeze=False)[0]
    if overview:
        _show(axes[0], comp.overview)
        top, left, bh, bw = comp.box
        axes[0].add_patch(Rectangle((left - 0.5, top - 0.5), bw, bh, fill=False, edgecolor="red", linewidth=1.2))
        axes[0].set_xlabel(f"{comp.image_id}\n(box {bh}x{bw} at {top},{left})", fontsize=9)
    for ax, panel in zip(axes[int(overview) :], comp.panels, strict=True):
        _show(ax, panel.pixels)
        ax.set_xlabel(panel.caption(), fontsize=9)
    what = "Y" if comp.display == "y" else "RGB"
    title = (
        f"{comp.title}, {comp.image_id}, x{comp.scale}: whole-image PSNR (dB) / SSIM on Y, shave {comp.shave} "
        f"(panels: {what})"
    )
    if comp.lr_chroma:
        title += f"\n{', '.join(comp.lr_chroma)}: SR luminance with the LR chroma upscaled by bicubic"
    fig.suptitle(title, fontsize=10)
    return fig


def _stem(out: Path) -> Path:
    out = Path(out)
    return out.with_suffix("") if out.suffix.lower() in (".png", ".pdf") else out


def save_figure(fig: Figure, out: Path) -> list[Path]:
    """Write ``<out>.png`` and ``<out>.pdf`` atomically (a ``.png``/``.pdf`` suffix on ``out`` is replaced)."""
    stem = _stem(out)
    written = []
    for fmt, dpi in (("png", PNG_DPI), ("pdf", PDF_DPI)):
        dest = stem.parent / f"{stem.name}.{fmt}"
        meta = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
        try:
            with atomic_path(dest) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
        except OSError as exc:
            raise DataError(f"{dest}: cannot write the figure ({exc.strerror}); choose a writable --out") from None
        written.append(dest)
    return written


def visual_comparison(
    dataset: Dataset | str,
    image_id: str,
    scale: int,
    methods: Sequence[Method | str],
    *,
    box: Sequence[int] | None = None,
    protocol: Protocol | None = None,
    device: torch.device | str = "cpu",
    out: Path,
    display: Display = "auto",
    root: Path | None = None,
) -> list[Path]:
    """Fig. 8-style comparison of ``methods`` on one image, written as ``<out>.png`` and ``<out>.pdf``.

    See :func:`comparison_panels` for the arguments; returns the two paths.
    """
    comp = comparison_panels(
        dataset, image_id, scale, methods, box=box, protocol=protocol, device=device, display=display, root=root
    )
    return save_figure(render_comparison(comp), out)


def chart_data(
    rows: pd.DataFrame, metric: str, *, scale: int | None = None, n_boot: int = 10000, seed: int = 0
) -> pd.DataFrame:
    """Per (dataset, method): ``n``, the mean of ``metric`` over images and its 95 % BCa bootstrap CI.

    Datasets and methods keep their order of first appearance. ``ci_low``/``ci_high`` are NaN for one image.
    """
    METRICS.get(metric)
    if rows.empty:
        raise DataError("no result rows to chart; run `srbench eval` first")
    if metric not in rows.columns or rows[metric].isna().all():
        raise DataError(f"the rows have no {metric} scores; re-run `srbench eval --metric {metric}`")
    scales = sorted(int(s) for s in rows["scale"].unique())
    if scale is None:
        if len(scales) > 1:
            raise ConfigError(f"the rows hold scales {', '.join(f'x{s}' for s in scales)}; pass one scale")
        scale = scales[0]
    if scale not in scales:
        raise DataError(f"no results at x{scale}; the rows hold {', '.join(f'x{s}' for s in scales)}")
    sel = rows[(rows["scale"] == scale) & rows[metric].notna()]
    keys = sorted(map(str, sel["protocol_key"].unique()))
    if len(keys) > 1:
        raise ConfigError(f"the rows mix {len(keys)} protocols ({', '.join(keys)}); filter them to one protocol")
    dupes = sel.duplicated(["dataset", "method", "image"])
    if dupes.any():
        r = sel[dupes].iloc[0]
        raise DataError(f"several rows for {r['method']} on {r['dataset']} image {r['image']!r}; de-duplicate")
    records = []
    for (ds, method), g in sel.groupby(["dataset", "method"], sort=False):
        v = g[metric].to_numpy(dtype=np.float64)
        lo, hi = bootstrap_mean_ci(v, n_boot=n_boot, seed=seed) if v.size > 1 else (float("nan"), float("nan"))
        records.append(
            {"dataset": ds, "scale": scale, "method": method, "n": v.size, "mean": v.mean()}
            | {
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    return pd.DataFrame.from_records(records, columns=["dataset", "scale", "method", "n", "mean", "ci_low", "ci_high"])


def render_chart(data: pd.DataFrame, metric: str, *, ymin: float | None = None) -> Figure:
    """Grouped bars: one group per dataset, one bar per method (``data`` from :func:`chart_data`)."""
    spec = METRICS.get(metric)
    datasets = list(dict.fromkeys(data["dataset"]))
    methods = list(dict.fromkeys(data["method"]))
    width = 0.8 / max(len(methods), 1)
    fig = Figure(figsize=(max(5.0, 2.2 + 0.5 * len(datasets) * len(methods)), 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    x = np.arange(len(datasets))
    for k, method in enumerate(methods):
        d = data[data["method"] == method].set_index("dataset").reindex(datasets)
        mean = d["mean"].to_numpy(dtype=np.float64)
        err = np.vstack([mean - d["ci_low"].to_numpy(dtype=np.float64), d["ci_high"].to_numpy(dtype=np.float64) - mean])
        ax.bar(x + (k - (len(methods) - 1) / 2) * width, mean, width, yerr=err, capsize=3, label=method)
    ax.set_xticks(x, datasets)
    ax.set_ylabel(spec.label)
    scale = int(data["scale"].iloc[0]) if not data.empty else 0
    ax.set_title(f"{spec.label} by method, x{scale}\nmean over images, 95% BCa bootstrap CI", fontsize=10)
    if ymin is not None:
        ax.set_ylim(bottom=ymin)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def metric_chart(
    rows: pd.DataFrame, metric: str, *, scale: int | None = None, out: Path, ymin: float | None = None
) -> list[Path]:
    """Grouped bar chart of the per-dataset mean of ``metric`` by method; writes ``<out>.png`` and ``<out>.pdf``."""
    return save_figure(render_chart(chart_data(rows, metric, scale=scale), metric, ymin=ymin), out)
