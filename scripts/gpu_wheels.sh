#!/usr/bin/env bash
# Download the wheels that scripts/gpu_reproduce.sh installs on the lent GPU machine into .whl/ (or
# $WHEEL_DIR): the exact pins of scripts/gpu-wheels.txt, for CPython 3.12 on x86-64 Linux, binaries
# only, no dependency resolution (the list is complete). Needs PyPI; prints the folder's size, which
# counts against the 64 MiB that a device run carries.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEEL_DIR=${WHEEL_DIR:-.whl}
mkdir -p "$WHEEL_DIR"
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_26_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_12_x86_64 \
  --platform manylinux_2_5_x86_64 --platform manylinux1_x86_64 --platform any \
  -d "$WHEEL_DIR" -r scripts/gpu-wheels.txt
count=$(ls "$WHEEL_DIR"/*.whl | wc -l)
expected=$(grep -c '==' scripts/gpu-wheels.txt)
[ "$count" -eq "$expected" ] || { echo "error: $count wheels in $WHEEL_DIR, $expected pinned (remove stale ones)" >&2; exit 1; }
echo "$count wheels, $(du -sb "$WHEEL_DIR" | cut -f1) bytes in $WHEEL_DIR"
