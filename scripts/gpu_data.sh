#!/usr/bin/env bash
# Pack the data the study reads into gpu-data/data.tar.xz, carried to the lent GPU machine (which has
# no network) and unpacked there by scripts/gpu_reproduce.sh: datasets/<set>/ (with SHA256SUMS) from
# the local mirror $DNCNN_DATA_MIRROR (default ../shared/datasets) and reference-weights/ (the
# authors' .mat files) from $DNCNN_WEIGHTS_MIRROR (default: reference-weights/ beside the mirror).
# SETS and WEIGHTS choose a subset; a notebook that needs a file left out stops with a DataError
# naming it (there is no network to fetch it from).
set -euo pipefail
cd "$(dirname "$0")/.."
mirror=${DNCNN_DATA_MIRROR:-../shared/datasets}
weights=${DNCNN_WEIGHTS_MIRROR:-$mirror/../reference-weights}
SETS=${SETS:-Train400 BSD68 Set12 Set5 Set14 classic5 LIVE1}
WEIGHTS=${WEIGHTS:-dncnn_s_sigma15 dncnn_s_sigma25 dncnn_s_sigma50 dncnn_b_gray_blind dncnn3 cdncnn_b_color_blind}
XZ_LEVEL=${XZ_LEVEL:-9e}

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/datasets" "$tmp/reference-weights"
for set in $SETS; do cp -r "$mirror/$set" "$tmp/datasets/"; done
[ -f "$mirror/SHA256SUMS" ] && cp "$mirror/SHA256SUMS" "$tmp/datasets/"
for name in $WEIGHTS; do cp "$weights/$name.mat" "$tmp/reference-weights/"; done
[ -f "$weights/SHA256SUMS" ] && cp "$weights/SHA256SUMS" "$tmp/reference-weights/"
mkdir -p gpu-data
rm -f gpu-data/data.tar.xz
tar -C "$tmp" -cf - datasets reference-weights | xz -"$XZ_LEVEL" -T1 > gpu-data/data.tar.xz
echo "gpu-data/data.tar.xz: $(du -sb "$tmp" | cut -f1) bytes of data in $(stat -c %s gpu-data/data.tar.xz) bytes (sets: $SETS)"
