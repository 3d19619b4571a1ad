"""``srbench study analyze``: quality control by the declared rules, then the preference statistics.

* QC (:func:`srbench.study.qc.qc_workers`): per worker, sentinel accuracy, repeat agreement and median response
  time, checked against the spec's pre-registered :class:`~srbench.study.qc.QcPolicy`; excluded workers are listed
  with the reason. Single answers slower than ``max_trial_rt_ms`` are dropped. Every preference result is reported
  twice: with the declared exclusions (``pairs``) and without any (``pairs_all_workers``).
* Per image pair (:func:`majority_votes`): the majority of its workers' votes (ties reported, not counted).
* Per method pair (:func:`method_pairs`): share of images whose majority preferred A, Wilson 95 % interval
  (:func:`wilson_interval`) and an exact two-sided binomial test against 1/2 (``scipy.stats.binomtest``); the
  vote-level share of A with a percentile bootstrap over images (votes of one image stay together).
* Bradley-Terry scores (:func:`bradley_terry`) with ``choix.ilsr_pairwise`` (Maystre & Grossglauser 2015) and
  bootstrap-over-images percentile intervals.
* Agreement (:func:`krippendorff_alpha_nominal`): Krippendorff's alpha for nominal data, which allows a different
  number of workers per item after exclusions (Krippendorff, "Computing Krippendorff's Alpha-Reliability", 2011).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest, norm

from srbench.atomic import atomic_path
from srbench.errors import ConfigError
from srbench.study.qc import QcPolicy, expected_agreement, kept_pair_votes, qc_workers

__all__ = ["expected_agreement", "kept_pair_votes", "qc_workers"]  # re-exported: QC lives in srbench.study.qc

Z95 = float(norm.ppf(0.975))  # 1.959963984540054


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``k / n`` (Wilson 1927; Agresti & Coull 1998):

    ``(p + z^2/(2n) -+ z sqrt(p(1-p)/n + z^2/(4n^2))) / (1 + z^2/n)``, ``p = k/n``. ``(nan, nan)`` for ``n = 0``.
    """
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= k <= n:
        raise ValueError(f"k={k} must lie in [0, n={n}]")
    p = k / n
    denom = 1.0 + z * z / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, (centre - half) / denom), min(1.0, (centre + half) / denom))


def binomial_p(k: int, n: int) -> float:
    """Exact two-sided binomial test of ``k`` successes in ``n`` against ``p = 1/2`` (``scipy.stats.binomtest``)."""
    return float(binomtest(k, n, 0.5, alternative="two-sided").pvalue) if n > 0 else math.nan


def krippendorff_alpha_nominal(units: Sequence[Sequence[Any]]) -> float:
    """Krippendorff's alpha, nominal metric, from the values each unit received (missing values left out).

    With ``n_uc`` = values ``c`` in unit ``u``, ``m_u`` = values in ``u`` (units with ``m_u < 2`` are not
    pairable and dropped), ``n_c = sum_u n_uc`` and ``n = sum_c n_c``::

        alpha = 1 - (n - 1) * sum_u sum_c n_uc (m_u - n_uc) / (m_u - 1)  /  (n^2 - sum_c n_c^2)

    (observed over expected disagreement of the coincidence matrix, Krippendorff 2011, sec. C). ``nan`` when
    every value is the same (no expected disagreement).
    """
    counts: list[dict[Any, int]] = []
    for u in units:
        if len(u) < 2:
            continue
        c: dict[Any, int] = {}
        for v in u:
            c[v] = c.get(v, 0) + 1
        counts.append(c)
    totals: dict[Any, int] = {}
    for c in counts:
        for v, k in c.items():
            totals[v] = totals.get(v, 0) + k
    n = sum(totals.values())
    expected = n * n - sum(k * k for k in totals.values())
    if n == 0 or expected == 0:
        return math.nan
    observed = 0.0
    for c in counts:
        m = sum(c.values())
        observed += sum(k * (m - k) for k in c.values()) / (m - 1)
    return 1.0 - (n - 1) * observed / expected


def bradley_terry(labels: Sequence[str], wins: Sequence[tuple[str, str]], alpha: float = 0.01) -> pd.Series:
    """Bradley-Terry log-strengths (mean zero), ``P(i beats j) = 1 / (1 + exp(theta_j - theta_i))``.

    Maximum likelihood via ``choix.ilsr_pairwise`` with a small ridge ``alpha`` (keeps scores finite when a
    method never loses). ``wins`` holds ``(winner, loser)`` labels.
    """
    import choix

    index = {lab: i for i, lab in enumerate(labels)}
    data = [(index[w], index[lo]) for w, lo in wins]
    params = choix.ilsr_pairwise(len(labels), data, alpha=alpha)
    return pd.Series(np.asarray(params) - np.mean(params), index=list(labels), name="bt_score")


