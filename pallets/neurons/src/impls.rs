//! The logic behind the calls, the read side, and the traits other pallets use.
//!
//! Every `do_*` checks everything first and writes storage last, so a failed call changes
//! nothing.

use crate::{burn, pallet::*, weights::WeightInfo, BurnState, ServeInfo, LOG_TARGET};
use alloc::{vec, vec::Vec};
use codec::Encode;
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::Mutate,
        tokens::{Fortitude, Precision, Preservation},
    },
};
use frame_system::pallet_prelude::BlockNumberFor;
use mindos_primitives::{
    ed25519_key_of, hotkey_consent_message, serve_proof_message, DeviceProfile, Endpoint,
    EndpointObserver, Hyperparameters, NetUid, NeuronDeregistration, NeuronsInfo,
    OnSubnetDissolved, StakeInfo, SubnetsInfo, MAX_MULTIADDRS, MAX_MULTIADDR_LEN,
    MAX_NEURONS_PER_SUBNET, MAX_PEER_ID_LEN,
};
use sp_core::ed25519;
use sp_runtime::{
    traits::{Saturating, UniqueSaturatedInto, Verify, Zero},
    SaturatedConversion,
};

/// The uid a registration takes.
enum Slot<AccountId> {
    /// A freed uid, popped from [`FreeUids`].
    Free(u16),
    /// A new uid at the end of the vectors.
    Append(u16),
    /// The uid of a pruned neuron.
    Prune { uid: u16, hotkey: AccountId },
}

impl<T: Config> Pallet<T> {
    /// The registration price of `netuid` now, or `None` for an unknown subnet.
    pub fn burn_price(netuid: NetUid) -> Option<BalanceOf<T>> {
        T::Subnets::exists(netuid)
            .then(|| Self::current_burn(netuid, frame_system::Pallet::<T>::block_number()))
    }

    /// The price of `netuid` at block `now`: the stored price decayed toward the floor.
    fn current_burn(netuid: NetUid, now: BlockNumberFor<T>) -> BalanceOf<T> {
        let floor = T::BurnFloor::get();
        BurnOf::<T>::get(netuid).map_or(floor, |state| {
            burn::decayed_price(
                floor,
                state.price,
                now.saturating_sub(state.updated_at).unique_saturated_into(),
                T::BurnHalfLife::get().unique_saturated_into(),
            )
        })
    }

    /// The subnet size `register` is charged for: its `max_neurons` (`MAX_NEURONS_PER_SUBNET`
    /// for an unknown subnet), or the uids it has already allocated if that is more (after the
    /// owner lowered `max_neurons`, the pruning scan still reads every allocated uid).
    pub fn register_weight_size(netuid: NetUid) -> u32 {
        let max =
            T::Subnets::hyperparameters(netuid).map_or(MAX_NEURONS_PER_SUBNET, |h| h.max_neurons);
        // Reads only the length prefix of the vector.
        let allocated = RegisteredAt::<T>::decode_len(netuid).unwrap_or(0);
        u32::try_from(allocated)
            .unwrap_or(u32::MAX)
            .max(u32::from(max))
            .clamp(1, u32::from(MAX_NEURONS_PER_SUBNET))
    }

    /// The weight charged for `register` on `netuid`: [`WeightInfo::register`] measured
    /// for the subnet's size (the consent check and the pruned neuron's PeerId included).
    pub fn register_weight(netuid: NetUid) -> Weight {
        T::WeightInfo::register(Self::register_weight_size(netuid))
            .saturating_add(T::EndpointObserver::max_weight())
    }

    /// The weight charged for `deregister`: [`WeightInfo::deregister`] and the
    /// [`Config::EndpointObserver`] told of the departure.
    pub fn deregister_weight() -> Weight {
        T::WeightInfo::deregister().saturating_add(T::EndpointObserver::max_weight())
    }

    /// The weight charged for `serve`: [`WeightInfo::serve`] and the most the
    /// [`Config::EndpointObserver`] told of a new key can weigh.
    pub fn serve_weight() -> Weight {
        T::WeightInfo::serve().saturating_add(T::EndpointObserver::max_weight())
    }

    /// The chain's genesis hash, which serve proofs and hotkey consents sign so they never
    /// count on another chain. frame-system keeps block zero's hash forever.
    pub fn genesis_hash() -> T::Hash {
        frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
    }

