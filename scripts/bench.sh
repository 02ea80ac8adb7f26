#!/usr/bin/env bash
# Runs the benchmark suite and writes its report.
#
#   scripts/bench.sh           every benchmark at full size, then docs/benchmarks.md and
#                              docs/benchmarks/*.svg (the figures of this machine)
#   scripts/bench.sh --quick   small sizes, for CI (scripts/test.sh runs it): results and
#                              report go to $CARGO_TARGET_DIR/bench-quick/; docs/ is left alone
#
# Each benchmark is one `cargo bench` target that takes `--quick` and `--out FILE`, prints
# its ratio last and writes a JSON result; `mindos-bench-report` (crates/bench-report) turns
# the results into the markdown and the SVG plots. To add a benchmark, add a line to
# `benches` below (crates/bench-report/README.md has the result format).
#
# Everything is built first, so a compile error shows before any long run and no benchmark's
# time includes a build; the duration in the report is the running time after that. A full
# run builds optimised code (the bench profile); --quick only checks that every benchmark and
# the report still build and run, so it uses the dev profile whose dependencies
# scripts/test.sh has just built, instead of a second, optimised build of libp2p and the rest
# (about 15 minutes on a cold CI machine).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/env.sh
source "$here/lib/env.sh"
cd "$MINDOS_ROOT"

quick=()
case "${1:-}" in
  --quick) quick=(--quick) ;;
  "") ;;
  *) echo "usage: scripts/bench.sh [--quick]" >&2; exit 2 ;;
esac
[ "$#" -le 1 ] || { echo "usage: scripts/bench.sh [--quick]" >&2; exit 2; }

# name|cargo bench arguments (one target each)
benches=(
  "epoch|-p mindos-consensus-math --features reference --bench epoch"
  "mesh|-p mindos-mesh --features bandwidth-metrics --bench gossip"
)

if [ "${#quick[@]}" -gt 0 ]; then
  profile=(--profile dev)
  work=$CARGO_TARGET_DIR/bench-quick
  report=$work/benchmarks.md
else
  profile=(--profile bench)
  work=$CARGO_TARGET_DIR/bench-full
  report=$MINDOS_ROOT/docs/benchmarks.md
fi
results=$work/results
rm -rf "$results"
mkdir -p "$results"

echo "[bench] building"
for entry in "${benches[@]}"; do
  # shellcheck disable=SC2086 # the arguments are separate words
  cargo bench --locked "${profile[@]}" ${entry#*|} --no-run
done
cargo build --locked "${profile[@]}" -p mindos-bench-report

started=$(date -u '+%Y-%m-%d %H:%M UTC')
# Other work on the machine, and our own priority: the mesh figures are wall-clock times.
load_before="$(cut -d' ' -f1-3 /proc/loadavg) (this run at niceness $(nice))"
start=$(date +%s)
files=()
for entry in "${benches[@]}"; do
  name=${entry%%|*}
  echo "[bench] $name: cargo bench ${entry#*|} -- ${quick[*]:-}"
  # shellcheck disable=SC2086 # the arguments are separate words
  cargo bench --locked "${profile[@]}" ${entry#*|} -- "${quick[@]}" --out "$results/$name.json"
  files+=("$results/$name.json")
done
seconds=$(( $(date +%s) - start ))

cargo run --locked --quiet "${profile[@]}" -p mindos-bench-report -- \
  --out "$report" "${quick[@]}" \
  --command "scripts/bench.sh${quick[*]:+ ${quick[*]}}" \
  --seconds "$seconds" \
  --date "$started" \
  --commit "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!docs/benchmarks.md' ':!docs/benchmarks' 2>/dev/null || echo ' (with uncommitted changes)')" \
  --rustc "$(rustc --version)" \
  --load-before "$load_before" \
  "${files[@]}"
echo "[bench] done in $seconds s (after building): $report"
