#!/usr/bin/env bash
# Runs every MindOS test. Installs what is missing first (scripts/setup.sh, idempotent).
#
#   scripts/test.sh            all tests, node end-to-end tests included
#   scripts/test.sh -- ARGS    extra arguments for `cargo test` (e.g. a test name filter);
#                              the fuzz smoke is skipped then
#
# Last, each cargo-fuzz target in fuzz/ runs for MINDOS_FUZZ_SECONDS (default 10).
#
# The node and runtime are built with `fast-blocks` (1 s blocks) so the end-to-end tests
# finish quickly; production builds use 6 s blocks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/setup.sh"
# shellcheck source=lib/env.sh
source "$here/lib/env.sh"
cd "$MINDOS_ROOT"

[ "${1:-}" = "--" ] && shift
start=$(date +%s)
# Every shell script the repository runs, with the rules in .shellcheckrc; a second or two.
echo "[test] shellcheck over the repository's shell scripts"
git ls-files -z '*.sh' .ci/run | xargs -0 shellcheck
# setup.sh installed node and the pinned polkadot-js packages: the keystore interop check
# must run, not skip.
export MINDOS_REQUIRE_POLKADOT_JS=1
# setup.sh installed chromium and the pinned puppeteer-core: the dashboard's browser tests
# (validator/tests/dashboard.rs, and the sentinels' part of validator/tests/judged.rs) must
# run, not skip.
export MINDOS_REQUIRE_CHROMIUM=1
# What a device owner downloads must not carry the chain (issue 24): cargo tree, no build.
echo "[test] scripts/release.sh --check-deps"
scripts/release.sh --check-deps
echo "[test] cargo test --workspace --features mindos-node/fast-blocks (target: $CARGO_TARGET_DIR)"
cargo test --locked --workspace --features mindos-node/fast-blocks "$@"
# The local network a newcomer starts, end to end on the binaries just built: two
# validators, five miners (one faulty on purpose), a paid epoch and an answer on each
# subnet. Its own ports, so a `scripts/run.sh` left running does not collide. About two minutes
# on two cores (measured: 99, 107 and 119 s with the build warm, the chain up within 5 s; it
# gives up after MINDOS_RUN_TIMEOUT, 600 s). Not with a test-name filter.
if [ "$#" -eq 0 ]; then
  echo "[test] python3 scripts/lib/run_status.py self-test, then scripts/run.sh --once"
  python3 "$here/lib/run_status.py" self-test
  MINDOS_RPC_PORT=19944 MINDOS_PROMETHEUS_PORT=19615 MINDOS_GATEWAY_PORT=19946 \
    MINDOS_MESH_PORT=31401 MINDOS_BASE_PATH='' "$here/run.sh" --once
fi
# The benchmark suite at its quick size: it keeps every benchmark and the report tool building
# and running (and their checks: sparse = dense epochs, every beat reaching every node). Its
# report goes under the target directory; docs/benchmarks.md comes only from a full run.
# In the dev profile whose dependencies the tests just built: 27 s to run (measured), plus a
# few minutes building the benchmarks once. Not with a test-name filter.
if [ "$#" -eq 0 ]; then
  echo "[test] scripts/bench.sh --quick"
  "$here/bench.sh" --quick
fi
# Each pallet's benchmarks also run as tests against its mock runtime. Separately, because
# `runtime-benchmarks` must not leak into the node and runtime built above.
for manifest in pallets/*/Cargo.toml; do
  echo "[test] cargo test --manifest-path $manifest --features runtime-benchmarks"
  cargo test --locked --manifest-path "$manifest" --features runtime-benchmarks "$@"
done
# Each fuzz target for a few seconds: a smoke that it builds and holds on fresh inputs
# (scripts/fuzz.sh SECONDS for a real run). Not with a test-name filter.
if [ "$#" -eq 0 ]; then
  echo "[test] scripts/fuzz.sh ${MINDOS_FUZZ_SECONDS:=10}"
  "$here/fuzz.sh" "$MINDOS_FUZZ_SECONDS"
fi
echo "[test] all tests passed in $(( $(date +%s) - start )) s"