    /// What `hotkey` signs to consent to `coldkey` owning it (the `hotkey_consent` of
    /// [`Pallet::register`]): [`hotkey_consent_message`] for this chain.
    pub fn hotkey_consent_payload(coldkey: &T::AccountId) -> Vec<u8> {
        hotkey_consent_message(Self::genesis_hash().as_ref(), &coldkey.encode())
    }

    /// What the key of `peer_id` signs so `hotkey` may serve it on `netuid` (the `proof` of
    /// [`Pallet::serve`]): [`serve_proof_message`] for this chain.
    pub fn serve_proof_payload(
        netuid: NetUid,
        hotkey: &T::AccountId,
        peer_id: &[u8],
        signed_at: BlockNumberFor<T>,
    ) -> Vec<u8> {
        serve_proof_message(
            Self::genesis_hash().as_ref(),
            netuid,
            &hotkey.encode(),
            peer_id,
            signed_at.saturated_into::<u64>(),
        )
    }

    /// Puts `hotkey` (owned by `coldkey`) in the next uid of `netuid` without a burn or
    /// checks, for other pallets' benchmarks that only need a registered hotkey. Keeping it
    /// here keeps this pallet's storage layout private to it.
    #[cfg(feature = "runtime-benchmarks")]
    pub fn register_for_benchmarks(
        netuid: NetUid,
        coldkey: T::AccountId,
        hotkey: T::AccountId,
    ) -> DispatchResult {
        let uid = NeuronCount::<T>::get(netuid);
        let next = uid.checked_add(1).ok_or(Error::<T>::UidsExhausted)?;
        // Registration block zero marks a free slot, so a neuron registered at genesis (as
        // benchmarks do) is recorded at block one.
        let now = frame_system::Pallet::<T>::block_number().max(sp_runtime::traits::One::one());
        RegisteredAt::<T>::try_mutate(netuid, |v| v.try_push(now))
            .map_err(|_| Error::<T>::UidsExhausted)?;
        Emission::<T>::try_mutate(netuid, |v| v.try_push(Zero::zero()))
            .map_err(|_| Error::<T>::UidsExhausted)?;
        HotkeyOwner::<T>::insert(&hotkey, coldkey);
        Keys::<T>::insert(netuid, uid, &hotkey);
        Uids::<T>::insert(netuid, &hotkey, uid);
        NeuronCount::<T>::insert(netuid, next);
        Ok(())
    }

    /// Records the emission `uid` earned on `netuid` in the last epoch (pruning removes the
    /// lowest). For the consensus pallet.
    pub fn note_emission(netuid: NetUid, uid: u16, amount: BalanceOf<T>) -> DispatchResult {
        Self::note_emissions(netuid, [(uid, amount)])
    }

    /// Records the emission of several uids with one read and one write of the vector. Fails
    /// with [`Error::NotRegistered`], writing nothing, if any uid is not registered.
    pub fn note_emissions(
        netuid: NetUid,
        emissions: impl IntoIterator<Item = (u16, BalanceOf<T>)>,
    ) -> DispatchResult {
        let mut vector = Emission::<T>::get(netuid);
        let mut changed = false;
        for (uid, amount) in emissions {
            ensure!(
                Keys::<T>::contains_key(netuid, uid),
                Error::<T>::NotRegistered
            );
            let slot = vector
                .get_mut(usize::from(uid))
                .ok_or(Error::<T>::InconsistentState)?;
            *slot = amount;
            changed = true;
        }
        // Nothing to note must not create an entry (the subnet may not even exist).
        if changed {
            Emission::<T>::insert(netuid, vector);
        }
        Ok(())
    }

