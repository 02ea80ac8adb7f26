//! JSON shapes for chain specs and JSON-RPC: byte strings as `0x…` hex, balances as decimal
//! strings (JavaScript numbers lose precision above 2^53; a MIND amount in planck passes that
//! at 0.009 MIND) and names as UTF-8 text.

use alloc::{string::String, vec::Vec};
use core::{fmt::Display, str::FromStr};
use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len().saturating_mul(2).saturating_add(2));
    out.push_str("0x");
    for byte in bytes {
        for nibble in [byte >> 4, byte & 0x0f] {
            // `nibble` < 16, so the index is always in range.
            out.push(
                DIGITS
                    .get(usize::from(nibble))
                    .copied()
                    .map_or('0', char::from),
            );
        }
    }
    out
}

fn from_hex(text: &str) -> Result<Vec<u8>, &'static str> {
    let digits = text.strip_prefix("0x").unwrap_or(text).as_bytes();
    if !digits.len().is_multiple_of(2) {
        return Err("hex string has an odd number of digits");
    }
    let value = |d: u8| -> Result<u8, &'static str> {
        match d {
            b'0'..=b'9' => Ok(d.wrapping_sub(b'0')),
            b'a'..=b'f' => Ok(d.wrapping_sub(b'a').wrapping_add(10)),
            b'A'..=b'F' => Ok(d.wrapping_sub(b'A').wrapping_add(10)),
            _ => Err("invalid hex digit"),
        }
    };
    digits
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Ok((value(*hi)? << 4) | value(*lo)?),
            _ => Err("invalid hex digit"),
        })
        .collect()
}

/// Any byte container as `0x…` hex.
pub mod hex {
    use super::*;

    /// Serializes bytes as `0x…`.
    pub fn serialize<S: Serializer, T: AsRef<[u8]>>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(value.as_ref()))
    }

    /// Parses `0x…` (or bare) hex into the container; length limits of bounded containers
    /// are enforced.
    pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<Vec<u8>>>(
        d: D,
    ) -> Result<T, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = from_hex(&text).map_err(D::Error::custom)?;
        T::try_from(bytes).map_err(|_| D::Error::custom("byte string has the wrong length"))
    }
}

/// An optional byte container as `0x…` hex or `null`.
pub mod hex_option {
    use super::*;

    /// Serializes `Some(bytes)` as `0x…`, `None` as `null`.
    pub fn serialize<S: Serializer, T: AsRef<[u8]>>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => s.serialize_some(&to_hex(bytes.as_ref())),
            None => s.serialize_none(),
        }
    }

    /// Parses `0x…` (or bare) hex or `null`; length limits of bounded containers are enforced.
    pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<Vec<u8>>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| {
                let bytes = from_hex(&text).map_err(D::Error::custom)?;
                T::try_from(bytes).map_err(|_| D::Error::custom("byte string has the wrong length"))
            })
            .transpose()
    }
}

/// A list of byte containers as a list of `0x…` hex strings.
pub mod hex_list {
    use super::*;
    use serde::ser::SerializeSeq;

    /// Serializes each element as `0x…`.
    pub fn serialize<S, L, T>(value: &L, s: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        L: AsRef<[T]>,
        T: AsRef<[u8]>,
    {
        let items = value.as_ref();
        let mut seq = s.serialize_seq(Some(items.len()))?;
        for item in items {
            seq.serialize_element(&to_hex(item.as_ref()))?;
        }
        seq.end()
    }

    /// Parses a list of hex strings; element and list bounds are enforced.
    pub fn deserialize<'de, D, L, T>(d: D) -> Result<L, D::Error>
    where
        D: Deserializer<'de>,
        L: TryFrom<Vec<T>>,
        T: TryFrom<Vec<u8>>,
    {
        let texts = Vec::<String>::deserialize(d)?;
        let mut items = Vec::with_capacity(texts.len());
        for text in texts {
            let bytes = from_hex(&text).map_err(D::Error::custom)?;
            items.push(T::try_from(bytes).map_err(|_| D::Error::custom("element too long"))?);
        }
        L::try_from(items).map_err(|_| D::Error::custom("too many elements"))
    }
}

/// How a balance may appear in JSON: a decimal string (what we write) or a plain number
/// (hand-written chain specs).
#[derive(Deserialize)]
#[serde(untagged)]
enum DecimalRepr {
    Text(String),
    Number(u64),
}

/// Numbers as decimal strings.
pub mod decimal {
    use super::*;

