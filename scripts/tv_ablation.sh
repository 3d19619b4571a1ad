#!/usr/bin/env bash
# TV-weight ablation (issue 14): the x4 l_feat network trained with several TV weights, everything else equal
# (crop 96, batch 4, Adam 1e-3, seed 0, BSDS200, float32, CPU, one thread); scored by scripts/tv_ablation_score.py.
#
#   scripts/tv_ablation.sh RUNS_DIR ITERATIONS [WEIGHT ...]
set -euo pipefail
runs=$1 iters=$2
shift 2
weights=("$@")
[ ${#weights[@]} -gt 0 ] || weights=(0 2e-6 2e-4 2e-3)
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
for w in "${weights[@]}"; do
  out="$runs/tv_$w"
  if [ -f "$out/checkpoint.pt" ]; then
    srbench train --output "$out" --iterations "$iters" --no-progress --yes --resume
  else
    srbench train --output "$out" --iterations "$iters" --no-progress --yes --data "${SRBENCH_DATA:?}/bsds200" \
      --recipe johnson2016 --scale 4 --loss feature --crop 96 --tv-weight "$w" --no-amp --no-channels-last \
      --device cpu --val-every 0 --checkpoint-every 100
  fi
done
