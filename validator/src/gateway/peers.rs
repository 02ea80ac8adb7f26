//! What the gateway knows of the mesh's peers, indexed by PeerId and kept current from
//! mesh events (connections and capacity beats, on the validator's event reader) instead of
//! copying the mesh's peer table — on the swarm's task — for every query. Round-trip times
//! are not events: [`PeerSnapshot::refresh_rtts`] copies them at most every
//! [`RTT_MAX_AGE`], whoever asks.

use std::{
    collections::{HashMap, HashSet},
    sync::{PoisonError, RwLock},
    time::{Duration, Instant},
};

use mindos_mesh::{CapacityBeat, MeshClient, MeshEvent, PeerId};

/// Peers tracked at most; past this, the entry updated least recently is evicted for a new
/// peer (the mesh's own peer table is bounded the same way).
const MAX_PEERS: usize = 4096;
/// How old the copied round-trip times may get.
pub(super) const RTT_MAX_AGE: Duration = Duration::from_secs(5);

/// One peer as the gateway ranks it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Seen {
    /// Whether a connection is open.
    pub(crate) connected: bool,
    /// Its latest capacity beat, unless older than the beat age limit.
    pub(crate) beat: Option<CapacityBeat>,
    /// Its latest ping round trip.
    pub(crate) rtt: Option<Duration>,
}

/// A tracked peer: what is known, and when.
#[derive(Clone, Debug)]
struct Entry {
    seen: Seen,
    /// When an event or a round-trip copy last touched it (eviction order when full).
    updated: Instant,
    /// When its beat arrived.
    beat_at: Option<Instant>,
}

/// See the module docs. Bounded three ways: entries of peers that are no longer neurons of
/// a validated subnet go at each metagraph update ([`Self::retain_neurons`]), beats older
/// than the mesh's beat age limit are dropped, and a new peer in a full table evicts the
/// entry updated least recently.
#[derive(Debug)]
pub(crate) struct PeerSnapshot {
    peers: RwLock<HashMap<PeerId, Entry>>,
    /// When the round-trip times were last copied.
    rtts_taken: tokio::sync::Mutex<Option<Instant>>,
    /// Beats older than this (by arrival) are forgotten: the mesh's `beat_max_age`.
    beat_max_age: Duration,
    capacity: usize,
}

impl PeerSnapshot {
    /// An empty snapshot that forgets beats after `beat_max_age` (the mesh's
    /// `MeshConfig::beat_max_age`: older ones are not accepted either).
    pub(crate) fn new(beat_max_age: Duration) -> Self {
        Self::with_capacity(beat_max_age, MAX_PEERS)
    }

    fn with_capacity(beat_max_age: Duration, capacity: usize) -> Self {
        Self {
            peers: RwLock::default(),
            rtts_taken: tokio::sync::Mutex::default(),
            beat_max_age,
            capacity: capacity.max(1),
        }
    }

    /// Folds one mesh event in; other events are ignored.
    pub(crate) fn observe(&self, event: &MeshEvent) {
        self.observe_at(event, Instant::now());
    }

    fn observe_at(&self, event: &MeshEvent, now: Instant) {
        let mut peers = self.peers.write().unwrap_or_else(PoisonError::into_inner);
        match event {
            MeshEvent::PeerConnected { peer } => {
                let entry = self.entry(&mut peers, *peer, now);
                entry.seen.connected = true;
            }
            MeshEvent::PeerDisconnected { peer } => {
                // A peer gone with nothing else known about it is forgotten.
                let forget = peers.get_mut(peer).is_some_and(|entry| {
                    entry.seen.connected = false;
                    entry.updated = now;
                    entry.seen.beat.is_none()
                });
                if forget {
                    peers.remove(peer);
                }
            }
            MeshEvent::CapacityBeat { peer, beat } => {
                let entry = self.entry(&mut peers, *peer, now);
                entry.seen.beat = Some(beat.clone());
                entry.beat_at = Some(now);
            }
            _ => {}
        }
    }

    /// What is known of `peer`; a beat older than the age limit is left out.
    pub(crate) fn get(&self, peer: &PeerId) -> Option<Seen> {
        let now = Instant::now();
        let peers = self.peers.read().unwrap_or_else(PoisonError::into_inner);
        let entry = peers.get(peer)?;
        let mut seen = entry.seen.clone();
        if self.is_stale(entry, now) {
            seen.beat = None;
        }
        Some(seen)
    }