    /// Serializes with `Display`.
    pub fn serialize<S: Serializer, T: Display>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    /// Parses a decimal string (or a plain JSON number, for hand-written chain specs).
    pub fn deserialize<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: FromStr + TryFrom<u64>,
    {
        match DecimalRepr::deserialize(d)? {
            DecimalRepr::Text(text) => text
                .parse()
                .map_err(|_| D::Error::custom("not a decimal number")),
            DecimalRepr::Number(n) => {
                T::try_from(n).map_err(|_| D::Error::custom("number out of range"))
            }
        }
    }
}

/// Balances as decimal strings, like [`decimal`], but by way of `u128` instead of `Display`
/// and `FromStr`: FRAME's balance types (`AtLeast32BitUnsigned`) convert to and from `u128`
/// without a `Display` bound, and genesis configs must serialize with only the pallet's
/// `Config` bounds to go on. Parsing takes a decimal string or a plain JSON number (for
/// hand-written chain specs) and refuses what the type cannot hold.
pub mod balance {
    use super::*;
    use serde::ser::Error as _;

    /// Serializes `value` as a decimal string.
    pub fn serialize<S: Serializer, T: Copy + TryInto<u128>>(
        value: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let n: u128 = (*value)
            .try_into()
            .map_err(|_| S::Error::custom("balance above u128"))?;
        s.collect_str(&n)
    }

    /// Parses a decimal string (or a plain JSON number).
    pub fn deserialize<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<u128>,
    {
        let n: u128 = match DecimalRepr::deserialize(d)? {
            DecimalRepr::Text(text) => text
                .parse()
                .map_err(|_| D::Error::custom("not a decimal number"))?,
            DecimalRepr::Number(n) => u128::from(n),
        };
        T::try_from(n).map_err(|_| D::Error::custom("number out of range"))
    }
}

/// A [`crate::Range`] of balances as `{"min": "…", "max": "…"}`, each bound as
/// [`balance`] writes it.
pub mod balance_range {
    use super::*;
    use crate::Range;
    use serde::Serialize;

    #[derive(Serialize)]
    #[serde(bound(serialize = "T: Copy + TryInto<u128>"))]
    struct Out<T> {
        #[serde(with = "super::balance")]
        min: T,
        #[serde(with = "super::balance")]
        max: T,
    }

    #[derive(Deserialize)]
    #[serde(bound(deserialize = "T: TryFrom<u128>"))]
    struct In<T> {
        #[serde(with = "super::balance")]
        min: T,
        #[serde(with = "super::balance")]
        max: T,
    }

    /// Serializes both bounds as decimal strings.
    pub fn serialize<S: Serializer, T: Copy + TryInto<u128>>(
        range: &Range<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        Out {
            min: range.min,
            max: range.max,
        }
        .serialize(s)
    }

    /// Parses both bounds (decimal strings or plain JSON numbers).
    pub fn deserialize<'de, D, T>(d: D) -> Result<Range<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<u128>,
    {
        let In { min, max } = In::deserialize(d)?;
        Ok(Range { min, max })
    }
}

/// Byte strings as UTF-8 text (invalid sequences shown as U+FFFD when serializing).
pub mod utf8 {
    use super::*;

