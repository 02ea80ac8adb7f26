//! Runtime-level tests: genesis presets, transfers, fees, bad signatures, metadata.

use crate::{
    genesis_config_presets::{self, DEV_ENDOWMENT},
    AccountId, Balance, Balances, BalancesCall, Directives, Executive, Runtime, RuntimeCall,
    RuntimeGenesisConfig, RuntimeOrigin, SignedPayload, Sudo, System, TransactionPayment,
    TxExtension, UncheckedExtrinsic, EXISTENTIAL_DEPOSIT, MILLI_MIND, MIND, VERSION,
};
use codec::Encode;
use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo, traits::Get};
use sp_core::{crypto::Pair, H256};
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
    generic::Era,
    traits::Header as _,
    transaction_validity::{InvalidTransaction, TransactionValidityError},
    BuildStorage, MultiAddress,
};

/// RFC 7386 JSON merge patch: how the node applies a preset to the default genesis config.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    base.remove(&key);
                } else {
                    merge(base.entry(key).or_insert(serde_json::Value::Null), value);
                }
            }
        }
        (base, patch) => *base = patch,
    }
}

/// The full genesis config of preset `name`, exactly as a chain spec would build it.
fn genesis_config(name: &str) -> RuntimeGenesisConfig {
    let patch = genesis_config_presets::get_preset(&PresetId::from(name)).expect("known preset");
    let patch: serde_json::Value = serde_json::from_slice(&patch).expect("preset is JSON");
    let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serialises");
    merge(&mut config, patch);
    serde_json::from_value(config).expect("preset patch yields a valid genesis config")
}

fn externalities(preset: &str) -> sp_io::TestExternalities {
    let storage = genesis_config(preset)
        .build_storage()
        .expect("genesis storage builds");
    // At genesis (block 0): tests that need a block open one with `initialize_block_one`.
    sp_io::TestExternalities::new(storage)
}

fn account(who: Sr25519Keyring) -> AccountId {
    who.to_account_id()
}

fn free(who: Sr25519Keyring) -> Balance {
    Balances::free_balance(account(who))
}

#[test]
fn every_listed_preset_builds_and_unknown_ones_do_not_exist() {
    let names = genesis_config_presets::preset_names();
    assert_eq!(names.len(), 3);
    for name in &names {
        let name = core::str::from_utf8(name.as_ref()).expect("utf8");
        genesis_config(name)
            .build_storage()
            .expect("genesis storage builds");
    }
    assert!(genesis_config_presets::get_preset(&PresetId::from("mainnet")).is_none());
}

#[test]
fn development_preset_has_one_authority_and_funded_dev_accounts() {
    externalities(DEV_RUNTIME_PRESET).execute_with(|| {
        assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
        assert_eq!(
            pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(),
            1
        );
        assert_eq!(
            pallet_sudo::Key::<Runtime>::get(),
            Some(account(Sr25519Keyring::Alice))
        );
        for who in [
            Sr25519Keyring::Alice,
            Sr25519Keyring::Bob,
            Sr25519Keyring::Ferdie,
        ] {
            assert_eq!(free(who), DEV_ENDOWMENT);
        }
        // Twelve dev accounts (six names and their stashes), nothing else minted.
        assert_eq!(
            pallet_balances::TotalIssuance::<Runtime>::get(),
            12 * DEV_ENDOWMENT
        );
    });
}

/// Review M9: a real network starts with no key anyone else knows and nobody able to act as
/// Root — before, every preset made Alice (a public key) the sudo key.
#[test]
fn production_preset_has_no_dev_accounts_and_nobody_can_act_as_root() {
    externalities(genesis_config_presets::PRODUCTION_RUNTIME_PRESET).execute_with(|| {
        assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
        assert_eq!(pallet_balances::TotalIssuance::<Runtime>::get(), 0);
        assert_eq!(free(Sr25519Keyring::Alice), 0);
        assert!(pallet_mindos_subnets::SubnetInfoOf::<Runtime>::iter()
            .next()
            .is_none());
        assert_eq!(
            Directives::parameters().hyperparameter_bounds,
            genesis_config_presets::default_hyperparameter_bounds()
        );
        let remark = Box::new(RuntimeCall::System(frame_system::Call::remark {
            remark: vec![],
        }));
        for who in [Sr25519Keyring::Alice, Sr25519Keyring::Bob] {
            let origin = RuntimeOrigin::signed(account(who));
            assert_noop!(
                Sudo::sudo(origin.clone(), remark.clone()),
                pallet_sudo::Error::<Runtime>::RequireSudo
            );
            assert_noop!(
                Sudo::set_key(origin, account(who).into()),
                pallet_sudo::Error::<Runtime>::RequireSudo
            );
        }
    });
}