    /// Every peer known, with what is known of it (beats past the age limit left out), in
    /// PeerId order.
    pub(crate) fn list(&self) -> Vec<(PeerId, Seen)> {
        let now = Instant::now();
        let peers = self.peers.read().unwrap_or_else(PoisonError::into_inner);
        let mut list: Vec<(PeerId, Seen)> = peers
            .iter()
            .map(|(peer, entry)| {
                let mut seen = entry.seen.clone();
                if self.is_stale(entry, now) {
                    seen.beat = None;
                }
                (*peer, seen)
            })
            .collect();
        list.sort_unstable_by_key(|(peer, _)| peer.to_bytes());
        list
    }

    /// Forgets every peer `is_neuron` rejects (deregistered, or never a neuron of a
    /// validated subnet) and every beat past the age limit. Called whenever the metagraph
    /// is read.
    pub(crate) fn retain_neurons(&self, is_neuron: impl Fn(&PeerId) -> bool) {
        let now = Instant::now();
        let mut peers = self.peers.write().unwrap_or_else(PoisonError::into_inner);
        peers.retain(|peer, _| is_neuron(peer));
        self.drop_stale_beats(&mut peers, now);
    }

    /// Copies the mesh's round-trip times if the last copy is older than [`RTT_MAX_AGE`];
    /// concurrent callers wait for one copy.
    pub(crate) async fn refresh_rtts(&self, mesh: &MeshClient) {
        let mut taken = self.rtts_taken.lock().await;
        if taken.is_some_and(|t| t.elapsed() < RTT_MAX_AGE) {
            return;
        }
        let infos = mesh.peers().await.unwrap_or_default();
        let now = Instant::now();
        *taken = Some(now);
        let mut peers = self.peers.write().unwrap_or_else(PoisonError::into_inner);
        for info in infos {
            if let Some(entry) = peers.get_mut(&info.peer_id) {
                entry.seen.rtt = info.rtt;
                entry.updated = now;
            } else if info.rtt.is_some() {
                let entry = self.entry(&mut peers, info.peer_id, now);
                entry.seen.connected = info.connected;
                entry.seen.rtt = info.rtt;
            }
        }
    }

    fn is_stale(&self, entry: &Entry, now: Instant) -> bool {
        entry
            .beat_at
            .is_some_and(|at| now.saturating_duration_since(at) > self.beat_max_age)
    }

    /// Drops the beats past the age limit, and the entries that then know nothing.
    fn drop_stale_beats(&self, peers: &mut HashMap<PeerId, Entry>, now: Instant) {
        peers.retain(|_, entry| {
            if self.is_stale(entry, now) {
                entry.seen.beat = None;
                entry.beat_at = None;
            }
            entry.seen.beat.is_some() || entry.seen.connected || entry.seen.rtt.is_some()
        });
    }

