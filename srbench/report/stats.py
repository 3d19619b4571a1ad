"""Paired per-image comparison of two methods: mean difference, bootstrap CI, Wilcoxon signed-rank test.

For methods A and B scored on the same ``n`` images of a dataset, the per-image differences are
``d_i = m_A(i) - m_B(i)`` for a metric ``m``; the dataset difference the literature reports is the mean
``d̄ = (1/n) Σ d_i`` (equal to ``mean_A - mean_B``, since both means run over the same images).

* **Confidence interval of d̄: BCa bootstrap** (bias-corrected and accelerated; Efron & Tibshirani 1993, *An
  Introduction to the Bootstrap*, ch. 14, eqs. 14.9-14.15), computed by :func:`scipy.stats.bootstrap`.
  ``B`` resamples of the ``n`` differences with replacement give means ``d̄*_b``; with the bias correction
  ``ẑ0 = Φ⁻¹(#{d̄*_b < d̄} / B)`` and the jackknife acceleration ``â = Σ(d̄_(·) - d̄_(i))³ /
  (6 [Σ(d̄_(·) - d̄_(i))²]^{3/2})``, the interval is the ``α1, α2`` percentiles of the ``d̄*_b`` with
  ``α1,2 = Φ(ẑ0 + (ẑ0 + z_{α/2, 1-α/2}) / (1 - â (ẑ0 + z_{α/2, 1-α/2})))``.
  BCa rather than the plain percentile interval because it is second-order accurate and transformation
  respecting (E&T §14.3, §22): per-image PSNR gains are typically skewed (a few images gain much more than the
  rest), which the percentile interval ignores. With the 5 images of Set5 no bootstrap interval is reliable
  (only 126 distinct resamples exist); report it, but read it with ``n`` in mind.
* **Wilcoxon signed-rank test** (Wilcoxon 1945), two-sided, by :func:`scipy.stats.wilcoxon` on the
  differences. **Zero differences** (an image on which both methods score exactly the same) are dropped
  before ranking (Wilcoxon's original rule, ``zero_method='wilcox'``, as R's ``wilcox.test``); they are
  counted as ``ties``. **Ties** among the non-zero ``|d_i|`` get mid-ranks. The p-value is exact (the null
  distribution of ``W+`` over all ``2^m`` sign assignments of the ``m`` non-zero ranks) when there are no
  tied ``|d_i|`` and ``m <= 50``; with tied ranks and ``m <= 13`` it is exact conditional on the mid-ranks
  (all ``2^m`` sign flips enumerated); otherwise it is the normal approximation with the tie-corrected
  variance and no continuity correction. With ``m <= 5`` the smallest possible two-sided p is ``2 / 2^m``
  (0.0625 for Set5), so such a test can never reach 0.05.
* **wins / ties / losses** count images on which A is better than / equal to / worse than B in the metric's
  own direction (``higher_is_better``); equality is exact (``d_i == 0``).

p-values are per comparison, not adjusted for multiple comparisons.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.stats

from srbench.errors import ConfigError, DataError
from srbench.metrics import METRICS

#: the largest number of non-zero differences with tied ranks for which every sign flip is enumerated
EXACT_TIES_MAX = 13
#: the largest number of non-zero, untied differences for which the exact null distribution is used
EXACT_MAX = 50


@dataclass(frozen=True)
class PairedComparison:
    """Method A against method B on one dataset at one scale for one metric (see the module docstring).

    Attributes:
        dataset, scale, metric, method_a, method_b: what was compared.
        n: images paired by id.
        mean_a, mean_b: per-method means over the ``n`` images.
        mean_diff: ``mean_a - mean_b`` (the mean of the per-image differences ``a - b``).
        ci_low, ci_high: BCa bootstrap confidence interval of ``mean_diff`` at ``confidence``.
        confidence: the interval's nominal coverage.
        n_boot: bootstrap resamples.
        p_value: two-sided Wilcoxon signed-rank p-value; NaN when every difference is zero.
        p_method: ``exact``, ``exact-ties`` (sign flips enumerated over mid-ranks) or ``normal``; ``none``
            when every difference is zero.
        wins, ties, losses: images on which A is better than, equal to, worse than B.
        protocol_key: the protocol both methods were scored under.
    """

    dataset: str
    scale: int
    metric: str
    method_a: str
    method_b: str
    n: int
    mean_a: float
    mean_b: float
    mean_diff: float
    ci_low: float
    ci_high: float
    confidence: float
    n_boot: int
    p_value: float
    p_method: str
    wins: int
    ties: int
    losses: int
    protocol_key: str


def bootstrap_mean_ci(
    values: np.ndarray, *, n_boot: int = 10000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """BCa bootstrap confidence interval of the mean of ``values`` (Efron & Tibshirani 1993, §14.3).

    Constant data (every value equal, or a single value) has the degenerate interval ``(v, v)``: every
    resample has the same mean, and BCa's acceleration is 0/0.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or not np.isfinite(x).all():
        raise ValueError("bootstrap_mean_ci needs a non-empty 1-d array of finite values")
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence {confidence} must lie strictly between 0 and 1, e.g. 0.95")
    if n_boot < 100:
        raise ConfigError(f"n_boot={n_boot} is too few bootstrap resamples; use at least 1000")
    if np.ptp(x) == 0.0:
        return float(x[0]), float(x[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's 0/0 notes on degenerate jackknife terms
        res = scipy.stats.bootstrap(
            (x,),
            np.mean,
            n_resamples=n_boot,
            confidence_level=confidence,
            method="BCa",
            vectorized=True,
            rng=np.random.default_rng(seed),
        )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def wilcoxon_signed_rank(diffs: np.ndarray) -> tuple[float, str]:
    """Two-sided Wilcoxon signed-rank p-value of ``diffs`` and how it was computed (module docstring).

    Zeros are dropped first; returns ``(nan, "none")`` when nothing is left.
    """
    d = np.asarray(diffs, dtype=np.float64)
    d = d[d != 0.0]
    m = int(d.size)
    if m == 0:
        return float("nan"), "none"
    tied = np.unique(np.abs(d)).size < m
    method: str | scipy.stats.PermutationMethod
    if not tied and m <= EXACT_MAX:
        method, label = "exact", "exact"
    elif tied and m <= EXACT_TIES_MAX:
        method, label = scipy.stats.PermutationMethod(n_resamples=np.inf), "exact-ties"
    else:
        method, label = "asymptotic", "normal"
    res = scipy.stats.wilcoxon(d, zero_method="wilcox", correction=False, alternative="two-sided", method=method)
    return float(res.pvalue), label


def _select(rows: pd.DataFrame, method: str, dataset: str, scale: int, metric: str) -> pd.DataFrame:
    """The rows of ``method`` on ``dataset`` at ``scale``, with one-line errors naming what exists."""
    if rows.empty:
        raise DataError("no result rows to compare; run `srbench eval` first")
    missing = [c for c in ("dataset", "scale", "method", "image", "protocol_key") if c not in rows.columns]
    if missing:
        raise DataError(f"result rows lack the column(s) {', '.join(missing)}; pass rows from srbench evaluate")
    ds = rows[rows["dataset"] == dataset]
    if ds.empty:
        known = ", ".join(sorted(map(str, rows["dataset"].unique())))
        raise DataError(f"no results for dataset {dataset!r}; the rows hold: {known}")
    sc = ds[ds["scale"] == scale]
    if sc.empty:
        known = ", ".join(f"x{s}" for s in sorted(ds["scale"].unique()))
        raise DataError(f"no results for {dataset} at x{scale}; {dataset} has {known}")
    sel = sc[sc["method"] == method]
    if sel.empty:
        known = ", ".join(sorted(map(str, sc["method"].unique())))
        raise DataError(f"no results for method {method!r} on {dataset} x{scale}; methods there: {known}")
    if metric not in sel.columns or sel[metric].isna().all():
        have = [m for m in METRICS if m in sel.columns and sel[m].notna().any()]
        raise DataError(
            f"{method} on {dataset} x{scale} has no {metric} scores; it has {', '.join(have) or 'none'} "
            f"(re-run `srbench eval --metric {metric}`)"
        )
    keys = sorted(map(str, sel["protocol_key"].unique()))
    if len(keys) > 1:
        raise ConfigError(
            f"{method} on {dataset} x{scale} has rows under {len(keys)} protocols ({', '.join(keys)}); "
            "filter the rows to one protocol first"
        )
    dupes = sel["image"][sel["image"].duplicated()]
    if not dupes.empty:
        raise DataError(f"{method} on {dataset} x{scale} has several rows for image {dupes.iloc[0]!r}; de-duplicate")
    nan = sel[sel[metric].isna()]
    if not nan.empty:
        raise DataError(
            f"{method} on {dataset} x{scale} has no {metric} for image {nan['image'].iloc[0]!r}; re-run the evaluation"
        )
    return sel


def paired_comparison(
    rows: pd.DataFrame,
    method_a: str,
    method_b: str,
    dataset: str,
    scale: int,
    metric: str,
    *,
    n_boot: int = 10000,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedComparison:
    """Compare ``method_a`` with ``method_b`` image by image (see the module docstring for the statistics).

    Args:
        rows: per-image result rows (``EvalResult.rows`` or the result store's ``rows()``).
        method_a, method_b: method names as in the ``method`` column.
        dataset, scale, metric: which results to pair.
        n_boot: bootstrap resamples; confidence: nominal coverage of the interval; seed: bootstrap RNG seed.

    Raises:
        ConfigError: a metric srbench does not know, the same method twice, or rows under different protocols.
        DataError: a dataset/scale/method/metric absent from ``rows`` (the message names what exists), image
            sets that differ, or fewer than 2 images.
    """
    spec = METRICS.get(metric)
    if method_a == method_b:
        raise ConfigError(f"compare two different methods (got {method_a!r} twice)")
    a = _select(rows, method_a, dataset, scale, metric)
    b = _select(rows, method_b, dataset, scale, metric)
    key_a, key_b = str(a["protocol_key"].iloc[0]), str(b["protocol_key"].iloc[0])
    if key_a != key_b:
        raise ConfigError(
            f"{method_a} and {method_b} on {dataset} x{scale} were scored under different protocols "
            f"({key_a} vs {key_b}); evaluate both under one protocol"
        )
    ids_a, ids_b = set(map(str, a["image"])), set(map(str, b["image"]))
    if ids_a != ids_b:
        only_a, only_b = sorted(ids_a - ids_b), sorted(ids_b - ids_a)
        example = f"{only_a[0]!r} only in {method_a}" if only_a else f"{only_b[0]!r} only in {method_b}"
        raise DataError(
            f"{method_a} and {method_b} on {dataset} x{scale} were scored on different images ({example}); "
            "evaluate both on the same dataset version"
        )
    if len(ids_a) < 2:
        raise DataError(f"{dataset} x{scale} has {len(ids_a)} image(s); a paired comparison needs at least 2")
    va = a.set_index(a["image"].astype(str))[metric].astype(np.float64)
    vb = b.set_index(b["image"].astype(str))[metric].astype(np.float64).reindex(va.index)
    diffs = va.to_numpy() - vb.to_numpy()
    low, high = bootstrap_mean_ci(diffs, n_boot=n_boot, confidence=confidence, seed=seed)
    p, how = wilcoxon_signed_rank(diffs)
    better = diffs > 0 if spec.higher_is_better else diffs < 0
    worse = diffs < 0 if spec.higher_is_better else diffs > 0
    return PairedComparison(
        dataset=dataset,
        scale=int(scale),
        metric=metric,
        method_a=method_a,
        method_b=method_b,
        n=int(diffs.size),
        mean_a=float(va.mean()),
        mean_b=float(vb.mean()),
        mean_diff=float(diffs.mean()),
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        n_boot=n_boot,
        p_value=p,
        p_method=how,
        wins=int(better.sum()),
        ties=int((diffs == 0).sum()),
        losses=int(worse.sum()),
        protocol_key=key_a,
    )


def comparison_table(
    rows: pd.DataFrame,
    metric: str,
    *,
    scale: int | None = None,
    datasets: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    n_boot: int = 10000,
    confidence: float = 0.95,
    seed: int = 0,
    skipped: list[str] | None = None,
) -> pd.DataFrame:
    """:func:`paired_comparison` for every pair of methods on every dataset (and scale), one row per pair.

    Methods are paired in their order of first appearance in ``rows`` (A before B); ``datasets``, ``methods``
    and ``scale`` restrict the selection. Columns are the fields of :class:`PairedComparison`. With a
    ``skipped`` list, a pair that cannot be compared (a metric not scored for one of them, fewer than two
    images) is left out and the reason appended to the list instead of raised.
    """
    METRICS.get(metric)
    if rows.empty:
        raise DataError("no result rows to compare; run `srbench eval` first")
    sel = rows
    for name, wanted, col in (("dataset", datasets, "dataset"), ("method", methods, "method")):
        if wanted is not None:
            unknown = [w for w in wanted if w not in set(sel[col])]
            if unknown:
                known = ", ".join(sorted(map(str, sel[col].unique())))
                raise DataError(f"no results for {name} {unknown[0]!r}; the rows hold: {known}")
            sel = sel[sel[col].isin(wanted)]
    if scale is not None:
        if scale not in set(sel["scale"]):
            known = ", ".join(f"x{s}" for s in sorted(sel["scale"].unique()))
            raise DataError(f"no results at x{scale}; the rows hold {known}")
        sel = sel[sel["scale"] == scale]
    records = []
    for (ds, sc), group in sel.groupby(["dataset", "scale"], sort=False):
        names = list(dict.fromkeys(map(str, group["method"])))
        if methods is not None:  # the caller's order: A is the first method named
            names.sort(key=lambda n: list(methods).index(n) if n in methods else len(methods))
        for ma, mb in itertools.combinations(names, 2):
            try:
                c = paired_comparison(
                    group, ma, mb, str(ds), int(sc), metric, n_boot=n_boot, confidence=confidence, seed=seed
                )
            except (ConfigError, DataError) as exc:
                if skipped is None:
                    raise
                skipped.append(f"{ma} vs {mb} on {ds} x{sc} not compared: {exc}")
                continue
            records.append(asdict(c))
    columns = list(PairedComparison.__dataclass_fields__)
    return pd.DataFrame.from_records(records, columns=columns)
