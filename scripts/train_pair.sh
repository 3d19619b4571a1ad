#!/usr/bin/env bash
# Train an l_pixel / l_feat pair of the Johnson et al. (2016) network with one budget, in alternating chunks, so
# that at any moment both have the same number of iterations (issue 14: equal budgets per scale).
#
#   scripts/train_pair.sh RUNS_DIR SCALE CROP CHUNK TOTAL [DATA ...]
#
# Each chunk is `srbench train ... --resume` up to the next multiple of CHUNK, first l_pixel then l_feat; a killed
# run resumes from its last checkpoint (bit-exact on the CPU). Runs single-threaded so a core stays free.
set -euo pipefail
runs=$1 scale=$2 crop=$3 chunk=$4 total=$5
shift 5
data=("$@")
[ ${#data[@]} -gt 0 ] || data=("${SRBENCH_DATA:?set SRBENCH_DATA}/bsds200")
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# fp32 (no autocast), TV weights chosen per loss (see baselines/README.md: TV ablation)
declare -A tv=([pixel]=2e-6 [feature]=2e-3)
for ((n = chunk; n <= total; n += chunk)); do
  for loss in pixel feature; do
    out="$runs/x${scale}_${loss}"
    args=(--output "$out" --iterations "$n" --no-progress --yes)
    if [ -f "$out/checkpoint.pt" ]; then
      # a chunk this run has already finished (a resumed pair starts below its checkpoints) is skipped
      done_its=$(python -c 'import sys, torch; print(torch.load(sys.argv[1], map_location="cpu", weights_only=False)["iteration"])' "$out/checkpoint.pt")
      [ "$done_its" -ge "$n" ] && continue
      srbench train "${args[@]}" --resume
    else
      dargs=()
      for d in "${data[@]}"; do dargs+=(--data "$d"); done
      srbench train "${args[@]}" "${dargs[@]}" --recipe johnson2016 --scale "$scale" --loss "$loss" \
        --crop "$crop" --tv-weight "${tv[$loss]}" --no-amp --no-channels-last --device cpu \
        --val-every "$chunk" --checkpoint-every 100
    fi
  done
done