#[test]
fn local_testnet_preset_has_three_authorities() {
    externalities(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
        assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 3);
        let grandpa = pallet_grandpa::Pallet::<Runtime>::grandpa_authorities();
        assert_eq!(grandpa.len(), 3);
        assert!(grandpa.iter().all(|(_, weight)| *weight == 1));
    });
}

#[test]
fn transfer_moves_balance() {
    externalities(DEV_RUNTIME_PRESET).execute_with(|| {
        let amount = 5 * MIND;
        assert_ok!(Balances::transfer_keep_alive(
            RuntimeOrigin::signed(account(Sr25519Keyring::Alice)),
            MultiAddress::Id(account(Sr25519Keyring::Bob)),
            amount,
        ));
        assert_eq!(free(Sr25519Keyring::Alice), DEV_ENDOWMENT - amount);
        assert_eq!(free(Sr25519Keyring::Bob), DEV_ENDOWMENT + amount);
    });
}

#[test]
fn transfer_of_more_than_free_balance_fails_and_changes_nothing() {
    externalities(DEV_RUNTIME_PRESET).execute_with(|| {
        assert_noop!(
            Balances::transfer_keep_alive(
                RuntimeOrigin::signed(account(Sr25519Keyring::Alice)),
                MultiAddress::Id(account(Sr25519Keyring::Bob)),
                DEV_ENDOWMENT + 1,
            ),
            sp_runtime::TokenError::FundsUnavailable
        );
        // A new account needs at least the existential deposit.
        assert_noop!(
            Balances::transfer_keep_alive(
                RuntimeOrigin::signed(account(Sr25519Keyring::Alice)),
                MultiAddress::Id(account(Sr25519Keyring::One)),
                EXISTENTIAL_DEPOSIT - 1,
            ),
            sp_runtime::TokenError::BelowMinimum
        );
    });
}

/// The extensions a wallet would attach to its `nonce`-th immortal transaction.
fn tx_extension(nonce: u32) -> TxExtension {
    (
        frame_system::CheckNonZeroSender::new(),
        frame_system::CheckSpecVersion::new(),
        frame_system::CheckTxVersion::new(),
        frame_system::CheckGenesis::new(),
        frame_system::CheckEra::from(Era::Immortal),
        frame_system::CheckNonce::from(nonce),
        frame_system::CheckWeight::new(),
        pallet_transaction_payment::ChargeTransactionPayment::from(0),
        pallet_mindos_consensus::PermittedWeightsFirst::new(),
        frame_system::WeightReclaim::new(),
    )
}

/// A transaction from `claimed` carrying a signature made by `signer`.
fn signed_transfer(
    claimed: Sr25519Keyring,
    signer: Sr25519Keyring,
    dest: Sr25519Keyring,
    amount: Balance,
) -> UncheckedExtrinsic {
    let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
        dest: MultiAddress::Id(account(dest)),
        value: amount,
    });
    let extension = tx_extension(System::account_nonce(account(claimed)));
    let payload = SignedPayload::new(call.clone(), extension.clone()).expect("payload builds");
    let signature = payload.using_encoded(|bytes| signer.pair().sign(bytes));
    UncheckedExtrinsic::new_signed(
        call,
        MultiAddress::Id(account(claimed)),
        signature.into(),
        extension,
    )
}

/// Starts block 1 on top of genesis, as a block author would.
fn initialize_block_one() {
    let header = crate::Header::new(
        1,
        H256::zero(),
        H256::zero(),
        frame_system::BlockHash::<Runtime>::get(0),
        Default::default(),
    );
    Executive::initialize_block(&header);
}

