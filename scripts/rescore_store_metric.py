"""Re-score one metric of the committed result store (``reports/store``) after its definition changed.

Usage: ``python scripts/rescore_store_metric.py --metric fsim --scale 4`` (needs ``SRBENCH_DATA`` and
``SRBENCH_WEIGHTS``). Re-runs every stored (method, dataset) group of that scale for the one metric, then writes
the new values and that metric's settings (``metric_settings``) into the group files atomically; every other
column is kept as it was, so the diff shows only the re-scored metric. Regenerate the tables afterwards with
``srbench report build --store reports/store --out reports``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from srbench.data.datasets import resolve_dataset
from srbench.evaluate import EvalRequest, evaluate
from srbench.methods import resolve_method
from srbench.metrics import METRICS
from srbench.results.table import read_results, write_results_atomic


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--metric", required=True)
    ap.add_argument("--scale", type=int, required=True)
    ap.add_argument("--store", type=Path, default=Path("reports/store"))
    args = ap.parse_args()
    files = sorted((args.store / "groups").glob(f"*/x{args.scale}/*.csv"))
    groups = [read_results(f) for f in files]
    datasets = sorted({str(g["dataset"].iloc[0]) for g in groups})
    methods = sorted({str(g["method"].iloc[0]) for g in groups})
    root = os.environ.get("SRBENCH_DATA")
    rows = evaluate(
        EvalRequest(
            [resolve_dataset(d, root) for d in datasets],
            [resolve_method(m) for m in methods],
            [args.scale],
            [args.metric],
        )
    ).rows
    settings = json.loads(json.dumps(dict(METRICS.get(args.metric).settings)))
    for f, df in zip(files, groups, strict=True):
        fresh = rows[(rows["dataset"] == df["dataset"].iloc[0]) & (rows["method"] == df["method"].iloc[0])]
        if not (fresh["method_key"] == df["method_key"].iloc[0]).all():
            print(f"{f}: skipped, the method's key changed since it was stored; re-run srbench eval for it instead")
            continue
        values = fresh.set_index("image")[args.metric]
        old = df[args.metric].copy() if args.metric in df.columns else None
        df[args.metric] = df["image"].astype(str).map(values)
        recorded = json.loads(df["metric_settings"].iloc[0])
        recorded[args.metric] = settings
        df["metric_settings"] = json.dumps(recorded, sort_keys=True)
        write_results_atomic(df, f)
        moved = float((df[args.metric] - old).abs().max()) if old is not None else float("nan")
        print(f"{f}: max |new - old| {args.metric} = {moved:.3g}")


if __name__ == "__main__":
    main()
