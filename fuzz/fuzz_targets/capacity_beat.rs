//! Capacity beats as gossip delivers them: `CapacityBeat::decode_checked` never panics on any
//! topic and payload, accepts only beats that satisfy every rule, and accepts exactly the
//! well-formed beats it should.
//!
//! Input: `[selector: u8][now: u64][max_age: u32][max_skew: u32][payload…]`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mindos_mesh::{
    wire::{netuid_of_topic, CAPACITY_TOPIC_PREFIX, LOAD_FULL},
    CapacityBeat, NetUid, PowerSource, PowerStatus,
};

fuzz_target!(|data: &[u8]| {
    let Some((head, payload)) = data.split_first_chunk::<17>() else {
        return;
    };
    let selector = head[0];
    let now = u64::from_be_bytes(head[1..9].try_into().unwrap());
    let max_age = u64::from(u32::from_be_bytes(head[9..13].try_into().unwrap()));
    let max_skew = u64::from(u32::from_be_bytes(head[13..17].try_into().unwrap()));

    // Arbitrary bytes on a topic that is (or is not) a capacity topic.
    let topic = if selector & 1 == 0 {
        format!("{CAPACITY_TOPIC_PREFIX}{}", selector >> 1)
    } else {
        String::from_utf8_lossy(payload.get(..8).unwrap_or(payload)).into_owned()
    };
    if let Ok(beat) = CapacityBeat::decode_checked(&topic, payload, now, max_age, max_skew) {
        assert!(payload.len() <= 1024);
        assert!(beat.validate().is_ok());
        assert_eq!(netuid_of_topic(&topic), Some(beat.netuid));
        assert!(now.saturating_sub(beat.sent_at_ms) <= max_age);
        assert!(beat.sent_at_ms.saturating_sub(now) <= max_skew);
        let again = serde_json::to_vec(&beat).unwrap();
        assert_eq!(
            CapacityBeat::decode_checked(&topic, &again, now, max_age, max_skew),
            Ok(beat)
        );
    }

    // A beat built from the bytes: accepted exactly when it should be.
    let Some((fields, _)) = payload.split_first_chunk::<22>() else {
        return;
    };
    let word = |i: usize| u32::from_be_bytes(fields[i..i + 4].try_into().unwrap());
    let beat = CapacityBeat {
        netuid: NetUid(u16::from_be_bytes([fields[0], fields[1]])),
        load: word(2),
        queue_depth: word(6),
        max_batch: word(10) % 4,
        power: PowerStatus {
            source: match fields[14] % 3 {
                0 => PowerSource::Mains,
                1 => PowerSource::Battery,
                _ => PowerSource::Unknown,
            },
            battery_percent: (fields[15] & 1 == 1).then_some(fields[16]),
            low_power: fields[17] & 1 == 1,
        },
        sent_at_ms: now.wrapping_add(u64::from(word(18))).wrapping_sub(1 << 31),
    };
    let encoded = serde_json::to_vec(&beat).unwrap();
    let topic = format!("{CAPACITY_TOPIC_PREFIX}{}", beat.netuid);
    let expected = beat.load <= LOAD_FULL
        && beat.max_batch >= 1
        && beat.power.battery_percent.is_none_or(|p| p <= 100)
        && now.saturating_sub(beat.sent_at_ms) <= max_age
        && beat.sent_at_ms.saturating_sub(now) <= max_skew;
    let got = CapacityBeat::decode_checked(&topic, &encoded, now, max_age, max_skew);
    assert_eq!(got.is_ok(), expected, "{beat:?}: {got:?}");
    if let Ok(decoded) = got {
        assert_eq!(decoded, beat);
    }
});
