#!/usr/bin/env bash
# Runs each cargo-fuzz target in fuzz/ for SECONDS (default 10: a smoke run).
#
#   scripts/fuzz.sh            every target, 10 s each
#   scripts/fuzz.sh 600        every target, 10 minutes each
#   scripts/fuzz.sh 60 frame_codec
#
# Needs the nightly toolchain and cargo-fuzz, which scripts/setup.sh installs, and the
# subnets' models (also setup.sh) for gateway_input. Findings are left in
# fuzz/artifacts/<target>/; the corpus grows in fuzz/corpus/<target>/ (both ignored by git).
# Builds go to $CARGO_TARGET_DIR/fuzz.
#
# No sanitizer: the code under test is safe Rust, so AddressSanitizer would find nothing the
# targets' own checks (panics, size and allocation bounds, round trips) do not, and it
# doubles build and run time. Debug assertions are on, so arithmetic overflow is a finding.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/env.sh
source "$here/lib/env.sh"
cd "$MINDOS_ROOT/fuzz"

seconds=${1:-10}
shift || true
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "[fuzz] cargo-fuzz on nightly is missing: rustup toolchain install nightly && cargo install cargo-fuzz" >&2
  exit 1
fi
# runtime_call links the runtime natively; its Wasm build is not needed.
export SKIP_WASM_BUILD=1
target_dir=(--target-dir "$CARGO_TARGET_DIR/fuzz")
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
for target in "${targets[@]}"; do
  echo "[fuzz] $target for ${seconds} s"
  # Frames up to 128 KiB, so that bodies past the codec's first 16 KiB buffer are tried.
  cargo +nightly fuzz run --sanitizer none --debug-assertions "${target_dir[@]}" "$target" -- \
    -max_total_time="$seconds" -max_len=131072 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
echo "[fuzz] ${#targets[@]} targets, ${seconds} s each: no findings"
