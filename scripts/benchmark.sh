#!/usr/bin/env bash
# Regenerates the weights of MindOS pallets from their benchmarks.
#
#   scripts/benchmark.sh                 # every MindOS pallet
#   scripts/benchmark.sh subnets stake   # only these (names under pallets/)
#
# Builds `mindos-node` with the `runtime-benchmarks` feature, runs
# `mindos-node benchmark pallet` for each pallet on the dev chain with the runtime compiled
# to native code by wasmtime (as block production runs it) and writes
# `pallets/<name>/src/weights.rs` from `scripts/templates/pallet-weights.hbs`.
#
# Environment:
#   MINDOS_BENCH_PROFILE  `release` (default; the numbers to ship) or `dev` (quick, and the
#                         weights come out higher because host functions run unoptimised).
#   MINDOS_BENCH_TARGET   target directory of the benchmark build (default
#                         /var/tmp/mindos-bench-target). Separate from the test build's, so
#                         the two feature sets never wait on each other's cargo lock.
#   MINDOS_BENCH_STEPS / MINDOS_BENCH_REPEAT   sampling (default 50 / 20).
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
cd "$MINDOS_ROOT"

export CARGO_TARGET_DIR=${MINDOS_BENCH_TARGET:-/var/tmp/mindos-bench-target}
profile=${MINDOS_BENCH_PROFILE:-release}
steps=${MINDOS_BENCH_STEPS:-50}
repeat=${MINDOS_BENCH_REPEAT:-20}
case "$profile" in
  release) profile_flag=(--release); out_dir=release ;;
  dev) profile_flag=(); out_dir=debug ;;
  *) echo "MINDOS_BENCH_PROFILE must be release or dev, not '$profile'" >&2; exit 2 ;;
esac

if [ "$#" -gt 0 ]; then
  pallets=("$@")
else
  pallets=()
  for dir in pallets/*/; do pallets+=("$(basename "$dir")"); done
fi
for name in "${pallets[@]}"; do
  if [ ! -f "pallets/$name/src/benchmarking.rs" ]; then
    echo "no benchmarks at pallets/$name/src/benchmarking.rs" >&2
    exit 2
  fi
done

# frame-benchmarking-cli's storage benchmark carries a test runtime whose Wasm build cannot
# find itself in this workspace's metadata (it is behind an optional dependency). MindOS
# does not offer `benchmark storage`, so that Wasm blob is never needed.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1

echo "building mindos-node ($profile, runtime-benchmarks) in $CARGO_TARGET_DIR ..."
cargo build --locked "${profile_flag[@]}" -p mindos-node --features runtime-benchmarks
node="$CARGO_TARGET_DIR/$out_dir/mindos-node"

for name in "${pallets[@]}"; do
  pallet="pallet_mindos_${name}"
  echo "benchmarking $pallet ..."
  "$node" benchmark pallet \
    --chain dev \
    --pallet "$pallet" \
    --extrinsic '*' \
    --steps "$steps" \
    --repeat "$repeat" \
    --wasm-execution compiled \
    --heap-pages 4096 \
    --template scripts/templates/pallet-weights.hbs \
    --output "pallets/$name/src/weights.rs"
done
echo "weights written; review the diff and commit it with the benchmark changes."
