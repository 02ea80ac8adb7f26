//! Wire types: what travels over `/mindos/infer/1` and the capacity gossip topics.
//!
//! Everything here is serialised as JSON. Inference payloads are opaque
//! [`serde_json::Value`]s; each subnet defines their shape (see the `mindos-subnets` crate).

use std::time::{SystemTime, UNIX_EPOCH};

use libp2p::gossipsub::IdentTopic;
use serde::{Deserialize, Serialize};

use crate::NetUid;

/// `load` value that means "fully loaded" (parts per billion, like `Perbill`).
pub const LOAD_FULL: u32 = 1_000_000_000;

/// Prefix of the per-subnet capacity topics: the topic of subnet `n` is `mindos/capacity/n`.
pub const CAPACITY_TOPIC_PREFIX: &str = "mindos/capacity/";

/// The gossipsub topic that carries the capacity beats of subnet `netuid`.
pub fn capacity_topic(netuid: NetUid) -> IdentTopic {
    IdentTopic::new(format!("{CAPACITY_TOPIC_PREFIX}{netuid}"))
}

/// The subnet of a capacity topic string, or `None` if `topic` is not one.
///
/// Only the canonical decimal form is accepted (`mindos/capacity/7`, not `…/07`), so every
/// subnet has exactly one topic.
pub fn netuid_of_topic(topic: &str) -> Option<NetUid> {
    let digits = topic.strip_prefix(CAPACITY_TOPIC_PREFIX)?;
    let netuid: NetUid = digits.parse().ok()?;
    (netuid.to_string() == digits).then_some(netuid)
}

/// Milliseconds since the Unix epoch by the local clock (0 if the clock is before 1970).
pub fn unix_time_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// One inference request: run subnet `netuid`'s task on `payload`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InferRequest {
    /// The subnet whose task the caller wants served.
    pub netuid: NetUid,
    /// Caller-chosen id, echoed in logs on both sides; not interpreted by the mesh.
    pub request_id: u64,
    /// Task input, in the subnet's input schema.
    pub payload: serde_json::Value,
}

/// The answer to an [`InferRequest`].
///
/// On the wire: `{"status":"ok","payload":…}` or
/// `{"status":"err","code":"busy","message":"…"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum InferResponse {
    /// The task ran; `payload` is its output in the subnet's output schema.
    Ok {
        /// Task output.
        payload: serde_json::Value,
    },
    /// The server refused or failed the request.
    Err {
        /// What went wrong, machine-readable.
        code: ErrorCode,
        /// What went wrong, for humans and logs.
        message: String,
    },
}

impl InferResponse {
    /// An [`InferResponse::Err`] with the given code and message.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Err {
            code,
            message: message.into(),
        }
    }

    /// The error code, if this is an error response.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            Self::Ok { .. } => None,
            Self::Err { code, .. } => Some(*code),
        }
    }
}

/// Why a server did not answer a request with a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The caller may not use this server (not a permitted validator, bad signature, …).
    Unauthorized,
    /// The server is overloaded or shedding load (hot, on battery); try another one.
    Busy,
    /// The payload does not fit the subnet's input schema, or the request was not valid JSON.
    InvalidInput,
    /// The server does not serve this subnet.
    UnknownSubnet,
    /// The request or the response exceeded a size limit.
    TooLarge,
    /// The server failed (model error, handler dropped the request, …).
    Internal,
    /// The server gave up on the request (e.g. the model took too long).
    Timeout,
}

impl ErrorCode {
    /// Whether another server may well succeed where this one failed.
    ///
    /// `InvalidInput` and `TooLarge` describe the request itself, so retrying it elsewhere is
    /// pointless; every other code is about this server.
    pub fn is_retryable(self) -> bool {
        !matches!(self, Self::InvalidInput | Self::TooLarge)
    }
}

/// A miner's periodic announcement of how much work it can take, gossiped on
/// [`capacity_topic`]`(netuid)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityBeat {
    /// The subnet this capacity is for; must match the topic it arrives on.
    pub netuid: NetUid,
    /// Current load in parts per billion: 0 is idle, [`LOAD_FULL`] is saturated.
    pub load: u32,
    /// Requests waiting in the miner's queue.
    pub queue_depth: u32,
    /// The largest batch the miner runs at once (at least 1).
    pub max_batch: u32,
    /// The miner's power situation.
    pub power: PowerStatus,
    /// When the beat was made, in milliseconds since the Unix epoch (sender's clock).
    pub sent_at_ms: u64,
}