    /// The metagraph rows of `netuid`'s uid slots `offset .. offset + limit` in uid order
    /// (free slots have no row), or `None` for an unknown subnet. Reads the uids asked for, not the whole subnet, and the
    /// validator permits once (review M5: a full subnet is ~25,000 reads and megabytes of
    /// rows, so public nodes page it).
    pub fn metagraph(netuid: NetUid, offset: u16, limit: u16) -> Option<Vec<NeuronViewOf<T>>> {
        let params = T::Subnets::hyperparameters(netuid)?;
        let registered_at = RegisteredAt::<T>::get(netuid);
        let emissions = Emission::<T>::get(netuid);
        let permits = T::Stake::validators(netuid);
        let allocated = u16::try_from(registered_at.len()).unwrap_or(u16::MAX);
        let end = offset.saturating_add(limit).min(allocated);
        let rows = (offset..end)
            .filter_map(|uid| {
                let hotkey = Keys::<T>::get(netuid, uid)?;
                let permitted = permits.contains(&hotkey);
                Self::neuron_view(
                    netuid,
                    uid,
                    hotkey,
                    permitted,
                    &params,
                    &registered_at,
                    &emissions,
                )
            })
            .collect();
        Some(rows)
    }

    /// The metagraph row of `uid` on `netuid`, or `None` for an unknown subnet or an empty
    /// uid. Reads that one neuron, not the subnet.
    pub fn neuron(netuid: NetUid, uid: u16) -> Option<NeuronViewOf<T>> {
        let params = T::Subnets::hyperparameters(netuid)?;
        let hotkey = Keys::<T>::get(netuid, uid)?;
        let permitted = T::Stake::has_validator_permit(netuid, &hotkey);
        Self::neuron_view(
            netuid,
            uid,
            hotkey,
            permitted,
            &params,
            &RegisteredAt::<T>::get(netuid),
            &Emission::<T>::get(netuid),
        )
    }

    /// One metagraph row from what the caller read; the consensus pallet fills in what its
    /// epochs computed. `None` only if the hotkey has no owner, which `try_state` rules out.
    fn neuron_view(
        netuid: NetUid,
        uid: u16,
        hotkey: T::AccountId,
        validator_permit: bool,
        params: &Hyperparameters<BalanceOf<T>>,
        registered_at: &[BlockNumberFor<T>],
        emissions: &[BalanceOf<T>],
    ) -> Option<NeuronViewOf<T>> {
        let coldkey = HotkeyOwner::<T>::get(&hotkey)?;
        let now = frame_system::Pallet::<T>::block_number();
        let immunity: BlockNumberFor<T> = params.immunity_period.into();
        let at = registered_at
            .get(usize::from(uid))
            .copied()
            .unwrap_or_default();
        let served = Axons::<T>::get(netuid, &hotkey);
        Some(NeuronViewOf::<T> {
            uid,
            stake: T::Stake::hotkey_stake(&hotkey),
            validator_permit,
            endpoint: served.as_ref().map(|s| s.endpoint.clone()),
            device: served.map(|s| s.device),
            registered_at: at,
            immune: now < at.saturating_add(immunity),
            hotkey,
            coldkey,
            consensus: Default::default(),
            incentive: Default::default(),
            dividends: Default::default(),
            trust: Default::default(),
            validator_trust: Default::default(),
            reputation: Default::default(),
            emission: emissions.get(usize::from(uid)).copied().unwrap_or_default(),
            last_update: None,
            // The sentinels pallet's to fill (the runtime API does).
            quarantined_until: None,
        })
    }

    /// `(uid, hotkey)` of every neuron on `netuid`, in uid order.
    fn neurons_in_order(netuid: NetUid) -> Vec<(u16, T::AccountId)> {
        let mut neurons: Vec<_> = Keys::<T>::iter_prefix(netuid).collect();
        neurons.sort_unstable_by_key(|(uid, _)| *uid);
        neurons
    }

    /// The neuron to prune: among the allocated, registered and non-immune uids, the lowest
    /// `(emission, registered_at, uid)`. Reads nothing but its arguments.
    fn prune_candidate(
        registered_at: &[BlockNumberFor<T>],
        emission: &[BalanceOf<T>],
        free: &[u16],
        now: BlockNumberFor<T>,
        immunity: BlockNumberFor<T>,
    ) -> Option<u16> {
        // Free uids only exist next to a full subnet when its owner lowered `max_neurons`.
        let mut is_free = vec![
            false;
            if free.is_empty() {
                0
            } else {
                registered_at.len()
            }
        ];
        for uid in free {
            if let Some(flag) = is_free.get_mut(usize::from(*uid)) {
                *flag = true;
            }
        }
        let mut best: Option<(BalanceOf<T>, BlockNumberFor<T>, u16)> = None;
        for (index, (at, earned)) in registered_at.iter().zip(emission).enumerate() {
            let Ok(uid) = u16::try_from(index) else { break };
            if is_free.get(index).copied().unwrap_or(false) || now < at.saturating_add(immunity) {
                continue;
            }
            let key = (*earned, *at, uid);
            if best.as_ref().is_none_or(|b| key < *b) {
                best = Some(key);
            }
        }
        best.map(|(_, _, uid)| uid)
    }