/// Found by the `runtime_call` fuzz target: a call whose benchmark cannot run in this
/// runtime (its origin admits nobody) weighed nothing, though anyone may submit it.
#[test]
fn a_call_no_origin_may_make_is_still_charged_its_storage() {
    let call = RuntimeCall::Subnets(pallet_mindos_subnets::Call::set_hyperparameter_bounds {
        bounds: crate::genesis_config_presets::default_hyperparameter_bounds(),
    });
    let weight = call.get_dispatch_info().call_weight;
    let db = <Runtime as frame_system::Config>::DbWeight::get();
    assert!(
        weight.ref_time() >= db.reads_writes(1, 1).ref_time(),
        "{weight:?}"
    );
    assert!(weight.proof_size() > 0, "{weight:?}");
}

#[test]
fn signed_transfer_pays_the_computed_fee() {
    externalities(DEV_RUNTIME_PRESET).execute_with(|| {
        initialize_block_one();
        let amount = 7 * MIND;
        let xt = signed_transfer(
            Sr25519Keyring::Alice,
            Sr25519Keyring::Alice,
            Sr25519Keyring::Bob,
            amount,
        );
        let len = xt.encoded_size() as u32;
        let info = xt.get_dispatch_info();
        let expected_fee = TransactionPayment::compute_fee(len, &info, 0);
        assert!(expected_fee > 0, "transactions must cost something");
        // `configs::WeightToFee` promises transfers cost less than a thousandth of a MIND.
        assert!(
            expected_fee < MILLI_MIND,
            "transfer fee {expected_fee} planck"
        );

        assert_ok!(Executive::apply_extrinsic(xt).expect("valid transaction"));

        let paid = DEV_ENDOWMENT - amount - free(Sr25519Keyring::Alice);
        // The fee is charged on the pre-dispatch weight and refunded down to the actual one.
        assert!(
            paid > 0 && paid <= expected_fee,
            "paid {paid}, quoted {expected_fee}"
        );
        assert_eq!(free(Sr25519Keyring::Bob), DEV_ENDOWMENT + amount);
        assert_eq!(System::account_nonce(account(Sr25519Keyring::Alice)), 1);
        // Fees are burned: issuance drops by exactly what Alice paid beyond the transfer.
        assert_eq!(
            pallet_balances::TotalIssuance::<Runtime>::get(),
            12 * DEV_ENDOWMENT - paid
        );
    });
}

#[test]
fn transfer_signed_by_the_wrong_key_is_rejected_and_changes_nothing() {
    externalities(DEV_RUNTIME_PRESET).execute_with(|| {
        initialize_block_one();
        let xt = signed_transfer(
            Sr25519Keyring::Alice,
            Sr25519Keyring::Bob,
            Sr25519Keyring::Charlie,
            MIND,
        );
        assert_eq!(
            Executive::apply_extrinsic(xt),
            Err(TransactionValidityError::Invalid(
                InvalidTransaction::BadProof
            ))
        );
        assert_eq!(free(Sr25519Keyring::Alice), DEV_ENDOWMENT);
        assert_eq!(free(Sr25519Keyring::Charlie), DEV_ENDOWMENT);
        assert_eq!(System::account_nonce(account(Sr25519Keyring::Alice)), 0);
    });
}

#[test]
fn block_time_matches_the_build() {
    let expected = if cfg!(feature = "fast-blocks") {
        1_000
    } else {
        6_000
    };
    assert_eq!(crate::MILLI_SECS_PER_BLOCK, expected);
    assert_eq!(
        pallet_aura::MinimumPeriodTimesTwo::<Runtime>::get(),
        expected
    );
}

#[test]
fn runtime_offers_metadata_v16() {
    let versions = Runtime::metadata_versions();
    assert!(versions.contains(&16), "metadata versions: {versions:?}");
    assert_eq!(versions.iter().max(), Some(&16));
    assert!(Runtime::metadata_at_version(16).is_some());
    assert_eq!(VERSION.spec_name, "mindos");
}

/// The metadata with constant values blanked: constants such as the block time differ between
/// the `fast-blocks` and production builds, while the chain client's generated code depends
/// only on types, calls, storage and events.
fn metadata_shape(bytes: &[u8]) -> Vec<u8> {
    use codec::Decode;
    use frame_metadata::{RuntimeMetadata, RuntimeMetadataPrefixed};
    let mut prefixed = RuntimeMetadataPrefixed::decode(&mut &bytes[..]).expect("metadata decodes");
    let RuntimeMetadata::V16(ref mut metadata) = prefixed.1 else {
        panic!("expected metadata v16");
    };
    for pallet in &mut metadata.pallets {
        for constant in &mut pallet.constants {
            constant.value.clear();
        }
    }
    prefixed.encode()
}

