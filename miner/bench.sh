#!/usr/bin/env bash
# What serving costs: a raw ONNX session (mindos-subnets infer_batch) against the mindos-miner
# binary end to end over loopback libp2p, MiniLM int8, one intra-op thread. Prints latency
# added (p50/p99, concurrency 1), the throughput ratio at concurrency 8 and the miner's
# resident memory idle and under load. Release build of this crate only.
#
#   miner/bench.sh                          3 rounds x 300 requests
#   BENCH_REQUESTS=1000 BENCH_ROUNDS=5 miner/bench.sh
#
# Needs the ONNX Runtime library and MiniLM (scripts/setup.sh fetches them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../scripts/lib/env.sh
source "$here/../scripts/lib/env.sh"
cd "$MINDOS_ROOT"
CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1} cargo bench --locked -p mindos-miner --bench end_to_end "$@"
