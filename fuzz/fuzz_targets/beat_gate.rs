//! The gossip handler's gate for capacity beats, driven by any sequence of operations (the
//! subnet's bound publishers change, time passes, beats arrive from bound and unbound peers,
//! replayed or not) and checked against a model: a beat is accepted exactly when its
//! publisher is bound to the subnet, it is newer than the publisher's last accepted beat, and
//! the minimum interval has passed since that one arrived; the gate's bookkeeping never holds
//! more entries than there are bound publishers.
//!
//! Input: 4-byte operations `[op][netuid][a][b]`.

#![no_main]

use std::{
    collections::{HashMap, HashSet},
    sync::LazyLock,
    time::{Duration, Instant},
};

use libfuzzer_sys::fuzz_target;
use mindos_mesh::{fuzzing::BeatGate, CapacityBeat, NetUid, PeerId, PowerSource, PowerStatus};

const MIN_INTERVAL: Duration = Duration::from_millis(500);

/// Four publishers, the same in every run so that findings reproduce.
static PEERS: LazyLock<[PeerId; 4]> = LazyLock::new(|| {
    std::array::from_fn(|i| {
        let mut secret = [0u8; 32];
        secret[0] = u8::try_from(i).unwrap() + 1;
        mindos_mesh::keys::keypair_from_secret(secret)
            .unwrap()
            .public()
            .to_peer_id()
    })
});

fuzz_target!(|data: &[u8]| {
    let peers = &*PEERS;
    let mut gate = BeatGate::new(MIN_INTERVAL);
    let mut now = Instant::now();
    let mut bound: HashMap<NetUid, HashSet<PeerId>> = HashMap::new();
    let mut newest: HashMap<(PeerId, NetUid), (u64, Instant)> = HashMap::new();
    for op in data.chunks_exact(4) {
        let netuid = NetUid(u16::from(op[1] & 3));
        match op[0] % 3 {
            0 => {
                let set: HashSet<PeerId> = (0..peers.len())
                    .filter(|i| op[2] >> i & 1 == 1)
                    .map(|i| peers[i])
                    .collect();
                gate.set_publishers(netuid, set.clone());
                newest.retain(|(peer, n), _| *n != netuid || set.contains(peer));
                bound.insert(netuid, set);
            }
            1 => now += Duration::from_millis(u64::from(op[2]) * 10),
            _ => {
                let source = peers[usize::from(op[2] & 3)];
                let sent_at_ms = u64::from(op[3]);
                let beat = CapacityBeat {
                    netuid,
                    load: 0,
                    queue_depth: 0,
                    max_batch: 1,
                    power: PowerStatus {
                        source: PowerSource::Mains,
                        battery_percent: None,
                        low_power: false,
                    },
                    sent_at_ms,
                };
                let is_bound = bound.get(&netuid).is_some_and(|set| set.contains(&source));
                let expected = is_bound
                    && newest.get(&(source, netuid)).is_none_or(|&(sent, arrived)| {
                        sent_at_ms > sent && now.duration_since(arrived) >= MIN_INTERVAL
                    });
                assert_eq!(
                    gate.admit(source, &beat, now),
                    expected,
                    "beat {sent_at_ms} of publisher {} on {netuid} (bound: {is_bound}, last: {:?})",
                    op[2] & 3,
                    newest.get(&(source, netuid)).map(|(sent, _)| sent),
                );
                if expected {
                    newest.insert((source, netuid), (sent_at_ms, now));
                }
            }
        }
        assert_eq!(gate.tracked(), newest.len(), "bookkeeping beyond the model");
        assert!(newest.len() <= bound.values().map(HashSet::len).sum::<usize>());
    }
});
