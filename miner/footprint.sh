#!/usr/bin/env bash
# The miner's resident memory against the floor (a process that only loads the same model
# with ONNX Runtime), on each subnet, in the default and the --low-memory profile; prints a
# table per subnet and, last, the ratio miner / floor. Release build of the floor example
# (mindos-subnets) and the bench (this crate).
#
#   miner/footprint.sh            2,048 requests per run (about 2 minutes on 2 cores once built)
#   miner/footprint.sh --quick    256 requests per run
#
# FOOTPRINT_PROFILE_ARGS (default `--profile bench`) picks the cargo profile and target, e.g.
# `--profile dist --target x86_64-unknown-linux-gnu`. Needs the ONNX Runtime library and the
# models (scripts/setup.sh fetches them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../scripts/lib/env.sh
source "$here/../scripts/lib/env.sh"
cd "$MINDOS_ROOT"
read -r -a profile <<<"${FOOTPRINT_PROFILE_ARGS:---profile bench}"
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
cargo build --locked "${profile[@]}" -p mindos-subnets --example load_model
cargo bench --locked "${profile[@]}" -p mindos-miner --bench footprint -- "$@"
