"""Speed as users feel it: whole ``srbench eval --sr-dir`` processes against whole-process scripts of other tools.

Every tool scores the same SR files (made once, under ``--work``) against the same HR files, each in a fresh
Python process started the way a user starts it, so imports, kernel loading and decoding are all inside the
timing:

* ``srbench``: ``srbench eval -d ... -s 4 --sr-dir DIR --metric ... --no-store -o rows.csv --device cpu``, one
  process for all datasets of a case, with its defaults (worker threads over the CPU cores; PSNR + SSIM take the lean
  SR-folder path, :mod:`srbench.evaluate.lean`; run with ``SRBENCH_LEAN=0`` in the environment to time the general
  path). The child processes inherit ``PYTHONPATH``, so ``PYTHONPATH=<worktree>`` times that checkout's srbench;
* ``basicsr``: BasicSR 1.4.2's own ``calculate_psnr`` / ``calculate_ssim`` (``test_y_channel=True``,
  ``crop_border=4``, images read with ``cv2.imread`` as BasicSR's scripts do). ``import basicsr`` fails with
  torchvision >= 0.17 (``basicsr.data.degradations`` imports ``torchvision.transforms.functional_tensor``), so
  the script loads ``basicsr.metrics.psnr_ssim`` with the top-level ``basicsr/__init__.py`` skipped (its
  archs, data, losses and models are not imported): that start-up is lighter than a working ``import basicsr``.
  BasicSR is used from ``--basicsr-path`` (a ``pip install --no-deps --target`` folder holding basicsr and
  opencv-python-headless; never installed over this environment's torch);
* ``piq``: PIL decoding, MATLAB ``rgb2ycbcr`` luminance (rounded, as srbench's ``standard`` protocol), then
  ``piq.psnr`` / ``piq.ssim`` (11 x 11 Gaussian, no downsampling) or ``piq.fsim`` (gray) / ``piq.vif_p``, in
  float32 as users call piq (in float64 its SSIM took 10x longer);
* ``srbench-torch``: the same ``srbench eval`` command with ``SRBENCH_KERNELS=torch``: the compiled kernels (and so
  the lean path) off, torch's ops instead; the kernels are kept only where this shows them paying in whole-process
  time (issue 12);
* ``numpy``: PIL decoding, the same luminance, PSNR in numpy and scikit-image's ``structural_similarity`` with the
  flags that equal Wang's ``ssim_index`` (PSNR + SSIM only).

Cases: ``small`` (x4 bicubic SR of Set5 + Set14 + BSD100, 119 pairs, as in issue 12) and ``large`` (the first 100
BSDS200 photos upscaled x2 with MATLAB bicubic to 962 x 642 as HR, their x4 bicubic SR), each for PSNR + SSIM and
for FSIM + VIFp. SR files are MATLAB ``imresize`` bicubic x4 down then up of the mod-cropped HR, per RGB channel,
rounded to uint8 PNG.

Timing: every run's wall time and CPU time (``getrusage`` of the child). "Start-up" is the wall time of the same
command on one 32 x 32 pair (imports, kernel load, first-call set-up: what every run pays before its first real
image); "after start-up" is a run's wall time minus that tool's median start-up. Tools are run interleaved
(rotated order) ``--repeat`` times; ratios are of medians and of fastest runs, from the same interleaved run.

Values: after the first repetition, each tool's per-image rows are compared with srbench's: ``numpy`` and ``piq``
compute srbench's ``standard`` protocol; ``basicsr`` uses float (unrounded) Y and replicates grayscale images
into three channels, so it is compared with one extra (untimed) srbench run under ``--y-rounding float
--grayscale replicate``. Any difference over the tolerance exits 1.

Targets (issue 12, 2 cores): PSNR + SSIM wall time >= 1.5x faster than the BasicSR script (small) and >= 2x
(large); FSIM + VIFp >= 2x faster than piq on both; ``srbench --help`` imports none of torch, numpy, numba; the
eval start-up beyond torch's own import (``python -c 'import torch'``) at most 0.3 s (the issue names no
number; this one is ours).

``--profile`` also runs ``srbench eval --profile`` and a cProfile of one whole srbench process per case and
prints where the time goes.

Usage: ``python benchmarks/bench_process.py --basicsr-path DIR [--cases small,large] [--metrics pair,fsimvif]
[--repeat 3] [--work DIR] [--profile]``. On a shared machine run it under ``nice`` and say so.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SCALE = 4
METRIC_SETS = {"pair": ("psnr", "ssim"), "fsimvif": ("fsim", "vif")}
TOOLS = {"pair": ("srbench", "srbench-torch", "basicsr", "piq", "numpy"), "fsimvif": ("srbench", "piq")}
TOLERANCE = {
    ("numpy", "psnr"): 1e-9,
    ("numpy", "ssim"): 1e-6,
    ("piq", "psnr"): 1e-3,
    ("piq", "ssim"): 1e-4,
    ("piq", "fsim"): 1e-5,
    ("piq", "vif"): 2e-3,
    ("basicsr", "psnr"): 1e-4,
    ("basicsr", "ssim"): 1e-6,
    ("srbench-torch", "psnr"): 1e-12,
    ("srbench-torch", "ssim"): 1e-12,
    ("srbench-torch", "fsim"): 1e-12,
    ("srbench-torch", "vif"): 1e-12,
}
"""Largest accepted |tool - srbench| per image: piq runs in float32 (as users call it; VIFp moves by up to about
1e-3), BasicSR's luminance is float32; the numpy script computes srbench's arithmetic in float64.