/// Where a device's power comes from, as gossiped in a [`CapacityBeat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerSource {
    /// Mains (or otherwise unlimited) power.
    Mains,
    /// Running on battery.
    Battery,
    /// The device does not know or does not say.
    Unknown,
}

/// Power part of a [`CapacityBeat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PowerStatus {
    /// Power supply.
    pub source: PowerSource,
    /// Battery charge in percent (0..=100), if the device has a battery and knows it.
    pub battery_percent: Option<u8>,
    /// The device is in a low-power / thermal-throttled mode and will be slow.
    pub low_power: bool,
}

/// Why a [`CapacityBeat`] was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BeatError {
    /// The payload is not a JSON capacity beat.
    #[error("not a capacity beat: {0}")]
    Malformed(String),
    /// The payload is larger than any honest beat.
    #[error("beat of {0} bytes is too large")]
    TooLarge(usize),
    /// The beat arrived on a topic that is not a capacity topic.
    #[error("topic {0:?} is not a capacity topic")]
    UnknownTopic(String),
    /// The beat's `netuid` differs from its topic's.
    #[error("beat for subnet {beat} arrived on the topic of subnet {topic}")]
    TopicMismatch {
        /// Subnet named in the beat.
        beat: NetUid,
        /// Subnet of the topic.
        topic: NetUid,
    },
    /// `load` is above [`LOAD_FULL`].
    #[error("load {0} is above {LOAD_FULL}")]
    LoadOutOfRange(u32),
    /// `max_batch` is zero.
    #[error("max_batch must be at least 1")]
    ZeroBatch,
    /// `battery_percent` is above 100.
    #[error("battery percent {0} is above 100")]
    BatteryOutOfRange(u8),
    /// The beat has no publisher (unsigned gossip).
    #[error("beat has no signed source")]
    NoSource,
    /// `sent_at_ms` is too far in the past.
    #[error("beat is {age_ms} ms old")]
    Stale {
        /// Age of the beat by the local clock.
        age_ms: u64,
    },
    /// `sent_at_ms` is too far in the future.
    #[error("beat is {ahead_ms} ms in the future")]
    FromTheFuture {
        /// How far ahead of the local clock the beat is.
        ahead_ms: u64,
    },
}

/// Largest accepted encoded beat; a real one is about 150 bytes.
pub(crate) const MAX_BEAT_BYTES: usize = 1024;

impl CapacityBeat {
    /// Checks the fields that do not depend on the clock or the topic.
    pub fn validate(&self) -> Result<(), BeatError> {
        if self.load > LOAD_FULL {
            return Err(BeatError::LoadOutOfRange(self.load));
        }
        if self.max_batch == 0 {
            return Err(BeatError::ZeroBatch);
        }
        if let Some(percent) = self.power.battery_percent {
            if percent > 100 {
                return Err(BeatError::BatteryOutOfRange(percent));
            }
        }
        Ok(())
    }

    /// `load` as a fraction in `0.0..=1.0` (clamped).
    pub fn load_fraction(&self) -> f64 {
        (f64::from(self.load) / f64::from(LOAD_FULL)).clamp(0.0, 1.0)
    }