/// The chain client (`crates/chain-client`) compiles its API from a copy of this runtime's
/// metadata. This fails when that copy is stale; `MINDOS_UPDATE_METADATA=1` rewrites it
/// (which `scripts/update-metadata.sh` does).
#[test]
fn chain_client_metadata_artifact_is_current() {
    // Where `cargo test` says the crate is now, not where it was compiled: cargo reuses test
    // binaries when a workspace moves (a clean clone sharing the target dir).
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
        || env!("CARGO_MANIFEST_DIR").into(),
        std::path::PathBuf::from,
    );
    let path = crate_dir.join("../crates/chain-client/artifacts/metadata.scale");
    let current = Runtime::metadata_at_version(16)
        .expect("v16 is offered")
        .to_vec();
    if std::env::var_os("MINDOS_UPDATE_METADATA").is_some() {
        // Only the shape is compared, so a `fast-blocks` build may write it as well.
        std::fs::write(&path, &current).expect("write metadata artifact");
        return;
    }
    let stored =
        std::fs::read(&path).expect("metadata artifact exists; run scripts/update-metadata.sh");
    assert!(
        metadata_shape(&stored) == metadata_shape(&current),
        "crates/chain-client/artifacts/metadata.scale is stale: run scripts/update-metadata.sh"
    );
}

#[test]
fn presets_set_the_hyperparameter_bounds_and_dev_has_the_demo_subnets() {
    use mindos_primitives::{NetUid, ScoringRule};
    use pallet_mindos_subnets::{HyperparameterBoundsOf, SubnetCount, SubnetInfoOf};
    externalities(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
        assert_eq!(
            HyperparameterBoundsOf::<Runtime>::get(),
            Some(genesis_config_presets::default_hyperparameter_bounds())
        );
        assert_eq!(SubnetCount::<Runtime>::get(), 0);
    });
    externalities(DEV_RUNTIME_PRESET).execute_with(|| {
        assert_eq!(SubnetCount::<Runtime>::get(), 2);
        let embedding = SubnetInfoOf::<Runtime>::get(NetUid(0)).expect("subnet 0");
        let digits = SubnetInfoOf::<Runtime>::get(NetUid(1)).expect("subnet 1");
        for subnet in [&embedding, &digits] {
            assert_eq!(subnet.owner, account(Sr25519Keyring::Alice));
            assert_eq!(subnet.deposit, 0, "genesis subnets hold no deposit");
        }
        assert_eq!(embedding.name.to_vec(), b"text-embedding".to_vec());
        assert_eq!(embedding.task.scoring_rule, ScoringRule::CosineSimilarity);
        assert_eq!(
            embedding.task.model_digest,
            mindos_primitives::TEXT_EMBEDDING_MODEL_DIGEST
        );
        assert_eq!(digits.name.to_vec(), b"digits".to_vec());
        assert_eq!(digits.task.scoring_rule, ScoringRule::Correctness);
        assert_eq!(
            digits.task.model_digest,
            mindos_primitives::DIGITS_MODEL_DIGEST
        );
    });
}

#[test]
fn the_digits_digest_is_the_blake2_256_of_the_committed_model() {
    let model = include_bytes!("../../subnets/models/digits/model.onnx");
    assert_eq!(
        sp_io::hashing::blake2_256(model),
        mindos_primitives::DIGITS_MODEL_DIGEST
    );
}

#[test]
fn creating_a_subnet_holds_the_lock_deposit() {
    use mindos_primitives::{Modality, NetUid, ScoringRule, TaskSpec};
    use pallet_mindos_subnets::{HoldReason, SubnetInfoOf, Visibility};
    externalities(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
        initialize_block_one();
        let bob = account(Sr25519Keyring::Bob);
        let params = pallet_mindos_subnets::Hyperparameters {
            tempo: 100,
            max_neurons: 64,
            max_validators: 8,
            immunity_period: 100,
            min_validator_stake: MIND,
            commit_reveal: true,
        };
        assert_ok!(crate::Subnets::create_subnet(
            RuntimeOrigin::signed(bob.clone()),
            b"sensors".to_vec().try_into().unwrap(),
            TaskSpec {
                modality: Modality::Sensor,
                model_digest: [1; 32],
                input_schema: 9,
                output_schema: 9,
                scoring_rule: ScoringRule::Correctness,
            },
            params,
            Visibility::Public,
        ));
        use frame_support::traits::fungible::InspectHold;
        assert_eq!(
            Balances::balance_on_hold(
                &crate::RuntimeHoldReason::Subnets(HoldReason::SubnetLock),
                &bob
            ),
            100 * MIND
        );
        assert_eq!(
            SubnetInfoOf::<Runtime>::get(NetUid(0)).map(|s| s.owner),
            Some(bob)
        );
    });
}