piq's float32 SSIM: the local variance sigma^2 = E[x^2] - E[x]^2 subtracts two nearly equal float32 numbers (about
0.5 on [0, 1] data, unit roundoff 6e-8); a few ulps of E[x^2] (~3e-7) divided by C2 = 0.03^2 = 9e-4 move a flat
pixel's SSIM by ~3e-4, and the image mean of those errors measured at most 5.7e-5 on the 119 pairs (session 5).
So 1e-4 is float32's own error, not a disagreement of the formula: the same piq call in float64 agrees with
srbench to 2e-14 (first 10 Set14 images, x4 bicubic; float32 there: up to 3.2e-5)."""

TARGETS = [
    ("PSNR + SSIM, small (119 pairs), wall", "small", "pair", "basicsr", 1.5),
    ("PSNR + SSIM, large (100 x 962 x 642), wall", "large", "pair", "basicsr", 2.0),
    ("FSIM + VIFp, small, wall", "small", "fsimvif", "piq", 2.0),
    ("FSIM + VIFp, large, wall", "large", "fsimvif", "piq", 2.0),
]
STARTUP_MARGIN_S = 0.3


# --- the other tools' whole-process scripts (standalone: they import nothing from srbench) --------------------

_COMMON = r"""
import csv, json, sys, time
pairs = json.load(open(sys.argv[1]))
out = open(sys.argv[2], "w", newline="")
w = csv.writer(out)
"""

BASICSR_SCRIPT = (
    r"""
import importlib.util, sys, types
spec = importlib.util.find_spec("basicsr")  # skip basicsr/__init__.py, which fails under torchvision >= 0.17
pkg = types.ModuleType("basicsr")
pkg.__path__ = list(spec.submodule_search_locations)
sys.modules["basicsr"] = pkg
import cv2
from basicsr.metrics.psnr_ssim import calculate_psnr, calculate_ssim
"""
    + _COMMON
    + r"""
w.writerow(["image", "psnr", "ssim"])
for p in pairs:
    sr = cv2.imread(p["sr"], cv2.IMREAD_COLOR)
    hr = cv2.imread(p["hr"], cv2.IMREAD_COLOR)
    h, wd = sr.shape[:2]
    hr = hr[:h, :wd]
    psnr = calculate_psnr(sr, hr, 4, test_y_channel=True)
    w.writerow([p["id"], psnr, calculate_ssim(sr, hr, 4, test_y_channel=True)])