    pub(crate) fn do_register(
        coldkey: T::AccountId,
        netuid: NetUid,
        hotkey: T::AccountId,
        max_burn: BalanceOf<T>,
        hotkey_consent: Option<T::Signature>,
    ) -> DispatchResult {
        let params = T::Subnets::hyperparameters(netuid).ok_or(Error::<T>::UnknownSubnet)?;
        ensure!(
            T::Subnets::allows_registration(netuid, &hotkey),
            Error::<T>::NotOnAllowList
        );
        ensure!(
            !Uids::<T>::contains_key(netuid, &hotkey),
            Error::<T>::AlreadyRegistered
        );
        let known_owner = HotkeyOwner::<T>::get(&hotkey);
        match &known_owner {
            Some(owner) => ensure!(*owner == coldkey, Error::<T>::HotkeyOwnedByAnother),
            // The owner is bound for good here: only with the hotkey's own word for it.
            None => {
                let consent = hotkey_consent.ok_or(Error::<T>::MissingHotkeyConsent)?;
                ensure!(
                    consent.verify(&Self::hotkey_consent_payload(&coldkey)[..], &hotkey),
                    Error::<T>::BadHotkeyConsent
                );
            }
        }
        let now = frame_system::Pallet::<T>::block_number();
        let price = Self::current_burn(netuid, now);
        ensure!(price <= max_burn, Error::<T>::BurnAboveMax);

        let count = NeuronCount::<T>::get(netuid);
        let mut registered_at = RegisteredAt::<T>::get(netuid);
        let mut emission = Emission::<T>::get(netuid);
        let mut free = FreeUids::<T>::get(netuid);
        ensure!(
            registered_at.len() == emission.len(),
            Error::<T>::InconsistentState
        );
        // Capacity first: after the owner lowered `max_neurons`, free uids must not let the
        // subnet grow further.
        let slot = if count < params.max_neurons {
            match free.pop() {
                Some(uid) => Slot::Free(uid),
                None => Slot::Append(
                    u16::try_from(registered_at.len()).map_err(|_| Error::<T>::UidsExhausted)?,
                ),
            }
        } else {
            let uid = Self::prune_candidate(
                &registered_at,
                &emission,
                &free,
                now,
                params.immunity_period.into(),
            )
            .ok_or(Error::<T>::SubnetFullAllImmune)?;
            let hotkey = Keys::<T>::get(netuid, uid).ok_or(Error::<T>::InconsistentState)?;
            Slot::Prune { uid, hotkey }
        };
        let uid = match &slot {
            Slot::Free(uid) | Slot::Append(uid) | Slot::Prune { uid, .. } => *uid,
        };
        if let Slot::Append(_) = slot {
            registered_at
                .try_push(now)
                .map_err(|_| Error::<T>::UidsExhausted)?;
            emission
                .try_push(Zero::zero())
                .map_err(|_| Error::<T>::UidsExhausted)?;
        } else {
            let at = registered_at
                .get_mut(usize::from(uid))
                .ok_or(Error::<T>::InconsistentState)?;
            *at = now;
            let earned = emission
                .get_mut(usize::from(uid))
                .ok_or(Error::<T>::InconsistentState)?;
            *earned = Zero::zero();
        }
        let new_count = match slot {
            Slot::Prune { .. } => count,
            _ => count.checked_add(1).ok_or(Error::<T>::UidsExhausted)?,
        };

        // The burn is the first write: if it fails, nothing has changed.
        if !price.is_zero() {
            T::Currency::burn_from(
                &coldkey,
                price,
                Preservation::Preserve,
                Precision::Exact,
                Fortitude::Polite,
            )
            .map_err(|_| Error::<T>::InsufficientBalance)?;
        }

        match slot {
            Slot::Prune {
                uid,
                hotkey: pruned,
            } => {
                Uids::<T>::remove(netuid, &pruned);
                Self::leave(netuid, &pruned);
                log::debug!(target: LOG_TARGET, "pruned uid {uid} of subnet {netuid:?}");
                Self::deposit_event(Event::NeuronPruned {
                    netuid,
                    uid,
                    hotkey: pruned,
                });
            }
            Slot::Free(_) => FreeUids::<T>::insert(netuid, free),
            Slot::Append(_) => {}
        }
        if known_owner.is_none() {
            HotkeyOwner::<T>::insert(&hotkey, &coldkey);
        }
        Keys::<T>::insert(netuid, uid, &hotkey);
        Uids::<T>::insert(netuid, &hotkey, uid);
        RegisteredAt::<T>::insert(netuid, registered_at);
        Emission::<T>::insert(netuid, emission);
        NeuronCount::<T>::insert(netuid, new_count);
        BurnOf::<T>::insert(
            netuid,
            BurnState {
                price: burn::increased_price(price, T::BurnIncreaseFactor::get()),
                updated_at: now,
            },
        );
        Self::deposit_event(Event::NeuronRegistered {
            netuid,
            uid,
            hotkey,
            coldkey,
            burned: price,
        });
        Ok(())
    }

