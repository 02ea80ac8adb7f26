//! What the gateway knows of the mesh's peers, indexed by PeerId and kept current from
//! mesh events (connections and capacity beats, on the validator's event reader) instead of
//! copying the mesh's peer table — on the swarm's task — for every query. Round-trip times
//! are not events: [`PeerSnapshot::refresh_rtts`] copies them at most every
//! [`RTT_MAX_AGE`], whoever asks.

use std::{
    collections::HashMap,
    sync::{PoisonError, RwLock},
    time::{Duration, Instant},
};

use mindos_mesh::{CapacityBeat, MeshClient, MeshEvent, PeerId};

/// Peers tracked at most; a beat from a peer beyond this is dropped (the mesh's own peer
/// table is bounded the same way).
const MAX_PEERS: usize = 4096;
/// How old the copied round-trip times may get.
pub(super) const RTT_MAX_AGE: Duration = Duration::from_secs(5);

/// One peer as the gateway ranks it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Seen {
    /// Whether a connection is open.
    pub(crate) connected: bool,
    /// Its latest capacity beat.
    pub(crate) beat: Option<CapacityBeat>,
    /// Its latest ping round trip.
    pub(crate) rtt: Option<Duration>,
}

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct PeerSnapshot {
    peers: RwLock<HashMap<PeerId, Seen>>,
    /// When the round-trip times were last copied.
    rtts_taken: tokio::sync::Mutex<Option<Instant>>,
}

impl PeerSnapshot {
    /// Folds one mesh event in; other events are ignored.
    pub(crate) fn observe(&self, event: &MeshEvent) {
        let mut peers = self.peers.write().unwrap_or_else(PoisonError::into_inner);
        match event {
            MeshEvent::PeerConnected { peer } => {
                if let Some(seen) = entry(&mut peers, *peer) {
                    seen.connected = true;
                }
            }
            MeshEvent::PeerDisconnected { peer } => {
                // A peer gone with nothing else known about it is forgotten.
                let forget = peers.get_mut(peer).is_some_and(|seen| {
                    seen.connected = false;
                    seen.beat.is_none()
                });
                if forget {
                    peers.remove(peer);
                }
            }
            MeshEvent::CapacityBeat { peer, beat } => {
                if let Some(seen) = entry(&mut peers, *peer) {
                    seen.beat = Some(beat.clone());
                }
            }
            _ => {}
        }
    }

    /// What is known of `peer`.
    pub(crate) fn get(&self, peer: &PeerId) -> Option<Seen> {
        self.peers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(peer)
            .cloned()
    }

    /// Copies the mesh's round-trip times if the last copy is older than [`RTT_MAX_AGE`];
    /// concurrent callers wait for one copy.
    pub(crate) async fn refresh_rtts(&self, mesh: &MeshClient) {
        let mut taken = self.rtts_taken.lock().await;
        if taken.is_some_and(|t| t.elapsed() < RTT_MAX_AGE) {
            return;
        }
        let infos = mesh.peers().await.unwrap_or_default();
        *taken = Some(Instant::now());
        let mut peers = self.peers.write().unwrap_or_else(PoisonError::into_inner);
        for info in infos {
            if let Some(seen) = peers.get_mut(&info.peer_id) {
                seen.rtt = info.rtt;
            } else if info.rtt.is_some() {
                if let Some(seen) = entry(&mut peers, info.peer_id) {
                    seen.connected = info.connected;
                    seen.rtt = info.rtt;
                }
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.peers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// `peer`'s entry, created if there is room.
fn entry(peers: &mut HashMap<PeerId, Seen>, peer: PeerId) -> Option<&mut Seen> {
    if peers.len() >= MAX_PEERS && !peers.contains_key(&peer) {
        return None;
    }
    Some(peers.entry(peer).or_default())
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
        let snapshot = PeerSnapshot::default();
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
}
