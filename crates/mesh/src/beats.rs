//! Which capacity beats that passed [`CapacityBeat::decode_checked`] are delivered and
//! forwarded: only from publishers bound to the subnet, never a replay, and at most one per
//! `min_beat_interval` per publisher (the README's "Capacity beats").

use std::{
    collections::{hash_map::Entry, HashMap, HashSet},
    time::{Duration, Instant},
};

use libp2p::{gossipsub::MessageAcceptance, PeerId};

use crate::{wire::CapacityBeat, NetUid};

/// The publishers bound to each subnet and the newest beat of each; pure, so that the
/// decisions can be tested without a swarm or a clock.
#[derive(Debug)]
pub(crate) struct BeatGate {
    /// Per subnet, the PeerIds whose beats are accepted (see
    /// [`MeshClient::set_beat_publishers`](crate::MeshClient::set_beat_publishers)).
    publishers: HashMap<NetUid, HashSet<PeerId>>,
    /// The newest accepted beat per (publisher, subnet): its `sent_at_ms` (older ones are
    /// replays) and when it arrived (the publish-rate cap). Only bound publishers have
    /// entries, and they go when the publisher is unbound, so this is as large as the
    /// subnets' neuron lists at most.
    newest: HashMap<(PeerId, NetUid), (u64, Instant)>,
    min_interval: Duration,
}

impl BeatGate {
    pub(crate) fn new(min_interval: Duration) -> Self {
        Self {
            publishers: HashMap::new(),
            newest: HashMap::new(),
            min_interval,
        }
    }

    /// Publishers with a newest beat on record (the bookkeeping that must stay bounded).
    #[cfg(feature = "fuzzing")]
    pub(crate) fn tracked(&self) -> usize {
        self.newest.len()
    }

    /// From now on, only `peers` may beat on `netuid`.
    pub(crate) fn set_publishers(&mut self, netuid: NetUid, peers: HashSet<PeerId>) {
        self.newest
            .retain(|(p, n), _| *n != netuid || peers.contains(p));
        self.publishers.insert(netuid, peers);
    }