    /// Checks the sizes of a `serve` input before copying anything, then bounds it.
    fn endpoint_from(peer_id: Vec<u8>, multiaddrs: Vec<Vec<u8>>) -> Result<Endpoint, Error<T>> {
        ensure!(!peer_id.is_empty(), Error::<T>::EmptyPeerId);
        ensure!(
            peer_id.len() <= MAX_PEER_ID_LEN as usize,
            Error::<T>::PeerIdTooLong
        );
        ensure!(!multiaddrs.is_empty(), Error::<T>::NoMultiaddrs);
        ensure!(
            multiaddrs.len() <= MAX_MULTIADDRS as usize,
            Error::<T>::TooManyMultiaddrs
        );
        ensure!(
            multiaddrs
                .iter()
                .all(|a| a.len() <= MAX_MULTIADDR_LEN as usize),
            Error::<T>::MultiaddrTooLong
        );
        let multiaddrs = multiaddrs
            .into_iter()
            .map(|a| a.try_into().map_err(|_| Error::<T>::MultiaddrTooLong))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Endpoint {
            peer_id: peer_id.try_into().map_err(|_| Error::<T>::PeerIdTooLong)?,
            multiaddrs: multiaddrs
                .try_into()
                .map_err(|_| Error::<T>::TooManyMultiaddrs)?,
        })
    }

    /// `hotkey` leaves `netuid` (deregistered or pruned): removes its endpoint, if any, frees
    /// its PeerId and tells [`Config::EndpointObserver`].
    fn leave(netuid: NetUid, hotkey: &T::AccountId) {
        if let Some(served) = Axons::<T>::take(netuid, hotkey) {
            PeerIdOwner::<T>::remove(netuid, &served.endpoint.peer_id);
        }
        T::EndpointObserver::on_neuron_left(netuid, hotkey);
    }

    pub(crate) fn do_serve(
        hotkey: T::AccountId,
        netuid: NetUid,
        peer_id: Vec<u8>,
        multiaddrs: Vec<Vec<u8>>,
        device: DeviceProfile,
        proof: ServeProofOf<T>,
    ) -> DispatchResult {
        let endpoint = Self::endpoint_from(peer_id, multiaddrs)?;
        let key = ed25519_key_of(&endpoint.peer_id).ok_or(Error::<T>::PeerIdNotEd25519)?;
        ensure!(device.has_valid_region(), Error::<T>::InvalidRegion);
        let uid = Uids::<T>::get(netuid, &hotkey).ok_or(Error::<T>::NotRegistered)?;
        let now = frame_system::Pallet::<T>::block_number();
        let previous = Axons::<T>::get(netuid, &hotkey);
        if let Some(previous) = &previous {
            ensure!(
                now >= previous.served_at.saturating_add(T::ServeRateLimit::get()),
                Error::<T>::ServeRateLimited
            );
        }
        ensure!(
            proof.signed_at <= now
                && now.saturating_sub(proof.signed_at) <= T::ServeProofValidity::get(),
            Error::<T>::StaleEndpointProof
        );
        if let Some(owner) = PeerIdOwner::<T>::get(netuid, &endpoint.peer_id) {
            ensure!(owner == hotkey, Error::<T>::PeerIdTaken);
        }
        let message =
            Self::serve_proof_payload(netuid, &hotkey, &endpoint.peer_id, proof.signed_at);
        ensure!(
            sp_io::crypto::ed25519_verify(
                &ed25519::Signature::from_raw(proof.signature),
                &message,
                &ed25519::Public::from_raw(key),
            ),
            Error::<T>::BadEndpointProof
        );
        // The last check, as it records the key: a new PeerId binds a new key, which sentinel
        // evidence will be verified with. A refusal fails the call, so nothing is written.
        let new_peer_id = previous
            .as_ref()
            .is_none_or(|p| p.endpoint.peer_id != endpoint.peer_id);
        if new_peer_id {
            ensure!(
                T::EndpointObserver::on_key_bound(netuid, &hotkey, key),
                Error::<T>::KeyBindingRefused
            );
        }

        if let Some(previous) = previous {
            if previous.endpoint.peer_id != endpoint.peer_id {
                PeerIdOwner::<T>::remove(netuid, &previous.endpoint.peer_id);
            }
        }
        PeerIdOwner::<T>::insert(netuid, &endpoint.peer_id, &hotkey);
        Axons::<T>::insert(
            netuid,
            &hotkey,
            ServeInfo {
                endpoint,
                device,
                served_at: now,
            },
        );
        Self::deposit_event(Event::NeuronServed {
            netuid,
            uid,
            hotkey,
        });
        Ok(())
    }

    pub(crate) fn do_deregister(
        coldkey: T::AccountId,
        netuid: NetUid,
        hotkey: T::AccountId,
    ) -> DispatchResult {
        ensure!(
            HotkeyOwner::<T>::get(&hotkey).as_ref() == Some(&coldkey),
            Error::<T>::NotHotkeyOwner
        );
        let uid = Uids::<T>::get(netuid, &hotkey).ok_or(Error::<T>::NotRegistered)?;
        Self::free_slot(netuid, uid, &hotkey)?;
        Self::deposit_event(Event::NeuronDeregistered {
            netuid,
            uid,
            hotkey,
        });
        Ok(())
    }

    /// Removes `hotkey` from `uid`'s slot on `netuid` and frees the uid for the next
    /// registration: what `deregister` does after its checks, and what
    /// [`NeuronDeregistration`] does by force. Checks everything before writing, so an error
    /// changes nothing.
    fn free_slot(netuid: NetUid, uid: u16, hotkey: &T::AccountId) -> DispatchResult {
        let mut registered_at = RegisteredAt::<T>::get(netuid);
        let mut emission = Emission::<T>::get(netuid);
        let mut free = FreeUids::<T>::get(netuid);
        let at = registered_at
            .get_mut(usize::from(uid))
            .ok_or(Error::<T>::InconsistentState)?;
        *at = Zero::zero();
        let earned = emission
            .get_mut(usize::from(uid))
            .ok_or(Error::<T>::InconsistentState)?;
        *earned = Zero::zero();
        free.try_push(uid)
            .map_err(|_| Error::<T>::InconsistentState)?;
        let count = NeuronCount::<T>::get(netuid)
            .checked_sub(1)
            .ok_or(Error::<T>::InconsistentState)?;

        Keys::<T>::remove(netuid, uid);
        Uids::<T>::remove(netuid, hotkey);
        Self::leave(netuid, hotkey);
        RegisteredAt::<T>::insert(netuid, registered_at);
        Emission::<T>::insert(netuid, emission);
        FreeUids::<T>::insert(netuid, free);
        NeuronCount::<T>::insert(netuid, count);
        Ok(())
    }

    /// Invariants, per subnet: the count matches [`Keys`] and [`Uids`], which are inverse;
    /// the uid vectors have equal length, cover every registered and free uid, stay within
    /// `MAX_NEURONS_PER_SUBNET` and hold exactly the registered plus the free uids; free uids
    /// are unique and unregistered; registered hotkeys have an owner; served hotkeys are
    /// registered; [`PeerIdOwner`] holds exactly the served PeerIds, each owned by the
    /// hotkey serving it; and no state is kept for subnets that do not exist.
    ///
    /// Built with `std` too (not only `try-runtime`), so that the runtime's random-history
    /// test checks it after every block.
    #[cfg(any(feature = "try-runtime", feature = "std", test))]
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        use alloc::collections::{BTreeMap, BTreeSet};

        let mut keys: BTreeMap<NetUid, u32> = BTreeMap::new();
        for (netuid, uid, hotkey) in Keys::<T>::iter() {
            ensure!(
                Uids::<T>::get(netuid, &hotkey) == Some(uid),
                "Keys entry without the matching Uids entry"
            );
            ensure!(
                HotkeyOwner::<T>::contains_key(&hotkey),
                "registered hotkey without an owner"
            );
            let len = RegisteredAt::<T>::decode_len(netuid).unwrap_or(0);
            ensure!(usize::from(uid) < len, "uid beyond the uid vectors");
            let n = keys.entry(netuid).or_default();
            *n = n.saturating_add(1);
        }
        let mut uids: BTreeMap<NetUid, u32> = BTreeMap::new();
        for (netuid, hotkey, uid) in Uids::<T>::iter() {
            ensure!(
                Keys::<T>::get(netuid, uid).as_ref() == Some(&hotkey),
                "Uids entry without the matching Keys entry"
            );
            let n = uids.entry(netuid).or_default();
            *n = n.saturating_add(1);
        }
        ensure!(keys == uids, "Keys and Uids count differently");

        let mut netuids: BTreeSet<NetUid> = keys.keys().copied().collect();
        netuids.extend(NeuronCount::<T>::iter_keys());
        netuids.extend(RegisteredAt::<T>::iter_keys());
        netuids.extend(Emission::<T>::iter_keys());
        netuids.extend(FreeUids::<T>::iter_keys());
        netuids.extend(BurnOf::<T>::iter_keys());
        for (netuid, hotkey, served) in Axons::<T>::iter() {
            ensure!(
                Uids::<T>::contains_key(netuid, &hotkey),
                "Axons entry of an unregistered hotkey"
            );
            ensure!(
                PeerIdOwner::<T>::get(netuid, &served.endpoint.peer_id).as_ref() == Some(&hotkey),
                "served PeerId without the matching PeerIdOwner entry"
            );
            netuids.insert(netuid);
        }
        for (netuid, peer_id, hotkey) in PeerIdOwner::<T>::iter() {
            ensure!(
                Axons::<T>::get(netuid, &hotkey).is_some_and(|s| s.endpoint.peer_id == peer_id),
                "PeerIdOwner entry without the matching Axons entry"
            );
        }

        for netuid in netuids {
            ensure!(
                T::Subnets::exists(netuid),
                "neuron state kept for a subnet that does not exist"
            );
            let count = u32::from(NeuronCount::<T>::get(netuid));
            ensure!(
                count == keys.get(&netuid).copied().unwrap_or(0),
                "NeuronCount differs from the number of Keys"
            );
            let len = RegisteredAt::<T>::get(netuid).len();
            ensure!(
                Emission::<T>::get(netuid).len() == len,
                "RegisteredAt and Emission differ in length"
            );
            ensure!(
                len <= usize::from(MAX_NEURONS_PER_SUBNET),
                "uid vectors above MAX_NEURONS_PER_SUBNET"
            );
            let free = FreeUids::<T>::get(netuid);
            let unique: BTreeSet<u16> = free.iter().copied().collect();
            ensure!(unique.len() == free.len(), "duplicate free uids");
            for uid in &free {
                ensure!(usize::from(*uid) < len, "free uid beyond the uid vectors");
                ensure!(
                    !Keys::<T>::contains_key(netuid, uid),
                    "free uid is registered"
                );
            }
            ensure!(
                usize::try_from(count)
                    .unwrap_or(usize::MAX)
                    .saturating_add(free.len())
                    == len,
                "uid vectors are not exactly the registered plus the free uids"
            );
        }
        Ok(())
    }
}

