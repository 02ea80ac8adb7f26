#!/usr/bin/env bash
# Builds and starts a local MindOS network — a development chain, three miners (two on the
# digits subnet, one on text embedding) and a validator with its JSON-RPC gateway — sends a
# sample query through the gateway, then follows block height and finality until Ctrl-C.
#
#   scripts/run.sh                 chain on ws://127.0.0.1:9944, gateway on http://127.0.0.1:9946
#   MINDOS_RPC_PORT=9955 MINDOS_GATEWAY_PORT=9956 scripts/run.sh
#   MINDOS_BASE_PATH=~/.mindos-dev scripts/run.sh   keep chain data and keys between runs
#   MINDOS_CHAIN_ONLY=1 scripts/run.sh              only the chain
#
# The dev accounts pay: Bob, Dave and Eve register the miners, Charlie the validator and its
# stake.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/setup.sh"
# shellcheck source=lib/env.sh
source "$here/lib/env.sh"
cd "$MINDOS_ROOT"

rpc_port=${MINDOS_RPC_PORT:-9944}
prometheus_port=${MINDOS_PROMETHEUS_PORT:-9615}
gateway_port=${MINDOS_GATEWAY_PORT:-9946}
mesh_port=${MINDOS_MESH_PORT:-30401}   # miners on this port and the next two, the validator +9
base_path=${MINDOS_BASE_PATH:-}
if [ -z "$base_path" ]; then
  base_path=$(mktemp -d -t mindos-dev.XXXXXX)
  cleanup_base=1
else
  cleanup_base=0
fi
log_file="$base_path/node.log"

# The node: the same cargo invocation as scripts/test.sh (minus running the tests), so both
# share one build: a narrower `cargo build -p mindos-node` resolves other features and
# rebuilds much.
echo "[run] building mindos-node (fast-blocks) into $CARGO_TARGET_DIR"
cargo test --locked --workspace --features mindos-node/fast-blocks --no-run
# That test build unifies the dev-dependencies' test-only features into the miner and
# validator binaries it leaves in debug/: the miner's fault injection (MINDOS_MINER_FAULT)
# and the validator's crash points. So the two binaries run here are built again with
# `cargo build -p`, which leaves dev-dependencies out (warm after the first run), checked
# for those features, and run from the paths cargo reports.
echo "[run] building mindos-miner and mindos-validator without test-only features"
built=$(cargo build --locked -p mindos-miner -p mindos-validator \
  --message-format=json-render-diagnostics | python3 -c '
import json, sys
test_only = {"mindos-miner": "fault-injection", "mindos-validator": "crash-points"}
found = {}
for line in sys.stdin:
    try:
        message = json.loads(line)
    except ValueError:
        continue
    target = message.get("target") or {}
    name = target.get("name")
    if message.get("reason") != "compiler-artifact" or "bin" not in target.get("kind", []):
        continue
    if name in test_only:
        if test_only[name] in message.get("features", []):
            sys.exit("[run] " + name + " was built with " + test_only[name])
        found[name] = message["executable"]
if set(found) != set(test_only):
    sys.exit("[run] cargo reported no binary for " + ", ".join(sorted(set(test_only) - set(found))))
print(found["mindos-miner"])
print(found["mindos-validator"])
')
miner_bin=$(sed -n 1p <<<"$built")
validator_bin=$(sed -n 2p <<<"$built")

node_pid=
service_pids=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  # Miners and validator first (they finish in-flight work on SIGTERM), then the chain.
  for pid in "${service_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${service_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
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

# Starts a service in the background with its log in the base path.
start() {
  local name=$1; shift
  "$@" >"$base_path/$name.log" 2>&1 &
  service_pids+=($!)
  echo "[run]   $name (pid $!, log $base_path/$name.log)"
}

if [ -z "${MINDOS_CHAIN_ONLY:-}" ]; then
  chain="ws://127.0.0.1:$rpc_port"
  # Key files hold a secret URI; the well-known dev accounts fund everything here, one
  # coldkey per process (two processes registering with one coldkey at the same moment
  # would race for its nonce).
  (umask 077
   for who in Bob Dave Eve Charlie; do echo "//$who" >"$base_path/$who.coldkey"; done)
  echo "[run] starting three miners and a validator"
  offset=0
  for spec in "digits 1 Bob" "digits 1 Dave" "text-embedding 0 Eve"; do
    read -r subnet netuid payer <<<"$spec"
    port=$((mesh_port + offset)); offset=$((offset + 1))
    start "miner-$subnet-$port" "$miner_bin" --netuid "$netuid" --chain-rpc "$chain" \
      --base-path "$base_path/miner-$port" --coldkey-file "$base_path/$payer.coldkey" \
      --max-burn 100 --fund-hotkey 1 --listen "/ip4/127.0.0.1/tcp/$port" --no-mdns --allow-private-addrs \
      --no-rpc --no-metrics
  done
  start validator "$validator_bin" --chain-rpc "$chain" --base-path "$base_path/validator" \
    --coldkey-file "$base_path/Charlie.coldkey" --max-burn 100 --fund-hotkey 10 --stake 200 \
    --listen "/ip4/127.0.0.1/tcp/$((mesh_port + 9))" --no-mdns --allow-private-addrs \
    --gateway-addr "127.0.0.1:$gateway_port" --no-metrics

  # A handwritten 0 from scikit-learn's digits (8x8, intensities 0-16). Miners answer only
  # validators with a permit, which the chain grants at the subnet's next epoch boundary.
  query='{"jsonrpc":"2.0","id":1,"method":"subnet_query","params":[1,{"pixels":[0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0]},{"redundancy":2}]}'
  echo "[run] sample query: subnet_query on digits through the gateway (waits for the validator's permit)"
  answer=
  for _ in $(seq 1 120); do
    answer=$(curl -s -H 'Content-Type: application/json' -d "$query" "http://127.0.0.1:$gateway_port" || true)
    if echo "$answer" | grep -q '"result"'; then break; fi
    for pid in "${service_pids[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "[run] a miner or the validator exited; see the logs in $base_path" >&2; exit 1
      fi
    done
    sleep 2
  done
  if echo "$answer" | grep -q '"result"'; then
    echo "$answer" | python3 -c '
import json, sys
r = json.load(sys.stdin)["result"]
served = ", ".join(f"uid {s['"'"'uid'"'"']} in {s['"'"'latency_ms'"'"']:.1f} ms" for s in r["served_by"])
print(f"[run]   label {r['"'"'output'"'"']['"'"'label'"'"']} (a 0), agreement {r['"'"'agreement'"'"']}, served by {served}")
'
  else
    echo "[run]   no answer yet (last reply: $answer); the network keeps running" >&2
  fi
  echo "[run] gateway: http://127.0.0.1:$gateway_port (subnet_list, subnet_info, subnet_query, mesh_peers;"
  echo "[run]          reference: validator/README.md)"
fi
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
