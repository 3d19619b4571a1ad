"""The display protocol of a study: how the worker page shows SR images, declared in the spec.

:class:`DisplayPolicy` is the ``display`` section of the researcher's study design
(:class:`srbench.study.design.StudyDesign`, stored in ``study.json``; ``StudySpec.display`` reads it); the server
hands it to the worker page at ``GET /api/display`` (with the layout constants and the largest image) and
``GET /api/info``.

An SR comparison must show every image pixel on exactly one device pixel: any browser rescaling (the uneven
nearest-neighbour of a 125 % Windows display, a phone's zoom-out) adds the very artefacts the study compares.

* **1:1 device pixels** (``pixel_ratio = "scale"``, the default): the page sets each image's CSS size to its
  natural size divided by ``window.devicePixelRatio``, so an ``n``-pixel image covers ``n`` device pixels at any
  ratio (1, 1.25, 1.5, 2, browser zoom included; re-applied when the ratio changes). ``"integer-only"`` instead
  refuses non-integer ratios with a message (for studies that want the same physical size on every screen at
  ratio 1). Scaling is the default because it is exact (the browser tests compare screenshot pixels with the
  files at ratios 1, 1.25 and 2) and refusing would turn away most Windows laptops, which default to 125 % or 150 %.
* **Minimum viewport**, checked before consent and again on every resize: ``min_viewport_width x
  min_viewport_height`` CSS pixels, and room for the largest trial in device pixels. **Phones** (coarse pointer or
  a mobile user agent) are blocked with an explanation (``block_phones``).
* **Layout**: the input (nearest enlargement) and the two candidates in one row, so a trial fits a
  ``screen_width x screen_height`` screen (1366 x 768 by default) with ``browser_chrome_px`` taken by the
  taskbar and browser; :func:`stimulus_budget` is the largest image that fits. With ``toggle_view`` the input has
  no column of its own: each candidate has a button (and a key) that flips it to the input and back.
* **Crops** (``crop_policy``): ``auto`` (default) crops only when the full images would not fit the budget,
  ``always`` crops every image, ``never`` shows full images (and :func:`resolve_crop` refuses images that do not
  fit). The crop side is ``crop_size`` or, when 0, the largest multiple of the scale inside the budget and the
  smallest image.

The worker page (:file:`web/study.js`) is small plain JavaScript rather than jsPsych: jsPsych's browser-check
plugin covers the viewport and mobile checks, but its image plugins size images in CSS pixels (no
device-pixel-ratio correction), and its timeline runs in the browser while our trials, answers and resumption are
served one at a time by the server; adopting it would replace the whole page for two checks of a few lines each.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from srbench.errors import DataError

# CSS pixels the page spends around images (kept equal to web/index.html): body margin, gap between columns,
# border + padding of a candidate frame, the text rows above the images (progress + labels).
PAGE_MARGIN_PX = 8
COLUMN_GAP_PX = 12
FRAME_PX = 2 * (3 + 2)
HEADER_PX = 64


class DisplayPolicy(BaseModel):
    """How the worker page shows images (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pixel_ratio: Literal["scale", "integer-only"] = "scale"
    min_viewport_width: Annotated[int, Field(ge=320, le=10_000)] = 1024
    min_viewport_height: Annotated[int, Field(ge=200, le=10_000)] = 560
    block_phones: bool = True
    toggle_view: bool = False
    screen_width: Annotated[int, Field(ge=320, le=10_000)] = 1366
    screen_height: Annotated[int, Field(ge=200, le=10_000)] = 768
    browser_chrome_px: Annotated[int, Field(ge=0, le=1000)] = 120
    crop_policy: Literal["auto", "always", "never"] = "auto"
    crop_size: Annotated[int, Field(ge=0, le=10_000)] = 0

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DisplayPolicy:
        """Validate a spec's ``display`` object; one-line :class:`ConfigError` naming the bad field."""
        from srbench.study.validation import validated

        return validated(cls, d, "display policy", "fix the study spec's display section")

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()

    @property
    def columns(self) -> int:
        """Images in the trial row: input + two candidates, or the two candidates with the toggle view."""
        return 2 if self.toggle_view else 3


def stimulus_budget(policy: DisplayPolicy) -> tuple[int, int]:
    """``(width, height)`` in device pixels of the largest image whose trial fits the policy's screen at ratio 1.

    ``width = (screen_width - 2 margin - (columns - 1) gap - columns frame) // columns`` and
    ``height = screen_height - browser_chrome_px - 2 margin - header - frame``.
    """
    c = policy.columns
    w = (policy.screen_width - 2 * PAGE_MARGIN_PX - (c - 1) * COLUMN_GAP_PX - c * FRAME_PX) // c
    h = policy.screen_height - policy.browser_chrome_px - 2 * PAGE_MARGIN_PX - HEADER_PX - FRAME_PX
    return max(w, 1), max(h, 1)


def resolve_crop(policy: DisplayPolicy, sizes: list[tuple[int, int]], scale: int) -> int:
    """The crop side (HR pixels, a multiple of ``scale``; 0: full images) for images of ``sizes`` ``(h, w)``.

    Raises :class:`DataError` when ``crop_policy = "never"`` and an image does not fit :func:`stimulus_budget`,
    or when a given ``crop_size`` does not fit.
    """
    bw, bh = stimulus_budget(policy)
    fits = all(h <= bh and w <= bw for h, w in sizes)
    if policy.crop_policy == "never":
        if not fits:
            h, w = max(sizes, key=lambda s: s[0] * s[1])
            raise DataError(
                f"full images up to {w}x{h} do not fit a {policy.screen_width}x{policy.screen_height} screen "
                f"(at most {bw}x{bh} per image); use crop policy auto, or the toggle view"
            )
        return 0
    if policy.crop_policy == "auto" and fits:
        return 0
    smallest = min(min(h, w) for h, w in sizes)
    if policy.crop_size:
        if policy.crop_size % scale:
            raise DataError(f"crop size {policy.crop_size} must be a multiple of the scale {scale}")
        if policy.crop_size > min(bw, bh, smallest):
            raise DataError(
                f"crop size {policy.crop_size} exceeds the {min(bw, bh)} px a {policy.screen_width}x"
                f"{policy.screen_height} screen allows (or the smallest image, {smallest} px); pass a smaller crop"
            )
        return policy.crop_size
    side = min(bw, bh, smallest) // scale * scale
    if side <= 0:
        raise DataError(f"no crop on the x{scale} grid fits {bw}x{bh} px; use a larger screen_width/screen_height")
    return side