@dataclass
class Analysis:
    """Every table of an analysis (see the module docstring) and the headline numbers."""

    workers: pd.DataFrame
    majority: pd.DataFrame
    pairs: pd.DataFrame
    bt: pd.DataFrame
    agreement: float
    summary: dict[str, Any] = field(default_factory=dict)
    pairs_all_workers: pd.DataFrame = field(default_factory=pd.DataFrame)


def majority_votes(pair_votes: pd.DataFrame) -> pd.DataFrame:
    """Per (stimulus, method pair): votes for A, votes, and the majority (``'A'``, ``'B'`` or ``'tie'``)."""
    g = pair_votes.groupby(["method_a", "method_b", "stimulus"], sort=True)["prefers_a"]
    out = pd.DataFrame({"votes_a": g.sum().astype(int), "votes": g.size().astype(int)}).reset_index()
    twice = 2 * out["votes_a"]
    out["majority"] = np.where(twice > out["votes"], "A", np.where(twice < out["votes"], "B", "tie"))
    return out


def _bootstrap_share(per_image: pd.DataFrame, n_boot: int, rng: np.random.Generator) -> tuple[float, float]:
    """Percentile 95 % interval of ``sum votes_a / sum votes`` resampling images with replacement."""
    if n_boot <= 0 or per_image.empty:
        return (math.nan, math.nan)
    a = per_image["votes_a"].to_numpy(float)
    n = per_image["votes"].to_numpy(float)
    idx = rng.integers(0, len(a), size=(n_boot, len(a)))
    shares = a[idx].sum(1) / n[idx].sum(1)
    lo, hi = np.percentile(shares, [2.5, 97.5])
    return float(lo), float(hi)


