//! Ids as types, so a subnet id and a neuron's uid cannot be swapped by accident:
//! [`NetUid`](crate::NetUid) and [`Uid`](crate::Uid), with their text forms (logs, metrics
//! labels, command lines).
//!
//! On chain the pallets index neurons by a plain `u16` (the metadata and the chain client's
//! generated types keep that shape); off chain — the mesh's wire types, the binaries, the
//! gateway — every uid is a `Uid`. Both newtypes are `#[repr(transparent)]` and encode as the
//! bare number in SCALE and JSON, so typing them changes no byte on any wire.

/// A `u16` id as its own type: the derives the chain needs (SCALE, type info, a fixed size),
/// the same number in JSON, and the bare number as text. Invoked at the crate root, so the
/// types' paths in the runtime metadata stay `mindos_primitives::NetUid`.
macro_rules! id_type {
    ($($(#[$doc:meta])* $id:ident;)*) => {$(
        $(#[$doc])*
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
            codec::Encode,
            codec::Decode,
            codec::DecodeWithMemTracking,
            codec::MaxEncodedLen,
            scale_info::TypeInfo,
        )]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[repr(transparent)]
        pub struct $id(pub u16);

        impl core::fmt::Display for $id {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Display::fmt(&self.0, f)
            }
        }

        impl core::str::FromStr for $id {
            type Err = core::num::ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map($id)
            }
        }

        impl From<u16> for $id {
            fn from(value: u16) -> Self {
                $id(value)
            }
        }

        impl From<$id> for u16 {
            fn from(id: $id) -> Self {
                id.0
            }
        }
    )*};
}

#[cfg(test)]
mod tests {
    use codec::Encode;

    use crate::{NetUid, Uid};

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
