#!/usr/bin/env bash
# Builds and starts a local MindOS network and shows it working:
#
#   - a development chain (1 s blocks, both demo subnets with an epoch every 20 blocks);
#   - two validators with different stakes (validator-a 300 MIND, with the JSON-RPC
#     gateway; validator-b 150 MIND), each validating both subnets;
#   - five miners: digits ×3 (one of them FAULTY: it answers wrong labels on purpose) and
#     text embedding ×2.
#
# It waits until the validators have revealed weights and an epoch has paid on both subnets,
# sends a sample query to each subnet through the gateway (`mindos query`), prints a status
# table per subnet, then prints it again whenever an epoch changes it, until Ctrl-C (which
# stops every process and says where the logs are).
#
#   scripts/run.sh                 chain on ws://127.0.0.1:9944, gateway on http://127.0.0.1:9946
#   scripts/run.sh --once          the same, but exits 0 once an epoch has paid on both subnets
#                                  and both sample queries were answered; non-zero with the
#                                  reason otherwise or after MINDOS_RUN_TIMEOUT seconds (default
#                                  600, counted from the chain's start). scripts/test.sh runs it.
#   MINDOS_RPC_PORT=9955 MINDOS_GATEWAY_PORT=9956 MINDOS_PROMETHEUS_PORT=9625 \
#   MINDOS_MESH_PORT=31401 scripts/run.sh                  other ports (miners on the mesh
#                                  port and the next four, the validators on +9 and +10)
#   MINDOS_BASE_PATH=~/.mindos-dev scripts/run.sh   keep chain data and keys between runs
#   MINDOS_CHAIN_ONLY=1 scripts/run.sh              only the chain
#   MINDOS_DASHBOARD_URL=URL       the dashboard address printed (default: validator-a's
#                                  gateway port, path /dashboard)
#   MINDOS_RUN_POLL=S              seconds between two reads of the metagraphs (default 3)
#   MINDOS_RUN_PREBUILT=DIR scripts/run.sh          build nothing: take mindos-node, mindos,
#                                  mindos-validator and the fault-injection mindos-miner from
#                                  DIR (e.g. $CARGO_TARGET_DIR/debug after scripts/test.sh);
#                                  MINDOS_RUN_MINER_BIN names a miner without fault injection
#                                  for the honest miners (else DIR's miner runs them too, with
#                                  no fault set) and MINDOS_RUN_VALIDATOR_BIN another validator
#
# Builds: the same `cargo test --no-run` as scripts/test.sh, so the first run after the tests
# builds nothing new. The faulty miner is the binary that test build makes (the miner's
# `fault-injection` feature, which the validator's tests unify into it); the honest miners and
# the validators are built again with `cargo build -p`, without the test-only features. A
# fault only ever runs against a dev or local chain: the miner checks the node's chain type
# before it spends anything and refuses otherwise (miner/src/fault.rs).
#
# The dev accounts pay: Charlie and Ferdie the validators' registration and stake; Bob, Dave,
# Eve, Alice and Bob//stash the miners' registrations (one coldkey per process: two processes
# registering with one coldkey at once would race for its nonce).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
once=0
case "${1:-}" in
  --once) once=1 ;;
  "") ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: scripts/run.sh [--once]" >&2; exit 2 ;;
esac
"$here/setup.sh"
# shellcheck source=lib/env.sh
source "$here/lib/env.sh"
cd "$MINDOS_ROOT"
# The status table, the progress checks and the reading of cargo's messages (self-tested by
# scripts/test.sh: `python3 scripts/lib/run_status.py self-test`).
status_py="$here/lib/run_status.py"

