//! The sentinel duty off chain.

pub(crate) mod canary;