    /// Serializes as text.
    pub fn serialize<S: Serializer, T: AsRef<[u8]>>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(value.as_ref()))
    }

    /// Parses text into its UTF-8 bytes.
    pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<Vec<u8>>>(
        d: D,
    ) -> Result<T, D::Error> {
        let text = String::deserialize(d)?;
        T::try_from(text.into_bytes()).map_err(|_| D::Error::custom("text too long"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        assert_eq!(to_hex(&[0x00, 0xab, 0xff]), "0x00abff");
        assert_eq!(from_hex("0x00abFF"), Ok(vec![0x00, 0xab, 0xff]));
        assert_eq!(
            from_hex("abc"),
            Err("hex string has an odd number of digits")
        );
        assert_eq!(from_hex("0xzz"), Err("invalid hex digit"));
    }

    #[test]
    fn views_use_hex_decimal_and_text_in_json() {
        use crate::*;
        let endpoint = Endpoint {
            peer_id: vec![0x12, 0x20].try_into().unwrap(),
            multiaddrs: vec![vec![0x04, 127, 0, 0, 1].try_into().unwrap()]
                .try_into()
                .unwrap(),
        };
        let view = SubnetView::<u64, u128, u32> {
            netuid: NetUid(1),
            owner: 7,
            name: b"digits".to_vec(),
            task: TaskSpec {
                modality: Modality::Image,
                model_digest: [0xab; 32],
                input_schema: 2,
                output_schema: 2,
                scoring_rule: ScoringRule::Correctness,
            },
            hyperparameters: Hyperparameters {
                tempo: 20,
                max_neurons: 256,
                max_validators: 8,
                immunity_period: 200,
                min_validator_stake: 1_000_000_000_000_000,
                commit_reveal: true,
            },
            permissioned: false,
            deposit: 100_000_000_000_000,
            created_at: 0,
            neurons: 3,
            registration_burn: 1,
        };
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["name"], "digits");
        assert_eq!(
            json["task"]["model_digest"],
            format!("0x{}", "ab".repeat(32))
        );
        assert_eq!(
            json["hyperparameters"]["min_validator_stake"],
            "1000000000000000"
        );
        assert_eq!(json["registrationBurn"], "1");
        let back: SubnetView<u64, u128, u32> = serde_json::from_value(json).unwrap();
        assert_eq!(back, view);

        let json = serde_json::to_value(&endpoint).unwrap();
        assert_eq!(json["peer_id"], "0x1220");
        assert_eq!(json["multiaddrs"][0], "0x047f000001");
        assert_eq!(serde_json::from_value::<Endpoint>(json).unwrap(), endpoint);
        // Bounds hold when parsing: a 65-byte PeerId is refused.
        let long =
            serde_json::json!({"peer_id": format!("0x{}", "00".repeat(65)), "multiaddrs": []});
        assert!(serde_json::from_value::<Endpoint>(long).is_err());
    }

    #[test]
    fn hyperparameter_balances_are_exact_decimal_strings() {
        use crate::*;
        // 2^53 + 1: the first integer a JavaScript number cannot hold.
        let big: u128 = 9_007_199_254_740_993;
        let params = Hyperparameters::<u128> {
            tempo: 20,
            max_neurons: 256,
            max_validators: 8,
            immunity_period: 200,
            min_validator_stake: big,
            commit_reveal: true,
        };
        let json = serde_json::to_value(&params).unwrap();
        assert_eq!(json["min_validator_stake"], "9007199254740993");
        assert_eq!(json["tempo"], 20, "other integers stay numbers");
        assert_eq!(
            serde_json::from_value::<Hyperparameters<u128>>(json).unwrap(),
            params
        );

        let bounds = HyperparameterBounds::<u128> {
            tempo: Range {
                min: 10,
                max: 1_000,
            },
            max_neurons: Range { min: 1, max: 64 },
            max_validators: Range { min: 1, max: 8 },
            immunity_period: Range { min: 0, max: 100 },
            min_validator_stake: Range {
                min: 0,
                max: u128::MAX,
            },
        };
        let json = serde_json::to_value(&bounds).unwrap();
        assert_eq!(
            json["min_validator_stake"],
            serde_json::json!({"min": "0", "max": u128::MAX.to_string()})
        );
        assert_eq!(json["tempo"], serde_json::json!({"min": 10, "max": 1000}));
        assert_eq!(
            serde_json::from_value::<HyperparameterBounds<u128>>(json).unwrap(),
            bounds
        );
    }

    #[test]
    fn balance_takes_numbers_and_refuses_what_does_not_fit() {
        #[derive(Debug, PartialEq, serde::Serialize, Deserialize)]
        #[serde(bound(
            serialize = "T: Copy + TryInto<u128>",
            deserialize = "T: TryFrom<u128>"
        ))]
        struct Amount<T>(#[serde(with = "balance")] T);
        let parse = |text: &str| serde_json::from_str::<Amount<u64>>(text).map(|a| a.0);
        assert_eq!(parse("\"18446744073709551615\"").unwrap(), u64::MAX);
        assert_eq!(
            parse("7").unwrap(),
            7,
            "plain numbers, for hand-written chain specs"
        );
        assert!(parse("\"18446744073709551616\"").is_err(), "above u64::MAX");
        assert!(parse("\"-1\"").is_err());
        assert!(parse("\"1.5\"").is_err());
        assert!(parse("\"\"").is_err());
        assert_eq!(
            serde_json::from_str::<Amount<u128>>("\"340282366920938463463374607431768211455\"")
                .unwrap()
                .0,
            u128::MAX
        );
        assert_eq!(serde_json::to_string(&Amount(42u8)).unwrap(), "\"42\"");
    }
}
