"""srbench: benchmarking and evaluation of single-image super-resolution.

The numbers srbench prints follow the protocol of the SR literature exactly (MATLAB ``imresize`` bicubic,
BT.601 studio-range luminance, mod-crop, border shave, per-image averaging); every knob is recorded with every
result. See ``srbench.protocol`` for the pieces and ``srbench.evaluate`` for the runner.
"""

__version__ = "0.1.0"
