"""Turn finished training runs into shipped baselines: weights, logs, per-image scores, a training curve, a card.

Usage::

    SRBENCH_DATA=../shared/datasets SRBENCH_WEIGHTS=../shared/weights \\
        python scripts/make_baselines.py runs/johnson_x8_pixel runs/johnson_x8_feature --out baselines \\
            --store reports/store

For each run folder (``srbench train --output``) it copies ``model.safetensors`` to the package-data folder
``srbench/methods/shipped/<run name>.safetensors`` (the one copy of the shipped weights, installed with the package
and registered in ``srbench/methods/baselines.py``), ``train_log.csv`` and ``validation.csv`` to
``baselines/<run name>/``, scores the model with ``srbench eval`` on Set5, Set14 and BSD100 at its scale, as
itself and as ``<name>+histmatch`` (the paper's post-process, sec. 4.2), beside bicubic (PSNR, SSIM, FSIM, VIFp;
LPIPS and DISTS too with ``--perceptual``) into ``eval.csv`` and the result store (the store's old groups of the
method are removed first: new weights are a new method version), draws ``training_curve.png`` (Set5 validation
PSNR of the run and of its loss partner at the same scale, if given), measures the colours on Set5 and Set14
(``scripts/colour_check.py``: CIEDE2000 chroma and hue difference from the HR, into ``colour.csv``) and renders
``MODEL_CARD.md`` with the issue-14 targets, met or not. A ``colour_curve.csv`` in the destination folder
(``scripts/colour_curve.py``: Set5 score and colour of the run's snapshots) is shown in the card too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
from pathlib import Path

import pandas as pd
from colour_check import colour_errors

from srbench.methods.naming import SHIPPED_DIR
from srbench.models.weights import file_sha256, read_metadata
from srbench.report.published import published

DATASETS = ("set5", "set14", "bsd100")
METRICS = ("psnr", "ssim", "fsim", "vif")
PERCEPTUAL = ("lpips", "dists")


def paper_means(scale: int, loss: str) -> dict[str, tuple[float, float]]:
    """Johnson et al. 2016 Fig. 8 / 9 dataset means (PSNR, SSIM) of the l_pixel or l_feat model at ``scale``."""
    pub = published()
    role = "l_pixel" if loss == "pixel" else "l_feat"
    rows = pub[(pub["scale"] == scale) & (pub["role"] == role) & (pub["image"] == "")]
    return {str(r["dataset"]): (float(r["psnr"]), float(r["ssim"])) for _, r in rows.iterrows()}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def method_name(run: Path) -> str:
    """The registered name of run ``johnson_x4_pixel``: ``johnson-x4-pixel``."""
    return run.name.replace("_", "-")


def drop_stored(store: Path, names: set[str]) -> None:
    """Remove the store's groups of ``names`` (the shipped weights changed: their old results are another model's)."""
    for f in (store / "groups").rglob("*.csv"):
        head = pd.read_csv(f, nrows=1, usecols=["method"])
        if str(head["method"].iloc[0]) in names:
            f.unlink()


def check_scored_weights(rows: pd.DataFrame, name: str, sha: str) -> None:
    """Stop unless every row of ``name`` and ``name+histmatch`` scored the weights with sha256 ``sha``.

    ``srbench eval -m NAME`` resolves a registered name to the package's shipped file; a ``--weights-out`` that
    srbench does not read from would silently score the old model.
    """
    mine = rows[rows["method"].isin([name, f"{name}+histmatch"])]
    provs = [json.loads(p) for p in mine["method_provenance"]]  # name+histmatch wraps the model's under "method"
    found = {str(p.get("method", p).get("weights_sha256")) for p in provs}
    if found != {sha}:
        raise SystemExit(
            f"{name}: scored weights {sorted(found)} are not the exported {sha}; is --weights-out the "
            "folder srbench resolves registered models from?"
        )


def score(name: str, scale: int, out_csv: Path, store: Path, perceptual: bool) -> pd.DataFrame:
    """Per-image rows of ``name``, ``name+histmatch`` and bicubic at ``scale`` (``srbench eval``, into ``store``).

    With ``perceptual``, LPIPS and DISTS are added for ``name+histmatch`` (the paper-table column) and bicubic.
    """
    drop_stored(store, {name, f"{name}+histmatch"})
    out_csv.unlink(missing_ok=True)
    base = ["srbench", "eval", "-s", str(scale), "--store", str(store), "--output", str(out_csv), "--no-progress"]
    for d in DATASETS:
        base += ["-d", d]
    runs = [((name, f"{name}+histmatch", "bicubic"), METRICS)]
    if perceptual:
        runs.append(((f"{name}+histmatch", "bicubic"), METRICS + PERCEPTUAL))
    for methods, metrics in runs:
        cmd = list(base)
        for m in methods:
            cmd += ["-m", m]
        for m in metrics:
            cmd += ["--metric", m]
        subprocess.run(cmd, check=True)
    return pd.read_csv(out_csv, dtype={"image": str})


def colour(name: str, scale: int, out_csv: Path) -> pd.DataFrame:
    """Per-image colour errors (``scripts/colour_check.py``) of ``name``, ``name+histmatch`` and bicubic on the
    colour images of Set5 and Set14, written to ``out_csv``."""
    rows = pd.concat([colour_errors(d, scale, [name, f"{name}+histmatch", "bicubic"]) for d in ("set5", "set14")])
    tmp = out_csv.with_name(f".{out_csv.name}.tmp")
    rows.to_csv(tmp, index=False)
    os.replace(tmp, out_csv)
    return rows


def colour_lines(rows: pd.DataFrame, curve: Path) -> list[str]:
    """The card's colour section: the colour table of the final model and, if present, the snapshots' curve."""
    means = rows.groupby(["method", "dataset"], sort=False)[["colour", "delta_e"]].mean()
    n = rows.groupby("dataset")["image"].nunique().to_dict()
    lines = [
        "## Colour (what PSNR on Y does not see)",
        "",
        "Mean CIEDE2000 difference of the displayed RGB from the HR over the colour images "
        f"(Set5 {n.get('set5', 0)}, Set14 {n.get('set14', 0)}), after the shave: `colour` keeps only the chroma and "
        "hue terms (wrong colours), `delta_e` is the full formula; lower is better, about 1 is just noticeable. "
        "Bicubic's colours are the LR's. Per image: `colour.csv`; method: `scripts/colour_check.py`.",
        "",
        "| method | dataset | colour | delta_e |",
        "|---|---|---|---|",
        *(f"| {m} | {d} | {r['colour']:.2f} | {r['delta_e']:.2f} |" for (m, d), r in means.iterrows()),
        "",
    ]
    if curve.is_file():
        c = pd.read_csv(curve)
        lines += [
            "Over training (Set5, with the paper's histogram matching; the model kept at every 500-iteration "
            "boundary by `scripts/snapshot_watch.py`, scored by `scripts/colour_curve.py`; `colour_curve.csv`). "
            f"Bicubic: {c['bicubic_psnr'].iloc[0]:.2f} dB, colour {c['bicubic_colour'].iloc[0]:.2f}.",
            "",
            "| iteration | Set5 PSNR +histmatch | colour +histmatch |",
            "|---|---|---|",
            *(f"| {int(r['iteration']):,} | {r['psnr']:.2f} | {r['colour']:.2f} |" for _, r in c.iterrows()),
            "",
        ]
    return lines


def training_curve(
    runs: list[Path],
    out: Path,
    bicubic_set5: float,
    matched: dict[str, tuple[int, float]],
    curves: dict[str, Path] | None = None,
) -> None:
    """Set5 validation PSNR over iterations of ``runs`` (one loss each), with bicubic as a line.

    Validation runs without histogram matching; ``matched`` (run name -> (iteration, Set5 PSNR of the exported model
    with the paper's histogram matching)) adds the matched score of the final model as a star, so the curve shows
    the number the targets are stated in. ``curves`` (run name -> its ``colour_curve.csv``) adds the snapshots'
    matched PSNR as a dashed line and a second panel with their colour error.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    found = {name: pd.read_csv(p) for name, p in (curves or {}).items() if p.is_file()}
    fig, axes = plt.subplots(
        1, 2 if found else 1, figsize=(11 if found else 6, 3.6), dpi=120, squeeze=False, sharex=True
    )
    ax = axes[0][0]
    for run in runs:
        val = run / "validation.csv"
        if val.is_file():
            v = pd.read_csv(val)
            (line,) = ax.plot(v["iteration"], v["psnr"], marker="o", label=f"{run.name} (no matching)")
            if run.name in found:
                c = found[run.name]
                colour = line.get_color()
                ax.plot(c["iteration"], c["psnr"], "--", marker=".", color=colour, label=f"{run.name} +histmatch")
                axes[0][1].plot(c["iteration"], c["colour"], marker="o", color=line.get_color(), label=run.name)
            if run.name in matched:
                it, psnr = matched[run.name]
                ax.plot(
                    [it],
                    [psnr],
                    marker="*",
                    markersize=12,
                    color=line.get_color(),
                    linestyle="none",
                    label=f"{run.name} +histmatch, final ({psnr:.2f} dB)",
                )
    ax.axhline(bicubic_set5, color="gray", linestyle="--", label=f"bicubic ({bicubic_set5:.2f} dB)")
    ax.set_xlabel("iteration")
    ax.set_ylabel("Set5 PSNR (dB)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    if found:
        cx = axes[0][1]
        ref = next(iter(found.values()))["bicubic_colour"].iloc[0]
        cx.axhline(ref, color="gray", linestyle="--", label=f"bicubic ({ref:.2f})")
        cx.set_xlabel("iteration")
        cx.set_ylabel("Set5 colour error, +histmatch")
        cx.set_title("CIEDE2000 chroma + hue (lower is better)", fontsize=9)
        cx.set_ylim(bottom=0)
        cx.grid(alpha=0.3)
        cx.legend(fontsize=7)
    fig.tight_layout()
    tmp = out.with_name(f".{out.name}.tmp.png")
    fig.savefig(tmp)
    os.replace(tmp, out)
    plt.close(fig)


TARGETS = {
    (8, "feature"): "x8 l_feat: at least 21 dB on Set5 with histogram matching (paper 23.26)",
    (4, "pixel"): "x4 l_pixel: within 0.3 dB of bicubic on every set with histogram matching (paper: 0.03-0.25 below)",
}


def target_line(scale: int, loss: str, means: pd.DataFrame, name: str) -> str | None:
    """The issue-14 target for this model, met or not, with the numbers."""
    if (scale, loss) not in TARGETS:
        return None
    matched = f"{name}+histmatch"
    if (scale, loss) == (8, "feature"):
        v = float(means.loc[(matched, "set5"), "psnr"])
        return f"Target {TARGETS[(scale, loss)]}: **{'met' if v >= 21 else 'not met'}** ({v:.2f} dB)."
    gaps = {d: float(means.loc[(matched, d), "psnr"] - means.loc[("bicubic", d), "psnr"]) for d in DATASETS}
    ok = all(abs(g) <= 0.3 for g in gaps.values())
    detail = ", ".join(f"{d} {g:+.2f} dB" for d, g in gaps.items())
    return f"Target {TARGETS[(scale, loss)]}: **{'met' if ok else 'not met'}** ({detail})."


def optimizer_text(opt: object) -> str:
    """``Adam, lr 0.001, betas (0.9, 0.999)`` from the weights' optimizer metadata (a dict), else its text."""
    if not isinstance(opt, dict):
        return str(opt)
    betas = opt.get("betas")
    extra = f", betas ({betas[0]}, {betas[1]})" if isinstance(betas, list) and len(betas) == 2 else ""
    return f"{str(opt.get('name', '?')).capitalize()}, lr {opt.get('lr', '?'):g}{extra}"


def loss_text(loss: object) -> str:
    """``feature (relu2_2), TV weight 0.002`` from the weights' loss metadata (a dict), else its text."""
    if not isinstance(loss, dict):
        return str(loss)
    kind = str(loss.get("type", "?"))
    if kind == "feature":
        kind += f" ({', '.join(loss.get('layers', []))} of {loss.get('loss_network', 'VGG-16')})"
    return f"{kind}, TV weight {loss.get('tv_weight', 0):g} ({loss.get('tv', 'TV')})"


def card(
    run_name: str,
    meta: dict,
    sha: str,
    rows: pd.DataFrame,
    run: Path,
    partner: Path | None,
    run_dest: Path | None = None,
    colours: pd.DataFrame | None = None,
) -> str:
    """The model card; ``run_dest/KNOWN_PROBLEMS.md`` (hand-written, if present) is included near the top."""
    name = method_name(run)
    scale = int(meta["scale"])
    loss = meta["loss"]["type"] if isinstance(meta.get("loss"), dict) else str(meta.get("loss"))
    metrics = [m for m in (*METRICS, *PERCEPTUAL) if m in rows.columns and rows[m].notna().any()]
    means = rows.groupby(["method", "dataset"], sort=False)[metrics].mean()
    log = pd.read_csv(run / "train_log.csv")
    first = log["loss"].head(50).mean()
    last = log["loss"].tail(50).mean()
    srcnn = meta["architecture"] == "srcnn"
    title = "SRCNN (Dong et al.), trained by srbench" if srcnn else "Johnson et al. 2016 network"
    paper_recipe = (
        (
            "9-5-5 SRCNN on the bicubic-upscaled luminance",
            "MSE on Y",
            "bicubic",
            "ImageNet / 91 images",
            "33x33 sub-images",
            "SGD",
            "~10^8 backprops (the authors released no x8 model)",
        )
        if srcnn
        else (
            f"9x9 conv, 4 residual blocks, {'three' if scale == 8 else 'two'} stride-1/2 convs, 9x9 conv, scaled tanh",
            "l_pixel" if loss == "pixel" else "l_feat at VGG-16 relu2_2",
            "blur sigma 1.0 then bicubic",
            "10k MS-COCO images",
            "288 / 4",
            "Adam, lr 1e-3",
            "200,000",
        )
    )
    full = (
        f"`srbench train --model srcnn --scale {scale} --data <folder> --output <dir>`"
        if srcnn
        else f"`srbench train --recipe johnson2016 --loss {loss} --scale {scale} --data <COCO folder> --output <dir>`"
    )
    on_gpu = str(meta["device"]).startswith("cuda")
    where = f"one GPU ({meta['device']})" if on_gpu else "a shared 2-core CPU machine, one thread"
    hardware = meta["device"] if on_gpu else f"{meta['device']} ({cpu_name()}), sharing 2 cores with other jobs"
    precision = "float32" if str(meta.get("amp", "off")) in ("off", "none") else f"{meta['amp']} autocast"
    lines = [
        f"# {run_name}: {title}, x{scale}, {loss} loss (reduced-budget reproduction)",
        "",
        f"**This is a reduced-budget model, not a published one.** It was trained on {where} for "
        f"{int(meta['iterations']):,} iterations with {meta['crop']}x{meta['crop']} crops from BSDS200, in {precision} "
        f"(paper recipe in the right column). Expect lower scores than a full run; the full recipe runs unchanged on "
        f"a GPU: {full}.",
        "",
    ]
    if partner is not None:
        lines += [
            f"**Equal budget with `{partner.name}`**: both were trained with identical data, crops, batch, "
            "iterations, optimizer, seed and precision, in 500-iteration chunks (`scripts/train_pair.sh`: "
            "alternating on one core; `scripts/train_pair_parallel.sh`: side by side on two, the l_pixel run at "
            "most one chunk ahead), and exported at the same iteration; they differ only in the loss (and its TV "
            "weight, about 1 % of each loss: baselines/README.md, TV ablation).",
            "",
        ]
    known = run_dest / "KNOWN_PROBLEMS.md" if run_dest is not None else None
    if known is not None and known.is_file():  # written by hand, kept across regenerations
        lines += ["## Known problems", "", known.read_text().strip(), ""]
    lines += [
        "## Recipe",
        "",
        "| | this model | reference recipe |",
        "|---|---|---|",
        f"| architecture | `{meta['architecture']}` {meta['arch_kwargs']} | {paper_recipe[0]} |",
        f"| loss | {loss_text(meta['loss'])} | {paper_recipe[1]} |",
        f"| degradation | `{meta['degradation']}` (Gaussian blur sigma 1.0, 7x7, then MATLAB bicubic) | "
        f"{paper_recipe[2]} |",
        f"| data | {', '.join(Path(d).name for d in meta['data'])} ({meta.get('training_images')} images) | "
        f"{paper_recipe[3]} |",
        f"| crop / batch | {meta['crop']} / {meta['batch_size']} | {paper_recipe[4]} |",
        f"| optimizer | {optimizer_text(meta['optimizer'])} | {paper_recipe[5]} |",
        f"| precision | {precision} | float32 (Torch7) |",
        f"| iterations | {int(meta['iterations']):,} | {paper_recipe[6]} |",
        f"| seed | {meta['seed']} | - |",
        f"| wall time | {float(meta['wall_time_s']) / 60:.1f} min (all sessions of the run) | - |",
        f"| hardware | {hardware} | GPU |",
        f"| training loss | first 50 iterations {first:.4g}, last 50 {last:.4g} | - |",
        "",
        f"Weights: `srbench/methods/shipped/{run_name}.safetensors` (installed with the package), sha256 `{sha}`. "
        "Training log: `train_log.csv`; "
        + (
            "Set5 validation during training: `validation.csv` and `training_curve.png`; "
            if (run / "validation.csv").exists()
            else "no validation during training (no `validation.csv`); "
        )
        + "per-image scores: `eval.csv`.",
        "",
    ]
    if (run / "validation.csv").exists():
        val = pd.read_csv(run / "validation.csv")
        lines += [
            "## Training curve (Set5; validation without histogram matching, the final model's matched score as a "
            "star)",
            "",
            "![training curve](training_curve.png)",
            "",
            "| iteration | PSNR | SSIM |",
            "|---|---|---|",
            *(f"| {int(r['iteration']):,} | {r['psnr']:.2f} | {r['ssim']:.4f} |" for _, r in val.iterrows()),
            "",
        ]
    heads = " | ".join(m.upper() if m != "vif" else "VIFp" for m in metrics)
    lines += [
        f"## Scores (x{scale}, Y channel, `standard` protocol: bicubic LR, shave = scale)",
        "",
        f"Means over each dataset. `{name}+histmatch` is the paper's post-process (sec. 4.2): each RGB channel of the "
        "output matched to the LR input before rounding; the paper's tables report it for its networks. FSIM is gray "
        "FSIM on Y, VIFp the pixel-domain VIF"
        + ("; LPIPS (VGG) and DISTS on RGB, lower is better." if "lpips" in metrics else "."),
        "",
        f"| method | dataset | {heads} | paper PSNR / SSIM |",
        "|---|---|" + "---|" * len(metrics) + "---|",
    ]
    paper = {} if srcnn else paper_means(scale, loss)
    for (method, dataset), r in means.iterrows():
        p = paper.get(dataset)
        ref = f"{p[0]:.2f} / {p[1]:.4f}" if p and method == f"{name}+histmatch" else ""
        cells = " | ".join("-" if pd.isna(r[m]) else f"{r[m]:.2f}" if m == "psnr" else f"{r[m]:.4f}" for m in metrics)
        lines.append(f"| {method} | {dataset} | {cells} | {ref} |")
    target = None if srcnn else target_line(scale, loss, means, name)
    lines += ["", *([target, ""] if target else [])]
    if colours is not None and run_dest is not None:
        lines += colour_lines(colours, run_dest / "colour_curve.csv")
    lines += [
        "The paper evaluates its x4 models on standard bicubic LR (no blur; conventions section 5.2), as here. Its x8 "
        "bicubic baseline does not match the standard protocol (23.80 vs 24.39 on Set5), so its x8 numbers are not "
        "directly comparable to these.",
        "",
        f"Regenerate: `python scripts/make_baselines.py runs/{run_name} --out baselines --store reports/store`.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=Path("baselines"))
    ap.add_argument("--store", type=Path, default=Path("reports/store"), help="result store to score into")
    ap.add_argument("--perceptual", action="store_true", help="also LPIPS and DISTS (CPU: about 5 s per image)")
    ap.add_argument("--weights-out", type=Path, default=SHIPPED_DIR, help="package-data folder of the weights")
    ap.add_argument(
        "--reuse-scores",
        action="store_true",
        help="the weights are already shipped and scored: keep eval.csv and the store, redo colour, curve and card",
    )
    args = ap.parse_args()
    metas = {run: read_metadata(run / "model.safetensors") for run in args.runs}
    partners: dict[Path, Path | None] = {}
    for run in args.runs:
        meta = metas[run]
        loss = meta["loss"]["type"] if isinstance(meta.get("loss"), dict) else ""
        partner = next(
            (
                r
                for r, m in metas.items()
                if r != run
                and int(m["scale"]) == int(meta["scale"])
                and m["architecture"] == meta["architecture"]
                and isinstance(m.get("loss"), dict)
                and m["loss"]["type"] != loss
            ),
            None,
        )
        partners[run] = partner
    scored: dict[Path, pd.DataFrame] = {}
    for run in args.runs:  # score every run first: each curve shows its partner's final matched score too
        meta = metas[run]
        dest = args.out / run.name
        dest.mkdir(parents=True, exist_ok=True)
        weights = args.weights_out / f"{run.name}.safetensors"
        if args.reuse_scores:
            if not weights.is_file() or file_sha256(weights) != file_sha256(run / "model.safetensors"):
                raise SystemExit(f"{run}: its model is not the shipped {weights}; drop --reuse-scores to ship it")
            scored[run] = pd.read_csv(dest / "eval.csv", dtype={"image": str})
        else:
            shutil.copy2(run / "model.safetensors", weights)
            for f in ("train_log.csv", "validation.csv"):
                if (run / f).exists():
                    shutil.copy2(run / f, dest / f)
            scored[run] = score(method_name(run), int(meta["scale"]), dest / "eval.csv", args.store, args.perceptual)
        check_scored_weights(scored[run], method_name(run), file_sha256(weights))
    colours = {r: colour(method_name(r), int(metas[r]["scale"]), args.out / r.name / "colour.csv") for r in args.runs}
    matched = {}
    for run, rows in scored.items():
        m = rows[(rows["method"] == f"{method_name(run)}+histmatch") & (rows["dataset"] == "set5")]["psnr"]
        matched[run.name] = (int(metas[run]["iterations"]), float(m.mean()))
    for run, rows in scored.items():
        meta, partner, dest = metas[run], partners[run], args.out / run.name
        if (run / "validation.csv").exists():
            bicubic = rows[(rows["method"] == "bicubic") & (rows["dataset"] == "set5")]["psnr"].mean()
            curve_runs = [run] + ([partner] if partner else [])
            curves = {r.name: args.out / r.name / "colour_curve.csv" for r in curve_runs}
            training_curve(curve_runs, dest / "training_curve.png", float(bicubic), matched, curves)
        sha = file_sha256(args.weights_out / f"{run.name}.safetensors")
        text = card(run.name, meta, sha, rows, run, partner, dest, colours[run])
        tmp = dest / ".MODEL_CARD.md.tmp"
        tmp.write_text(text)
        os.replace(tmp, dest / "MODEL_CARD.md")
        print(f"{dest}: done")


if __name__ == "__main__":
    main()
