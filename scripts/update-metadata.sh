#!/usr/bin/env bash
# Regenerates crates/chain-client/artifacts/metadata.scale from the runtime, after a change to
# calls, storage, events or types. The runtime test `chain_client_metadata_artifact_is_current`
# fails until this has been run. (It builds with `fast-blocks`, like scripts/test.sh, to share
# that build; constants differ between builds, and the test compares everything else.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/env.sh
source "$here/lib/env.sh"
cd "$MINDOS_ROOT"
MINDOS_UPDATE_METADATA=1 cargo test --locked -p mindos-runtime --features fast-blocks --lib -- chain_client_metadata_artifact_is_current
echo "[metadata] wrote crates/chain-client/artifacts/metadata.scale"