impl<T: Config> NeuronsInfo<T::AccountId> for Pallet<T> {
    fn hotkey_owner(hotkey: &T::AccountId) -> Option<T::AccountId> {
        HotkeyOwner::<T>::get(hotkey)
    }

    fn neurons(netuid: NetUid) -> Vec<(u16, T::AccountId)> {
        Self::neurons_in_order(netuid)
    }

    fn uid(netuid: NetUid, hotkey: &T::AccountId) -> Option<u16> {
        Uids::<T>::get(netuid, hotkey)
    }

    fn hotkey(netuid: NetUid, uid: u16) -> Option<T::AccountId> {
        Keys::<T>::get(netuid, uid)
    }

    fn registered_at(netuid: NetUid) -> Vec<u64> {
        RegisteredAt::<T>::get(netuid)
            .iter()
            .map(|at| (*at).saturated_into::<u64>())
            .collect()
    }
}

impl<T: Config> NeuronDeregistration for Pallet<T> {
    /// Frees `uid`'s slot on `netuid` as the owner's `deregister` does (the hotkey keeps its
    /// owner and may register again, at the price of the day) and emits
    /// [`Event::NeuronForceDeregistered`]. False, changing nothing, for an empty slot.
    fn deregister(netuid: NetUid, uid: u16) -> bool {
        let Some(hotkey) = Keys::<T>::get(netuid, uid) else {
            return false;
        };
        if let Err(error) = Self::free_slot(netuid, uid, &hotkey) {
            log::error!(
                target: LOG_TARGET,
                "forced deregistration of uid {uid} on subnet {netuid:?} failed: {error:?}"
            );
            return false;
        }
        Self::deposit_event(Event::NeuronForceDeregistered {
            netuid,
            uid,
            hotkey,
        });
        true
    }

