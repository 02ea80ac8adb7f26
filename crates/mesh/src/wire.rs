//! Wire types: what travels over `/mindos/infer/1` and the capacity gossip topics.
//!
//! Everything here is serialised as JSON. Inference payloads are kept as their JSON text
//! ([`RawValue`]): the mesh checks that a payload is one well-formed JSON value and never
//! builds it into a tree; each subnet defines their shape and decodes them typed, from the
//! bytes (see the `mindos-subnets` crate). The text travels unchanged, so a payload
//! arrives byte for byte as its sender wrote it.

use std::time::{SystemTime, UNIX_EPOCH};

use libp2p::gossipsub::IdentTopic;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::{NetUid, Uid};

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

/// A payload (one JSON value) from its bytes, checked to be well-formed JSON and nothing
/// more: no tree is built. Whitespace around the value is dropped; inside it, the text is
/// kept as it is.
pub fn payload_from_bytes(bytes: &[u8]) -> Result<Box<RawValue>, serde_json::Error> {
    serde_json::from_slice::<&RawValue>(bytes).map(ToOwned::to_owned)
}

/// A payload serialised from `value` (compact JSON).
pub fn payload_from_value<T: Serialize + ?Sized>(
    value: &T,
) -> Result<Box<RawValue>, serde_json::Error> {
    serde_json::value::to_raw_value(value)
}

/// One inference request: run subnet `netuid`'s task on `payload`.
///
/// On the wire: `{"netuid":1,"request_id":42,"payload":…,"challenge":{…}}`, the payload's
/// text as given; `challenge` is left out when `None`. Two requests are equal when their
/// payloads are the same text and their other fields are equal.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InferRequest {
    /// The subnet whose task the caller wants served.
    pub netuid: NetUid,
    /// Caller-chosen id, echoed in logs on both sides. When the request carries
    /// [`ChallengeTerms`], it is also the challenge's nonce, so a validator draws it at random.
    pub request_id: u64,
    /// Task input, in the subnet's input schema, as JSON text; decode it with the subnet
    /// (its `decode_input`/`prepare_input` take [`InferRequest::payload_bytes`]).
    pub payload: Box<RawValue>,
    /// What the answer must be signed against. Validators send it with every request, users'
    /// queries and their own challenges alike, so that nothing tells the two apart and every
    /// answer is evidence; the miner answers with a [`Receipt`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<ChallengeTerms>,
}

/// The sentinel challenge a request stands for, less what the request already says: with the
/// request's `netuid`, its `request_id` as the nonce and the hash of its payload, these make
/// the [`mindos_primitives::evidence::Challenge`] the miner signs its answer to.
///
/// On the wire: `{"uid":3,"hotkey":"0x…","epoch":12,"model_digest":"0x…","deadline":4100}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeTerms {
    /// The miner's uid, as the validator's metagraph has it.
    pub uid: Uid,
    /// The miner's hotkey (its 32 account bytes): the answer is evidence against it.
    #[serde(with = "mindos_primitives::serde_helpers::hex")]
    pub hotkey: [u8; 32],
    /// The subnet's sentinel epoch when the request was sent.
    pub epoch: u64,
    /// The model the subnet pins; a miner running another one refuses.
    #[serde(with = "mindos_primitives::serde_helpers::hex")]
    pub model_digest: [u8; 32],
    /// The block number the answer is due by.
    pub deadline: u64,
}

/// A miner's signature of its answer: the parts of the signed
/// [`mindos_primitives::evidence::Response`] the request and the answer do not already give.
///
/// On the wire: `{"seen_block":4093,"seen_hash":"0x…","latency_ms":12,"signature":"0x…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The miner's best block when it answered.
    pub seen_block: u64,
    /// That block's hash.
    #[serde(with = "mindos_primitives::serde_helpers::hex")]
    pub seen_hash: [u8; 32],
    /// How long the miner says it took.
    pub latency_ms: u32,
    /// The miner's Ed25519 signature, by the key its PeerId names, of
    /// [`mindos_primitives::evidence::response_message`].
    #[serde(with = "mindos_primitives::serde_helpers::hex")]
    pub signature: [u8; 64],
}

impl InferRequest {
    /// A request whose payload is the JSON text `payload`; fails unless it is one
    /// well-formed JSON value (see [`payload_from_bytes`]).
    pub fn new(netuid: NetUid, request_id: u64, payload: &[u8]) -> Result<Self, serde_json::Error> {
        Ok(Self {
            netuid,
            request_id,
            payload: payload_from_bytes(payload)?,
            challenge: None,
        })
    }

    /// A request whose payload is `payload` serialised (see [`payload_from_value`]).
    pub fn encode<T: Serialize + ?Sized>(
        netuid: NetUid,
        request_id: u64,
        payload: &T,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            netuid,
            request_id,
            payload: payload_from_value(payload)?,
            challenge: None,
        })
    }

    /// The payload's JSON text, as the subnet decodes it.
    pub fn payload_bytes(&self) -> &[u8] {
        self.payload.get().as_bytes()
    }

    /// The payload's JSON text, owned, without a copy (to hand it to another thread).
    pub fn into_payload_bytes(self) -> Vec<u8> {
        Box::<str>::from(self.payload).into_boxed_bytes().into_vec()
    }
}

