"""What srbench ships, by name, as plain data: its datasets, methods, metrics and trainable architectures.

The command line's ``--help`` texts list these names. They are read here, not from the registries, because the
registries are filled by modules that import torch and numpy, and ``srbench --help`` must import neither
(``tests/test_cli_imports.py``). The registries stay the truth: ``tests/test_builtin.py`` checks every tuple here
against the registry it mirrors, so adding a method, a metric or an architecture means adding its name here too.

This module imports nothing; it sits at the bottom of the layers (``lint-imports``, see the README).
"""

from __future__ import annotations

#: the catalogued benchmark datasets (:data:`srbench.data.datasets.CATALOGUED` is this tuple)
DATASETS: tuple[str, ...] = ("set5", "set14", "bsd100")

#: the embedded demo dataset (scikit-image's sample images), resolvable without a data root
DEMO_DATASET = "demo"

#: registered method names, sorted (:data:`srbench.methods.METHODS`; aliases such as ``srcnn`` are not listed)
METHODS: tuple[str, ...] = (
    "bicubic",
    "johnson-x4-feature",
    "johnson-x4-pixel",
    "johnson-x8-feature",
    "johnson-x8-pixel",
    "nearest",
    "srcnn-915-91images-x2",
    "srcnn-915-91images-x3",
    "srcnn-915-91images-x4",
    "srcnn-955-imagenet-x2",
    "srcnn-955-imagenet-x3",
    "srcnn-955-imagenet-x4",
    "srcnn-x8",
)

#: registered metric names, sorted (:data:`srbench.metrics.METRICS`)
METRICS: tuple[str, ...] = (
    "dists",
    "fsim",
    "fsim-piq",
    "fsimc",
    "lpips",
    "psnr",
    "psnr-rgb",
    "ssim",
    "vif",
    "vif-wavelet",
)

#: registered degradations, sorted (:data:`srbench.protocol.degradations.DEGRADATIONS`); a protocol record checks
#: its degradation against these names without importing the degradations' torch code
DEGRADATIONS: tuple[str, ...] = ("bicubic", "blur-bicubic")

#: registered network architectures, sorted (:data:`srbench.models.ARCHITECTURES`); ``srbench train`` trains them
ARCHITECTURES: tuple[str, ...] = ("johnson", "srcnn")