    /// `peer`'s entry, touched at `now`; created if missing, making room first in a full
    /// table: stale beats go, then the entry updated least recently.
    fn entry<'a>(
        &self,
        peers: &'a mut HashMap<PeerId, Entry>,
        peer: PeerId,
        now: Instant,
    ) -> &'a mut Entry {
        if peers.len() >= self.capacity && !peers.contains_key(&peer) {
            self.drop_stale_beats(peers, now);
            if peers.len() >= self.capacity {
                let oldest = peers
                    .iter()
                    .min_by_key(|(_, entry)| entry.updated)
                    .map(|(peer, _)| *peer);
                if let Some(oldest) = oldest {
                    peers.remove(&oldest);
                }
            }
        }
        let entry = peers.entry(peer).or_insert_with(|| Entry {
            seen: Seen::default(),
            updated: now,
            beat_at: None,
        });
        entry.updated = now;
        entry
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.peers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// The PeerIds of every neuron of `subnets`: what [`PeerSnapshot::retain_neurons`] keeps.
pub(crate) fn neuron_peers<'a>(
    subnets: impl IntoIterator<Item = &'a crate::metagraph::SubnetState>,
) -> HashSet<PeerId> {
    subnets
        .into_iter()
        .flat_map(|subnet| {
            subnet
                .neurons()
                .iter()
                .filter_map(|n| n.peer)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use mindos_primitives::NetUid;

    use super::*;

    fn beat(load: u32) -> CapacityBeat {
        CapacityBeat {
            netuid: NetUid(1),
            load,
            queue_depth: 0,
            max_batch: 1,
            power: mindos_mesh::PowerStatus {
                source: mindos_mesh::PowerSource::Mains,
                battery_percent: None,
                low_power: false,
            },
            sent_at_ms: 0,
        }
    }

    #[test]
    fn events_keep_the_snapshot_current_and_bounded() {
        let snapshot = PeerSnapshot::new(Duration::from_secs(120));
        let (a, b) = (PeerId::random(), PeerId::random());
        snapshot.observe(&MeshEvent::PeerConnected { peer: a });
        snapshot.observe(&MeshEvent::CapacityBeat {
            peer: a,
            beat: beat(7),
        });
        snapshot.observe(&MeshEvent::PeerConnected { peer: b });
        let seen = snapshot.get(&a).unwrap();
        assert!(seen.connected);
        assert_eq!(seen.beat.unwrap().load, 7);
        // Gone: b is forgotten, a keeps its beat.
        snapshot.observe(&MeshEvent::PeerDisconnected { peer: a });
        snapshot.observe(&MeshEvent::PeerDisconnected { peer: b });
        assert!(!snapshot.get(&a).unwrap().connected);
        assert_eq!(snapshot.get(&b), None);
        for _ in 0..MAX_PEERS + 10 {
            snapshot.observe(&MeshEvent::CapacityBeat {
                peer: PeerId::random(),
                beat: beat(1),
            });
        }
        assert_eq!(snapshot.len(), MAX_PEERS);
    }

    fn beat_of(snapshot: &PeerSnapshot, peer: PeerId, at: Instant) {
        snapshot.observe_at(
            &MeshEvent::CapacityBeat {
                peer,
                beat: beat(1),
            },
            at,
        );
    }

    #[test]
    fn a_full_table_makes_room_for_a_new_miner() {
        let snapshot = PeerSnapshot::with_capacity(Duration::from_secs(120), 8);
        let start = Instant::now();
        let old: Vec<PeerId> = (0..8).map(|_| PeerId::random()).collect();
        for (i, peer) in old.iter().enumerate() {
            beat_of(&snapshot, *peer, start + Duration::from_millis(i as u64));
        }
        assert_eq!(snapshot.len(), 8);
        // A new miner in a full table takes the place of the entry updated least recently.
        let new = PeerId::random();
        beat_of(&snapshot, new, start + Duration::from_secs(1));
        assert_eq!(snapshot.len(), 8);
        assert!(
            snapshot.get(&new).unwrap().beat.is_some(),
            "new miner not tracked"
        );
        assert_eq!(
            snapshot.get(&old[0]),
            None,
            "the least recently updated goes"
        );
        // Miners that leave the metagraph are forgotten; those still there stay.
        let staying: HashSet<PeerId> = [new, old[7]].into();
        snapshot.retain_neurons(|peer| staying.contains(peer));
        assert_eq!(snapshot.len(), 2);
        let newer = PeerId::random();
        beat_of(&snapshot, newer, start + Duration::from_secs(2));
        assert!(snapshot.get(&newer).unwrap().beat.is_some());
        assert!(snapshot.get(&old[7]).unwrap().beat.is_some());
    }

    #[test]
    fn stale_beats_are_dropped_and_stop_counting() {
        let snapshot = PeerSnapshot::with_capacity(Duration::from_secs(120), 4);
        let (fresh, stale) = (PeerId::random(), PeerId::random());
        let long_ago = Instant::now()
            .checked_sub(Duration::from_secs(121))
            .unwrap();
        beat_of(&snapshot, stale, long_ago);
        beat_of(&snapshot, fresh, Instant::now());
        // A stale load is not reported, and goes at the next pruning.
        assert_eq!(snapshot.get(&stale).unwrap().beat, None);
        assert!(snapshot.get(&fresh).unwrap().beat.is_some());
        snapshot.retain_neurons(|_| true);
        assert_eq!(snapshot.get(&stale), None);
        assert_eq!(snapshot.len(), 1);
    }
}