    /// The benchmarked `deregister` call: the same reads and writes, with a read of
    /// [`Keys`] instead of [`HotkeyOwner`], and the observer told of the departure.
    fn max_weight() -> Weight {
        Self::deregister_weight()
    }
}

impl<T: Config> mindos_primitives::EmissionRecorder<BalanceOf<T>> for Pallet<T> {
    fn record_emissions(netuid: NetUid, emissions: &[BalanceOf<T>]) {
        let registered_at = RegisteredAt::<T>::get(netuid);
        if registered_at.is_empty() {
            return;
        }
        let vector: Vec<BalanceOf<T>> = registered_at
            .iter()
            .enumerate()
            .map(|(uid, at)| {
                // A free slot records block zero and earns nothing.
                if at.is_zero() {
                    Zero::zero()
                } else {
                    emissions.get(uid).copied().unwrap_or_else(Zero::zero)
                }
            })
            .collect();
        Emission::<T>::insert(netuid, BoundedVec::truncate_from(vector));
    }
}

impl<T: Config> Pallet<T> {
    /// The weight of dissolving a subnet of `count` neurons (their PeerIds freed included).
    fn dissolution_weight(count: u16) -> Weight {
        <T as Config>::WeightInfo::on_subnet_dissolved(u32::from(count))
    }
}