    /// What gossipsub should do with `beat`, signed by `source` and arriving at `now`;
    /// [`MessageAcceptance::Accept`] records it as the publisher's newest.
    ///
    /// Never [`MessageAcceptance::Reject`]: whatever fails here may be an honest relay's
    /// different view of the chain or of time, and rejecting it would cost the relay its
    /// score.
    pub(crate) fn admit(
        &mut self,
        source: PeerId,
        beat: &CapacityBeat,
        now: Instant,
    ) -> MessageAcceptance {
        // Only neurons bound on chain to the subnet may beat on it, but a beat from anyone
        // else is ignored (not delivered, not forwarded, no penalty), not rejected. Our list
        // is only as fresh as our last read of the chain: a relay that read it a block
        // earlier knows a newly registered miner as bound and forwards its beats (one a
        // second), and rejecting them would count each against that honest relay, graylisting
        // it after nine. A grace period after each change of our list would not help: the
        // lag is before our change, not after it, and the same holds for a neuron the relay
        // has not yet seen deregistered. Ignoring keeps what rejecting was for: an ignored
        // beat goes no further, so a stranger's beats travel one hop at most, and what one
        // peer can send us is bounded by the connection caps and gossipsub's transmit size.
        // Before the application has told us the subnet's neurons we know nothing either way.
        match self.publishers.get(&beat.netuid) {
            None => {
                tracing::trace!(%source, netuid = %beat.netuid, "ignored capacity beat: subnet's publishers not known yet");
                return MessageAcceptance::Ignore;
            }
            Some(bound) if !bound.contains(&source) => {
                tracing::debug!(%source, netuid = %beat.netuid, "ignored capacity beat from a peer not bound to the subnet");
                return MessageAcceptance::Ignore;
            }
            Some(_) => {}
        }
        match self.newest.entry((source, beat.netuid)) {
            Entry::Occupied(mut newest) => {
                let (newest_sent, arrived) = *newest.get();
                if newest_sent >= beat.sent_at_ms {
                    tracing::trace!(%source, netuid = %beat.netuid, "ignored replayed capacity beat");
                    return MessageAcceptance::Ignore;
                }
                if now.saturating_duration_since(arrived) < self.min_interval {
                    tracing::debug!(%source, netuid = %beat.netuid, "ignored capacity beat: publisher over its rate");
                    return MessageAcceptance::Ignore;
                }
                newest.insert((beat.sent_at_ms, now));
            }
            Entry::Vacant(slot) => {
                slot.insert((beat.sent_at_ms, now));
            }
        }
        MessageAcceptance::Accept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{PowerSource, PowerStatus};

    const NETUID: NetUid = NetUid(7);
    const INTERVAL: Duration = Duration::from_millis(500);

    fn beat(sent_at_ms: u64) -> CapacityBeat {
        CapacityBeat {
            netuid: NETUID,
            load: 0,
            queue_depth: 0,
            max_batch: 1,
            power: PowerStatus {
                source: PowerSource::Mains,
                battery_percent: None,
                low_power: false,
            },
            sent_at_ms,
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A miner that registered a block before we read the chain: the relay forwards its
    /// beats, and they must not count against the relay.
    #[test]
    fn beats_from_a_publisher_we_do_not_know_as_bound_are_ignored_not_rejected() {
        let mut gate = BeatGate::new(INTERVAL);
        let t0 = Instant::now();
        let bound = PeerId::random();
        let newcomer = PeerId::random();
        // Nothing known about the subnet yet.
        assert_eq!(
            gate.admit(newcomer, &beat(1), t0),
            MessageAcceptance::Ignore
        );
        gate.set_publishers(NETUID, [bound].into());
        for (i, t) in (0..20u64).map(|i| (i, t0 + ms(1000 * i))) {
            assert_eq!(
                gate.admit(newcomer, &beat(2 + i), t),
                MessageAcceptance::Ignore,
                "beat {i} of a publisher not (yet) bound here"
            );
        }
        // Once bound here too, its next beat is accepted.
        gate.set_publishers(NETUID, [bound, newcomer].into());
        assert_eq!(
            gate.admit(newcomer, &beat(100), t0 + ms(30_000)),
            MessageAcceptance::Accept
        );
        // Unbound again: ignored, and its record is gone.
        gate.set_publishers(NETUID, [bound].into());
        assert_eq!(
            gate.admit(newcomer, &beat(101), t0 + ms(40_000)),
            MessageAcceptance::Ignore
        );
        assert!(gate.newest.keys().all(|(p, _)| *p != newcomer));
    }

    #[test]
    fn a_bound_publisher_gets_one_beat_per_interval_and_no_replays() {
        let mut gate = BeatGate::new(INTERVAL);
        let t0 = Instant::now();
        let miner = PeerId::random();
        gate.set_publishers(NETUID, [miner].into());
        assert_eq!(gate.admit(miner, &beat(10), t0), MessageAcceptance::Accept);
        // Closer than the interval to the accepted one: ignored, however new.
        for (sent, after) in [(11, 0), (12, 20), (13, 250), (14, 499)] {
            assert_eq!(
                gate.admit(miner, &beat(sent), t0 + ms(after)),
                MessageAcceptance::Ignore,
                "{after} ms after the accepted beat"
            );
        }
        // The ignored ones did not move the window.
        assert_eq!(
            gate.admit(miner, &beat(15), t0 + ms(500)),
            MessageAcceptance::Accept
        );
        // A replay (not newer than the newest accepted) is ignored at any time.
        assert_eq!(
            gate.admit(miner, &beat(15), t0 + ms(5_000)),
            MessageAcceptance::Ignore
        );
        assert_eq!(
            gate.admit(miner, &beat(9), t0 + ms(5_000)),
            MessageAcceptance::Ignore
        );
        assert_eq!(
            gate.admit(miner, &beat(16), t0 + ms(5_000)),
            MessageAcceptance::Accept
        );
        // Each subnet and publisher has its own window.
        let other = PeerId::random();
        gate.set_publishers(NETUID, [miner, other].into());
        assert_eq!(
            gate.admit(other, &beat(16), t0 + ms(5_001)),
            MessageAcceptance::Accept
        );
    }
}
