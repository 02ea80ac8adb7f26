#!/usr/bin/env bash
# Install what a fresh Debian/Ubuntu machine lacks to build and test MindOS.
# Idempotent: every step checks first and says what it does; a second run changes nothing.
set -euo pipefail

log() { printf '[setup] %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- system packages -------------------------------------------------------------------
# protoc: protobuf code generation in the networking crates. clang/libclang: bindgen users.
# ShellCheck, the linter that scripts/test.sh runs over every shell script first.
need_pkgs=()
command -v protoc >/dev/null 2>&1 || need_pkgs+=(protobuf-compiler)
command -v clang >/dev/null 2>&1 || need_pkgs+=(clang)
dpkg -s libclang-dev >/dev/null 2>&1 || need_pkgs+=(libclang-dev)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
command -v unzip >/dev/null 2>&1 || need_pkgs+=(unzip)
command -v shellcheck >/dev/null 2>&1 || need_pkgs+=(shellcheck)
# python3: run.sh reads cargo's JSON messages with it.
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
# The CLI's keystore interop test runs polkadot-js (cli/tests/polkadot_js.rs).
command -v npm >/dev/null 2>&1 || need_pkgs+=(nodejs npm)
# The validator's dashboard test drives Debian's chromium (validator/tests/dashboard.rs).
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_pkgs[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
else
  log "system packages present (protoc, clang, libclang-dev, curl, unzip, shellcheck, python3, npm, chromium)"
fi

# --- Rust toolchain for the Wasm runtime ---------------------------------------------------
# substrate-wasm-builder needs a toolchain with the wasm32v1-none std. Prefer rustup's
# component; where rustup cannot download, build core+alloc from Debian's std sources
# (see shared/toolchain.md) into a linked toolchain and point WASM_BUILD_TOOLCHAIN at it.
if ! command -v cargo >/dev/null 2>&1; then
  echo "[setup] error: cargo not found; install Rust (https://rustup.rs) and re-run" >&2
  exit 1
fi

wasm_target_installed() {
  local sysroot
  sysroot=$(rustc --print sysroot 2>/dev/null) || return 1
  [ -d "$sysroot/lib/rustlib/wasm32v1-none/lib" ]
}

if wasm_target_installed; then
  log "wasm32v1-none target present in $(rustc --print sysroot)"
elif command -v rustup >/dev/null 2>&1 && rustup target add wasm32v1-none >/dev/null 2>&1 && wasm_target_installed; then
  log "installed wasm32v1-none with rustup"
else
  log "rustup cannot provide wasm32v1-none; using Debian's rustc-web with a self-built sysroot"
  deb_pkgs=()
  for p in rustc-web cargo-web rust-web-src rust-web-llvm lld-22; do
    dpkg -s "$p" >/dev/null 2>&1 || deb_pkgs+=("$p")
  done
  if [ ${#deb_pkgs[@]} -gt 0 ]; then
    log "installing Debian packages: ${deb_pkgs[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${deb_pkgs[@]}" >/dev/null
  fi
  if ! rustup toolchain list | grep -q '^mindos-wasm'; then
    log "linking /usr as rustup toolchain mindos-wasm"
    rustup toolchain link mindos-wasm /usr
  fi
  if [ ! -d /usr/lib/rustlib/wasm32v1-none/lib ] || ! ls /usr/lib/rustlib/wasm32v1-none/lib/libcore-*.rlib >/dev/null 2>&1; then
    log "compiling core+alloc for wasm32v1-none (about a minute)"
    tmp=$(mktemp -d)
    (
      cd "$tmp"
      cargo +mindos-wasm new --lib sysroot-probe -q
      cd sysroot-probe
      printf '#![no_std]\nextern crate alloc;\npub fn f(x: u32) -> alloc::vec::Vec<u32> { alloc::vec![x] }\n' > src/lib.rs
      RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Cembed-bitcode=yes" CARGO_TARGET_DIR="$tmp/target" \
        cargo +mindos-wasm build -q --release --target wasm32v1-none \
        -Zbuild-std=core,alloc -Zbuild-std-features=compiler-builtins-mem
      as_root mkdir -p /usr/lib/rustlib/wasm32v1-none/lib
      as_root cp "$tmp"/target/wasm32v1-none/release/deps/lib{core,alloc,compiler_builtins}-*.rlib \
        /usr/lib/rustlib/wasm32v1-none/lib/
    )
    rm -rf "$tmp"
  else
    log "wasm32v1-none sysroot present in /usr/lib/rustlib"
  fi
fi

# --- fuzzing -------------------------------------------------------------------------------
# scripts/fuzz.sh (a short run of each target is part of scripts/test.sh) needs nightly, for
# libFuzzer's coverage instrumentation, and cargo-fuzz (pinned; installed once, ~2 min).
CARGO_FUZZ_VERSION=0.13.2
if rustup run nightly rustc --version >/dev/null 2>&1; then
  log "nightly toolchain present ($(rustup run nightly rustc --version))"
else
  log "installing the nightly toolchain (minimal profile) for fuzzing"
  rustup toolchain install nightly --profile minimal >/dev/null
fi
if cargo +nightly fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  log "cargo-fuzz $CARGO_FUZZ_VERSION present"
else
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install --locked --quiet cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

# --- polkadot-js, for the keystore interop test ----------------------------------------------
# cli/tests/polkadot_js.rs has @polkadot/keyring open a wallet `mindos` wrote; the packages are
# pinned by cli/tests/polkadot-js/package-lock.json (scripts/test.sh requires the check).
pjs_dir="$(dirname "$0")/../cli/tests/polkadot-js"
if [ -f "$pjs_dir/node_modules/.package-lock.json" ] \
  && cmp -s "$pjs_dir/package-lock.json" "$pjs_dir/node_modules/.mindos-lock"; then
  log "polkadot-js packages present in cli/tests/polkadot-js/node_modules"
else
  log "installing the pinned polkadot-js packages (npm ci in cli/tests/polkadot-js)"
  (cd "$pjs_dir" && npm ci --no-audit --no-fund --silent)
  cp "$pjs_dir/package-lock.json" "$pjs_dir/node_modules/.mindos-lock"
fi

# --- puppeteer-core, for the dashboard's browser test ------------------------------------------
# validator/tests/dashboard.rs has puppeteer-core drive the system chromium (it downloads no
# browser); pinned by validator/tests/dashboard/package-lock.json (scripts/test.sh requires it).
dash_dir="$(dirname "$0")/../validator/tests/dashboard"
if [ -f "$dash_dir/node_modules/.package-lock.json" ] \
  && cmp -s "$dash_dir/package-lock.json" "$dash_dir/node_modules/.mindos-lock"; then
  log "puppeteer-core present in validator/tests/dashboard/node_modules"
else
  log "installing the pinned puppeteer-core (npm ci in validator/tests/dashboard)"
  (cd "$dash_dir" && npm ci --no-audit --no-fund --silent)
  cp "$dash_dir/package-lock.json" "$dash_dir/node_modules/.mindos-lock"
fi

# --- inference assets ----------------------------------------------------------------------
# ONNX Runtime library and the text-embedding model, pinned by sha256, into the cache.
"$(dirname "$0")/fetch-models.sh"
log "done"
