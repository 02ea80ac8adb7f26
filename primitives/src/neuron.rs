//! What a neuron publishes about itself (endpoint, device) and how the read side shows it.

use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_arithmetic::Perbill;

/// Longest libp2p PeerId accepted, in bytes. An Ed25519 identity PeerId is 38 bytes; a
/// SHA-256 PeerId of an RSA key is 34. 64 leaves room without inviting blobs.
pub const MAX_PEER_ID_LEN: u32 = 64;
/// Most multiaddrs a neuron may publish (TCP, QUIC, IPv4 and IPv6 fit comfortably).
pub const MAX_MULTIADDRS: u32 = 8;
/// Longest binary multiaddr accepted, in bytes.
pub const MAX_MULTIADDR_LEN: u32 = 128;

/// A libp2p PeerId in its binary (multihash) form.
pub type PeerIdBytes = BoundedVec<u8, ConstU32<MAX_PEER_ID_LEN>>;
/// One multiaddr in its binary form.
pub type MultiaddrBytes = BoundedVec<u8, ConstU32<MAX_MULTIADDR_LEN>>;

/// How to reach a neuron on the mesh. The chain stores bytes only; binaries parse them with
/// libp2p and ignore entries that do not parse.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Endpoint {
    /// The neuron's libp2p PeerId; miners authorise validators by it.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex"))]
    pub peer_id: PeerIdBytes,
    /// Where the neuron listens.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex_list"))]
    pub multiaddrs: BoundedVec<MultiaddrBytes, ConstU32<MAX_MULTIADDRS>>,
}

/// The kind of device a neuron runs on; routing prefers capable, plugged-in devices.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum DeviceClass {
    /// A phone or tablet.
    Phone,
    /// A laptop.
    Laptop,
    /// A desktop or workstation.
    Desktop,
    /// A server or cloud instance.
    Server,
    /// A single-board computer or other embedded device.
    Embedded,
}

/// Where a device draws its power from.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PowerSource {
    /// Mains power.
    Mains,
    /// A battery; the miner lowers its concurrency when it runs low.
    Battery,
    /// Solar or other intermittent supply.
    Renewable,
}

/// What a neuron declares about its device. Self-reported; validators measure the truth.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DeviceProfile {
    /// Kind of device.
    pub class: DeviceClass,
    /// Relative compute capacity (the miner's own benchmark; higher is faster).
    pub compute_score: u32,
    /// Power supply.
    pub power: PowerSource,
    /// ISO 3166-1 alpha-2 region code in ASCII capitals (e.g. `*b"DE"`).
    pub region: [u8; 2],
}

impl DeviceProfile {
    /// Whether the region is two ASCII capital letters.
    pub fn has_valid_region(&self) -> bool {
        self.region.iter().all(u8::is_ascii_uppercase)
    }
}

/// One row of a subnet's metagraph, as the runtime API and `mindos_metagraph` return it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "AccountId: serde::Serialize, Balance: core::fmt::Display, BlockNumber: serde::Serialize",
        deserialize = "AccountId: serde::Deserialize<'de>, Balance: core::str::FromStr + TryFrom<u64>, BlockNumber: serde::Deserialize<'de>"
    ))
)]
pub struct NeuronView<AccountId, Balance, BlockNumber> {
    /// Slot of the neuron on its subnet.
    pub uid: u16,
    /// The neuron's hot key (signs serving and weights).
    pub hotkey: AccountId,
    /// The cold key that registered and owns the hotkey.
    pub coldkey: AccountId,
    /// Total stake on the hotkey (own and delegated).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::decimal"))]
    pub stake: Balance,
    /// Whether the hotkey holds a validator permit on this subnet.
    pub validator_permit: bool,
    /// Where the neuron serves, once it has called `serve`.
    pub endpoint: Option<Endpoint>,
    /// Its declared device, once it has called `serve`.
    pub device: Option<DeviceProfile>,
    /// Block of registration.
    pub registered_at: BlockNumber,
    /// Whether it is still inside its immunity period.
    pub immune: bool,
    /// Stake-weighted kappa-median of the weights validators gave it in the last epoch.
    pub consensus: Perbill,
    /// Its share of the miners' emission in the last epoch.
    pub incentive: Perbill,
    /// Its share of the validators' emission in the last epoch.
    pub dividends: Perbill,
    /// Share of its weighted support that survived clipping to consensus (miners).
    pub trust: Perbill,
    /// Share of its weights that survived clipping to consensus (validators).
    pub validator_trust: Perbill,
    /// Moving average over past epochs of the consensus it received (miners) or of its
    /// validator trust, if larger (validators).
    pub reputation: Perbill,
    /// What it earned in the last epoch.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::decimal"))]
    pub emission: Balance,
    /// Block at which it last set weights, if it ever did (validators).
    pub last_update: Option<BlockNumber>,
    /// While its hotkey is quarantined by the sentinels (it earns nothing, routing skips it):
    /// the first sentinel epoch of the subnet in which `unquarantine` may release it. It stays
    /// quarantined past that epoch until released. `None`: not quarantined.
    pub quarantined_until: Option<u64>,
}

