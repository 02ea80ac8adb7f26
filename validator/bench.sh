#!/usr/bin/env bash
# What the gateway costs on digits over loopback: a direct mesh call to a miner against
# subnet_query at redundancy 1 and 3 (p50/p99), and queries per second at concurrency 32.
# Release build of the miner and the validator. Prints ratios.
#
#   validator/bench.sh
#   BENCH_REQUESTS=1000 BENCH_SECS=10 validator/bench.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../scripts/lib/env.sh
source "$here/../scripts/lib/env.sh"
cd "$MINDOS_ROOT"
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
cargo build --locked --release -p mindos-miner -p mindos-validator
cargo bench --locked -p mindos-validator --bench gateway "$@"
