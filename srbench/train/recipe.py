"""Training configuration and the named recipes.

``RECIPES['johnson2016']`` is the SR recipe of Johnson, Alahi & Fei-Fei, ECCV 2016 (paper 4.2, supplement;
conventions section 6): the 4-block network, HR crops 288 x 288, batch 4, Adam lr 1e-3 (betas 0.9/0.999,
eps 1e-8), no weight decay, no LR decay, 200k iterations, feature loss at VGG-16 relu2_2 (or the pixel loss),
LR inputs by Gaussian blur sigma 1 then bicubic (srbench's ``blur-bicubic@1``). The paper introduces TV
regularisation for spatial smoothness (section 3.3) but gives no weight for SR. srbench sets it per loss so that TV
is about 1 % of the loss (:data:`TV_WEIGHTS`): ``2e-6`` with the pixel loss (fast-neural-style's default strength
1e-6 converted to srbench's normalisation at batch 4, see :mod:`srbench.losses.tv`) and ``2e-3`` with the feature
loss, whose values are about 700 times larger. With ``2e-6`` the feature loss's TV was 0.16 % of the loss, in effect
off, and the x4 l_feat network printed 292 times the period-4 pattern energy of the ground truth. The ablation
behind ``2e-3`` (``scripts/tv_ablation.sh``; ``baselines/README.md``): x4 l_feat, crop 96, 600 iterations, TV weight
0 / 2e-4 / 2e-3 gave period-4 energy 7470 / 480 / 365 times the ground truth's.

Notes on fidelity:

* Output layer: the paper's scaled tanh maps to [0, 255]; :class:`srbench.models.johnson.JohnsonSR` ends in
  ``(tanh + 1) / 2`` on [0, 1], the same function in srbench's units, and every loss is computed on [0, 1] RGB.
  fast-neural-style instead used ``150 tanh`` in its mean-subtracted 0-255 space (outputs can leave [0, 255]
  and are clamped); a tanh output saturates, so targets at exactly 0 or 255 are approached, never reached.
* Loss network: torchvision's ImageNet VGG-16 (RGB, ImageNet mean/std), not the Caffe one of the paper.
* Data: the paper used 10k MS-COCO images; use any folders of photos (``--data``), e.g. BSDS200 + T91.
* Precision: float32 by default, as the paper trained. Mixed precision (CUDA only, ``--amp``, bf16 autocast) is an
  opt-in speed option: the network's and the loss network's forward then run in bf16 (about 3 significant digits,
  i.e. ~0.5 grey level near white) while weights, optimizer state and loss reductions stay float32. Measured on an
  H100 (issue 14): the bf16 gradient of the feature loss has a cosine of 0.996 to the float32 one (8.8 % relative
  error), so bf16 runs are recorded as such in the weights' metadata and are not the paper's recipe.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from srbench.errors import ConfigError

LOSSES = ("pixel", "feature")
#: architectures trained as SRCNN is: input = MATLAB-bicubic upscale of the LR luminance, target = HR luminance
Y_SPACE_MODELS = ("srcnn",)
AMP_DTYPES = ("bf16", "fp16")
UPSAMPLE = ("deconv", "nearest")

#: fast-neural-style's default TV strength 1e-6 at batch 4 in srbench's normalisation, i.e.
#: ``srbench.losses.tv.fns_tv_weight(1e-6, 4)`` (a test pins the two equal; written out so that this module,
#: which ``srbench train --help`` reads, imports no torch)
FNS_TV_WEIGHT = 2e-6

#: fields that may change between a run and its resumption (they do not change the trajectory)
RESUMABLE_CHANGES = frozenset(
    {"iterations", "val_every", "checkpoint_every", "log_every", "data_root", "weights_root", "vgg_weights"}
)


@dataclass
class TrainConfig:
    """Everything that defines a training run (stored in checkpoints and, in part, in the weights metadata).

    Attributes:
        model: registered architecture (``johnson``).
        arch_kwargs: extra architecture arguments (``channels``, ``blocks``, ``upsample``); ``scale`` is separate.
        scale: SR factor (2, 4 or 8 for ``johnson``).
        loss: ``pixel`` or ``feature``.
        feature_layers: VGG-16 taps of the feature loss.
        tv_weight: weight of the TV regulariser (srbench normalisation, :mod:`srbench.losses.tv`).
        crop: HR patch size (a multiple of ``scale``).
        batch_size: global batch size (split evenly over data-parallel ranks).
        lr, betas, eps, weight_decay: Adam.
        iterations: total number of optimizer steps.
        seed: seeds the model initialisation and the data sampling.
        val_every: validate every N iterations and at the end (0: never).
        val_dataset: dataset name (under the data root) or folder used for validation.
        checkpoint_every: write ``checkpoint.pt`` every N iterations (and always at the end).
        log_every: read the losses back from the device, check them and append them to the log every N
            iterations (and before every checkpoint).
        amp, amp_dtype: mixed precision on CUDA (``bf16`` needs no loss scaling; ``fp16`` uses a GradScaler).
        channels_last: channels-last memory format on CUDA.
        device: ``auto``, ``cpu``, ``cuda[:N]``.
        recipe: name of the recipe the config started from (recorded in the metadata).
        data_root, weights_root, vgg_weights: where validation data and the VGG-16 weights are found.
    """

    model: str = "johnson"
    arch_kwargs: dict[str, Any] = field(default_factory=dict)
    scale: int = 4
    loss: str = "feature"
    feature_layers: tuple[str, ...] = ("relu2_2",)
    tv_weight: float = FNS_TV_WEIGHT
    crop: int = 288
    batch_size: int = 4
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    iterations: int = 200_000
    seed: int = 0
    val_every: int = 1000
    val_dataset: str = "set5"
    checkpoint_every: int = 1000
    log_every: int = 20
    amp: bool = False
    amp_dtype: str = "bf16"
    channels_last: bool = True
    device: str = "auto"
    recipe: str = "johnson2016"
    data_root: str | None = None
    weights_root: str | None = None
    vgg_weights: str | None = None

    def __post_init__(self) -> None:
        self.feature_layers = tuple(self.feature_layers)
        self.betas = (float(self.betas[0]), float(self.betas[1]))
        self.arch_kwargs = dict(self.arch_kwargs)

    def validate(self) -> TrainConfig:
        """Raise :class:`ConfigError` naming the first invalid setting; returns ``self``."""
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r}; use --loss pixel or --loss feature")
        if self.loss == "feature":
            from srbench.losses.vgg import check_layers

            check_layers(self.feature_layers)
        if self.space == "y" and self.loss != "pixel":
            raise ConfigError(f"{self.model} is trained on the luminance channel: use --loss pixel")
        if "scale" in self.arch_kwargs:
            raise ConfigError("give the scale with --scale, not inside the architecture arguments")
        up = self.arch_kwargs.get("upsample", "deconv")
        if up not in UPSAMPLE:
            raise ConfigError(f"unknown upsampling {up!r}; use --upsample deconv or --upsample nearest")
        if self.space == "rgb" and (self.scale < 2 or self.scale & (self.scale - 1)):
            raise ConfigError(f"scale {self.scale} cannot be trained with {self.model}; use --scale 2, 4 or 8")
        if self.scale not in (2, 3, 4, 8):
            raise ConfigError(f"scale {self.scale} is not supported; use --scale 2, 3, 4 or 8")
        positive = {"--crop": self.crop, "--batch-size": self.batch_size, "--iterations": self.iterations}
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"{name} {value} must be at least 1")
        if self.crop % self.scale or self.crop < max(8, 4 * self.scale):
            raise ConfigError(
                f"--crop {self.crop} must be a multiple of the scale {self.scale} and at least {max(8, 4 * self.scale)}"
            )
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConfigError(f"--lr {self.lr} must be a positive number")
        if not (self.tv_weight >= 0 and math.isfinite(self.tv_weight)):
            raise ConfigError(f"--tv-weight {self.tv_weight} must be a finite number >= 0")
        for name, value in {
            "--val-every": self.val_every,
            "--checkpoint-every": self.checkpoint_every,
            "log_every": self.log_every,
        }.items():
            if value < 0:
                raise ConfigError(f"{name} {value} must be >= 0")
        if self.log_every < 1:
            raise ConfigError("log_every must be at least 1")
        if self.amp_dtype not in AMP_DTYPES:
            raise ConfigError(f"unknown AMP dtype {self.amp_dtype!r}; use bf16 or fp16")
        return self

    @property
    def pixel_weight(self) -> float:
        return 1.0 if self.loss == "pixel" else 0.0

    @property
    def feature_weight(self) -> float:
        return 1.0 if self.loss == "feature" else 0.0

    @property
    def space(self) -> str:
        """``'y'`` for networks that work on the bicubic-upscaled luminance (SRCNN), else ``'rgb'``."""
        return "y" if self.model in Y_SPACE_MODELS else "rgb"

    def model_kwargs(self) -> dict[str, Any]:
        """``build_model(self.model, **model_kwargs())``: scale (for RGB networks) plus the architecture arguments.

        Y-space networks (SRCNN) take no scale: they refine an input already upscaled by MATLAB bicubic.
        """
        if self.space == "y":
            return dict(self.arch_kwargs)
        return {"scale": self.scale, **self.arch_kwargs}

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["feature_layers"] = list(self.feature_layers)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        if "feature_layers" in kw:
            kw["feature_layers"] = tuple(kw["feature_layers"])
        if "betas" in kw:
            kw["betas"] = tuple(kw["betas"])
        return cls(**kw)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def differences(self, other: TrainConfig) -> list[str]:
        """Names of the fields that differ between ``self`` and ``other``."""
        a, b = self.to_dict(), other.to_dict()
        return [k for k in a if a[k] != b.get(k)]


RECIPES: dict[str, TrainConfig] = {
    "johnson2016": TrainConfig(
        model="johnson",
        arch_kwargs={"channels": 64, "blocks": 4, "upsample": "deconv"},
        scale=4,
        loss="feature",
        feature_layers=("relu2_2",),
        tv_weight=2e-3,
        crop=288,
        batch_size=4,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        iterations=200_000,
        recipe="johnson2016",
    ),
    # SRCNN (Dong et al., ECCV 2014 / TPAMI 2015) in srbench's trainer: the 9-5-5 network on the luminance of the
    # bicubic-upscaled LR, MSE loss. The authors trained with SGD on 33x33 sub-images and 'valid' convolutions;
    # srbench uses Adam with lr 1e-4 (the usual choice of PyTorch re-implementations) on random HR crops with
    # 'same' replicate padding, as their test code pads. The degradation is srbench's blur-bicubic, as for the
    # Johnson networks, so that x8 baselines compare like with like.
    "srcnn": TrainConfig(
        model="srcnn",
        arch_kwargs={"f1": 9, "f2": 5, "f3": 5, "n1": 64, "n2": 32},
        scale=4,
        loss="pixel",
        tv_weight=0.0,
        crop=96,
        batch_size=16,
        lr=1e-4,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        iterations=100_000,
        recipe="srcnn",
    ),
}


#: TV weight per recipe and loss (about 1 % of the loss; see the module docstring)
TV_WEIGHTS: dict[str, dict[str, float]] = {
    "johnson2016": {"pixel": FNS_TV_WEIGHT, "feature": 2e-3},
    "srcnn": {"pixel": 0.0},
}


def default_tv_weight(recipe: str, loss: str) -> float | None:
    """The TV weight ``recipe`` uses with ``loss`` (None: the recipe has no per-loss value)."""
    return TV_WEIGHTS.get(recipe, {}).get(loss)


def get_recipe(name: str) -> TrainConfig:
    """A fresh copy of a named recipe."""
    try:
        base = RECIPES[name.lower()]
    except KeyError:
        raise ConfigError(f"unknown recipe {name!r}; choose one of: {', '.join(RECIPES)}") from None
    return TrainConfig.from_dict(base.to_dict())