impl PartialEq for InferRequest {
    fn eq(&self, other: &Self) -> bool {
        self.netuid == other.netuid
            && self.request_id == other.request_id
            && self.payload.get() == other.payload.get()
            && self.challenge == other.challenge
    }
}

/// The answer to an [`InferRequest`].
///
/// On the wire: `{"status":"ok","payload":…,"receipt":{…}}` (`receipt` left out when
/// `None`) or `{"status":"err","code":"busy","message":"…"}`. Two answers are equal when their
/// payloads are the same text and their receipts are equal.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum InferResponse {
    /// The task ran; `payload` is its output in the subnet's output schema.
    Ok {
        /// Task output, as JSON text; decode it with the subnet's `decode_output`
        /// (from [`InferResponse::payload_bytes`]).
        payload: Box<RawValue>,
        /// The miner's signature of this answer, when the request carried
        /// [`ChallengeTerms`]; left out of the JSON when `None`.
        #[serde(skip_serializing_if = "Option::is_none")]
        receipt: Option<Receipt>,
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
    /// An [`InferResponse::Ok`] whose payload is the JSON text `payload`; fails unless it
    /// is one well-formed JSON value (see [`payload_from_bytes`]).
    pub fn ok(payload: &[u8]) -> Result<Self, serde_json::Error> {
        payload_from_bytes(payload).map(Self::ok_raw)
    }

    /// An [`InferResponse::Ok`] with a payload already checked (or made by serde_json).
    pub fn ok_raw(payload: Box<RawValue>) -> Self {
        Self::Ok {
            payload,
            receipt: None,
        }
    }

    /// This answer with `receipt` attached (an error response stays as it is).
    #[must_use]
    pub fn with_receipt(self, receipt: Receipt) -> Self {
        match self {
            Self::Ok { payload, .. } => Self::Ok {
                payload,
                receipt: Some(receipt),
            },
            err @ Self::Err { .. } => err,
        }
    }

    /// The miner's signature of this answer, if it is an [`InferResponse::Ok`] that has one.
    pub fn receipt(&self) -> Option<&Receipt> {
        match self {
            Self::Ok { receipt, .. } => receipt.as_ref(),
            Self::Err { .. } => None,
        }
    }

    /// An [`InferResponse::Ok`] whose payload is `payload` serialised.
    pub fn encode_ok<T: Serialize + ?Sized>(payload: &T) -> Result<Self, serde_json::Error> {
        payload_from_value(payload).map(Self::ok_raw)
    }

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

    /// The payload's JSON text, if this is an [`InferResponse::Ok`].
    pub fn payload_bytes(&self) -> Option<&[u8]> {
        match self {
            Self::Ok { payload, .. } => Some(payload.get().as_bytes()),
            Self::Err { .. } => None,
        }
    }
}

impl PartialEq for InferResponse {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Self::Ok {
                    payload: a,
                    receipt: receipt_a,
                },
                Self::Ok {
                    payload: b,
                    receipt: receipt_b,
                },
            ) => a.get() == b.get() && receipt_a == receipt_b,
            (
                Self::Err { code, message },
                Self::Err {
                    code: other_code,
                    message: other_message,
                },
            ) => code == other_code && message == other_message,
            _ => false,
        }
    }
}

