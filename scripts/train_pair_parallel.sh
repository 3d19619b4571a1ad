#!/usr/bin/env bash
# Continue an l_pixel / l_feat pair side by side, one CPU thread each, keeping their budgets equal at every
# CHUNK boundary (issue 14): the l_feat run (the slower) goes chunk after chunk; the l_pixel run starts its chunk
# to n only once l_feat has reached n - CHUNK, so it is never more than one chunk ahead. Both stop at TOTAL.
#
#   scripts/train_pair_parallel.sh RUNS_DIR SCALE CHUNK TOTAL
#
# Both runs must exist (started by scripts/train_pair.sh); each chunk is `srbench train --resume` (bit-exact).
# Used on 2026-12-05 to take the x8 pair from 4,500 to 7,000 iterations.
set -euo pipefail
runs=$1 scale=$2 chunk=$3 total=$4
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
it() { python -c 'import sys, torch; print(torch.load(sys.argv[1], map_location="cpu", weights_only=False)["iteration"])' "$1"; }
next() { echo $(( ($(it "$1/checkpoint.pt") / chunk + 1) * chunk )); }
feature="$runs/x${scale}_feature" pixel="$runs/x${scale}_pixel"
(
  for ((n = $(next "$feature"); n <= total; n += chunk)); do
    srbench train --output "$feature" --iterations "$n" --no-progress --yes --resume
  done
) &
for ((n = $(next "$pixel"); n <= total; n += chunk)); do
  while [ "$(it "$feature/checkpoint.pt")" -lt $((n - chunk)) ]; do sleep 60; done
  srbench train --output "$pixel" --iterations "$n" --no-progress --yes --resume
done
wait
