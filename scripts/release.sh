#!/usr/bin/env bash
# Release builds of the off-chain binaries people run on their own devices — mindos-miner,
# mindos-validator and the mindos CLI — for x86_64 and aarch64 Linux (glibc), stripped and
# packaged with checksums:
#
#   dist/mindos-<version>-<triple>.tar.gz   the three binaries, install-miner.sh (with the
#                                           fetch-models.sh it runs), LICENSE, the miner's README
#   dist/SHA256SUMS                         sha256 of every archive (`sha256sum -c SHA256SUMS`)
#
# aarch64 is cross-compiled: the rustup target and Debian's cross linker are installed here
# if missing. `--check` also proves the result: the miner links no chain runtime or node
# crate (cargo tree), every binary starts (`--version`; aarch64 under qemu-aarch64 user
# emulation), and the miner's own tests, built for aarch64, load both subnets' models with
# the aarch64 ONNX Runtime from its pinned PyPI wheel and answer requests over the mesh,
# under qemu-aarch64 on this machine.
#
# Builds go to their own target directory (MINDOS_RELEASE_TARGET_DIR, default
# /var/tmp/mindos-release), never the test suite's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

log() { printf '[release] %s\n' "$*"; }
die() { printf '[release] error: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

usage() {
  cat <<'USAGE'
Usage: scripts/release.sh [--target x86_64|aarch64|all] [--check] [--out DIR]
       scripts/release.sh --check-deps

Builds mindos-miner, mindos-validator and mindos (the CLI) in release mode for Linux,
strips them and packages each target as dist/mindos-<version>-<triple>.tar.gz with
dist/SHA256SUMS.
  --target T   x86_64, aarch64 or all (default: all)
  --check      also check the miner's dependencies and run the binaries (aarch64 under
               qemu-aarch64), and the miner's own tests for aarch64 under emulation
  --out DIR    where the archives go (default: dist/ in the repository)
  --check-deps only check that the miner links no chain runtime or node crate (cargo tree;
               no build, a second or two: scripts/test.sh runs it)
Environment: MINDOS_RELEASE_TARGET_DIR (default /var/tmp/mindos-release).
USAGE
}

targets=(x86_64 aarch64)
check=0
deps_only=0
out="$root/dist"
while [ $# -gt 0 ]; do
  case $1 in
    --target)
      [ $# -ge 2 ] || die "--target needs a value (x86_64, aarch64 or all)"
      case $2 in
        all) targets=(x86_64 aarch64) ;;
        x86_64|aarch64) targets=("$2") ;;
        *) die "unknown target '$2' (x86_64, aarch64 or all)" ;;
      esac
      shift 2 ;;
    --check) check=1; shift ;;
    --check-deps) deps_only=1; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

[ "$(uname -s)" = Linux ] || die "release builds are made on Linux"
[ "$(uname -m)" = x86_64 ] || die "this script cross-compiles from an x86_64 machine (this is $(uname -m))"
command -v cargo >/dev/null || die "cargo not found; run scripts/setup.sh first"

export CARGO_TARGET_DIR=${MINDOS_RELEASE_TARGET_DIR:-/var/tmp/mindos-release}
export CARGO_INCREMENTAL=0
# Nothing here builds the runtime; make sure a stray build script does not try.
export SKIP_WASM_BUILD=1
cd "$root"

triple_of() { printf '%s-unknown-linux-gnu' "$1"; }
PACKAGES=(-p mindos-miner -p mindos-validator -p mindos-cli)
BINARIES=(mindos-miner mindos-validator mindos)
AARCH64_SYSROOT=/usr/aarch64-linux-gnu
# What qemu-aarch64 emulates: a Raspberry Pi 4's CPU.
QEMU_CPU_MODEL=cortex-a72

# need_debs PKG...: install the Debian packages not installed yet.
need_debs() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_toolchain() {
  local arch=$1 triple
  triple=$(triple_of "$arch")
  if ! rustup target list --installed | grep -qx "$triple"; then
    log "adding rustup target $triple"
    rustup target add "$triple" >/dev/null
  fi
  if [ "$arch" = aarch64 ]; then
    # The linker, and the C compiler for crates with C parts (ring, secp256k1-sys); the
    # arm64 glibc and libstdc++ also let qemu-aarch64 run the results.
    need_debs gcc-aarch64-linux-gnu libc6-dev-arm64-cross libstdc++6-arm64-cross
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
    export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
    export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
  fi
}

