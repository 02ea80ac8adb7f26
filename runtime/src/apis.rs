//! The runtime APIs the node and clients call: block execution, metadata, transaction
//! validation, consensus, session keys, nonces, fees, genesis presets, and the `mindos_*` reads
//! (`MindosApi`, `SentinelsApi`).

use alloc::vec::Vec;
use frame_support::{
    genesis_builder_helper::{build_state, get_preset},
    weights::Weight,
};
use pallet_grandpa::AuthorityId as GrandpaId;
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
    traits::{Block as BlockT, NumberFor},
    transaction_validity::{TransactionSource, TransactionValidity},
    ApplyExtrinsicResult,
};
use sp_session::OpaqueGeneratedSessionKeys;
use sp_version::RuntimeVersion;

use mindos_primitives::{
    CasesView, CommitteeQueryError, CommitteeView, NetUid, NeuronDetail, NeuronView,
    QuarantineView, SubnetView,
};

use super::{
    AccountId, Aura, Balance, Block, BlockNumber, Executive, Grandpa, InherentDataExt, Nonce,
    Runtime, RuntimeCall, RuntimeGenesisConfig, SessionKeys, System, TransactionPayment, VERSION,
};

impl_runtime_apis! {
    impl sp_api::Core<Block> for Runtime {
        fn version() -> RuntimeVersion {
            VERSION
        }

        fn execute_block(block: <Block as BlockT>::LazyBlock) {
            Executive::execute_block(block);
        }

        fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
            Executive::initialize_block(header)
        }
    }

    impl sp_api::Metadata<Block> for Runtime {
        fn metadata() -> OpaqueMetadata {
            OpaqueMetadata::new(Runtime::metadata().into())
        }

        fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
            Runtime::metadata_at_version(version)
        }

        fn metadata_versions() -> Vec<u32> {
            Runtime::metadata_versions()
        }
    }

    impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
        fn execute_view_function(
            id: frame_support::view_functions::ViewFunctionId,
            input: Vec<u8>,
        ) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
            Runtime::execute_view_function(id, input)
        }
    }

    impl sp_block_builder::BlockBuilder<Block> for Runtime {
        fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
            Executive::apply_extrinsic(extrinsic)
        }

        fn finalize_block() -> <Block as BlockT>::Header {
            Executive::finalize_block()
        }

        fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
            data.create_extrinsics()
        }

        fn check_inherents(
            block: <Block as BlockT>::LazyBlock,
            data: sp_inherents::InherentData,
        ) -> sp_inherents::CheckInherentsResult {
            data.check_extrinsics(&block)
        }
    }

    impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
        fn validate_transaction(
            source: TransactionSource,
            tx: <Block as BlockT>::Extrinsic,
            block_hash: <Block as BlockT>::Hash,
        ) -> TransactionValidity {
            Executive::validate_transaction(source, tx, block_hash)
        }
    }

    impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
        fn offchain_worker(header: &<Block as BlockT>::Header) {
            Executive::offchain_worker(header)
        }
    }

    impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
        fn slot_duration() -> sp_consensus_aura::SlotDuration {
            sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
        }

        fn authorities() -> Vec<AuraId> {
            pallet_aura::Authorities::<Runtime>::get().into_inner()
        }
    }

    impl sp_session::SessionKeys<Block> for Runtime {
        fn generate_session_keys(owner: Vec<u8>, seed: Option<Vec<u8>>) -> OpaqueGeneratedSessionKeys {
            SessionKeys::generate(&owner, seed).into()
        }

        fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
            SessionKeys::decode_into_raw_public_keys(&encoded)
        }
    }

    impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
        fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
            Grandpa::grandpa_authorities()
        }

        fn current_set_id() -> sp_consensus_grandpa::SetId {
            Grandpa::current_set_id()
        }

        fn submit_report_equivocation_unsigned_extrinsic(
            _equivocation_proof: sp_consensus_grandpa::EquivocationProof<
                <Block as BlockT>::Hash,
                NumberFor<Block>,
            >,
            _key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
        ) -> Option<()> {
            None
        }

        fn generate_key_ownership_proof(
            _set_id: sp_consensus_grandpa::SetId,
            _authority_id: GrandpaId,
        ) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
            // The key owner proof type is `Void` (no session pallet), so no proof can exist.
            None
        }
    }

    impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
        fn account_nonce(account: AccountId) -> Nonce {
            System::account_nonce(account)
        }
    }

    impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
        fn query_info(
            uxt: <Block as BlockT>::Extrinsic,
            len: u32,
        ) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
            TransactionPayment::query_info(uxt, len)
        }
        fn query_fee_details(
            uxt: <Block as BlockT>::Extrinsic,
            len: u32,
        ) -> pallet_transaction_payment::FeeDetails<Balance> {
            TransactionPayment::query_fee_details(uxt, len)
        }
        fn query_weight_to_fee(weight: Weight) -> Balance {
            TransactionPayment::weight_to_fee(weight)
        }
        fn query_length_to_fee(length: u32) -> Balance {
            TransactionPayment::length_to_fee(length)
        }
    }

    impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
        for Runtime
    {
        fn query_call_info(
            call: RuntimeCall,
            len: u32,
        ) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
            TransactionPayment::query_call_info(call, len)
        }
        fn query_call_fee_details(
            call: RuntimeCall,
            len: u32,
        ) -> pallet_transaction_payment::FeeDetails<Balance> {
            TransactionPayment::query_call_fee_details(call, len)
        }
        fn query_weight_to_fee(weight: Weight) -> Balance {
            TransactionPayment::weight_to_fee(weight)
        }
        fn query_length_to_fee(length: u32) -> Balance {
            TransactionPayment::length_to_fee(length)
        }
    }

    impl mindos_runtime_api::MindosApi<Block, AccountId, Balance, BlockNumber> for Runtime {
        fn subnets() -> Vec<SubnetView<AccountId, Balance, BlockNumber>> {
            pallet_mindos_subnets::SubnetInfoOf::<Runtime>::iter_keys()
                .filter_map(subnet_view)
                .collect::<alloc::collections::BTreeMap<_, _>>()
                .into_values()
                .collect()
        }

        fn subnet(netuid: NetUid) -> Option<SubnetView<AccountId, Balance, BlockNumber>> {
            subnet_view(netuid).map(|(_, view)| view)
        }

        fn metagraph(
            netuid: NetUid,
            offset: u16,
            limit: u16,
        ) -> Option<Vec<NeuronView<AccountId, Balance, BlockNumber>>> {
            let mut rows =
                pallet_mindos_neurons::Pallet::<Runtime>::metagraph(netuid, offset, limit)?;
            pallet_mindos_consensus::Pallet::<Runtime>::decorate_metagraph(netuid, &mut rows);
            pallet_mindos_sentinels::Pallet::<Runtime>::decorate_metagraph(netuid, &mut rows);
            Some(rows)
        }

        fn neuron(
            netuid: NetUid,
            uid: u16,
        ) -> Option<NeuronDetail<AccountId, Balance, BlockNumber>> {
            let mut rows = alloc::vec![pallet_mindos_neurons::Pallet::<Runtime>::neuron(netuid, uid)?];
            pallet_mindos_consensus::Pallet::<Runtime>::decorate_metagraph(netuid, &mut rows);
            pallet_mindos_sentinels::Pallet::<Runtime>::decorate_metagraph(netuid, &mut rows);
            let neuron = rows.pop()?;
            let contributions = pallet_mindos_consensus::Pallet::<Runtime>::contributions(
                netuid,
                uid,
                neuron.registered_at,
            );
            Some(NeuronDetail { neuron, contributions })
        }

        fn directives() -> Vec<pallet_mindos_directives::DirectiveViewOf<Runtime>> {
            pallet_mindos_directives::Pallet::<Runtime>::directives()
        }

        fn proposals() -> Vec<pallet_mindos_directives::ProposalViewOf<Runtime>> {
            pallet_mindos_directives::Pallet::<Runtime>::proposals()
        }

        fn parameters() -> pallet_mindos_directives::GovernedParametersOf<Runtime> {
            pallet_mindos_directives::Pallet::<Runtime>::parameters()
        }
    }

    impl mindos_runtime_api::SentinelsApi<Block, AccountId, Balance, BlockNumber> for Runtime {
        fn committee(
            netuid: NetUid,
            epoch: Option<u64>,
        ) -> Result<CommitteeView<AccountId, BlockNumber>, CommitteeQueryError> {
            pallet_mindos_sentinels::Pallet::<Runtime>::committee_view(netuid, epoch)
        }

        fn cases(netuid: Option<NetUid>) -> Option<CasesView<AccountId, Balance, BlockNumber>> {
            pallet_mindos_sentinels::Pallet::<Runtime>::cases_view(netuid)
        }

        fn quarantines(
            netuid: Option<NetUid>,
        ) -> Option<Vec<QuarantineView<AccountId, BlockNumber>>> {
            pallet_mindos_sentinels::Pallet::<Runtime>::quarantines_view(netuid)
        }
    }

    impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
        fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
            build_state::<RuntimeGenesisConfig>(config)
        }

        fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
            get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
        }

        fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
            crate::genesis_config_presets::preset_names()
        }
    }

    #[cfg(feature = "runtime-benchmarks")]
    impl frame_benchmarking::Benchmark<Block> for Runtime {
        fn benchmark_metadata(extra: bool) -> (
            Vec<frame_benchmarking::BenchmarkList>,
            Vec<frame_support::traits::StorageInfo>,
        ) {
            use frame_benchmarking::{baseline, BenchmarkList};
            use frame_support::traits::StorageInfoTrait;
            use frame_system_benchmarking::Pallet as SystemBench;
            use baseline::Pallet as BaselineBench;
            use crate::*;

            let mut list = Vec::<BenchmarkList>::new();
            list_benchmarks!(list, extra);
            let storage_info = AllPalletsWithSystem::storage_info();
            (list, storage_info)
        }

        #[allow(non_local_definitions)]
        fn dispatch_benchmark(
            config: frame_benchmarking::BenchmarkConfig,
        ) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
            use frame_benchmarking::{baseline, BenchmarkBatch};
            use frame_support::traits::WhitelistedStorageKeys;
            use frame_system_benchmarking::Pallet as SystemBench;
            use baseline::Pallet as BaselineBench;
            use sp_storage::TrackedStorageKey;
            use crate::*;

            impl frame_system_benchmarking::Config for Runtime {}
            impl baseline::Config for Runtime {}

            let whitelist: Vec<TrackedStorageKey> =
                AllPalletsWithSystem::whitelisted_storage_keys();
            let mut batches = Vec::<BenchmarkBatch>::new();
            let params = (&config, &whitelist);
            add_benchmarks!(params, batches);
            Ok(batches)
        }
    }
}

/// One subnet's view for the runtime API, keyed by its id (for ordering).
fn subnet_view(netuid: NetUid) -> Option<(NetUid, SubnetView<AccountId, Balance, BlockNumber>)> {
    let subnet = pallet_mindos_subnets::SubnetInfoOf::<Runtime>::get(netuid)?;
    let view = SubnetView {
        netuid,
        owner: subnet.owner,
        name: subnet.name.into_inner(),
        task: subnet.task,
        hyperparameters: subnet.hyperparameters,
        permissioned: subnet.visibility.is_permissioned(),
        deposit: subnet.deposit,
        created_at: subnet.created_at,
        neurons: pallet_mindos_neurons::NeuronCount::<Runtime>::get(netuid),
        registration_burn: pallet_mindos_neurons::Pallet::<Runtime>::burn_price(netuid)
            .unwrap_or_default(),
    };
    Some((netuid, view))
}
