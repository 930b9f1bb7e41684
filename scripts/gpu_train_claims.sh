#!/usr/bin/env bash
# The prepared command for issue 21 on a lent GPU (JAX backend; no TensorFlow there): the paper's
# Fig. 2 ablation (python -m dncnn ablation --profile ablation-gpu: residual learning and batch norm
# on and off, with Adam and with SGD), DnCNN-S for sigma 15 and 50 (profile paper) and the blind
# DnCNN-B (profile paper-blind), all in bf16, each bounded in time and resumable across calls.
#
# Budget (one H200, about 20,000 patches/s for DnCNN-S in bf16: one epoch of 238,336 patches in
# 11.5 s, weights/dncnn-s-sigma25.log.csv; DnCNN-B costs about 1.9 times as much per patch, 50x50
# and 20 layers). A lent session has 15 minutes of device time, start-up included, at most 10 a call:
#   call 1 (TIME_LIMIT=560 s): the 8 ablation runs, ABLATION_EPOCHS (7) epochs of 266 steps each =
#     one pass over the paper's patches, about 12 s of training plus about 20 s of compilation each
#     (~4.5 min); then S15 and S50, S_EPOCHS (8) epochs each, learning rate 1e-3 then 1e-4 from
#     epoch 6 (S_LR), about 1.6 min of training each (the full recipe is 50 epochs, 9.5 min each);
#   call 2 (RESUME_FROM=<the tars of call 1>, TIME_LIMIT=200 s): DnCNN-B, B_EPOCHS (4) epochs of
#     386,688 patches, 1e-3 then 1e-4 from epoch 4 (B_LR), about 2.5 min (the paper: 50 epochs,
#     about 30 min).
# A run the time limit stops continues from its last epoch at the next call (RESUME_FROM); runs not
# yet started wait for it. Environment: TIME_LIMIT (seconds for the whole call), ABLATION_RUNS,
# ABLATION_EPOCHS, S_EPOCHS, S_LR, B_EPOCHS, B_LR, STEPS_PER_EXECUTION, PROFILE_S, PROFILE_B,
# ABLATION_PROFILE (the test sets tiny ones), STAGES (which of speed ablation s15 s50 blind to run).
# The stage "speed" (first, about 2.5 min: scripts/gpu_speed.sh) sweeps training throughput in at most
# SWEEP_BUDGET (90) seconds and measures Table IV's GPU column, leaving sweep.jsonl, table4_gpu.csv and
# speed.log in $OUT; the training stages after it get what is left of TIME_LIMIT.
#
# On the device machine, from the repo root (Keras' wheels in .whl/ of scripts/gpu_wheels.sh and
# gpu-data/data.tar.xz of scripts/gpu_data.sh carried):
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl \
#     && export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1; OUT=$OUT bash scripts/gpu_train_claims.sh
# It leaves at most 8 files in $OUT, each under 16 MiB (the speed stage's three among them): ablation.tar (every ablation run's log.csv
# and sidecar in results/, and runs/ with each run's state: model.json when complete, diverged.json,
# and the last checkpoint of at most one unfinished run), s15.tar, s50.tar, blind.tar (model.keras,
# model.json, log.csv, train.log and the last checkpoint of that run) and claims.log. To ship:
# unpack ablation.tar's results/ into results/ablation/ablation-gpu/, and each model into weights/
# (registered by one entry in dncnn/model/catalog.py MODELS with the SHA-256 of the model, its log and sidecar).
set -euo pipefail
: "${OUT:?set OUT to the folder that receives the results}"
TIME_LIMIT=${TIME_LIMIT:-560}
STAGES=${STAGES:-"speed ablation s15 s50 blind"}
ABLATION_PROFILE=${ABLATION_PROFILE:-ablation-gpu}
ABLATION_RUNS=${ABLATION_RUNS:-all}
ABLATION_EPOCHS=${ABLATION_EPOCHS:-7}
PROFILE_S=${PROFILE_S:-paper}
S_EPOCHS=${S_EPOCHS:-8}
S_LR=${S_LR:-0:1e-3,5:1e-4}
PROFILE_B=${PROFILE_B:-paper-blind}
B_EPOCHS=${B_EPOCHS:-4}
B_LR=${B_LR:-0:1e-3,3:1e-4}
B_OPTIONS=${B_OPTIONS:-}  # more train options for B (the CPU test: --sigma-range 0,55 on a tiny profile)
STEPS_PER_EXECUTION=${STEPS_PER_EXECUTION:-8}
MIXED=${MIXED:---mixed-precision}
export KERAS_BACKEND=${KERAS_BACKEND:-jax} PYTHONUNBUFFERED=1
export DNCNN_OUTPUT_ROOT=${DNCNN_OUTPUT_ROOT:-/tmp/dncnn-run}
PY=${PY:-python3}
START=$(date +%s)
LOG="$OUT/claims.log"
if [ -z "${DNCNN_DATA_MIRROR:-}" ] && [ -f gpu-data/data.tar.xz ]; then
  # the archive of scripts/gpu_data.sh, unpacked with Python (the machine has no xz program)
  $PY -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter="data")' \
    gpu-data/data.tar.xz "$DNCNN_OUTPUT_ROOT/mirror"
  export DNCNN_DATA_MIRROR=$DNCNN_OUTPUT_ROOT/mirror/datasets
