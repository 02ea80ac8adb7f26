//! What the gateway decodes from strangers, per subnet: a query's `input` (checked with the
//! subnet's `decode_input` before any miner is asked) and a miner's answer (`decode_output`,
//! before it is aggregated). Any bytes either fail with an error or decode to a value the
//! subnet accepts, which encodes to bytes that decode again; nothing panics.
//!
//! Input: `[selector: u8][bytes…]`: the low bit picks input or answer, the rest the subnet.
//! Needs the subnets' models and ONNX Runtime (`scripts/setup.sh` fetches them).

#![no_main]

use std::sync::{Arc, LazyLock};

use libfuzzer_sys::fuzz_target;
use mindos_subnets::{EngineConfig, SubnetEngine, SUBNETS};

static ENGINES: LazyLock<Vec<Arc<dyn SubnetEngine>>> = LazyLock::new(|| {
    SUBNETS
        .iter()
        .map(|name| {
            mindos_subnets::load(name, &EngineConfig::default())
                .unwrap_or_else(|e| panic!("subnet {name} does not load (run scripts/setup.sh): {e}"))
        })
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let engine = &ENGINES[usize::from(selector >> 1) % ENGINES.len()];
    if selector & 1 == 0 {
        if let Ok(input) = engine.decode_input(bytes) {
            engine
                .validate_input(&input)
                .expect("a decoded input is valid");
            let again = engine.encode_input(&input).expect("a decoded input encodes");
            engine
                .decode_input(&again)
                .expect("an encoded input decodes");
            engine
                .prepare_input(bytes)
                .expect("an input that decodes also prepares");
        }
    } else if let Ok(output) = engine.decode_output(bytes) {
        let again = engine.encode_output(&output).expect("a decoded answer encodes");
        engine
            .decode_output(&again)
            .expect("an encoded answer decodes");
    }
});
