//! The error codes of the node's `mindos_*` JSON-RPC methods: `mindos-rpc` answers with them and
//! the chain client reads them, so both take them from here.

/// No live subnet has the requested id.
pub const UNKNOWN_SUBNET: i32 = 4001;
/// The subnet exists but no neuron holds the requested uid.
pub const UNKNOWN_NEURON: i32 = 4002;
/// The chain holds no sentinel committee of the requested epoch (it keeps the current and the
/// next epoch's); the message says which it holds, and the data is
/// `{"current": epoch, "stored": [epochs]}`.
pub const COMMITTEE_NOT_STORED: i32 = 4003;
/// The runtime API call failed (e.g. unknown block hash).
pub const RUNTIME_ERROR: i32 = 5001;
