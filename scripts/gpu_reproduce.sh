#!/usr/bin/env bash
# The whole study on the lent GPU machine: `python -m dncnn reproduce` runs notebooks 01-05 through
# papermill on the JAX backend, with nothing but that machine's Python (3.12, jax with CUDA, numpy,
# scipy, h5py, pandas, opencv, matplotlib, scikit-image; no TensorFlow, no network) and what the run
# carries. Prepare on this side (both ignored by git):
#   bash scripts/gpu_wheels.sh   # .whl/: keras, papermill, ipykernel, bm3d, ... (scripts/gpu-wheels.txt)
#   bash scripts/gpu_data.sh     # gpu-data/data.tar.xz: the seven image sets and the authors' weights
# then on the device machine, from the repository root (the `run` tool: carry [".whl", "gpu-data"]):
#   bash scripts/gpu_reproduce.sh
# Settings (environment): PROFILE (default paper), MIXED=1 (bf16 training in notebook 02, its
# mixed_precision parameter), MAX_MINUTES (notebook 02's max_minutes: a bound on training),
# PARAMS (more `--param NAME=VALUE` for reproduce, space-separated), TIME_LIMIT (seconds for the
# reproduce command; default 540, under the device's 600 s a command), WORK (scratch, default
# /tmp/dncnn-gpu). Tested on CPU with PROFILE=smoke in an environment like the device's.
# Comes back flat in $OUT (at most 8 files): reproduce.log, reproduce.json, results.tar.gz
# (results/<profile>, figures/<profile>, build/<profile>: the executed notebooks and kernel logs, and
# a failed run's staging folder), notebook 02's model.keras, model.json and log.csv, and env.txt.
set -uo pipefail
: "${OUT:?set OUT to the folder that receives the results}"
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-paper}
MIXED=${MIXED:-1}
TIME_LIMIT=${TIME_LIMIT:-540}
WORK=${WORK:-/tmp/dncnn-gpu}
start=$SECONDS
mkdir -p "$WORK" "$OUT"

# 1. the carried wheels, in a folder of their own at the front of the path (the machine's packages stay as they are)
python3 -m pip install --quiet --no-index --no-deps --upgrade --target "$WORK/site" .whl/*.whl || exit 1
export PYTHONPATH=$WORK/site:$PWD${PYTHONPATH:+:$PYTHONPATH}
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1 PYTHONWARNINGS=${PYTHONWARNINGS:-ignore::DeprecationWarning}
# 2. the carried data (kept as folders when gpu-data/ holds them unpacked)
if [ -f gpu-data/data.tar.xz ]; then
  # Python's tarfile and lzma, so the machine needs no xz program
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter="data")' \
    gpu-data/data.tar.xz "$WORK/data" || exit 1
  data=$WORK/data
else
  data=$PWD/gpu-data
fi
export DNCNN_DATA_MIRROR=$data/datasets DNCNN_WEIGHTS_MIRROR=$data/reference-weights
export DNCNN_OUTPUT_ROOT=$WORK/out
echo "set up in $((SECONDS - start)) s"

# 3. what runs: this Python, its JAX devices, and the kernel papermill will start (the same Python)
{
  nvidia-smi -L 2>/dev/null || echo "no nvidia-smi: $(uname -m) CPU, $(nproc) cores"
  python3 - <<'PY'
import importlib.util, sys
import jax, keras
from jupyter_client.kernelspec import KernelSpecManager
argv = KernelSpecManager().get_kernel_spec("python3").argv
print("python", sys.version.split()[0], sys.executable)
print("keras", keras.__version__, "backend", keras.config.backend(), "| jax", jax.__version__, jax.devices())
print("tensorflow importable:", importlib.util.find_spec("tensorflow") is not None)
print("kernel python3:", " ".join(argv))
if argv[0] != sys.executable:
    sys.exit(f"error: the kernel python3 runs {argv[0]}, not {sys.executable}")
PY
} 2>&1 | tee "$OUT/env.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

# 4. the study, bounded in time (SIGINT first, so papermill stops its kernel and saves the executed copy)
params=()
[ "$MIXED" = 1 ] && params+=(--param mixed_precision=True)
[ -n "${MAX_MINUTES:-}" ] && params+=(--param "max_minutes=$MAX_MINUTES")
for p in ${PARAMS:-}; do params+=(--param "$p"); done
echo "python3 -m dncnn reproduce --profile $PROFILE --no-readme ${params[*]}" | tee "$OUT/reproduce.log"
timeout --signal=INT --kill-after=30 "$TIME_LIMIT" \
  python3 -m dncnn reproduce --profile "$PROFILE" --no-readme "${params[@]}" 2>&1 | tee -a "$OUT/reproduce.log"
status=${PIPESTATUS[0]}
echo "reproduce exit status $status after $((SECONDS - start)) s" | tee -a "$OUT/reproduce.log"

# 5. results back, flat
root=$DNCNN_OUTPUT_ROOT
cp "$root/results/$PROFILE/reproduce.json" "$OUT/" 2>/dev/null || true
for f in model.keras model.json log.csv; do cp "$root/data/runs/$PROFILE/$f" "$OUT/" 2>/dev/null || true; done
parts=()
for d in results/$PROFILE figures/$PROFILE build/$PROFILE; do [ -e "$root/$d" ] && parts+=("$d"); done
[ ${#parts[@]} -gt 0 ] && tar -C "$root" -czf "$OUT/results.tar.gz" "${parts[@]}"
ls -l "$OUT"
find "$OUT" -type f -size +16M -exec echo "warning: {} is over 16 MiB and will not come back" \;
exit "$status"
