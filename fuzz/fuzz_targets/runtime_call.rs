//! SCALE decoding of every MindOS call as the node decodes a transaction's call: any bytes
//! either fail to decode or give a call that re-encodes and decodes to itself, whose weight
//! and class can be computed without a panic (on an empty state) (weights are computed from decoded arguments
//! before anything is charged).
//!
//! Input: `[pallet selector: u8][call bytes…]`. The selector picks one of the MindOS pallets
//! (so most inputs reach their calls); the rest is the call index and its arguments.

#![no_main]

use codec::{Decode, DecodeLimit, Encode};
use frame_support::{dispatch::GetDispatchInfo, MAX_EXTRINSIC_DEPTH};
use libfuzzer_sys::fuzz_target;
use mindos_runtime::RuntimeCall;

/// The pallet indices of the MindOS pallets in `construct_runtime` (runtime/src/lib.rs):
/// Subnets, Neurons, Stake, Consensus, Directives, Sentinels.
const MINDOS_PALLETS: [u8; 6] = [10, 11, 12, 13, 14, 15];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, args)) = data.split_first() else {
        return;
    };
    let pallet = MINDOS_PALLETS[usize::from(selector) % MINDOS_PALLETS.len()];
    let mut bytes = Vec::with_capacity(args.len().saturating_add(1));
    bytes.push(pallet);
    bytes.extend_from_slice(args);

    let mut input = bytes.as_slice();
    let Ok(call) = RuntimeCall::decode_with_depth_limit(MAX_EXTRINSIC_DEPTH, &mut input) else {
        return;
    };
    let encoded = call.encode();
    assert_eq!(
        RuntimeCall::decode(&mut encoded.as_slice()).ok().as_ref(),
        Some(&call),
        "a decoded call must encode to bytes that decode to it"
    );
    assert_eq!(encoded.first(), Some(&pallet), "decoded into another pallet");
    // Weight functions take sizes from the arguments, and may read storage (in the node, the
    // state the transaction is checked against; here an empty one): they must not overflow
    // or panic.
    let info = sp_io::TestExternalities::default().execute_with(|| call.get_dispatch_info());
    assert!(info.total_weight().ref_time() > 0, "{call:?} weighs nothing");
});
