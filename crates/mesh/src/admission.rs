//! Who may open `/mindos/infer/1` links to this node, and how large their requests may be.
//!
//! The policy is decided when a link is accepted, before a byte of it is read: a link from a
//! peer the policy does not admit is dropped at once, so a stranger costs the server no
//! parsing, no queueing and no answer. The application owns the policy and updates it at run
//! time (a miner from the chain's permitted validators, each finalized block).

use std::{
    collections::{HashMap, HashSet},
    fmt,
    sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard},
};

use libp2p::PeerId;

use crate::NetUid;

/// The inbound admission policy, shared between the application and the mesh: clones see the
/// same policy. [`Admission::default`] admits everyone.
#[derive(Clone, Default)]
pub struct Admission {
    inner: Arc<RwLock<Policy>>,
}

#[derive(Default)]
struct Policy {
    /// Only `allow` and `admitted` may open links; otherwise anyone may.
    restricted: bool,
    /// Fixed by the operator.
    allow: HashSet<PeerId>,
    /// Replaced by the application as it learns (e.g. the chain's permitted validators).
    admitted: HashSet<PeerId>,
    /// Largest request body per subnet; subnets not listed get `max_request_size`.
    request_limits: HashMap<NetUid, u32>,
}

impl Admission {
    /// Admits every peer (a node whose application decides per request).
    pub fn open() -> Self {
        Self::default()
    }

    /// Admits only `allow` and the peers later given to [`Admission::set_admitted`].
    pub fn only(allow: impl IntoIterator<Item = PeerId>) -> Self {
        Self {
            inner: Arc::new(RwLock::new(Policy {
                restricted: true,
                allow: allow.into_iter().collect(),
                ..Policy::default()
            })),
        }
    }

    /// Whether `peer` may open a link now.
    pub fn admits(&self, peer: &PeerId) -> bool {
        let policy = self.read();
        !policy.restricted || policy.allow.contains(peer) || policy.admitted.contains(peer)
    }

    /// Whether `peer` is admitted by name: the policy is restricted and lists it (allow-list
    /// or admitted). Such peers have room kept for them when strangers fill the connection
    /// slots (see the crate README); under an open policy nobody is.
    pub(crate) fn names(&self, peer: &PeerId) -> bool {
        let policy = self.read();
        policy.restricted && (policy.allow.contains(peer) || policy.admitted.contains(peer))
    }

    /// Replaces the peers admitted besides the allow-list; returns whether the set changed.
    /// Links already open stay open (the application still checks each request).
    pub fn set_admitted(&self, peers: HashSet<PeerId>) -> bool {
        let mut policy = self.write();
        if policy.admitted == peers {
            return false;
        }
        policy.admitted = peers;
        true
    }

    /// How many peers [`Admission::set_admitted`] last admitted.
    pub fn admitted_count(&self) -> usize {
        self.read().admitted.len()
    }

    /// Limits requests for subnet `netuid` to `bytes` of body (their JSON encoding); larger
    /// ones are answered `too_large` before their payload is parsed. It never raises the
    /// node's [`MeshConfig::max_request_size`](crate::MeshConfig), which is checked first.
    pub fn set_request_limit(&self, netuid: NetUid, bytes: u32) {
        self.write().request_limits.insert(netuid, bytes);
    }

    /// The limit [`Admission::set_request_limit`] set for `netuid`, if any.
    pub fn request_limit(&self, netuid: NetUid) -> Option<u32> {
        self.read().request_limits.get(&netuid).copied()
    }

    fn read(&self) -> RwLockReadGuard<'_, Policy> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Policy> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Admission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let policy = self.read();
        f.debug_struct("Admission")
            .field("restricted", &policy.restricted)
            .field("allow", &policy.allow.len())
            .field("admitted", &policy.admitted.len())
            .field("request_limits", &policy.request_limits)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_admits_everyone_and_only_admits_the_listed() {
        let (a, b, c) = (PeerId::random(), PeerId::random(), PeerId::random());
        assert!(Admission::open().admits(&a));

        let policy = Admission::only([a]);
        let shared = policy.clone();
        assert!(policy.admits(&a));
        assert!(!policy.admits(&b));
        assert!(shared.set_admitted([b].into()));
        assert!(!shared.set_admitted([b].into()), "unchanged");
        assert!(policy.admits(&b), "clones share the policy");
        assert!(!policy.admits(&c));
        assert_eq!(policy.admitted_count(), 1);
        assert!(policy.set_admitted(HashSet::new()));
        assert!(!policy.admits(&b));
        assert!(policy.admits(&a), "the allow-list stays");
        assert!(policy.names(&a) && !policy.names(&b));
        assert!(!Admission::open().names(&a), "an open policy names nobody");
    }

    #[test]
    fn request_limits_are_per_subnet() {
        let policy = Admission::open();
        policy.set_request_limit(NetUid(1), 2048);
        assert_eq!(policy.request_limit(NetUid(1)), Some(2048));
        assert_eq!(policy.request_limit(NetUid(2)), None);
    }
}