# qemu_sysroot: the directory qemu-aarch64 looks up absolute paths in first (-L): Debian's
# arm64 glibc and libstdc++, and a /proc/cpuinfo of the emulated Cortex-A72. qemu 7.2 (Debian
# 12) does not emulate /proc/cpuinfo for aarch64 guests, so they would read this x86_64
# host's, and ONNX Runtime's CPU detection (pytorch/cpuinfo) crashes on it with a null
# pointer (seen: SIGSEGV while loading a model). Linux on a Raspberry Pi 4 shows this.
qemu_sysroot() {
  local dir="$CARGO_TARGET_DIR/qemu-sysroot-$QEMU_CPU_MODEL" entry cpu
  mkdir -p "$dir/proc"
  for entry in "$AARCH64_SYSROOT"/*; do ln -sfn "$entry" "$dir/"; done
  : >"$dir/proc/cpuinfo"
  for cpu in 0 1 2 3; do
    printf 'processor\t: %s\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n\n' "$cpu" >>"$dir/proc/cpuinfo"
  done
  printf '%s\n' "$dir"
}

# run_on ARCH CMD...: run a binary built for ARCH on this machine.
run_on() {
  local arch=$1
  shift
  if [ "$arch" = aarch64 ]; then
    qemu-aarch64 -cpu "$QEMU_CPU_MODEL" -L "$(qemu_sysroot)" "$@"
  else
    "$@"
  fi
}

version=$(cargo metadata --format-version 1 --no-deps --locked \
  | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "mindos-miner"))')
# Archives carry the commit's time, not the build's, so the same commit packs the same bytes.
source_epoch=$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)

check_miner_dependencies() {
  # What a device owner downloads must not carry the chain: the miner reaches it only over
  # RPC (subxt), so no runtime, node, pallet, client or FRAME crate may be in its build.
  local forbidden='^(mindos-runtime|mindos-node|pallet-[a-z0-9-]+|sc-[a-z0-9-]+|frame-support|frame-system|frame-executive|sp-io|sp-runtime|sp-state-machine) v'
  local tree hits
  tree=$(cargo tree --locked -p mindos-miner -e normal,build --prefix none --target all)
  hits=$(printf '%s\n' "$tree" | grep -E "$forbidden" | sort -u || true)
  if [ -n "$hits" ]; then
    die "mindos-miner depends on chain crates it must not link:
$hits"
  fi
  log "cargo tree: mindos-miner links no runtime, node, pallet, client or FRAME crate ($(printf '%s\n' "$tree" | sort -u | wc -l) crates in all)"
}

build() {
  local arch=$1 triple
  triple=$(triple_of "$arch")
  log "building ${BINARIES[*]} for $triple (profile dist; a first build of both targets takes about an hour of wall time on 2 cores)"
  # Wall time depends on what else the machine does; the CPU time does not, much.
  local TIMEFORMAT="[release] built for $triple in %0R s (CPU: %0U s user, %0S s system)"
  time cargo build --locked --profile dist --target "$triple" "${PACKAGES[@]}"
}

package() {
  local arch=$1 triple name stage bin
  triple=$(triple_of "$arch")
  name="mindos-$version-$triple"
  stage=$(mktemp -d)
  mkdir -p "$stage/$name" "$out"
  for bin in "${BINARIES[@]}"; do
    cp "$CARGO_TARGET_DIR/$triple/dist/$bin" "$stage/$name/$bin"
  done
  cp "$root/LICENSE" "$stage/$name/LICENSE"
  # A device owner installs from the unpacked archive: install-miner.sh, and fetch-models.sh
  # for ONNX Runtime and the models, with the environment file it reads.
  mkdir -p "$stage/$name/lib"
  cp "$here/install-miner.sh" "$here/fetch-models.sh" "$stage/$name/"
  cp "$here/lib/env.sh" "$stage/$name/lib/env.sh"
  cp "$root/miner/README.md" "$stage/$name/README-miner.md"
  (cd "$stage/$name" && sha256sum "${BINARIES[@]}" >SHA256SUMS)
  tar --sort=name --mtime="@$source_epoch" --owner=0 --group=0 --numeric-owner \
    -C "$stage" -cf - "$name" | gzip -n -9 >"$out/$name.tar.gz"
  rm -rf "$stage"
  archives+=("$name.tar.gz")
  for bin in "${BINARIES[@]}"; do
    log "$triple $bin: $(stat -c %s "$CARGO_TARGET_DIR/$triple/dist/$bin" | numfmt --to=iec --suffix=B) stripped"
  done
  log "packed $out/$name.tar.gz ($(stat -c %s "$out/$name.tar.gz" | numfmt --to=iec --suffix=B))"
}

# The archives of this run only: an archive left in the directory by an earlier run may be
# of another commit.
archives=()
write_checksums() {
  (cd "$out" && sha256sum "${archives[@]}" >SHA256SUMS && sha256sum -c --quiet SHA256SUMS)
  log "checksums: $out/SHA256SUMS"
}

smoke_binaries() {
  local arch=$1 triple bin expected
  triple=$(triple_of "$arch")
  expected=$([ "$arch" = aarch64 ] && echo "ARM aarch64" || echo "x86-64")
  for bin in "${BINARIES[@]}"; do
    local path="$CARGO_TARGET_DIR/$triple/dist/$bin"
    file -b "$path" | grep -q "$expected" || die "$path is not an $expected executable: $(file -b "$path")"
    run_on "$arch" "$path" --version >/dev/null || die "$triple $bin does not start"
  done
  log "$triple: ${BINARIES[*]} start and print their version"
}

# install_from_archive: the x86_64 archive as a device owner unpacks it, installed into a
# scratch HOME. No chain is reachable there, so the miner's first start creates its hotkey
# and stops at the chain; the installer says so and exits 1.
install_from_archive() {
  local archive="$out/mindos-$version-x86_64-unknown-linux-gnu.tar.gz" scratch run
  scratch=$(mktemp -d)
  tar -xzf "$archive" -C "$scratch"
  local cache=${MINDOS_CACHE_DIR:-$HOME/.cache/mindos}
  run=$(HOME="$scratch/home" MINDOS_CACHE_DIR=$cache \
    "$scratch/mindos-$version-x86_64-unknown-linux-gnu/install-miner.sh" --netuid 1 \
    --coldkey-address "0x$(printf '11%.0s' $(seq 32))" --chain-rpc ws://127.0.0.1:9 --no-systemd 2>&1) \
    && die "install-miner.sh succeeded without a chain: $run"
  for f in .local/bin/mindos-miner .local/bin/mindos .local/share/mindos-miner/hotkey \
    .config/mindos/miner.toml .config/systemd/user/mindos-miner.service; do
    [ -f "$scratch/home/$f" ] || die "install-miner.sh from the archive left no ~/$f:
$run"
  done
  printf '%s\n' "$run" | grep -q "stopped at its first start" || die "install-miner.sh did not explain the failed first start:
$run"
  rm -rf "$scratch"
  log "install-miner.sh from the x86_64 archive installs the miner (first start without a chain: refused, explained)"
}

aarch64_miner_tests() {
  need_debs qemu-user file
  "$here/fetch-models.sh" --arch aarch64 >/dev/null
  local cache=${MINDOS_CACHE_DIR:-$HOME/.cache/mindos} start secs
  export ORT_DYLIB_PATH="$cache/onnxruntime-1.31.1-aarch64/libonnxruntime.so.1.31.1"
  export MINDOS_MODELS_DIR="$cache/models"
  local sysroot
  sysroot=$(qemu_sysroot)
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -cpu $QEMU_CPU_MODEL -L $sysroot"
  # binary.rs and chain.rs start the x86_64 miner binary and node as processes; every other
  # test runs the miner in the test process: both subnets' models, the mesh, the owner RPC.
  log "running the miner's tests for aarch64 under qemu-aarch64 -cpu $QEMU_CPU_MODEL (ONNX Runtime $(basename "$(dirname "$ORT_DYLIB_PATH")"))"
  start=$(date +%s)
  # a_full_queue_answers_busy_instead_of_growing overloads a text-embedding miner and counts
  # on MiniLM answering in milliseconds; emulated, the requests it admitted were still
  # unanswered at the mesh's 30 s request timeout. It measures native speed, not the port.
  cargo test --locked --profile dist --target aarch64-unknown-linux-gnu -p mindos-miner \
    --lib --test config --test failover --test rpc --test serving --test signed \
    -- --skip a_full_queue_answers_busy_instead_of_growing
  secs=$(( $(date +%s) - start ))
  log "the aarch64 miner's tests passed under emulation (${secs} s with their build)"
}

if [ $deps_only -eq 1 ]; then
  check_miner_dependencies
  exit 0
fi
for arch in "${targets[@]}"; do ensure_toolchain "$arch"; done
[ $check -eq 1 ] && check_miner_dependencies
for arch in "${targets[@]}"; do
  build "$arch"
  package "$arch"
done
write_checksums
if [ $check -eq 1 ]; then
  need_debs file
  for arch in "${targets[@]}"; do
    [ "$arch" = aarch64 ] && need_debs qemu-user
    smoke_binaries "$arch"
  done
  for arch in "${targets[@]}"; do
    case $arch in
      x86_64) install_from_archive ;;
      aarch64) aarch64_miner_tests ;;
    esac
  done
fi
log "done: $out"