rpc_port=${MINDOS_RPC_PORT:-9944}
prometheus_port=${MINDOS_PROMETHEUS_PORT:-9615}
gateway_port=${MINDOS_GATEWAY_PORT:-9946}
mesh_port=${MINDOS_MESH_PORT:-30401}
run_timeout=${MINDOS_RUN_TIMEOUT:-600}
poll=${MINDOS_RUN_POLL:-3}
# The validator's web dashboard: validator-a's gateway serves it at /dashboard
# (validator/README.md, "Dashboard").
dashboard_url=${MINDOS_DASHBOARD_URL:-http://127.0.0.1:$gateway_port/dashboard}
base_path=${MINDOS_BASE_PATH:-}
if [ -z "$base_path" ]; then
  base_path=$(mktemp -d -t mindos-dev.XXXXXX)
  cleanup_base=1
else
  mkdir -p "$base_path"
  cleanup_base=0
fi
data="$base_path/data"
log_file="$base_path/node.log"

# --- binaries ------------------------------------------------------------------------------
if [ -n "${MINDOS_RUN_PREBUILT:-}" ]; then
  echo "[run] MINDOS_RUN_PREBUILT: building nothing; binaries from $MINDOS_RUN_PREBUILT"
  node_bin=$MINDOS_RUN_PREBUILT/mindos-node
  cli_bin=$MINDOS_RUN_PREBUILT/mindos
  fault_miner_bin=$MINDOS_RUN_PREBUILT/mindos-miner
  miner_bin=${MINDOS_RUN_MINER_BIN:-$MINDOS_RUN_PREBUILT/mindos-miner}
  validator_bin=${MINDOS_RUN_VALIDATOR_BIN:-$MINDOS_RUN_PREBUILT/mindos-validator}
  if [ "$miner_bin" = "$fault_miner_bin" ]; then
    echo "[run]   the honest miners run the fault-injection build too, with no fault set" \
      "(MINDOS_RUN_MINER_BIN names a miner built without it)"
  fi
else
  node_bin=$MINDOS_NODE_BIN
  # The node, the CLI and the faulty miner: the same cargo invocation as scripts/test.sh
  # (minus running the tests), so both share one build: a narrower `cargo build -p
  # mindos-node` resolves other features and rebuilds much.
  if [ -x "$node_bin" ]; then
    echo "[run] checking the test build in $CARGO_TARGET_DIR is current (seconds when" \
      "scripts/test.sh built it; minutes after a change)"
  else
    echo "[run] first build into $CARGO_TARGET_DIR: the node, its Wasm runtime and every test" \
      "crate take tens of minutes on two cores (the node alone about 20); later runs reuse it"
  fi
  test_bins=$(cargo test --locked --workspace --features mindos-node/fast-blocks --no-run \
    --message-format=json-render-diagnostics \
    | python3 "$status_py" cargo-bins mindos-miner:+fault-injection mindos)
  # The next build re-links debug/mindos-miner to the miner without fault injection: keep
  # the test build's under a name of its own (a hard link: same file system, no copy).
  mkdir -p "$CARGO_TARGET_DIR/run-sh"
  fault_miner_bin="$CARGO_TARGET_DIR/run-sh/mindos-miner-fault-injection"
  ln -f "$(sed -n 1p <<<"$test_bins")" "$fault_miner_bin" 2>/dev/null \
    || cp -f "$(sed -n 1p <<<"$test_bins")" "$fault_miner_bin"
  cli_bin=$(sed -n 2p <<<"$test_bins")
  # The honest miners and the validators without test-only features (the miner's fault
  # injection, the validator's crash points): `cargo build -p` leaves dev-dependencies out
  # (warm after the first run); checked for those features, run from the paths cargo
  # reports.
  echo "[run] building mindos-miner and mindos-validator without test-only features"
  built=$(cargo build --locked -p mindos-miner -p mindos-validator \
    --message-format=json-render-diagnostics \
    | python3 "$status_py" cargo-bins mindos-miner:-fault-injection mindos-validator:-crash-points)
  miner_bin=$(sed -n 1p <<<"$built")
  validator_bin=$(sed -n 2p <<<"$built")
fi
for bin in "$node_bin" "$cli_bin" "$fault_miner_bin" "$miner_bin" "$validator_bin"; do
  [ -x "$bin" ] || { echo "[run] no executable $bin" >&2; exit 1; }
done

# --- processes -----------------------------------------------------------------------------
node_pid=
service_pids=()
service_names=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local rc=$?
  trap - INT TERM
  # Miners and validators first (they finish in-flight work on SIGTERM), then the chain.
  if [ ${#service_pids[@]} -gt 0 ]; then
    echo "[run] stopping ${#service_pids[@]} miners and validators"
    for pid in "${service_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${service_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  fi
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    echo "[run] stopping the node (pid $node_pid)"
    kill -TERM "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  if [ "$cleanup_base" = 1 ] && [ "$once" = 1 ] && [ "$rc" = 0 ]; then
    rm -rf "$base_path"
  else
    # A temporary base path loses its chain data and keys; the logs stay to be read.
    if [ "$cleanup_base" = 1 ]; then rm -rf "$data"; fi
    echo "[run] logs: $base_path/ (node.log, validator-*.log, miner-*.log)"
  fi
}
trap cleanup EXIT
# Ctrl-C is the normal way to stop the interactive run: exit 0 (the EXIT trap stops all).
if [ "$once" = 1 ]; then
  trap 'echo "[run] --once: interrupted" >&2; exit 130' INT TERM
else
  trap 'echo; exit 0' INT TERM
fi

mkdir -p "$data"
"$node_bin" --dev --base-path "$data/node" --rpc-port "$rpc_port" \
  --prometheus-port "$prometheus_port" --no-telemetry >>"$log_file" 2>&1 &
node_pid=$!
started=$(date +%s)
elapsed() { echo $(($(date +%s) - started)); }

rpc() {
  curl -s -H 'Content-Type: application/json' \
    -d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":[${2:-}]}" \
    "http://127.0.0.1:$rpc_port"
}

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

chain="ws://127.0.0.1:$rpc_port"
echo "[run] MindOS dev chain is up"
echo "[run]   JSON-RPC (HTTP and WebSocket): $chain"
echo "[run]   Prometheus metrics:            http://127.0.0.1:$prometheus_port/metrics"
echo "[run]   chain data and logs:           $base_path"
rpc mindos_subnets | python3 -c '
import json, sys
for s in json.load(sys.stdin)["result"]:
    print(f"[run]   subnet {s['"'"'netuid'"'"']}: {s['"'"'name'"'"']:<16} scoring {s['"'"'task'"'"']['"'"'scoring_rule'"'"']:<18}"
          f" registration burn {int(s['"'"'registrationBurn'"'"']) / 1e12:g} MIND")
' || echo "[run]   (mindos_subnets did not answer as expected)" >&2

if [ -n "${MINDOS_CHAIN_ONLY:-}" ]; then
  echo "[run] MINDOS_CHAIN_ONLY: only the chain (Ctrl-C to stop)"
  wait "$node_pid" || true
  echo "[run] the node exited; last log lines:" >&2
  tail -n 30 "$log_file" >&2
  exit 1
fi

# Starts a service in the background, its log in the base path (appended: a kept base path
# keeps each process's "hotkey registered" line, which names its uid in the tables).
start() {
  local name=$1; shift
  "$@" >>"$base_path/$name.log" 2>&1 &
  service_pids+=($!)
  service_names+=("$name")
  echo "[run]   $name (pid $!, log $base_path/$name.log)"
}

# Key files hold a secret URI: the well-known dev accounts, one coldkey per process.
(umask 077
 for who in Alice Bob Charlie Dave Eve Ferdie Bob//stash; do
   echo "//$who" >"$data/${who//\//_}.coldkey"
 done)
echo "[run] starting two validators and five miners (one of them faulty on purpose)"
start validator-a "$validator_bin" --chain-rpc "$chain" --base-path "$data/validator-a" \
  --coldkey-file "$data/Charlie.coldkey" --max-burn 100 --fund-hotkey 10 --stake 300 \
  --listen "/ip4/127.0.0.1/tcp/$((mesh_port + 9))" --no-mdns --allow-private-addrs \
  --gateway-addr "127.0.0.1:$gateway_port" --no-metrics
start validator-b "$validator_bin" --chain-rpc "$chain" --base-path "$data/validator-b" \
  --coldkey-file "$data/Ferdie.coldkey" --max-burn 100 --fund-hotkey 10 --stake 150 \
  --listen "/ip4/127.0.0.1/tcp/$((mesh_port + 10))" --no-mdns --allow-private-addrs \
  --no-gateway --no-metrics
offset=0
# name netuid coldkey fault
for spec in "miner-digits-1 1 Bob -" "miner-digits-2 1 Dave -" \
  "miner-digits-FAULTY-garbage 1 Eve garbage" \
  "miner-text-1 0 Alice -" "miner-text-2 0 Bob__stash -"; do
  read -r name netuid payer fault <<<"$spec"
  port=$((mesh_port + offset)); offset=$((offset + 1))
  args=(--netuid "$netuid" --chain-rpc "$chain" --base-path "$data/$name"
    --coldkey-file "$data/$payer.coldkey" --max-burn 100 --fund-hotkey 1
    --listen "/ip4/127.0.0.1/tcp/$port" --no-mdns --allow-private-addrs --no-rpc --no-metrics)
  if [ "$fault" = - ]; then
    start "$name" "$miner_bin" "${args[@]}"
  else
    # The deliberately faulty miner: the fault-injection build with MINDOS_MINER_FAULT set.
    start "$name" env MINDOS_MINER_FAULT="$fault" "$fault_miner_bin" "${args[@]}"
  fi
done
echo "[run]   ^ miner-digits-FAULTY-garbage is FAULTY ON PURPOSE (MINDOS_MINER_FAULT=garbage," \
  "a fault-injection build, dev chain only): it signs wrong labels; the validators'" \
  "re-execution scores it 0, so it earns no incentive"

gateway="http://127.0.0.1:$gateway_port"
mindos() { "$cli_bin" --network "$chain" "$@"; }
# A handwritten 0 from scikit-learn's digits (8x8, intensities 0-16).
pixels=0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0
text="The cat sat on the mat."
# One sample query through validator-a's gateway, its answer in $base_path/query-N.json and
# each serving miner's latency merged into latency-N.json. Digits asks all three of its
# miners (two honest answers outvote the faulty one); text embedding its two.
sample_query() {
  local netuid=$1 out="$base_path/query-$1.json"
  if [ "$netuid" = 1 ]; then
    mindos --json query 1 --gateway "$gateway" --redundancy 3 --pixels "$pixels" >"$out" 2>/dev/null
  else
    mindos --json query 0 --gateway "$gateway" --text "$text" >"$out" 2>/dev/null
  fi || return 1
  python3 "$status_py" record-query "$netuid" "$out" "$base_path/latency-$netuid.json"
}
# The metagraph of subnet N in $base_path/show-N.json.
read_metagraph() {
  mindos --json subnet show "$1" >"$base_path/show-$1.json.new" 2>/dev/null \
    && mv "$base_path/show-$1.json.new" "$base_path/show-$1.json"
}
print_table() {
  local netuid=$1
  curl -s -H 'Content-Type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subnet_info\",\"params\":[$netuid]}" \
    "$gateway" >"$base_path/info-$netuid.json" 2>/dev/null || true
  python3 "$status_py" table "$netuid" "$base_path/show-$netuid.json" \
    "$base_path/info-$netuid.json" "$base_path/latency-$netuid.json" "$base_path" \
    | sed 's/^/[run]   /'
}
services_alive() {
  local i
  for i in "${!service_pids[@]}"; do
    if ! kill -0 "${service_pids[$i]}" 2>/dev/null; then
      echo "[run] ${service_names[$i]} exited; last lines of $base_path/${service_names[$i]}.log:" >&2
      tail -n 20 "$base_path/${service_names[$i]}.log" >&2
      return 1
    fi
  done
  kill -0 "$node_pid" 2>/dev/null || { echo "[run] the node exited; see $log_file" >&2; return 1; }
}

# --- until an epoch has paid on both subnets and both answered -----------------------------
echo "[run] waiting for validator permits, sample answers, revealed weights and a paid epoch" \
  "on both subnets (the permits come at a subnet's next epoch boundary; weights committed" \
  "in one epoch are revealed in the next; about two minutes)"
declare -A answered=([0]=0 [1]=0) shown_revealed=([0]=0 [1]=0) shown_paid=([0]=0 [1]=0)
while :; do
  services_alive || exit 1
  done_all=1
  for netuid in 0 1; do
    if [ "${answered[$netuid]}" = 0 ]; then
      if line=$(sample_query "$netuid"); then
        answered[$netuid]=1
        echo "[run] $(elapsed) s: answer on $line"
      fi
    fi
    read_metagraph "$netuid" || true
    read -r revealed paid < <(python3 "$status_py" progress "$netuid" \
      "$base_path/show-$netuid.json" "$base_path") || { revealed=0; paid=0; }
    if [ "$revealed" = 1 ] && [ "${shown_revealed[$netuid]}" = 0 ]; then
      shown_revealed[$netuid]=1
      echo "[run] $(elapsed) s: subnet $netuid: a validator revealed its weights"
    fi
    if [ "$paid" = 1 ] && [ "${shown_paid[$netuid]}" = 0 ]; then
      shown_paid[$netuid]=1
      echo "[run] $(elapsed) s: subnet $netuid: an epoch paid (incentive and dividends on chain)"
    fi
    if [ "${answered[$netuid]}" = 0 ] || [ "$revealed" = 0 ] || [ "$paid" = 0 ]; then
      done_all=0
    fi
  done
  [ "$done_all" = 1 ] && break
  if [ "$(elapsed)" -ge "$run_timeout" ]; then
    for netuid in 0 1; do
      missing=()
      [ "${answered[$netuid]}" = 1 ] || missing+=("no answer through the gateway (last: $(head -c 300 "$base_path/query-$netuid.json" 2>/dev/null))")
      [ "${shown_revealed[$netuid]}" = 1 ] || missing+=("no validator revealed weights")
      [ "${shown_paid[$netuid]}" = 1 ] || missing+=("no epoch paid")
      [ ${#missing[@]} -eq 0 ] || echo "[run] subnet $netuid after ${run_timeout} s: ${missing[*]}" >&2
    done
    if [ "$once" = 1 ]; then
      echo "[run] --once: FAILED after ${run_timeout} s (MINDOS_RUN_TIMEOUT)" >&2
      exit 1
    fi
    echo "[run] not all there after ${run_timeout} s; following the network anyway" >&2
    break
  fi
  sleep "$poll"
done

declare -A last_key=()
for netuid in 0 1; do
  # A fresh answer for the latency column: the first ones include dialling the miners.
  sample_query "$netuid" >/dev/null || true
  print_table "$netuid"
  last_key[$netuid]=$(python3 "$status_py" epoch-key "$base_path/show-$netuid.json")
done
python3 "$status_py" note | fold -s -w 96 | sed 's/ *$//; s/^/[run]   /'
if ! curl -sf -o /dev/null "$dashboard_url"; then
  echo "[run] the dashboard is not served at $dashboard_url" >&2
  [ "$once" = 1 ] && { echo "[run] --once: FAILED (no dashboard)" >&2; exit 1; }
fi
if [ "$once" = 1 ]; then
  echo "[run] --once: an epoch paid on both subnets, both sample queries were answered and the" \
    "dashboard is served, $(elapsed) s after the chain started"
  exit 0
fi

echo "[run] the network is up:"
echo "[run]   gateway:   $gateway (subnet_list, subnet_info, subnet_query; validator/README.md)"
echo "[run]   query:     $cli_bin query 1 --pixels $pixels"
echo "[run]              $cli_bin query 0 --text \"$text\""
echo "[run]   metagraph: $cli_bin subnet show 1"
echo "[run]   dashboard: $dashboard_url (open it in a browser)"
echo "[run] printing a subnet's table again whenever an epoch changes it (Ctrl-C stops everything)"
while :; do
  services_alive || exit 1
  for netuid in 0 1; do
    read_metagraph "$netuid" || continue
    key=$(python3 "$status_py" epoch-key "$base_path/show-$netuid.json")
    [ "$key" = "${last_key[$netuid]}" ] && continue
    last_key[$netuid]=$key
    # A fresh answer for the latency column (failures are fine: the last one stays).
    sample_query "$netuid" >/dev/null || true
    echo "[run] $(date +%H:%M:%S)"
    print_table "$netuid"
  done
  sleep "$poll"
done
