#!/usr/bin/env bash
# The prepared command for training the `paper` profile on a lent GPU (JAX backend; no TensorFlow
# there). Tested on CPU with PROFILE=smoke. On the device machine, from the repo root:
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl \
#     && export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1; bash scripts/gpu_paper_run.sh
# with Keras' wheels in .whl/ and Train400 in gpu-data/Train400/ (both carried). Everything lands flat
# in $OUT: probe.jsonl, train.log, model.keras, model.json, log.csv and the last checkpoint, which a
# later run resumes when it is carried back in as resume/ (RESUME_FROM=resume).
set -euo pipefail
: "${OUT:?set OUT to the folder that receives the results}"
PROFILE=${PROFILE:-paper}
MAX_MINUTES=${MAX_MINUTES:-7}
PROBE_SECONDS=${PROBE_SECONDS:-15}
MIXED=${MIXED:-1}  # bf16 mixed precision (the last conv and the subtraction stay float32)
export KERAS_BACKEND=${KERAS_BACKEND:-jax} PYTHONUNBUFFERED=1
export DNCNN_DATA_MIRROR=${DNCNN_DATA_MIRROR:-$PWD/gpu-data}
export DNCNN_OUTPUT_ROOT=${DNCNN_OUTPUT_ROOT:-/tmp/dncnn-run}
run_dir=$DNCNN_OUTPUT_ROOT/data/runs/$PROFILE

nvidia-smi -L 2>/dev/null || echo "no nvidia-smi: running on $(uname -m) CPU"
python3 -m dncnn patches --profile "$PROFILE"
python3 -m dncnn bench probe --seconds "$PROBE_SECONDS" | tee "$OUT/probe.jsonl"
if python3 -c "import torch" 2>/dev/null; then
  python3 -m dncnn bench peer --seconds "$PROBE_SECONDS" | tee -a "$OUT/probe.jsonl"
fi

resume=()
if [ -n "${RESUME_FROM:-}" ]; then
  mkdir -p "$run_dir/checkpoints" && cp "$RESUME_FROM"/epoch-* "$run_dir/checkpoints/" && cp "$RESUME_FROM"/log.csv "$run_dir/" 2>/dev/null || true
  resume=(--resume)
fi
mixed=(); [ "$MIXED" = 1 ] && mixed=(--mixed-precision)
python3 -m dncnn train --profile "$PROFILE" "${resume[@]}" --overwrite "${mixed[@]}" --max-minutes "$MAX_MINUTES" \
  --verbose 2 2>&1 | tee "$OUT/train.log"
cp "$run_dir/model.keras" "$run_dir/model.json" "$run_dir/log.csv" "$OUT/"
last=$(ls "$run_dir"/checkpoints/epoch-*.keras 2>/dev/null | tail -n 1 || true)
[ -n "$last" ] && cp "$last" "${last%.keras}.json" "$OUT/"
ls -la "$OUT"