out.close()
"""
)

_PIL_Y = r"""
import numpy as np
from PIL import Image

def y_of(path, h=None, w=None):
    with Image.open(path) as im:
        a = np.asarray(im)
    if h is not None:
        a = a[:h, :w]
    if a.ndim == 2:
        return a.astype(np.float64)
    r, g, b = (a[..., i].astype(np.float64) for i in range(3))
    t1, t2, t3 = ((1 / 255) * c for c in (65.481, 128.553, 24.966))  # MATLAB rgb2ycbcr's order: exact .5 ties
    return np.floor(t1 * r + t2 * g + t3 * b + 16 + 0.5)  # uint8 output: rounded half up
"""

PIQ_SCRIPT = (
    r"""
import piq, torch
"""
    + _PIL_Y
    + _COMMON
    + r"""
metrics = sys.argv[3].split(",")
w.writerow(["image", *metrics])
for p in pairs:
    sr = y_of(p["sr"])
    hr = y_of(p["hr"], *sr.shape)
    sr, hr = sr[4:-4, 4:-4], hr[4:-4, 4:-4]
    x = torch.from_numpy(sr / 255.0)[None, None].float()  # float32, as piq is called
    y = torch.from_numpy(hr / 255.0)[None, None].float()
    row = [p["id"]]
    for m in metrics:
        if m == "psnr":
            row.append(float(piq.psnr(x, y, data_range=1.0)))
        elif m == "ssim":
            row.append(float(piq.ssim(x, y, data_range=1.0, kernel_size=11, kernel_sigma=1.5, downsample=False)))
        elif m == "fsim":
            row.append(float(piq.fsim(x, y, data_range=1.0, chromatic=False)))
        elif m == "vif":
            row.append(float(piq.vif_p(x, y, data_range=1.0)))
    w.writerow(row)
out.close()
"""
)

NUMPY_SCRIPT = (
    r"""
from skimage.metrics import structural_similarity
"""
    + _PIL_Y
    + _COMMON
    + r"""
w.writerow(["image", "psnr", "ssim"])
for p in pairs:
    sr = y_of(p["sr"])
    hr = y_of(p["hr"], *sr.shape)
    sr, hr = sr[4:-4, 4:-4], hr[4:-4, 4:-4]
    psnr = 10 * np.log10(255.0**2 / np.mean((sr - hr) ** 2))
    ssim = structural_similarity(sr, hr, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)
    w.writerow([p["id"], float(psnr), float(ssim)])
out.close()
"""
)

SCRIPTS = {"basicsr": BASICSR_SCRIPT, "piq": PIQ_SCRIPT, "numpy": NUMPY_SCRIPT}


# --- the files --------------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One benchmark case: HR folders (one per dataset), one SR folder, and the pair list for the scripts."""

    name: str
    hr_dirs: list[Path]
    sr_dir: Path
    pairs_json: Path
    n: int


