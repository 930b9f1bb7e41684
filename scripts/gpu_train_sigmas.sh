#!/usr/bin/env bash
# The prepared command for issue 12 on a lent GPU (JAX backend; no TensorFlow there): the throughput
# probe, then DnCNN-S by the `paper` recipe for sigma 25 in float32 and in bf16, and for sigma 15 and
# 50 in bf16, each bounded by --max-minutes, on the device pipeline (--steps-per-execution).
# Tested on CPU with PROFILE=smoke (KERAS_BACKEND=jax, TensorFlow made unimportable). On the device
# machine, from the repo root:
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl \
#     && export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1; bash scripts/gpu_train_sigmas.sh
# with Keras' wheels in .whl/ and gpu-data/data.tar.xz of scripts/gpu_data.sh (both carried). The device returns
# at most 8 files of 16 MiB each, so each run comes back as one uncompressed tar in $OUT, <run>.tar
# (sigma25-float32, sigma25-bf16, sigma15-bf16, sigma50-bf16; about 10 MB each), holding
# model.keras, model.json, log.csv, train.log and the last checkpoint epoch-NNN.keras/.json, beside
# probe.jsonl. A later call resumes every run from those tars: carry them in a folder and set
# RESUME_FROM=<that folder>.
set -euo pipefail
: "${OUT:?set OUT to the folder that receives the results}"
PROFILE=${PROFILE:-paper}
MAX_MINUTES=${MAX_MINUTES:-3}  # per run
STEPS_PER_EXECUTION=${STEPS_PER_EXECUTION:-8}
PROBE_SECONDS=${PROBE_SECONDS:-15}
RUNS=${RUNS:-"25:float32 25:bf16 15:bf16 50:bf16"}  # sigma:precision, in this order
export KERAS_BACKEND=${KERAS_BACKEND:-jax} PYTHONUNBUFFERED=1
export DNCNN_OUTPUT_ROOT=${DNCNN_OUTPUT_ROOT:-/tmp/dncnn-run}
PY=${PY:-python3}
if [ -z "${DNCNN_DATA_MIRROR:-}" ] && [ -f gpu-data/data.tar.xz ]; then
  # the archive of scripts/gpu_data.sh, unpacked with Python (the machine has no xz program)
  $PY -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter="data")' \
    gpu-data/data.tar.xz "$DNCNN_OUTPUT_ROOT/mirror"
  export DNCNN_DATA_MIRROR=$DNCNN_OUTPUT_ROOT/mirror/datasets
fi
export DNCNN_DATA_MIRROR=${DNCNN_DATA_MIRROR:-$PWD/gpu-data}

nvidia-smi -L 2>/dev/null || echo "no nvidia-smi: running on $(uname -m) CPU"
$PY -m dncnn patches --profile "$PROFILE"
if [ "${PROBE_SECONDS}" != 0 ]; then
  $PY -m dncnn bench probe --seconds "$PROBE_SECONDS" | tee "$OUT/probe.jsonl"
  if $PY -c "import torch" 2>/dev/null; then
    $PY -m dncnn bench peer --seconds "$PROBE_SECONDS" | tee -a "$OUT/probe.jsonl"
  fi
fi

for run in $RUNS; do
  sigma=${run%%:*} precision=${run##*:}
  name=sigma$sigma-$precision
  run_dir=$DNCNN_OUTPUT_ROOT/data/runs/$PROFILE-$name
  resume=()
  mkdir -p "$run_dir"
  if [ -n "${RESUME_FROM:-}" ] && [ -f "$RESUME_FROM/$name.tar" ]; then
    mkdir -p "$run_dir/checkpoints" "$run_dir/previous"
    tar -C "$run_dir/previous" -xf "$RESUME_FROM/$name.tar"
    cp "$run_dir"/previous/epoch-* "$run_dir/checkpoints/"
    cp "$run_dir/previous/log.csv" "$run_dir/log.csv" 2>/dev/null || true
    resume=(--resume)
  fi
  mixed=(); [ "$precision" = bf16 ] && mixed=(--mixed-precision)
  $PY -m dncnn train --profile "$PROFILE" --sigma "$sigma" --run-dir "$run_dir" "${resume[@]}" --overwrite "${mixed[@]}" \
    --max-minutes "$MAX_MINUTES" --steps-per-execution "$STEPS_PER_EXECUTION" --verbose 2 2>&1 | tee "$run_dir/train.log"
  files=(model.keras model.json log.csv train.log)
  last=$(ls "$run_dir"/checkpoints/epoch-*.keras 2>/dev/null | tail -n 1 || true)
  if [ -n "$last" ]; then
    cp "$last" "${last%.keras}.json" "$run_dir/"
    files+=("$(basename "$last")" "$(basename "${last%.keras}.json")")
  fi
  tar -C "$run_dir" -cf "$OUT/$name.tar" "${files[@]}"
done
ls -la "$OUT"
find "$OUT" -type f -size +16M -exec echo "warning: {} is over 16 MiB and will not come back" \;
