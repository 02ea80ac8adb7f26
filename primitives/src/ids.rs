//! Ids as types, so a subnet id and a neuron's uid cannot be swapped by accident: [`Uid`],
//! and the text forms of [`NetUid`] and [`Uid`] (logs, metrics labels, command lines).
//!
//! On chain the pallets index neurons by a plain `u16` (the metadata and the chain client's
//! generated types keep that shape); off chain — the mesh's wire types, the binaries, the
//! gateway — every uid is a [`Uid`]. Both newtypes are `#[repr(transparent)]` and encode as
//! the bare number in SCALE and JSON, so typing them changes no byte on any wire.

use core::{fmt, num::ParseIntError, str::FromStr};

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::NetUid;

/// A neuron's slot on its subnet, `0 .. max_neurons`.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(transparent)]
pub struct Uid(pub u16);

impl From<u16> for Uid {
    fn from(value: u16) -> Self {
        Uid(value)
    }
}

impl From<Uid> for u16 {
    fn from(uid: Uid) -> Self {
        uid.0
    }
}

impl From<NetUid> for u16 {
    fn from(netuid: NetUid) -> Self {
        netuid.0
    }
}

/// Both print as the bare number: `7`, as the chain, the RPCs and the command lines write them.
macro_rules! number_text {
    ($($id:ident),*) => {$(
        impl fmt::Display for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $id {
            type Err = ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map($id)
            }
        }
    )*};
}

number_text!(NetUid, Uid);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_print_as_bare_numbers() {
        assert_eq!(NetUid(7).to_string(), "7");
        assert_eq!("4095".parse::<Uid>(), Ok(Uid(4095)));
        assert!("65536".parse::<NetUid>().is_err());
        assert!("-1".parse::<Uid>().is_err());
    }

    #[test]
    fn ids_encode_as_the_bare_number() {
        assert_eq!(Uid(513).encode(), 513u16.encode());
        assert_eq!(vec![Uid(1), Uid(2)].encode(), vec![1u16, 2].encode());
        assert_eq!(NetUid(9).encode(), 9u16.encode());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn ids_are_plain_numbers_in_json() {
        assert_eq!(serde_json::to_string(&Uid(12)).unwrap(), "12");
        assert_eq!(serde_json::from_str::<NetUid>("3").unwrap(), NetUid(3));
    }
}
