//! The pallets `benchmark pallet` can measure in this runtime (`scripts/benchmark.sh`).

frame_benchmarking::define_benchmarks!(
    [frame_benchmarking, BaselineBench::<Runtime>]
    [frame_system, SystemBench::<Runtime>]
    [pallet_balances, Balances]
    [pallet_timestamp, Timestamp]
    [pallet_sudo, Sudo]
    [pallet_mindos_subnets, Subnets]
    [pallet_mindos_neurons, Neurons]
    [pallet_mindos_stake, Stake]
    [pallet_mindos_consensus, Consensus]
    [pallet_mindos_directives, Directives]
    [pallet_mindos_sentinels, Sentinels]
);