/// The capacity goal, checked against the benchmarked weights the runtime charges:
/// one epoch of a full subnet (4,096 uids, 64 validators each weighting 1,024 miners) takes at
/// most a quarter of a block, and a page of miner payouts and a block's accrual fit beside it.
#[test]
fn a_full_subnet_epoch_fits_in_a_quarter_of_a_block() {
    use pallet_mindos_consensus::WeightInfo as _;
    type ConsensusWeights = <Runtime as pallet_mindos_consensus::Config>::WeightInfo;
    let max = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
    let epoch = ConsensusWeights::epoch(4_096, 64, 64 * 1_024);
    let share = epoch.ref_time() as f64 / max.ref_time() as f64;
    println!(
        "epoch(4096, 64, 65536): {} ps = {:.1}% of the block's {} ps",
        epoch.ref_time(),
        share * 100.0,
        max.ref_time()
    );
    assert!(
        share <= 0.25,
        "epoch takes {:.1}% of a block",
        share * 100.0
    );
    let busy = epoch
        .saturating_add(ConsensusWeights::pay_miners(256))
        .saturating_add(ConsensusWeights::accrue(128));
    assert!(busy.all_lte(max), "an epoch block's hooks fit in the block");
}

/// Review M2: the heaviest block the hooks can make — an accrual over every subnet, one
/// epoch of a full subnet at the most weights it can hold (64 validators × 4,095 miners, with
/// the previous epoch's payouts still queued, which the epoch's benchmark includes), a page
/// of miner payouts, a full permit recomputation and the most enactments — is charged in full
/// by the hooks and stays under half of the block, so ordinary transactions keep their share.
#[test]
fn the_heaviest_hook_block_stays_under_half_the_block() {
    use pallet_mindos_consensus::WeightInfo as _;
    use pallet_mindos_directives::WeightInfo as _;
    use pallet_mindos_stake::WeightInfo as _;
    type Consensus = <Runtime as pallet_mindos_consensus::Config>::WeightInfo;
    type Stake = <Runtime as pallet_mindos_stake::Config>::WeightInfo;
    type Directives = <Runtime as pallet_mindos_directives::Config>::WeightInfo;
    let get = |n: u32| u64::from(n);
    let max = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
    let subnets = <Runtime as pallet_mindos_consensus::Config>::MaxSubnets::get();
    let epochs = <Runtime as pallet_mindos_consensus::Config>::MaxEpochsPerBlock::get();
    let payouts = <Runtime as pallet_mindos_consensus::Config>::MaxPayoutsPerBlock::get();
    let permits = <Runtime as pallet_mindos_stake::Config>::MaxPermitUpdatesPerBlock::get();
    let enactments = <Runtime as pallet_mindos_directives::Config>::MaxEnactmentsPerBlock::get();
    let n = u32::from(mindos_primitives::MAX_NEURONS_PER_SUBNET);
    let worst_enactment = Directives::enact_directive()
        .max(Directives::enact_parameter())
        .max(Directives::enact_subnet_parameter());
    let hooks = Consensus::accrue(subnets)
        .saturating_add(Consensus::epoch(n, 64, 64 * (n - 1)).saturating_mul(get(epochs)))
        .saturating_add(Consensus::pay_miners(payouts))
        .saturating_add(Stake::on_initialize_base())
        .saturating_add(Stake::update_validator_permits(n).saturating_mul(get(permits)))
        .saturating_add(Directives::on_initialize_base())
        .saturating_add(worst_enactment.saturating_mul(get(enactments)))
        .saturating_add(pallet_mindos_sentinels::Pallet::<Runtime>::max_on_initialize_weight());
    let share = hooks.ref_time() as f64 / max.ref_time() as f64;
    let sentinels = pallet_mindos_sentinels::Pallet::<Runtime>::max_on_initialize_weight();
    println!(
        "heaviest hook block: {} ps = {:.1}% of the block's {} ps, of which the sentinels {:.1}%",
        hooks.ref_time(),
        share * 100.0,
        max.ref_time(),
        sentinels.ref_time() as f64 * 100.0 / max.ref_time() as f64
    );
    assert!(
        share < 0.5,
        "the hooks take {:.1}% of a block",
        share * 100.0
    );
    assert!(
        hooks.proof_size() < max.proof_size() / 2,
        "the hooks' proof takes half a block"
    );
}

