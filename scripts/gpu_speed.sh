#!/usr/bin/env bash
# The speed part of the prepared GPU command (issue 29; JAX backend, no TensorFlow there), run by
# scripts/gpu_train_claims.sh as its first stage ("speed") in the same call that trains, or alone:
#   1. the training sweep, bounded to SWEEP_BUDGET seconds (90) in all: DnCNN-S at batch 128, float32
#      and bf16, 1, 8 and 32 steps per execution, on Keras' JAX backend (two thirds of the budget,
#      `python -m dncnn bench sweep`), then the PyTorch peer eager and compiled, float32 and bf16 (the
#      rest, `bench sweep-peer`; a line saying so when torch is not importable). Each process is
#      killed at its share of the budget; settings that would not fit are written as skipped. Which
#      one reaches the 60,000 patches/s goal (21,100 today) is read off sweep.jsonl.
#   2. the GPU column of the paper's Table IV: DnCNN-S, DnCNN-B and CDnCNN-B inference at 256, 512
#      and 1024 px (`bench table4-gpu`), table4_gpu.csv: copy it into results/ and run
#      `python -m dncnn bench table4` (docs/benchmark.md).
# Comes back flat in $OUT: sweep.jsonl, table4_gpu.csv, speed.log. Environment: SWEEP_BUDGET,
# SWEEP_SECONDS (timed seconds per setting, 2), BATCH (128), NETWORK (DEPTH,FILTERS,PATCH, 17,64,40),
# TABLE4_SIZES ("256 512 1024"), TABLE4_REPEATS (5), PY. Tested on CPU in the GPU stand-in at a tiny
# size (tests/test_gpu_scripts.py::test_gpu_speed_runs_in_the_stand_in_within_its_budget).
set -uo pipefail
: "${OUT:?set OUT to the folder that receives the results}"
cd "$(dirname "$0")/.."
SWEEP_BUDGET=${SWEEP_BUDGET:-90}
SWEEP_SECONDS=${SWEEP_SECONDS:-2}
BATCH=${BATCH:-128}
NETWORK=${NETWORK:-17,64,40}
TABLE4_SIZES=${TABLE4_SIZES:-"256 512 1024"}
TABLE4_REPEATS=${TABLE4_REPEATS:-5}
PY=${PY:-python3}
export KERAS_BACKEND=${KERAS_BACKEND:-jax} PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
LOG=$OUT/speed.log
start=$SECONDS
jax_budget=$(( SWEEP_BUDGET * 2 / 3 ))
peer_budget=$(( SWEEP_BUDGET - jax_budget ))
sweep=(--seconds "$SWEEP_SECONDS" --batch-size "$BATCH" --network "$NETWORK")

echo "speed: sweep budget ${SWEEP_BUDGET}s (JAX ${jax_budget}s, peer ${peer_budget}s), batch $BATCH, network $NETWORK" | tee "$LOG"
# the budget inside (no setting starts that cannot end in time) and outside (timeout), each a hard bound
timeout --signal=INT --kill-after=5 "$jax_budget" $PY -m dncnn bench sweep --budget "$((jax_budget - 5))" "${sweep[@]}" \
  2>>"$LOG" | tee "$OUT/sweep.jsonl"
if $PY -c "import torch" 2>/dev/null; then
  timeout --signal=INT --kill-after=5 "$peer_budget" $PY -m dncnn bench sweep-peer --budget "$((peer_budget - 5))" "${sweep[@]}" \
    2>>"$LOG" | tee -a "$OUT/sweep.jsonl"
else
  echo '{"peer": "pytorch", "skipped": "torch is not importable"}' | tee -a "$OUT/sweep.jsonl"
fi
# a process killed inside a setting (a compilation) wrote no line for it nor for those after it
$PY -c "from dncnn.bench.measure import fill_sweep; fill_sweep('$OUT/sweep.jsonl', sweeps=$( $PY -c 'import torch' 2>/dev/null && echo '("jax", "peer")' || echo '("jax",)'))" 2>>"$LOG"
echo "sweep: $((SECONDS - start)) s" | tee -a "$LOG"
$PY -m dncnn bench table4-gpu --out "$OUT" --sizes $TABLE4_SIZES --repeats "$TABLE4_REPEATS" 2>&1 | tee -a "$LOG"
echo "speed: $((SECONDS - start)) s in all" | tee -a "$LOG"