impl<T: Config> OnSubnetDissolved for Pallet<T> {
    /// Removes every neuron of `netuid` (stake stays with the stakers, hotkeys keep their
    /// owners) and the subnet's uid vectors, free list, count and burn state.
    fn on_subnet_dissolved(netuid: NetUid) -> Weight {
        let count = NeuronCount::<T>::get(netuid);
        let limit = u32::from(MAX_NEURONS_PER_SUBNET);
        let cleared = [
            Keys::<T>::clear_prefix(netuid, limit, None),
            Uids::<T>::clear_prefix(netuid, limit, None),
            Axons::<T>::clear_prefix(netuid, limit, None),
            PeerIdOwner::<T>::clear_prefix(netuid, limit, None),
        ];
        if cleared.iter().any(|r| r.maybe_cursor.is_some()) {
            // Cannot happen: a subnet has at most `MAX_NEURONS_PER_SUBNET` entries in each.
            log::error!(target: LOG_TARGET, "subnet {netuid:?} left neurons behind");
        }
        RegisteredAt::<T>::remove(netuid);
        Emission::<T>::remove(netuid);
        FreeUids::<T>::remove(netuid);
        NeuronCount::<T>::remove(netuid);
        BurnOf::<T>::remove(netuid);
        log::debug!(target: LOG_TARGET, "cleared {count} neurons of subnet {netuid:?}");
        Self::dissolution_weight(count)
    }

    fn max_weight() -> Weight {
        Self::dissolution_weight(MAX_NEURONS_PER_SUBNET)
    }
}
