#!/usr/bin/env bash
# Builds and starts a local MindOS development chain, prints its RPC URL and follows block
# height and finality until Ctrl-C.
#
#   scripts/run.sh                 dev chain on ws://127.0.0.1:9944, data in a temp dir
#   MINDOS_RPC_PORT=9955 scripts/run.sh
#   MINDOS_BASE_PATH=~/.mindos-dev scripts/run.sh   keep chain data between runs
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/setup.sh"
# shellcheck source=lib/env.sh
source "$here/lib/env.sh"
cd "$MINDOS_ROOT"

rpc_port=${MINDOS_RPC_PORT:-9944}
prometheus_port=${MINDOS_PROMETHEUS_PORT:-9615}
base_path=${MINDOS_BASE_PATH:-}
if [ -z "$base_path" ]; then
  base_path=$(mktemp -d -t mindos-dev.XXXXXX)
  cleanup_base=1
else
  cleanup_base=0
fi
log_file="$base_path/node.log"

# The same cargo invocation as scripts/test.sh (minus running the tests), so both share one
# build: a narrower `cargo build -p mindos-node` resolves other features and rebuilds much.
echo "[run] building mindos-node (fast-blocks) into $CARGO_TARGET_DIR"
cargo test --locked --workspace --features mindos-node/fast-blocks --no-run

node_pid=
cleanup() {
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    echo; echo "[run] stopping node (pid $node_pid)"
    kill -TERM "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  if [ "$cleanup_base" = 1 ]; then rm -rf "$base_path"; fi
}
trap cleanup EXIT
# Ctrl-C is the normal way to stop: exit 0 (the EXIT trap stops the node).
trap 'exit 0' INT TERM

"$MINDOS_NODE_BIN" --dev --base-path "$base_path" --rpc-port "$rpc_port" \
  --prometheus-port "$prometheus_port" --no-telemetry >"$log_file" 2>&1 &
node_pid=$!

rpc() {
  curl -s -H 'Content-Type: application/json' \
    -d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":[${2:-}]}" \
    "http://127.0.0.1:$rpc_port"
}
number_of() { sed -n 's/.*"number":"\(0x[0-9a-fA-F]*\)".*/\1/p' | head -n1; }

echo "[run] waiting for the node's RPC (log: $log_file)"
up=0
for _ in $(seq 1 180); do
  if rpc system_health 2>/dev/null | grep -q '"result"'; then up=1; break; fi
  if ! kill -0 "$node_pid" 2>/dev/null; then
    echo "[run] the node exited; last log lines:" >&2; tail -n 30 "$log_file" >&2; exit 1
  fi
  sleep 1
done
if [ "$up" != 1 ]; then
  echo "[run] no RPC answer on port $rpc_port after 180 s; last log lines:" >&2
  tail -n 30 "$log_file" >&2
  exit 1
fi

echo "[run] MindOS dev chain is up"
echo "[run]   JSON-RPC (HTTP and WebSocket): ws://127.0.0.1:$rpc_port"
echo "[run]   Prometheus metrics:            http://127.0.0.1:$prometheus_port/metrics"
echo "[run]   chain data:                    $base_path"
echo "[run] sample query: mindos_subnets (the subnets this chain serves)"
rpc mindos_subnets | python3 -c '
import json, sys
for s in json.load(sys.stdin)["result"]:
    print(f"[run]   subnet {s['"'"'netuid'"'"']}: {s['"'"'name'"'"']:<16} scoring {s['"'"'task'"'"']['"'"'scoring_rule'"'"']:<18}"
          f" neurons {s['"'"'neurons'"'"']}  registration burn {int(s['"'"'registrationBurn'"'"']) / 1e12:g} MIND")
' || echo "[run]   (mindos_subnets did not answer as expected)" >&2
echo "[run] following blocks (Ctrl-C to stop)"
while kill -0 "$node_pid" 2>/dev/null; do
  best=$(rpc chain_getHeader | number_of)
  fin_hash=$(rpc chain_getFinalizedHead | sed -n 's/.*"result":"\(0x[0-9a-f]*\)".*/\1/p')
  fin=$(rpc chain_getHeader "\"$fin_hash\"" | number_of)
  [ -n "$best" ] && [ -n "$fin" ] && printf '[run] best #%d  finalized #%d\n' "$best" "$fin"
  sleep "${MINDOS_FOLLOW_INTERVAL:-3}"
done
echo "[run] the node exited; last log lines:" >&2
tail -n 30 "$log_file" >&2
exit 1