def method_pairs(majority: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per method pair: images, ties, share of images preferring A (majority), Wilson CI, binomial p, vote share
    with its bootstrap-over-images CI."""
    rng = np.random.default_rng(seed)
    rows = []
    for (a, b), g in majority.groupby(["method_a", "method_b"], sort=False):
        decided = g[g["majority"] != "tie"]
        k = int((decided["majority"] == "A").sum())
        n = len(decided)
        lo, hi = wilson_interval(k, n)
        blo, bhi = _bootstrap_share(g, n_boot, rng)
        rows.append(
            {
                "method_a": a,
                "method_b": b,
                "images": len(g),
                "ties": len(g) - n,
                "majority_a": k,
                "share_a": k / n if n else math.nan,
                "wilson_low": lo,
                "wilson_high": hi,
                "binom_p": binomial_p(k, n),
                "votes": int(g["votes"].sum()),
                "vote_share_a": float(g["votes_a"].sum() / g["votes"].sum()) if g["votes"].sum() else math.nan,
                "boot_low": blo,
                "boot_high": bhi,
            }
        )
    return pd.DataFrame(rows)


def bt_table(pair_votes: pd.DataFrame, labels: Sequence[str], n_boot: int = 200, seed: int = 0) -> pd.DataFrame:
    """Bradley-Terry scores with percentile 95 % intervals from a bootstrap over stimuli."""

    def wins(v: pd.DataFrame) -> list[tuple[str, str]]:
        loser = np.where(v["prefers_a"] == 1, v["method_b"], v["method_a"])
        return list(zip(v["winner"], loser, strict=True))

    if pair_votes.empty:
        return pd.DataFrame(columns=["method", "bt_score", "ci_low", "ci_high"])
    score = bradley_terry(labels, wins(pair_votes))
    stimuli = np.array(sorted(pair_votes["stimulus"].unique()))
    by_stim = {s: g for s, g in pair_votes.groupby("stimulus")}
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        pick = rng.choice(stimuli, size=len(stimuli), replace=True)
        boots.append(bradley_terry(labels, wins(pd.concat([by_stim[s] for s in pick]))).to_numpy())
    arr = np.array(boots) if boots else np.full((1, len(labels)), np.nan)
    lo, hi = np.percentile(arr, [2.5, 97.5], axis=0)
    return pd.DataFrame({"method": list(labels), "bt_score": score.to_numpy(), "ci_low": lo, "ci_high": hi})


def analyze_votes(
    votes: pd.DataFrame,
    labels: Sequence[str],
    rules: QcPolicy,
    expected: dict[int, int] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> Analysis:
    """QC, majority per image pair, method-pair statistics, Bradley-Terry and agreement (module docstring);
    the method-pair statistics also without exclusions (``pairs_all_workers``)."""
    if votes.empty:
        raise ConfigError("the votes table is empty; collect or simulate responses first")
    workers = qc_workers(votes, rules, expected)
    kept = kept_pair_votes(votes, workers, rules)
    majority = majority_votes(kept)
    pairs = method_pairs(majority, n_boot, seed)
    bt = bt_table(kept, labels, max(n_boot // 10, 0), seed)
    units = [list(g) for _, g in kept.groupby(["stimulus", "method_a", "method_b"])["winner"]]
    alpha = krippendorff_alpha_nominal(units)
    pairs_all = method_pairs(majority_votes(kept_pair_votes(votes, None, rules)), n_boot, seed)
    agree = workers["repeat_agreement"].astype(float)
    summary = {
        "workers": len(workers),
        "excluded_workers": int(workers["excluded"].sum()),
        "votes_total": len(votes),
        "pair_votes_kept": len(kept),
        "krippendorff_alpha": None if math.isnan(alpha) else alpha,
        "mean_repeat_agreement": None if agree.isna().all() else float(agree.mean()),
        "qc_rules": rules.to_dict(),
        "share_a_with_exclusions": _shares(pairs),
        "share_a_without_exclusions": _shares(pairs_all),
    }
    return Analysis(workers, majority, pairs, bt, alpha, summary, pairs_all)


def _shares(pairs: pd.DataFrame) -> dict[str, float | None]:
    """``{"A vs B": share of images preferring A}`` for the summary."""
    return {
        f"{a} vs {b}": None if math.isnan(v) else float(v)
        for a, b, v in zip(pairs.get("method_a", []), pairs.get("method_b", []), pairs.get("share_a", []), strict=True)
    }


def chart(analysis: Analysis, path: str | Path) -> Path:
    """Bar chart: share of images whose majority preferred A per method pair, with Wilson 95 % intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = analysis.pairs
    fig, ax = plt.subplots(figsize=(6, 0.6 * max(len(p), 2) + 1.2))
    names = [f"{a} vs {b}" for a, b in zip(p["method_a"], p["method_b"], strict=True)]
    share = p["share_a"].to_numpy(float)
    err = np.vstack([share - p["wilson_low"].to_numpy(float), p["wilson_high"].to_numpy(float) - share])
    ax.barh(names, share, xerr=err, color="#4878a8", capsize=4)
    ax.axvline(0.5, color="k", lw=0.8, ls="--")
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of images where the majority preferred the first method (Wilson 95 % CI)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    return Path(path)


#: column headers of the method-pair table for people (terminal, Markdown, LaTeX, HTML); CSV keeps the raw names
PAIR_HEADERS: dict[str, str] = {
    "method_a": "A",
    "method_b": "B",
    "images": "images",
    "ties": "ties",
    "majority_a": "images A won",
    "share_a": "share A",
    "wilson_low": "95% CI low (Wilson)",
    "wilson_high": "95% CI high (Wilson)",
    "binom_p": "p (binomial, two-sided)",
    "votes": "votes",
    "vote_share_a": "vote share A",
    "boot_low": "95% CI low (bootstrap)",
    "boot_high": "95% CI high (bootstrap)",
}


def readable_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """The method-pair table with :data:`PAIR_HEADERS` as column names (for display; values unchanged)."""
    return pairs.rename(columns=PAIR_HEADERS)


def write_analysis(analysis: Analysis, folder: str | Path, fmt: str = "markdown") -> list[Path]:
    """Write every table in ``fmt`` (markdown, latex, csv, html), ``summary.json`` and ``chart.png``."""
    from srbench.report.formats import render_table

    ext = {"markdown": "md", "latex": "tex", "csv": "csv", "html": "html"}
    if fmt not in ext:
        raise ConfigError(f"unknown format {fmt!r}; use one of {', '.join(ext)}")
    out = Path(folder)
    written = []
    for name, df in (
        ("pairs", analysis.pairs),
        ("pairs_all_workers", analysis.pairs_all_workers),
        ("bradley_terry", analysis.bt),
        ("workers", analysis.workers),
        ("majority", analysis.majority),
    ):
        p = out / f"{name}.{ext[fmt]}"
        shown = readable_pairs(df) if name.startswith("pairs") else df
        text = df.to_csv(index=False) if fmt == "csv" else render_table(shown, fmt)
        with atomic_path(p) as tmp:
            tmp.write_text(text, encoding="utf-8")
        written.append(p)
    s = out / "summary.json"
    with atomic_path(s) as tmp:
        tmp.write_text(json.dumps(analysis.summary, indent=2, default=float) + "\n", encoding="utf-8")
    written += [s, chart(analysis, out / "chart.png")]
    return written