fi
export DNCNN_DATA_MIRROR=${DNCNN_DATA_MIRROR:-$PWD/gpu-data}

minutes_left() {  # minutes of TIME_LIMIT left, less a margin for packing the results
  $PY -c "import sys; print(f'{(int(sys.argv[1]) - (int(sys.argv[2]) - int(sys.argv[3])) - 20) / 60:.2f}')" \
    "$TIME_LIMIT" "$(date +%s)" "$START"
}
enough_time() { $PY -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 0.5 else 1)" "$(minutes_left)"; }
complete() {  # model.json epochs: the run finished that many epochs
  [ -f "$1" ] && $PY -c "import json, sys; f = json.load(open(sys.argv[1])); sys.exit(0 if f['complete'] and f['epochs'] >= int(sys.argv[2]) else 1)" "$1" "$2"
}
wants() { [[ " $STAGES " == *" $1 "* ]]; }

{ nvidia-smi -L 2>/dev/null || echo "no nvidia-smi: running on $(uname -m) CPU"; echo "start $(date -u +%FT%TZ), TIME_LIMIT ${TIME_LIMIT}s, stages: $STAGES"; } | tee "$LOG"

# ---- speed: the training sweep and Table IV's GPU column (issue 29), before any training
if wants speed; then OUT=$OUT PY=$PY bash scripts/gpu_speed.sh 2>&1 | tee -a "$LOG" || true; fi

# ---- the ablation: every run's curve, resumed from RESUME_FROM/ablation.tar when given
abl_runs=$DNCNN_OUTPUT_ROOT/data/runs/ablation/$ABLATION_PROFILE
abl_out=$DNCNN_OUTPUT_ROOT/ablation-results
mkdir -p "$abl_runs" "$abl_out/$ABLATION_PROFILE"
if [ -n "${RESUME_FROM:-}" ] && [ -f "$RESUME_FROM/ablation.tar" ]; then
  tmp=$(mktemp -d); tar -C "$tmp" -xf "$RESUME_FROM/ablation.tar"
  cp -r "$tmp"/runs/. "$abl_runs/" 2>/dev/null || true
  cp -r "$tmp"/results/. "$abl_out/$ABLATION_PROFILE/" 2>/dev/null || true
fi
if wants ablation && enough_time; then
  $PY -m dncnn patches --profile "$ABLATION_PROFILE" 2>&1 | tee -a "$LOG"
  $PY -m dncnn ablation --profile "$ABLATION_PROFILE" --runs $ABLATION_RUNS --epochs "$ABLATION_EPOCHS" --time-limit "$(minutes_left)" \
    --out-dir "$abl_out" --steps-per-execution "$STEPS_PER_EXECUTION" $MIXED --verbose 2 2>&1 | tee -a "$LOG" || true