def _bicubic_sr(hr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mod-cropped HR, its MATLAB bicubic x4 down-then-up SR as uint8), per RGB channel."""
    import torch

    from srbench.protocol.crops import modcrop
    from srbench.protocol.imresize import imresize

    hr = modcrop(hr, SCALE) if hr.ndim == 3 else modcrop(hr[..., None], SCALE)[..., 0]
    t = torch.from_numpy(hr.astype(np.float64) / 255.0)
    t = t.permute(2, 0, 1)[None] if t.ndim == 3 else t[None, None]
    sr = imresize(imresize(t, 1 / SCALE), SCALE)
    sr = (sr.clamp(0, 1) * 255.0).round().to(torch.uint8)[0]
    out = sr.permute(1, 2, 0).numpy() if sr.shape[0] == 3 else sr[0].numpy()
    return hr, np.ascontiguousarray(out)


def _write_pairs(case_dir: Path, pairs: list[dict[str, str]]) -> Path:
    p = case_dir / "pairs.json"
    p.write_text(json.dumps(pairs))
    return p


def prepare(work: Path, data_root: Path, cases: list[str]) -> dict[str, Case]:
    """Make (once) every case's SR files, and a one-pair ``tiny`` case for the start-up runs."""
    out: dict[str, Case] = {}
    for name in ["tiny", *cases]:
        case_dir = work / name
        sr_dir = case_dir / "sr"
        done = case_dir / "done"
        if name == "tiny":
            sources = [("tiny", "tiny", np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8))]
        elif name == "small":
            sources = [
                (ds, f.stem, None)
                for ds in ("set5", "set14", "bsd100")
                for f in sorted((data_root / ds / "hr").glob("*.png"))
            ]
        else:
            sources = [("bsds200x2", f.stem, None) for f in sorted((data_root / "bsds200").glob("*.jpg"))[:100]]
        hr_dirs = sorted({case_dir / "hr" / ds if name != "small" else data_root / ds / "hr" for ds, _, _ in sources})
        pairs = []
        for ds, stem, _ in sources:
            hr_path = (
                (data_root / ds / "hr" / f"{stem}.png") if name == "small" else case_dir / "hr" / ds / f"{stem}.png"
            )
            pairs.append({"dataset": ds, "id": stem, "hr": str(hr_path), "sr": str(sr_dir / f"{stem}.png")})
        if not done.is_file():
            from srbench.data.imageio import read_image, write_image

            sr_dir.mkdir(parents=True, exist_ok=True)
            for (_, stem, arr), pair in zip(sources, pairs, strict=True):
                if name == "large":
                    import torch

                    from srbench.protocol.imresize import imresize

                    src = read_image(data_root / "bsds200" / f"{stem}.jpg")
                    t = torch.from_numpy(src.astype(np.float64) / 255.0).permute(2, 0, 1)[None]
                    up = (imresize(t, 2).clamp(0, 1) * 255.0).round().to(torch.uint8)[0].permute(1, 2, 0).numpy()
                    Path(pair["hr"]).parent.mkdir(parents=True, exist_ok=True)
                    write_image(pair["hr"], np.ascontiguousarray(up))
                    hr = up
                elif name == "tiny":
                    Path(pair["hr"]).parent.mkdir(parents=True, exist_ok=True)
                    write_image(pair["hr"], arr)
                    hr = arr
                else:
                    hr = read_image(pair["hr"])
                _, sr = _bicubic_sr(hr)
                write_image(pair["sr"], sr)
            done.write_text("ok\n")
        out[name] = Case(name, hr_dirs, sr_dir, _write_pairs(case_dir, pairs), len(pairs))
    return out


def subset(case: Case, n: int, work: Path) -> Case:
    """The first ``n`` pairs of a folder case (HR and SR folders of their own, as links to the files)."""
    pairs = json.loads(case.pairs_json.read_text())[:n]
    d = work / f"{case.name}{n}"
    for p in pairs:
        for key, sub in (("hr", Path(p["hr"]).parent.name), ("sr", "sr")):
            dest = d / ("hr" if key == "hr" else "") / sub / Path(p[key]).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not dest.exists():
                os.symlink(p[key], dest)
            p[key] = str(dest)
    hr_dirs = sorted({Path(p["hr"]).parent for p in pairs})
    return Case(f"{case.name}{n}", hr_dirs, d / "sr", _write_pairs(d, pairs), n)


# --- running and timing -----------------------------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    cpu: float


@dataclass
class Stats:
    runs: list[Run] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def fastest(self) -> float:
        return min(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)


