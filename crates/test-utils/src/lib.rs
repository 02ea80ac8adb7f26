//! Test support for the end-to-end tests of `mindos-node`, `mindos-miner` and
//! `mindos-validator`: the one way to start their processes on loopback, find the ports they
//! bound, wait for something to happen with a time bound, and read their Prometheus metrics.
//!
//! A dev-dependency only (`publish = false`); nothing here runs in production.
//!
//! # Overview
//!
//! - [`Proc`]: a child process whose stderr goes to a log file. It is killed when dropped,
//!   stops gracefully with [`Proc::terminate`], and prints the tail of its log when dropped
//!   during a panic, so a failing test shows what the process said.
//! - [`DevNode`]: a `mindos-node` (by default `--dev`) started with [`NodeArgs`], with its
//!   JSON-RPC and Prometheus addresses.
//! - [`MinerSpec`] and [`spawn_validator`] start `mindos-miner` and `mindos-validator`
//!   processes on loopback; [`chain_miner`] and [`StakedValidator`] start them registered,
//!   funded and (the validator) staked on a dev chain.
//! - [`wait_for`] polls a check until it gives a value; [`wait_until_at_least`] waits for a
//!   number (a block height) to reach a target.
//! - [`http_client`] talks JSON-RPC over HTTP to any of them; [`raw_http`] sends bytes a
//!   JSON-RPC client would refuse to send.
//! - [`metrics::scrape`] and [`metrics::sample`] read a Prometheus endpoint.
//! - [`RpcProxy`] sits between a client and a node's RPC port and makes the link go silent
//!   or drop at a chosen message (a transaction's status: [`TRANSACTION_STATUS`]).
//! - [`key`], [`write_key`] and [`write_node_key`] make accounts, key files and libp2p
//!   node keys.
//!
//! # Ports
//!
//! Every process listens on port 0 and the test reads the bound address back from the line
//! the process logs when it starts listening ([`AddrLine`]), the way polkadot-sdk's
//! `substrate/test-utils/cli` reads `Running JSON-RPC server: addr=…`. This avoids the race
//! of picking a free port first and binding it later. Only a port that must stay closed
//! comes from [`free_port`]. The address lines are logged at `info`, so `E2E_LOG` (the log
//! filter of every child process) must keep `info` for them.
//!
//! # Binaries
//!
//! The node and, for the validator's tests, the miner are built outside the test's own
//! crate; they are found next to the test binary (`$CARGO_TARGET_DIR/debug/`) or at
//! `MINDOS_NODE_BIN` / `MINDOS_MINER_BIN` ([`node_bin`], [`miner_bin`]); so is the validator
//! for tests of other crates (`MINDOS_VALIDATOR_BIN`, [`validator_bin`]).
//!
//! # Errors
//!
//! Helpers panic with a message naming the step that failed: in a test, a failed set-up
//! step is a failed test, the same as a failed `assert!`. Chain queries that a test retries
//! ([`best_number`], [`finalized_number`]) return a [`QueryError`] instead.

mod bins;
mod http;
mod keys;
mod log;
pub mod metrics;
mod node;
mod ports;
mod proc;
mod proxy;
mod services;
mod wait;

pub use bins::{miner_bin, node_bin, target_bin, validator_bin};
pub use http::{http_client, http_get, operator_client, raw_http};
pub use keys::{key, node_key_peer, write_key, write_node_key};
pub use log::{print_log_tail, AddrLine};
pub use node::{
    best_number, finalized_number, header_number, wait_until_at_least, DevNode, NodeArgs,
    QueryError, NODE_WAIT,
};
pub use ports::free_port;
pub use proc::Proc;
pub use proxy::{RpcProxy, TRANSACTION_STATUS};
pub use services::{
    chain_miner, spawn_validator, spawn_validator_with_env, MinerSpec, StakedValidator,
};
pub use wait::{init_tracing, wait_for, POLL};