/// Issue 19's closing note: what a report, a vote and a committee draw weigh at `n = 13` over a
/// full subnet (4,096 uids) with 64 validators, from the weights in the tree (the benchmarks
/// measure 13-seat committees and snapshot the candidates from a 4,096-uid subnet). Print them
/// with `cargo test -p mindos-runtime --lib closing_note -- --nocapture`.
#[test]
fn sentinel_weights_for_the_closing_note_fit_an_extrinsic() {
    use frame_support::{dispatch::DispatchClass, weights::Weight};
    use pallet_mindos_sentinels::WeightInfo as _;
    type Sentinels = <Runtime as pallet_mindos_sentinels::Config>::WeightInfo;
    let cases = <Runtime as pallet_mindos_sentinels::Config>::MaxOpenCasesPerSubnet::get();
    let candidates = <Runtime as pallet_mindos_sentinels::Config>::MaxCandidates::get();
    assert_eq!(
        candidates, 64,
        "every one of a subnet's 64 validators is a candidate"
    );
    // A report as charged (on a subnet with the most open cases); a vote that leaves its case
    // open, and the most a vote is charged (it closes the case, sanctions and opens an audit).
    let report = Sentinels::report(cases);
    let vote = Sentinels::vote();
    let vote_charged = pallet_mindos_sentinels::Pallet::<Runtime>::vote_weight(true, true);
    // The draw: 64 candidates snapshotted at the boundary from the 4,096-uid subnet, then the
    // 13-seat committee drawn among them (with no case, canary or audit to examine).
    let snapshot = Sentinels::advance_epoch(candidates);
    let draw = Sentinels::boundary(candidates, 0, 0);
    let show = |name: &str, w: Weight| {
        println!(
            "{name}: {:.1} µs, proof size {} bytes",
            w.ref_time() as f64 / 1e6,
            w.proof_size()
        )
    };
    show("report", report);
    show("vote (case stays open)", vote);
    show("vote (charged at most)", vote_charged);
    show("draw: snapshot of 64 candidates", snapshot);
    show("draw: 13 seats among 64", draw);
    show("draw: both", snapshot.saturating_add(draw));
    let max_extrinsic = <Runtime as frame_system::Config>::BlockWeights::get()
        .get(DispatchClass::Normal)
        .max_extrinsic
        .expect("normal extrinsics are limited");
    for weight in [report, vote_charged, snapshot.saturating_add(draw)] {
        assert!(
            weight.all_lte(max_extrinsic),
            "{weight:?} exceeds an extrinsic"
        );
    }
}

/// Review M10: fees rise while blocks are congested and fall back (never below the base)
/// when they are not; before, the multiplier was a constant one.
#[test]
fn fees_rise_with_congestion_and_never_fall_below_the_base() {
    use pallet_transaction_payment::Multiplier;
    use sp_runtime::traits::{Convert, One};
    type Update = <Runtime as pallet_transaction_payment::Config>::FeeMultiplierUpdate;
    externalities(DEV_RUNTIME_PRESET).execute_with(|| {
        let weights = <Runtime as frame_system::Config>::BlockWeights::get();
        let normal = weights
            .get(frame_support::dispatch::DispatchClass::Normal)
            .max_total
            .unwrap_or(weights.max_block);
        System::set_block_consumed_resources(normal, 0);
        let congested = Update::convert(Multiplier::one());
        assert!(congested > Multiplier::one(), "a full block raises fees");
        assert!(
            Update::convert(congested) > congested,
            "and keeps raising them"
        );
        System::set_block_consumed_resources(frame_support::weights::Weight::zero(), 0);
        assert!(
            Update::convert(congested) < congested,
            "an empty block lowers them"
        );
        assert_eq!(
            Update::convert(Multiplier::one()),
            Multiplier::one(),
            "never below one"
        );
    });
}

