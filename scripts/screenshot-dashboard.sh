#!/usr/bin/env bash
# Regenerates docs/dashboard.png, the README's picture of the validator's dashboard.
#
#   scripts/screenshot-dashboard.sh
#
# Runs the dashboard's browser test (validator/tests/dashboard.rs: a dev chain, three miners
# and a staked validator, chromium at the gateway's /dashboard until an epoch has paid) and
# copies the screenshot it saves. Needs what scripts/test.sh needs (setup.sh installs
# chromium and the pinned puppeteer-core); about two minutes once the binaries are built.
# The node and miner are the ones scripts/test.sh builds (fast blocks, fault injection);
# MINDOS_NODE_BIN and MINDOS_MINER_BIN, if set, name others and nothing is built for them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
node_bin=${MINDOS_NODE_BIN:-}
# shellcheck source=lib/env.sh
source "$here/lib/env.sh"
cd "$MINDOS_ROOT"

if [ -n "$node_bin" ]; then
  export MINDOS_NODE_BIN=$node_bin
else
  echo "[screenshot] cargo build -p mindos-node --features fast-blocks"
  cargo build --locked -p mindos-node --features fast-blocks
fi
if [ -z "${MINDOS_MINER_BIN:-}" ]; then
  echo "[screenshot] cargo build -p mindos-miner --features fault-injection"
  cargo build --locked -p mindos-miner --features fault-injection
fi
echo "[screenshot] cargo test -p mindos-validator --test dashboard"
MINDOS_REQUIRE_CHROMIUM=1 cargo test --locked -p mindos-validator --test dashboard -- --nocapture
shot="$CARGO_TARGET_DIR/tmp/dashboard/dashboard.png"
mkdir -p docs
cp "$shot" docs/dashboard.png
echo "[screenshot] docs/dashboard.png updated from $shot"
