//! Fixtures the test runtimes of this and the other MindOS pallets share: governed bounds, a
//! subnet's hyperparameters and task. Compiled for this crate's tests and, through the
//! `testing` feature, for other crates' tests; never in a runtime.

use mindos_primitives::{
    HyperparameterBounds, Hyperparameters, Modality, Range, ScoringRule, TaskSpec,
    MAX_NEURONS_PER_SUBNET,
};

/// Bounds wide enough for every test subnet: tempo 10 to 1,000, up to the hard neuron cap, up
/// to 64 validators, immunity up to 10,000 blocks, a validator stake of 1 to
/// 1,000,000.
pub fn bounds<Balance: From<u32>>() -> HyperparameterBounds<Balance> {
    HyperparameterBounds {
        tempo: Range {
            min: 10,
            max: 1_000,
        },
        max_neurons: Range {
            min: 1,
            max: MAX_NEURONS_PER_SUBNET,
        },
        max_validators: Range { min: 1, max: 64 },
        immunity_period: Range {
            min: 0,
            max: 10_000,
        },
        min_validator_stake: Range {
            min: 1.into(),
            max: 1_000_000.into(),
        },
    }
}

/// Hyperparameters inside [`bounds`]: tempo 100, 256 neurons of which 16 validators, immunity
/// 500 blocks, a validator stake of 1,000, commit-reveal on.
pub fn hyperparameters<Balance: From<u32>>() -> Hyperparameters<Balance> {
    Hyperparameters {
        tempo: 100,
        max_neurons: 256,
        max_validators: 16,
        immunity_period: 500,
        min_validator_stake: 1_000.into(),
        commit_reveal: true,
    }
}

/// A text-embedding task with a dummy model digest.
pub fn task() -> TaskSpec {
    TaskSpec {
        modality: Modality::Text,
        model_digest: [7u8; 32],
        input_schema: 1,
        output_schema: 2,
        scoring_rule: ScoringRule::CosineSimilarity,
    }
}

/// What every MindOS pallet's test runtime (`mock.rs`) says the same way, written once: the
/// `ExtBuilder`'s `build_and_execute` that always checks the pallet's invariants after the
/// test (opt out with `skip_try_state`, only for a test that breaks one on purpose), the
/// invariant check itself for use mid-test (`assert_invariants`), the benchmarks' fresh chain
/// (`new_test_ext`) and the genesis steps every mock takes (`genesis_with_balances`,
/// `at_block_one`).
///
/// Invoke it in a mock that defines `Test` (with `frame_system` and `pallet_balances`), a
/// `#[derive(Default)] struct ExtBuilder { skip_try_state: bool, … }` with a
/// `build(self) -> sp_io::TestExternalities`, and `System`; `$invariants` is the block
/// `assert_invariants` runs.
#[macro_export]
macro_rules! test_externalities {
    ($invariants:block) => {
        impl ExtBuilder {
            /// Skips the invariant check after the test: only for a test that breaks an
            /// invariant on purpose.
            #[allow(dead_code)] // no test breaks an invariant on purpose yet
            pub(crate) fn skip_try_state(mut self) -> Self {
                self.skip_try_state = true;
                self
            }

            /// Runs `test` on the built chain, then checks the invariants
            /// ([`assert_invariants`]) unless [`Self::skip_try_state`] was asked for.
            pub(crate) fn build_and_execute(self, test: impl FnOnce()) {
                let skip_try_state = self.skip_try_state;
                let mut ext = self.build();
                ext.execute_with(test);
                if !skip_try_state {
                    ext.execute_with(assert_invariants);
                }
            }
        }

        /// The pallet's invariants (its `try_state`), for a check in the middle of a test too.
        pub(crate) fn assert_invariants() $invariants

        /// A fresh test chain (for the benchmarks' test suite).
        #[cfg(feature = "runtime-benchmarks")]
        pub(crate) fn new_test_ext() -> sp_io::TestExternalities {
            ExtBuilder::default().build()
        }

        /// Genesis storage: frame-system's defaults and these free balances.
        fn genesis_with_balances(
            balances: Vec<(
                <Test as frame_system::Config>::AccountId,
                <Test as pallet_balances::Config>::Balance,
            )>,
        ) -> sp_runtime::Storage {
            use sp_runtime::BuildStorage;
            let mut storage = frame_system::GenesisConfig::<Test>::default()
                .build_storage()
                .expect("frame-system genesis builds");
            pallet_balances::GenesisConfig::<Test> {
                balances,
                ..Default::default()
            }
            .assimilate_storage(&mut storage)
            .expect("balances genesis builds");
            storage
        }

        /// The chain over `storage`, at block 1 (events are recorded from block 1 on).
        fn at_block_one(storage: sp_runtime::Storage) -> sp_io::TestExternalities {
            let mut ext = sp_io::TestExternalities::new(storage);
            ext.execute_with(|| System::set_block_number(1));
            ext
        }
    };
}

/// frame-system's half of every MindOS pallet's test runtime: `u64` accounts, `u64` balances
/// and frame-system's test defaults. Invoke it beside the mock's `construct_runtime!` (which
/// must name `System` and `Balances`), with `frame_support::derive_impl` in scope.
#[macro_export]
macro_rules! test_system_config {
    () => {
        type Block = frame_system::mocking::MockBlock<Test>;
        pub(crate) type AccountId = u64;
        pub(crate) type Balance = u64;

        #[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
        impl frame_system::Config for Test {
            type Block = Block;
            type AccountData = pallet_balances::AccountData<Balance>;
        }
    };
}

/// Balances' half of every MindOS pallet's test runtime: balances' test defaults with holds.
/// Invoke it beside [`test_system_config!`].
#[macro_export]
macro_rules! test_balances_config {
    () => {
        #[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
        impl pallet_balances::Config for Test {
            type AccountStore = System;
            type RuntimeHoldReason = RuntimeHoldReason;
        }
    };
}
