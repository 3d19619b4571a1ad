"""periodic_energy against its spectral form (Parseval) and on patterns whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from srbench.metrics.periodic import periodic_energy


def spectral_form(x: np.ndarray, p: int) -> float:
    """Share of the non-DC DFT energy on the frequency lattice (k H / p, l W / p), summed over channels."""
    _, h, w = x.shape
    spec = np.abs(np.fft.fft2(x)) ** 2
    grid = np.zeros((h, w), bool)
    grid[:: h // p, :: w // p] = True
    grid[0, 0] = False
    nondc = spec.sum() - spec[:, 0, 0].sum()
    return float(spec[:, grid].sum() / nondc)


@settings(max_examples=40, deadline=None)
@given(
    p=st.sampled_from([1, 2, 4, 8]),
    th=st.integers(1, 6),
    tw=st.integers(1, 6),
    c=st.integers(1, 3),
    seed=st.integers(0, 2**31 - 1),
    pattern=st.floats(0.0, 3.0),
)
def test_periodic_energy_equals_the_lattice_share_of_the_spectrum(
    p: int, th: int, tw: int, c: int, seed: int, pattern: float
) -> None:
    rng = np.random.default_rng(seed)
    h, w = th * p * 2, tw * p * 2
    x = rng.normal(size=(c, h, w)) + pattern * np.tile(rng.normal(size=(c, p, p)), (1, h // p, w // p))
    got = float(periodic_energy(torch.from_numpy(x)[None], p)[0])
    assert got == pytest.approx(spectral_form(x, p), rel=1e-9, abs=1e-12)


def test_a_pure_periodic_pattern_has_energy_one_and_a_constant_zero() -> None:
    tile = torch.tensor([[0.0, 255.0], [255.0, 0.0]])
    board = tile.repeat(16, 24)[None, None]
    assert float(periodic_energy(board, 2)[0]) == pytest.approx(1.0)
    assert float(periodic_energy(torch.full((1, 1, 8, 8), 7.0), 2)[0]) == 0.0


def test_smooth_content_has_almost_no_periodic_energy() -> None:
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(96.0), indexing="ij")
    ramp = (xx * 1.7 + yy * 0.9)[None, None]
    assert float(periodic_energy(ramp, 8)[0]) < 0.02


def test_sizes_that_are_not_whole_tiles_are_refused() -> None:
    with pytest.raises(ValueError, match="mod-crop"):
        periodic_energy(torch.zeros(1, 1, 10, 12), 4)
