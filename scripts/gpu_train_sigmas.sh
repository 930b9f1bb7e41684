#!/usr/bin/env bash
# The prepared command for issue 12 on a lent GPU (JAX backend; no TensorFlow there): the throughput
# probe, then DnCNN-S by the `paper` recipe for sigma 25 in float32 and in bf16, and for sigma 15 and
# 50 in bf16, each bounded by --max-minutes, on the device pipeline (--steps-per-execution).
# Tested on CPU with PROFILE=smoke (KERAS_BACKEND=jax, TensorFlow made unimportable). On the device
# machine, from the repo root:
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl \
#     && export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1; bash scripts/gpu_train_sigmas.sh
# with Keras' wheels in .whl/ and Train400 in gpu-data/Train400/ (both carried). Everything lands flat
# in $OUT, one prefix per run (sigma25-float32, sigma25-bf16, sigma15-bf16, sigma50-bf16):
# <run>.model.keras, <run>.model.json, <run>.log.csv, <run>.train.log and the last checkpoint
# <run>.epoch-NNN.keras/.json, which a later run resumes (RESUME_FROM=<folder holding them>).
set -euo pipefail
: "${OUT:?set OUT to the folder that receives the results}"
PROFILE=${PROFILE:-paper}
MAX_MINUTES=${MAX_MINUTES:-3}  # per run
STEPS_PER_EXECUTION=${STEPS_PER_EXECUTION:-8}
PROBE_SECONDS=${PROBE_SECONDS:-15}
RUNS=${RUNS:-"25:float32 25:bf16 15:bf16 50:bf16"}  # sigma:precision, in this order
export KERAS_BACKEND=${KERAS_BACKEND:-jax} PYTHONUNBUFFERED=1
export DNCNN_DATA_MIRROR=${DNCNN_DATA_MIRROR:-$PWD/gpu-data}
export DNCNN_OUTPUT_ROOT=${DNCNN_OUTPUT_ROOT:-/tmp/dncnn-run}
PY=${PY:-python3}

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
  if [ -n "${RESUME_FROM:-}" ] && ls "$RESUME_FROM/$name".epoch-*.keras >/dev/null 2>&1; then
    mkdir -p "$run_dir/checkpoints"
    for f in "$RESUME_FROM/$name".epoch-*; do cp "$f" "$run_dir/checkpoints/${f##*/$name.}"; done
    cp "$RESUME_FROM/$name.log.csv" "$run_dir/log.csv" 2>/dev/null || true
    resume=(--resume)
  fi
  mixed=(); [ "$precision" = bf16 ] && mixed=(--mixed-precision)
  $PY -m dncnn train --profile "$PROFILE" --sigma "$sigma" --run-dir "$run_dir" "${resume[@]}" --overwrite "${mixed[@]}" \
    --max-minutes "$MAX_MINUTES" --steps-per-execution "$STEPS_PER_EXECUTION" --verbose 2 2>&1 | tee "$OUT/$name.train.log"
  for f in model.keras model.json log.csv; do cp "$run_dir/$f" "$OUT/$name.$f"; done
  last=$(ls "$run_dir"/checkpoints/epoch-*.keras 2>/dev/null | tail -n 1 || true)
  if [ -n "$last" ]; then
    stem=$(basename "${last%.keras}")
    cp "$last" "$OUT/$name.$stem.keras" && cp "${last%.keras}.json" "$OUT/$name.$stem.json"
  fi
done
ls -la "$OUT"
