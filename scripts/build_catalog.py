"""Regenerate ``srbench/data/catalog/*.json`` from a local copy of the benchmark sets.

Usage: ``python scripts/build_catalog.py ../shared/datasets``. The catalog records, for every HR (and shipped LR)
file, its size, channel count, the sha256 of the file bytes and the sha256 of its decoded pixels (uint8, HxWxC,
C order). The pixel hash is what ``srbench datasets verify`` relies on, since a lossless re-encode of a PNG
changes the file bytes but not the numbers. Mirror URLs are pinned to commits named in the dataset manifest.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

PAN = "https://raw.githubusercontent.com/zhaohengyuan1/PAN/4d045d18592c5771cd3990da88f292812774e538/datasets"
IDN = (
    "https://raw.githubusercontent.com/Zheng222/IDN-Caffe/482c601336000f5c00b0e93f83a525f0fc917830/test/test_data/B100"
)

META = {
    "set5": {
        "title": "Set5",
        "citation": "Bevilacqua et al., Low-complexity single-image super-resolution based on nonnegative "
        "neighbor embedding, BMVC 2012",
        "lr_dirs": {"lr_x4": (4, "matlab-uint8-symmetric"), "lr_x8": (8, "matlab-uint8-replicate")},
        "mirror": "Set5",
    },
    "set14": {
        "title": "Set14",
        "citation": "Zeyde et al., On single image scale-up using sparse-representations, Curves and Surfaces 2010",
        "lr_dirs": {"lr_x4": (4, "matlab-uint8-symmetric"), "lr_x8": (8, "matlab-uint8-replicate")},
        "mirror": "Set14",
    },
    "bsd100": {
        "title": "BSD100",
        "citation": "Martin et al., A database of human segmented natural images, ICCV 2001 (BSDS300 test split)",
        "lr_dirs": {},
        "mirror": None,
    },
}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pixel_sha256(path: Path) -> str:
    with Image.open(path) as im:
        arr = np.ascontiguousarray(np.asarray(im))
    return hashlib.sha256(arr.tobytes()).hexdigest()


def entry(path: Path, rel: str) -> dict[str, object]:
    with Image.open(path) as im:
        w, h = im.size
        channels = len(im.getbands())
    return {
        "file": rel,
        "width": w,
        "height": h,
        "channels": channels,
        "sha256": sha256_file(path),
        "pixel_sha256": pixel_sha256(path),
    }


def build(root: Path, name: str) -> dict[str, object]:
    meta = META[name]
    folder = root / name
    images = []
    for hr in sorted((folder / "hr").glob("*.png")):
        image_id = hr.stem
        item: dict[str, object] = {"id": image_id, "hr": entry(hr, f"hr/{hr.name}")}
        lrs = {}
        for lr_dir in meta["lr_dirs"]:  # type: ignore[attr-defined]
            lr = folder / lr_dir / hr.name
            if lr.exists():
                lrs[lr_dir] = entry(lr, f"{lr_dir}/{hr.name}")
        if lrs:
            item["lr"] = lrs
        if meta["mirror"]:
            item["sources"] = [{"url": f"{PAN}/{meta['mirror']}/HR/{hr.name}", "dest": f"hr/{hr.name}"}]
            for lr_dir, (scale, _) in meta["lr_dirs"].items():  # type: ignore[attr-defined]
                item["sources"].append(  # type: ignore[attr-defined]
                    {
                        "url": f"{PAN}/{meta['mirror']}/LR_bicubic/X{scale}/{image_id}x{scale}.png",
                        "dest": f"{lr_dir}/{hr.name}",
                    }
                )
        else:
            jpg = folder / "source_jpg" / f"{image_id}.jpg"
            item["sources"] = [
                {
                    "url": f"{IDN}/{image_id}.jpg",
                    "dest": f"hr/{hr.name}",
                    "sha256": sha256_file(jpg),
                    "convert": "decode-to-png",
                }
            ]
        # file hashes of direct downloads are the staged bytes
        for src in item["sources"]:  # type: ignore[attr-defined]
            if "sha256" not in src:
                src["sha256"] = sha256_file(folder / src["dest"])
        images.append(item)
    return {
        "name": name,
        "title": meta["title"],
        "citation": meta["citation"],
        "version": 1,
        "lr_protocols": {d: {"scale": s, "made_by": p} for d, (s, p) in meta["lr_dirs"].items()},  # type: ignore
        "images": images,
    }


def main() -> None:
    root = Path(sys.argv[1])
    out = Path(__file__).resolve().parents[1] / "srbench" / "data" / "catalog"
    out.mkdir(parents=True, exist_ok=True)
    for name in META:
        doc = build(root, name)
        (out / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")
        print(name, len(doc["images"]))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