def srbench_cmd(case: Case, metrics: tuple[str, ...], out_csv: Path, extra: list[str] | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "srbench.cli", "eval"]
    for d in case.hr_dirs:
        cmd += ["-d", d.parent.name if case.name == "small" else str(d)]
    cmd += ["-s", str(SCALE), "--sr-dir", str(case.sr_dir), "--no-store", "-o", str(out_csv), "--device", "cpu"]
    for m in metrics:
        cmd += ["--metric", m]
    return cmd + (extra or [])


def tool_cmd(tool: str, case: Case, metrics: tuple[str, ...], out_csv: Path, scripts: Path) -> list[str]:
    if tool in ("srbench", "srbench-torch"):
        return srbench_cmd(case, metrics, out_csv)
    return [sys.executable, str(scripts / f"{tool}_script.py"), str(case.pairs_json), str(out_csv), ",".join(metrics)]


def timed(cmd: list[str], env: dict[str, str]) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return Run(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def read_rows(path: Path, metrics: tuple[str, ...]) -> dict[str, dict[str, float]]:
    with open(path, newline="") as f:
        return {r["image"]: {m: float(r[m]) for m in metrics} for r in csv.DictReader(f)}


def compare(ref: dict[str, dict[str, float]], other: dict[str, dict[str, float]], tool: str) -> dict[str, float]:
    if set(ref) != set(other):
        raise SystemExit(f"{tool}: scored other images than srbench ({len(other)} vs {len(ref)})")
    metrics = next(iter(ref.values())).keys()
    return {m: max(abs(ref[i][m] - other[i][m]) for i in ref) for m in metrics}


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", type=Path, default=Path(os.environ.get("SRBENCH_DATA", "../shared/datasets")))
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "srbench-bench-process")
    ap.add_argument("--basicsr-path", default=None, help="folder with basicsr + opencv-python-headless (--target)")
    ap.add_argument("--cases", default="small,large")
    ap.add_argument("--metrics", default="pair,fsimvif")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--repeat-large-fsimvif", type=int, default=1, help="repetitions of the slowest case")
    ap.add_argument("--large-fsimvif-n", type=int, default=100, help="pairs of the large case scored for FSIM + VIFp")
    ap.add_argument("--pair-tools", default=",".join(TOOLS["pair"]), help="tools timed for PSNR + SSIM")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    cases = args.cases.split(",")
    metric_sets = args.metrics.split(",")
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    files = prepare(work, args.data_root, cases)
    print(f"SR files ready under {work} ({time.perf_counter() - t0:.1f} s)", flush=True)
    scripts = work / "scripts"
    scripts.mkdir(exist_ok=True)
    for tool, text in SCRIPTS.items():
        (scripts / f"{tool}_script.py").write_text(text)

    env = dict(os.environ)
    base_path = env.get("PYTHONPATH", "")
    env_basicsr = dict(env)
    if args.basicsr_path:
        env_basicsr["PYTHONPATH"] = os.pathsep.join(p for p in (base_path, args.basicsr_path) if p)

    env_torch = {**env, "SRBENCH_KERNELS": "torch"}

    def env_for(tool: str) -> dict[str, str]:
        return {"basicsr": env_basicsr, "srbench-torch": env_torch}.get(tool, env)

    tools_for = {**TOOLS, "pair": tuple(args.pair_tools.split(","))}
    if tools_for["pair"][0] != "srbench":
        raise SystemExit("--pair-tools must start with srbench")
    tools_needed = sorted({t for ms in metric_sets for t in tools_for[ms]})
    if "basicsr" in tools_needed and not args.basicsr_path:
        raise SystemExit("pass --basicsr-path (pip install --no-deps --target DIR basicsr opencv-python-headless)")

    # start-up: each tool on one 32 x 32 pair, interleaved, as many times as --repeat; torch's own import
    startup: dict[str, Stats] = {t: Stats() for t in [*tools_needed, "import torch", "srbench --help"]}
    tiny = files["tiny"]
    for tool in tools_needed:  # once untimed: numba's on-disk kernel cache, the OS file cache
        tiny_csv = work / f"tiny-{tool}.csv"
        tiny_csv.unlink(missing_ok=True)
        timed(tool_cmd(tool, tiny, METRIC_SETS["pair"], tiny_csv, scripts), env_for(tool))
    for rep in range(args.repeat):
        order = tools_needed[rep % len(tools_needed) :] + tools_needed[: rep % len(tools_needed)]
        for tool in order:
            tiny_csv = work / f"tiny-{tool}.csv"
            tiny_csv.unlink(missing_ok=True)
            cmd = tool_cmd(tool, tiny, METRIC_SETS["pair"], tiny_csv, scripts)
            startup[tool].runs.append(timed(cmd, env_for(tool)))
        startup["import torch"].runs.append(timed([sys.executable, "-c", "import torch"], env))
        startup["srbench --help"].runs.append(timed([sys.executable, "-m", "srbench.cli", "--help"], env))
    help_probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nsys.argv = ['srbench', '--help']\nfrom srbench.cli import main\ntry:\n    main()\n"
            "except SystemExit:\n    pass\n"
            "print('IMPORTED', sorted(m for m in ('torch', 'numpy', 'numba') if m in sys.modules))",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    help_imports = help_probe.stdout.strip().splitlines()[-1].removeprefix("IMPORTED ") if help_probe.stdout else "?"

    results: dict[tuple[str, str, str], Stats] = {}
    diffs: dict[tuple[str, str, str], dict[str, float]] = {}
    failures: list[str] = []
    for case_name in cases:
        for ms in metric_sets:
            case = files[case_name]
            if (case_name, ms) == ("large", "fsimvif") and args.large_fsimvif_n < case.n:
                case = subset(case, args.large_fsimvif_n, work)
            metrics = METRIC_SETS[ms]
            tools = list(tools_for[ms])
            reps = args.repeat_large_fsimvif if (case_name, ms) == ("large", "fsimvif") else args.repeat
            print(f"{case_name} / {'+'.join(metrics)}: {case.n} pairs, {reps} repetition(s)", flush=True)
            for rep in range(reps):
                order = tools[rep % len(tools) :] + tools[: rep % len(tools)]
                for tool in order:
                    out_csv = work / f"{case_name}-{ms}-{tool}.csv"
                    out_csv.unlink(missing_ok=True)
                    run = timed(tool_cmd(tool, case, metrics, out_csv, scripts), env_for(tool))
                    results.setdefault((case_name, ms, tool), Stats()).runs.append(run)
                    print(f"  {tool:13s} {run.wall:7.2f} s wall, {run.cpu:7.2f} s CPU", flush=True)
                if rep == 0:  # values: every tool against srbench
                    ref = read_rows(work / f"{case_name}-{ms}-srbench.csv", metrics)
                    for tool in tools[1:]:
                        if tool == "basicsr":
                            float_csv = work / f"{case_name}-{ms}-srbench-float.csv"
                            float_csv.unlink(missing_ok=True)
                            extra = ["--y-rounding", "float", "--grayscale", "replicate"]
                            timed(srbench_cmd(case, metrics, float_csv, extra), env)
                            tool_ref = read_rows(float_csv, metrics)
                        else:
                            tool_ref = ref
                        d = compare(tool_ref, read_rows(work / f"{case_name}-{ms}-{tool}.csv", metrics), tool)
                        diffs[(case_name, ms, tool)] = d
                        for m, v in d.items():
                            if v > TOLERANCE[(tool, m)]:
                                failures.append(f"{case_name} {tool} {m}: max |diff| {v:.3g} > {TOLERANCE[(tool, m)]}")

    # --- report ---------------------------------------------------------------------------------------------
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print()
    print(
        f"# bench_process: {platform.processor() or platform.machine()}, {cores} core(s) available, "
        f"python {platform.python_version()}, niceness {os.nice(0)}; load average {os.getloadavg()[0]:.1f} at the end"
    )
    print()
    print("Start-up (one 32 x 32 pair; median / fastest wall):")
    for tool, st in startup.items():
        print(f"  {tool:16s} {st.median:6.2f} s / {st.fastest:6.2f} s")
    print(f"  srbench --help imports: {help_imports}")
    print()
    print(
        "| case | metrics | tool | wall median | wall fastest | after start-up (median) | CPU median | "
        "srbench speed-up, median / fastest / after start-up |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for (case_name, ms, tool), st in results.items():
        sb = results[(case_name, ms, "srbench")]
        after = st.median - startup[tool].median
        sb_after = sb.median - startup["srbench"].median
        speed = (
            "-"
            if tool == "srbench"
            else f"{_ratio(st.median, sb.median):.2f}x / {_ratio(st.fastest, sb.fastest):.2f}x / "
            f"{_ratio(after, sb_after):.2f}x"
        )
        print(
            f"| {case_name} | {'+'.join(METRIC_SETS[ms])} | {tool} | {st.median:.2f} s | {st.fastest:.2f} s | "
            f"{after:.2f} s | {st.cpu:.2f} s | {speed} |"
        )
    print()
    print("Values (max |tool - srbench| per image; basicsr against srbench with float Y, grayscale replicated):")
    for (case_name, _, tool), d in diffs.items():
        print(f"  {case_name:5s} {tool:13s} " + ", ".join(f"{m} {v:.2g}" for m, v in d.items()))
    print()
    print("| target (issue 12, 2 cores) | measured (median wall ratio; fastest) | met |")
    print("|---|---|---|")
    for label, case_name, ms, other, target in TARGETS:
        if (case_name, ms, other) not in results:
            continue
        sb, ot = results[(case_name, ms, "srbench")], results[(case_name, ms, other)]
        r, rf = _ratio(ot.median, sb.median), _ratio(ot.fastest, sb.fastest)
        print(
            f"| {label}: >= {target}x faster than {other} | {r:.2f}x; {rf:.2f}x | "
            f"{'met' if r >= target else 'missed'} |"
        )
    clean = help_imports == "[]"
    print(
        f"| `srbench --help` imports neither torch nor numpy nor numba | imports {help_imports}; "
        f"{startup['srbench --help'].median:.2f} s | {'met' if clean else 'missed'} |"
    )
    extra = startup["srbench"].median - startup["import torch"].median
    print(
        f"| `srbench eval` start-up within {STARTUP_MARGIN_S} s of torch's import | {startup['srbench'].median:.2f} s "
        f"vs {startup['import torch'].median:.2f} s ({extra:+.2f} s) | "
        f"{'met' if extra <= STARTUP_MARGIN_S else 'missed'} |"
    )

    if args.profile:
        profile(files, cases, work, env)
    if failures:
        print("\nVALUES DISAGREE:\n  " + "\n  ".join(failures))
        return 1
    return 0


def profile(files: dict[str, Case], cases: list[str], work: Path, env: dict[str, str]) -> None:
    """``srbench eval --profile`` and a cProfile of one whole srbench process (PSNR + SSIM) per case."""
    for case_name in cases:
        case = files[case_name]
        out_csv = work / f"{case_name}-profile.csv"
        out_csv.unlink(missing_ok=True)
        cmd = srbench_cmd(case, METRIC_SETS["pair"], out_csv, ["--profile"])
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        print(f"\n## srbench eval --profile, {case_name}, PSNR + SSIM\n{proc.stdout[-4000:]}")
        out_csv.unlink(missing_ok=True)
        prof = work / f"{case_name}.prof"
        cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), *srbench_cmd(case, METRIC_SETS["pair"], out_csv)[1:]]
        subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        print(f"## cProfile of one whole process, {case_name}, PSNR + SSIM (main thread; top 30 by cumulative time)")
        pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    raise SystemExit(main())
