# shellcheck shell=bash
# Shared environment for the MindOS scripts. Source it; it sets no shell options.
#
# - One persistent target directory for every build (also CI on this machine), so a warm
#   build stays warm: CARGO_TARGET_DIR defaults to /var/tmp/mindos-target.
# - With a target directory outside the repo the Wasm builder cannot find Cargo.lock;
#   WASM_BUILD_WORKSPACE_HINT points it back at the repo root.
# - Where rustup could not provide wasm32v1-none, setup.sh linked Debian's toolchain as
#   `mindos-wasm`; the runtime's Wasm build then uses it.

MINDOS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export MINDOS_ROOT
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/mindos-target}
export WASM_BUILD_WORKSPACE_HINT=${WASM_BUILD_WORKSPACE_HINT:-$MINDOS_ROOT}
# No incremental compilation by default: the scripts build whole test suites once, where it
# saves little, and its caches grew the target directory by 13 GB. Export
# CARGO_INCREMENTAL=1 for an edit-compile loop.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

if [ -z "${WASM_BUILD_TOOLCHAIN:-}" ]; then
  _sysroot=$(rustc --print sysroot 2>/dev/null || true)
  if [ ! -d "$_sysroot/lib/rustlib/wasm32v1-none/lib" ] \
    && rustup toolchain list 2>/dev/null | grep -q '^mindos-wasm'; then
    export WASM_BUILD_TOOLCHAIN=mindos-wasm
  fi
  unset _sysroot
fi

# The node binary that run.sh and the end-to-end tests use.
MINDOS_NODE_BIN="$CARGO_TARGET_DIR/debug/mindos-node"
export MINDOS_NODE_BIN

# Inference assets fetched by scripts/fetch-models.sh (setup.sh runs it): the ONNX Runtime
# library the `ort` crate loads at run time, and the subnet models too large for git.
# mindos-subnets falls back to the same defaults when these are unset.
export MINDOS_CACHE_DIR=${MINDOS_CACHE_DIR:-$HOME/.cache/mindos}
export ORT_DYLIB_PATH=${ORT_DYLIB_PATH:-$MINDOS_CACHE_DIR/onnxruntime-1.31.1/libonnxruntime.so.1.31.1}
export MINDOS_MODELS_DIR=${MINDOS_MODELS_DIR:-$MINDOS_CACHE_DIR/models}