/// What one neuron contributed and earned in one epoch.
#[derive(
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "Balance: core::fmt::Display, BlockNumber: serde::Serialize",
        deserialize = "Balance: core::str::FromStr + TryFrom<u64>, BlockNumber: serde::Deserialize<'de>"
    ))
)]
pub struct Contribution<Balance, BlockNumber> {
    /// The subnet's epoch counter when it was recorded.
    pub epoch: u64,
    /// Block of that epoch.
    pub block: BlockNumber,
    /// Its share of the miners' emission.
    pub incentive: Perbill,
    /// Its share of the validators' emission.
    pub dividend: Perbill,
    /// Its consensus weight.
    pub consensus: Perbill,
    /// What it earned.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::decimal"))]
    pub emission: Balance,
}

/// One neuron with its recent contributions, as `mindos_neuron` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "AccountId: serde::Serialize, Balance: core::fmt::Display, BlockNumber: serde::Serialize",
        deserialize = "AccountId: serde::Deserialize<'de>, Balance: core::str::FromStr + TryFrom<u64>, BlockNumber: serde::Deserialize<'de>"
    ))
)]
pub struct NeuronDetail<AccountId, Balance, BlockNumber> {
    /// Its metagraph row.
    pub neuron: NeuronView<AccountId, Balance, BlockNumber>,
    /// Its contributions in the subnet's recent epochs since it registered, oldest first.
    pub contributions: alloc::vec::Vec<Contribution<Balance, BlockNumber>>,
}

/// One subnet as the runtime API and `mindos_subnets` / `mindos_subnet` return it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "AccountId: serde::Serialize, Balance: core::fmt::Display + Copy + TryInto<u128>, BlockNumber: serde::Serialize",
        deserialize = "AccountId: serde::Deserialize<'de>, Balance: core::str::FromStr + TryFrom<u64> + TryFrom<u128>, BlockNumber: serde::Deserialize<'de>"
    ))
)]
pub struct SubnetView<AccountId, Balance, BlockNumber> {
    /// The subnet's id.
    pub netuid: crate::NetUid,
    /// Its owner.
    pub owner: AccountId,
    /// Its name (UTF-8 by convention).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::utf8"))]
    pub name: alloc::vec::Vec<u8>,
    /// What it computes.
    pub task: crate::TaskSpec,
    /// Its hyperparameters.
    pub hyperparameters: crate::Hyperparameters<Balance>,
    /// Whether only allow-listed hotkeys may register.
    pub permissioned: bool,
    /// The lock deposit held from the owner.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::decimal"))]
    pub deposit: Balance,
    /// Block of creation.
    pub created_at: BlockNumber,
    /// Registered neurons.
    pub neurons: u16,
    /// What registering costs now (it rises with demand and decays toward a floor).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::decimal"))]
    pub registration_burn: Balance,
}

/// Whether `block` is an epoch boundary of subnet `netuid` with the given `tempo`, by the
/// staggered rule a new subnet's schedule starts from.
///
/// Subnets are staggered by their id, so subnets with the same tempo never share an epoch
/// block. Once a subnet's tempo changes, its schedule is anchored at the boundary the change
/// took effect at (the subnets pallet's `EpochTiming`), and [`crate::SubnetsInfo::epochs_due`]
/// is what says which subnets are due.
pub fn is_epoch_boundary(netuid: crate::NetUid, tempo: u16, block: u64) -> bool {
    let period = u64::from(tempo).saturating_add(1);
    block
        .saturating_add(u64::from(netuid.0))
        .saturating_add(1)
        .checked_rem(period)
        == Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NetUid;

    #[test]
    fn epochs_come_every_tempo_plus_one_blocks_and_are_staggered() {
        let due = |netuid: u16| -> Vec<u64> {
            (0..30)
                .filter(|b| is_epoch_boundary(NetUid(netuid), 9, *b))
                .collect()
        };
        assert_eq!(due(0), vec![9, 19, 29]);
        assert_eq!(due(1), vec![8, 18, 28]);
        assert!(due(0).iter().all(|b| !due(1).contains(b)));
    }

    #[test]
    fn region_must_be_two_capitals() {
        let mut d = DeviceProfile {
            class: DeviceClass::Laptop,
            compute_score: 10,
            power: PowerSource::Battery,
            region: *b"DE",
        };
        assert!(d.has_valid_region());
        d.region = *b"de";
        assert!(!d.has_valid_region());
    }
}