fi
# pack: every curve, each run's state, the last checkpoint of unfinished runs only (at most one: runs go one by one)
pack=$(mktemp -d); mkdir -p "$pack/results" "$pack/runs"
cp "$abl_out/$ABLATION_PROFILE"/* "$pack/results/" 2>/dev/null || true
for dir in "$abl_runs"/*/; do
  [ -d "$dir" ] || continue
  run=$(basename "$dir"); mkdir -p "$pack/runs/$run"
  for f in model.json log.csv diverged.json; do [ -f "$dir/$f" ] && cp "$dir/$f" "$pack/runs/$run/"; done
  if ! complete "$dir/model.json" "$ABLATION_EPOCHS"; then
    last=$(ls "$dir"/checkpoints/epoch-*.keras 2>/dev/null | tail -n 1 || true)
    if [ -n "$last" ]; then
      mkdir -p "$pack/runs/$run/checkpoints"; cp "$last" "${last%.keras}.json" "$pack/runs/$run/checkpoints/"
    fi
  fi
done
tar -C "$pack" -cf "$OUT/ablation.tar" results runs

# ---- DnCNN-S for sigma 15 and 50, DnCNN-B: one tar per run, resumed from RESUME_FROM/<name>.tar
train_one() {  # name profile epochs lr-schedule [extra train options]
  local name=$1 profile=$2 epochs=$3 lr=$4; shift 4
  local run_dir=$DNCNN_OUTPUT_ROOT/data/runs/claims-$name resume=()
  mkdir -p "$run_dir"
  if [ -n "${RESUME_FROM:-}" ] && [ -f "$RESUME_FROM/$name.tar" ]; then
    mkdir -p "$run_dir/checkpoints" "$run_dir/previous"
    tar -C "$run_dir/previous" -xf "$RESUME_FROM/$name.tar"
    cp "$run_dir"/previous/epoch-* "$run_dir/checkpoints/" 2>/dev/null || true
    cp "$run_dir/previous/log.csv" "$run_dir/log.csv" 2>/dev/null || true
    cp "$run_dir/previous/model.json" "$run_dir/model.json" 2>/dev/null || true
    [ -n "$(ls "$run_dir"/checkpoints/epoch-*.keras 2>/dev/null)" ] && resume=(--resume)
  fi
  if complete "$run_dir/model.json" "$epochs"; then
    echo "$name: complete ($epochs epochs)" | tee -a "$LOG"
  elif enough_time; then
    $PY -m dncnn patches --profile "$profile" 2>&1 | tee -a "$LOG"
    $PY -m dncnn train --profile "$profile" --epochs "$epochs" --lr-schedule "$lr" "$@" --run-dir "$run_dir" "${resume[@]}" \
      --overwrite $MIXED --max-minutes "$(minutes_left)" --steps-per-execution "$STEPS_PER_EXECUTION" --verbose 2 \
      2>&1 | tee "$run_dir/train.log" | tee -a "$LOG" || true
  else
    echo "$name: not started, the next call (RESUME_FROM) trains it" | tee -a "$LOG"
  fi
  local files=()
  for f in model.keras model.json log.csv train.log; do [ -f "$run_dir/$f" ] && files+=("$f"); done
  local last; last=$(ls "$run_dir"/checkpoints/epoch-*.keras 2>/dev/null | tail -n 1 || true)
  if [ -n "$last" ]; then
    cp "$last" "${last%.keras}.json" "$run_dir/"
    files+=("$(basename "$last")" "$(basename "${last%.keras}.json")")
  fi
  if [ ${#files[@]} -gt 0 ]; then tar -C "$run_dir" -cf "$OUT/$name.tar" "${files[@]}"; fi
}
if wants s15; then train_one s15 "$PROFILE_S" "$S_EPOCHS" "$S_LR" --sigma 15; fi
if wants s50; then train_one s50 "$PROFILE_S" "$S_EPOCHS" "$S_LR" --sigma 50; fi
if wants blind; then train_one blind "$PROFILE_B" "$B_EPOCHS" "$B_LR" $B_OPTIONS; fi

echo "end $(date -u +%FT%TZ), $(( $(date +%s) - START )) s" | tee -a "$LOG"
ls -la "$OUT" | tee -a "$LOG"
find "$OUT" -type f -size +16M -exec echo "warning: {} is over 16 MiB and will not come back" \; | tee -a "$LOG"