    /// Decodes and fully checks a beat received on gossip `topic` at local time `now_ms`.
    ///
    /// A beat is accepted when it parses, passes [`CapacityBeat::validate`], names the subnet
    /// of its topic, is at most `max_age_ms` old and at most `max_skew_ms` in the future.
    pub fn decode_checked(
        topic: &str,
        data: &[u8],
        now_ms: u64,
        max_age_ms: u64,
        max_skew_ms: u64,
    ) -> Result<Self, BeatError> {
        if data.len() > MAX_BEAT_BYTES {
            return Err(BeatError::TooLarge(data.len()));
        }
        let topic_netuid =
            netuid_of_topic(topic).ok_or_else(|| BeatError::UnknownTopic(topic.to_owned()))?;
        let beat: Self =
            serde_json::from_slice(data).map_err(|e| BeatError::Malformed(e.to_string()))?;
        beat.validate()?;
        if beat.netuid != topic_netuid {
            return Err(BeatError::TopicMismatch {
                beat: beat.netuid,
                topic: topic_netuid,
            });
        }
        let age_ms = now_ms.saturating_sub(beat.sent_at_ms);
        if age_ms > max_age_ms {
            return Err(BeatError::Stale { age_ms });
        }
        let ahead_ms = beat.sent_at_ms.saturating_sub(now_ms);
        if ahead_ms > max_skew_ms {
            return Err(BeatError::FromTheFuture { ahead_ms });
        }
        Ok(beat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beat() -> CapacityBeat {
        CapacityBeat {
            netuid: NetUid(3),
            load: LOAD_FULL / 2,
            queue_depth: 4,
            max_batch: 8,
            power: PowerStatus {
                source: PowerSource::Battery,
                battery_percent: Some(55),
                low_power: false,
            },
            sent_at_ms: 10_000,
        }
    }

    #[test]
    fn response_wire_format_is_tagged() {
        let ok = InferResponse::Ok {
            payload: serde_json::json!([1, 2]),
        };
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"status":"ok","payload":[1,2]}"#
        );
        let err = InferResponse::error(ErrorCode::UnknownSubnet, "no");
        assert_eq!(
            serde_json::to_string(&err).unwrap(),
            r#"{"status":"err","code":"unknown_subnet","message":"no"}"#
        );
    }

    #[test]
    fn topics_round_trip_and_reject_non_canonical() {
        assert_eq!(capacity_topic(NetUid(7)).to_string(), "mindos/capacity/7");
        assert_eq!(netuid_of_topic("mindos/capacity/7"), Some(NetUid(7)));
        assert_eq!(netuid_of_topic("mindos/capacity/07"), None);
        assert_eq!(netuid_of_topic("mindos/capacity/70000"), None);
        assert_eq!(netuid_of_topic("other/7"), None);
    }

    #[test]
    fn good_beat_is_accepted() {
        let data = serde_json::to_vec(&beat()).unwrap();
        let got = CapacityBeat::decode_checked("mindos/capacity/3", &data, 10_500, 60_000, 5_000)
            .unwrap();
        assert_eq!(got, beat());
    }

    #[test]
    fn bad_beats_are_refused() {
        let topic = "mindos/capacity/3";
        let check = |b: &CapacityBeat, topic: &str| {
            let data = serde_json::to_vec(b).unwrap();
            CapacityBeat::decode_checked(topic, &data, 70_000, 60_000, 5_000)
        };
        let mut b = beat();
        b.load = LOAD_FULL + 1;
        assert_eq!(
            check(&b, topic),
            Err(BeatError::LoadOutOfRange(LOAD_FULL + 1))
        );
        let mut b = beat();
        b.max_batch = 0;
        assert_eq!(check(&b, topic), Err(BeatError::ZeroBatch));
        let mut b = beat();
        b.power.battery_percent = Some(101);
        assert_eq!(check(&b, topic), Err(BeatError::BatteryOutOfRange(101)));
        assert_eq!(
            check(&beat(), "mindos/capacity/4"),
            Err(BeatError::TopicMismatch {
                beat: NetUid(3),
                topic: NetUid(4)
            })
        );
        let mut b = beat();
        b.sent_at_ms = 0;
        assert!(matches!(check(&b, topic), Err(BeatError::Stale { .. })));
        let mut b = beat();
        b.sent_at_ms = 80_000;
        assert!(matches!(
            check(&b, topic),
            Err(BeatError::FromTheFuture { .. })
        ));
        assert!(matches!(
            CapacityBeat::decode_checked(topic, b"{\"netuid\":3}", 0, 1, 1),
            Err(BeatError::Malformed(_))
        ));
        assert!(matches!(
            CapacityBeat::decode_checked(topic, &[b' '; 2000], 0, 1, 1),
            Err(BeatError::TooLarge(2000))
        ));
    }
}
