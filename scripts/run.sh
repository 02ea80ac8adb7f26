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

echo "[run] building mindos-node (fast-blocks) into $CARGO_TARGET_DIR"
cargo build --locked -p mindos-node --features fast-blocks

node_pid=
stop() {
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    echo; echo "[run] stopping node (pid $node_pid)"
    kill -TERM "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  [ "$cleanup_base" = 1 ] && rm -rf "$base_path"
  exit 0
}
trap stop INT TERM EXIT

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
for _ in $(seq 1 120); do
  rpc system_health >/dev/null 2>&1 && break
  if ! kill -0 "$node_pid" 2>/dev/null; then
    echo "[run] the node exited; last log lines:" >&2; tail -n 30 "$log_file" >&2; exit 1
  fi
  sleep 1
done

echo "[run] MindOS dev chain is up"
echo "[run]   JSON-RPC (HTTP and WebSocket): ws://127.0.0.1:$rpc_port"
echo "[run]   Prometheus metrics:            http://127.0.0.1:$prometheus_port/metrics"
echo "[run]   chain data:                    $base_path"
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