/// Issue 17, H7: subnet ids stay `u16` because using them up is both slow and dear with this
/// runtime's constants. Ids are never reused and every creation burns `SubnetCreationBurn`
/// (dissolving refunds only the deposit), at most one an hour: the 65,535 ids last at least
/// 7 years of back-to-back creations and burn more than a quarter of all MIND that will ever
/// exist (two halving intervals of the launch block emission).
#[test]
fn subnet_ids_cannot_be_used_up_quickly_or_cheaply() {
    type Interval = <Runtime as pallet_mindos_subnets::Config>::SubnetCreationInterval;
    // `NextNetUid` runs from 0 to `u16::MAX`, which is never handed out.
    let ids = u64::from(u16::MAX);
    let interval: crate::BlockNumber = Interval::get();
    let interval_ms = u64::from(interval) * crate::MILLI_SECS_PER_BLOCK;
    let year_ms = 365 * 24 * 3_600 * 1_000u64;
    let years = ids * interval_ms / year_ms;
    assert!(
        years >= 7,
        "ids last {years} years of back-to-back creations"
    );

    let launch =
        pallet_mindos_directives::GovernedParameters::<Balance, crate::BlockNumber>::default();
    let supply = 2 * launch.block_emission * Balance::from(launch.halving_interval);
    assert_eq!(supply, 21_024_000 * MIND);
    let burned = Balance::from(ids) * crate::configs::SubnetCreationBurn::get();
    assert_eq!(burned, 6_553_500 * MIND);
    assert!(burned > supply / 4, "using up the ids burns {burned}");
}

/// A sentinel slash settles `AuditWindowEpochs` epochs after its sanction: even at the slowest
/// tempo the launch bounds allow, that is shorter than the voting period, which the directives
/// registry keeps below the unbonding period, so a miner cannot withdraw before its slash.
#[test]
fn the_sentinel_audit_window_ends_before_stake_can_be_withdrawn() {
    let window =
        <<Runtime as pallet_mindos_sentinels::Config>::AuditWindowEpochs as Get<u32>>::get();
    let slowest_tempo = pallet_mindos_directives::launch_hyperparameter_bounds::<Balance>()
        .tempo
        .max;
    // A boundary is `tempo + 1` blocks after the previous one at most, and the slash settles
    // at the boundary that ends the window.
    let window_blocks = window * (u32::from(slowest_tempo) + 1);
    let voting = <<Runtime as pallet_mindos_directives::Config>::VotingPeriod as Get<u32>>::get();
    assert!(
        window_blocks < voting,
        "audit window of {window_blocks} blocks is not shorter than the voting period {voting}"
    );
    externalities(DEV_RUNTIME_PRESET).execute_with(|| {
        assert!(window_blocks < Directives::parameters().unbonding_period);
    });

    // The registry's own rule counts what can hold a slash longer: an appeal made just before
    // it falls due keeps it for the audit (1,200 blocks), the escalation its last vote may open
    // (1,200) and the boundary that expires it.
    let longest = Directives::parameter_limits().audit_window_at(slowest_tempo);
    assert_eq!(longest, 3 * 14_401 + 1_200 + 1_200);
    externalities(DEV_RUNTIME_PRESET).execute_with(|| {
        let parameters = Directives::parameters();
        assert!(longest < u64::from(parameters.unbonding_period));
        assert_eq!(parameters.validate(&Directives::parameter_limits()), Ok(()));
    });
}

/// The sentinels pallet's bounds match the pallets it reads: every subnet fits its queues and
/// every validator-permit holder can be a candidate.
#[test]
fn sentinel_bounds_cover_every_subnet_and_every_permit_holder() {
    use crate::Subnets;
    use mindos_primitives::SubnetsInfo;
    assert!(
        <<Runtime as pallet_mindos_sentinels::Config>::MaxSubnets as Get<u32>>::get()
            >= <Subnets as SubnetsInfo<AccountId, Balance>>::max_subnets()
    );
    assert!(
        <<Runtime as pallet_mindos_sentinels::Config>::MaxCandidates as Get<u32>>::get()
            >= <<Runtime as pallet_mindos_stake::Config>::MaxValidatorsPerSubnet as Get<u32>>::get(
            )
    );
    assert!(
        <<Runtime as pallet_mindos_sentinels::Config>::MaxCandidates as Get<u32>>::get()
            >= u32::from(
                pallet_mindos_directives::launch_hyperparameter_bounds::<Balance>()
                    .max_validators
                    .max
            )
    );
}