// By hand: serde's internally tagged enums buffer the fields before they know the variant,
// and a `RawValue` cannot be taken from that buffer. This reads the same objects as
// `#[serde(tag = "status")]` did: `status` anywhere among the fields, the variant's fields
// required, other fields ignored.
impl<'de> Deserialize<'de> for InferResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;

        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Status {
            Ok,
            Err,
        }

        /// Every field as its text, so a field only the other variant has costs no
        /// parsing and cannot fail the answer.
        #[derive(Deserialize)]
        struct Fields {
            status: Status,
            #[serde(default, deserialize_with = "present")]
            payload: Option<Box<RawValue>>,
            #[serde(default, deserialize_with = "present")]
            code: Option<Box<RawValue>>,
            #[serde(default, deserialize_with = "present")]
            message: Option<Box<RawValue>>,
            #[serde(default)]
            receipt: Option<Receipt>,
        }

        /// `Some` even for `null`, which is a payload like any other.
        fn present<'a, R: Deserializer<'a>>(d: R) -> Result<Option<Box<RawValue>>, R::Error> {
            Box::<RawValue>::deserialize(d).map(Some)
        }

        fn field<'a, E: serde::de::Error>(
            value: Option<&'a RawValue>,
            name: &'static str,
        ) -> Result<&'a str, E> {
            value
                .map(RawValue::get)
                .ok_or_else(|| E::missing_field(name))
        }

        let fields = Fields::deserialize(deserializer)?;
        match fields.status {
            Status::Ok => match fields.payload {
                Some(payload) => Ok(Self::Ok {
                    payload,
                    receipt: fields.receipt,
                }),
                None => Err(D::Error::missing_field("payload")),
            },
            Status::Err => {
                let code = field::<D::Error>(fields.code.as_deref(), "code")?;
                let message = field::<D::Error>(fields.message.as_deref(), "message")?;
                Ok(Self::Err {
                    code: serde_json::from_str(code).map_err(D::Error::custom)?,
                    message: serde_json::from_str(message).map_err(D::Error::custom)?,
                })
            }
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
    fn challenge_terms_and_receipts_travel_as_hex_and_round_trip() {
        let mut request = InferRequest::new(NetUid(1), 42, b"{}").unwrap();
        request.challenge = Some(ChallengeTerms {
            uid: Uid(3),
            hotkey: [0xab; 32],
            epoch: 12,
            model_digest: [0xcd; 32],
            deadline: 4_100,
        });
        let text = serde_json::to_string(&request).unwrap();
        assert!(
            text.starts_with(&format!(
                r#"{{"netuid":1,"request_id":42,"payload":{{}},"challenge":{{"uid":3,"hotkey":"0x{}""#,
                "ab".repeat(32)
            )),
            "{text}"
        );
        assert_eq!(
            serde_json::from_str::<InferRequest>(&text).unwrap(),
            request
        );
        // A request without terms leaves the field out and reads back as `None`.
        let plain = InferRequest::new(NetUid(1), 42, b"{}").unwrap();
        let text = serde_json::to_string(&plain).unwrap();
        assert_eq!(text, r#"{"netuid":1,"request_id":42,"payload":{}}"#);
        assert_eq!(serde_json::from_str::<InferRequest>(&text).unwrap(), plain);

        let receipt = Receipt {
            seen_block: 4_093,
            seen_hash: [1; 32],
            latency_ms: 12,
            signature: [2; 64],
        };
        let answer = InferResponse::ok(b"[1]")
            .unwrap()
            .with_receipt(receipt.clone());
        let text = serde_json::to_string(&answer).unwrap();
        assert!(text.contains(r#""receipt":{"seen_block":4093,"#), "{text}");
        let back: InferResponse = serde_json::from_str(&text).unwrap();
        assert_eq!(back, answer);
        assert_eq!(back.receipt(), Some(&receipt));
        // A receipt never attaches to an error.
        let err = InferResponse::error(ErrorCode::Busy, "full").with_receipt(receipt);
        assert_eq!(err.receipt(), None);
    }

    #[test]
    fn malformed_terms_or_receipts_are_refused() {
        let short_hotkey = r#"{"netuid":1,"request_id":1,"payload":{},"challenge":{"uid":3,"hotkey":"0xab","epoch":1,"model_digest":"0x00","deadline":1}}"#;
        assert!(serde_json::from_str::<InferRequest>(short_hotkey).is_err());
        let extra = format!(
            r#"{{"status":"ok","payload":1,"receipt":{{"seen_block":1,"seen_hash":"0x{}","latency_ms":1,"signature":"0x{}","more":1}}}}"#,
            "00".repeat(32),
            "00".repeat(64)
        );
        assert!(serde_json::from_str::<InferResponse>(&extra).is_err());
    }

    #[test]
    fn response_wire_format_is_tagged() {
        let ok = InferResponse::ok(b"[1,2]").unwrap();
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
    fn responses_read_like_the_tagged_enum_did() {
        let read = |text: &str| serde_json::from_str::<InferResponse>(text);
        // The tag anywhere; fields of the other variant ignored, even malformed ones.
        assert_eq!(
            read(r#"{"payload": {"b": 1, "a": 2}, "code": 7, "status": "ok"}"#).unwrap(),
            InferResponse::ok(br#"{"b": 1, "a": 2}"#).unwrap()
        );
        assert_eq!(
            read(r#"{"status":"ok","payload":null}"#).unwrap(),
            InferResponse::ok(b"null").unwrap()
        );
        assert_eq!(
            read(r#"{"message":"hot","payload":[1],"status":"err","code":"busy"}"#).unwrap(),
            InferResponse::error(ErrorCode::Busy, "hot")
        );
        for bad in [
            r#"{"status":"ok"}"#,
            r#"{"status":"err","code":"busy"}"#,
            r#"{"status":"err","code":"nonsense","message":""}"#,
            r#"{"status":"maybe","payload":1}"#,
            r#"{"payload":1}"#,
            r#"{"status":"ok","payload":[1,}"#,
            r#"[1,2]"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn payloads_must_be_one_json_value_and_keep_their_text() {
        let request = InferRequest::new(NetUid(1), 2, b" {\"x\": 1.50}\n").unwrap();
        assert_eq!(request.payload_bytes(), br#"{"x": 1.50}"#);
        for bad in [&b""[..], b"{", b"1 2", b"{\"x\":1}}", b"\xff"] {
            assert!(InferRequest::new(NetUid(1), 2, bad).is_err(), "{bad:?}");
            assert!(InferResponse::ok(bad).is_err(), "{bad:?}");
        }
        let typed = InferResponse::encode_ok(&serde_json::json!({"label": 3})).unwrap();
        assert_eq!(typed.payload_bytes(), Some(&br#"{"label":3}"#[..]));
        assert_eq!(
            InferResponse::error(ErrorCode::Busy, "").payload_bytes(),
            None
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
