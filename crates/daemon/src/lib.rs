//! Plumbing shared by the off-chain binaries (`mindos-miner`, `mindos-validator`): logging
//! set-up, the shutdown signal and exit code ([`process`]), the plain-HTTP Prometheus
//! endpoint ([`metrics`]), the settings both binaries share ([`args`]) and how flags, the
//! environment and the config file combine ([`config`]), the start-up error both wrap
//! ([`start`]); and, for the libraries those binaries use too, guarded key files
//! ([`keyfile`]).
//!
//! Only process plumbing lives here; what a binary does (its own flags, its metrics, its
//! chain calls) stays in the binary, and chain operations are in `mindos-chain-client`.
//! Everything but [`keyfile`] is behind the default `process` feature, so the mesh and the
//! chain client can share the key-file code without pulling in the rest.

#[cfg(feature = "process")]
pub mod args;
#[cfg(feature = "process")]
pub mod config;
pub mod keyfile;
#[cfg(feature = "process")]
pub mod metrics;
#[cfg(feature = "process")]
pub mod process;
#[cfg(feature = "process")]
pub mod start;
