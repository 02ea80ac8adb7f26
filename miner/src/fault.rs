//! Fault injection for tests (cargo feature `fault-injection`, off by default): a miner that
//! misbehaves on purpose, so validator tests can check that scoring and routing notice.
//! Nothing in the build stops a release build from enabling the feature. What keeps it out of
//! a miner that serves real traffic: only test builds enable it (the validator's
//! dev-dependency on the miner), `scripts/run.sh` runs its honest miners from binaries it
//! built with `cargo build -p` (no dev-dependencies, so the feature is not unified in) and
//! only its one deliberately faulty miner, labelled as such, from the test build, and a
//! fault runs only against a test chain (the chain type check described below).
//!
//! The behaviour comes from `MINDOS_MINER_FAULT` at start (one per process, which is how the
//! end-to-end tests run miners: as separate binaries):
//!
//! | value | behaviour |
//! |---|---|
//! | `garbage` | answers a well-formed but wrong output (another label, a random unit vector); to a request with challenge terms it signs the wrong output (and re-sends it when the challenge comes again), so its lies are evidence |
//! | `copy:MULTIADDR/p2p/PEER` | does not run its model: relays each request to that miner and returns its answer |
//! | `slow:MS` | answers correctly after an extra delay of `MS` milliseconds |
//! | `drop` | never answers (holds the request until the caller gives up) |
//! | `equivocate` | ignores the sign-once rule: the first time a challenge comes it answers honestly (signed and stored); each time the same challenge comes again it answers another output (another label, a random unit vector), freshly signed — two different signed outputs for one nonce, equivocation evidence |
//! | `lookup-table` | answers right only inputs it has seen before — the subnet's built-in validation set, and every input sent to it once — and garbage (as `garbage`) to new ones: a miner that memorises challenges and serves users junk |
//!
//! Even compiled in (a workspace test build unifies the feature into the `mindos-miner` it
//! builds), a fault runs only against a chain whose node declares itself `Development` or
//! `Local` (`system_chainType`), checked before anything is spent; a miner asked to
//! misbehave on any other chain, or on a private mesh with no chain to ask, refuses to start.

use std::{
    collections::HashSet,
    hash::{Hash, Hasher},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use mindos_mesh::{
    libp2p::multiaddr::Protocol, InferRequest, InferResponse, MeshClient, Multiaddr, PeerId,
    Responder,
};

use crate::{config::ConfigError, serve::Server};

/// The environment variable that selects the fault.
pub(crate) const FAULT_ENV: &str = "MINDOS_MINER_FAULT";

/// Fails unless a fault may run against a chain of `chain_type` (`None`: no chain, a
/// private mesh).
pub(crate) fn check_chain_type(chain_type: Option<&str>) -> Result<(), ConfigError> {
    match chain_type {
        Some(kind) if mindos_chain_client::TEST_CHAIN_TYPES.contains(&kind) => Ok(()),
        other => Err(ConfigError::Invalid {
            field: "fault",
            reason: format!(
                "refusing fault injection ({FAULT_ENV}) on {}: it runs only against a \
                 Development or Local chain; unset {FAULT_ENV}",
                other.map_or_else(|| "a private mesh".to_owned(), |k| format!("a `{k}` chain")),
            ),
        }),
    }
}

/// [`check_chain_type`] for the chain `client` is connected to, if a fault is configured.
pub(crate) async fn refuse_outside_test_chains(
    client: Option<&mindos_chain_client::ChainClient>,
) -> Result<(), crate::MinerError> {
    if Fault::from_env()?.is_none() {
        return Ok(());
    }
    let chain_type = match client {
        Some(client) => Some(client.chain_type().await?),
        None => None,
    };
    Ok(check_chain_type(chain_type.as_deref())?)
}

/// How long a dropped request is held before the responder is released (the caller's
/// timeout is shorter; releasing it answers `internal`, which nobody waits for any more).
const DROP_HOLD: Duration = Duration::from_secs(120);

/// One injected misbehaviour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    Garbage,
    Copy { peer: PeerId, addr: Multiaddr },
    Slow(Duration),
    Drop,
    Equivocate,
    LookupTable(Arc<SeenInputs>),
}

/// Most inputs a `lookup-table` miner remembers (8 bytes each); past it, new inputs are
/// answered garbage without being remembered.
const SEEN_CAP: usize = 1 << 20;

/// The inputs a `lookup-table` miner has seen, by a hash of their canonical JSON (what the
/// subnet's `encode_input` makes of the decoded input, so two spellings of one input are
/// one). Filled with the subnet's validation set on first use.
#[derive(Default)]
pub(crate) struct SeenInputs(Mutex<Option<HashSet<u64>>>);

impl SeenInputs {
    /// Whether the input in `payload` was seen before; remembers it either way (within
    /// [`SEEN_CAP`]). An input that does not decode counts as seen: its refusal passes
    /// through unchanged.
    pub(crate) fn seen_before(
        &self,
        engine: &dyn mindos_subnets::SubnetEngine,
        payload: &[u8],
    ) -> bool {
        let Some(key) = engine
            .decode_input(payload)
            .ok()
            .and_then(|i| input_key(engine, &i))
        else {
            return true;
        };
        let mut table = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let table = table.get_or_insert_with(|| {
            (0..engine.validation_len())
                .filter_map(|index| engine.challenge(index))
                .filter_map(|sample| input_key(engine, &sample.input))
                .collect()
        });
        if table.contains(&key) {
            return true;
        }
        if table.len() < SEEN_CAP {
            table.insert(key);
        }
        false
    }
}

/// The table's key of `input`.
fn input_key(
    engine: &dyn mindos_subnets::SubnetEngine,
    input: &mindos_subnets::Input,
) -> Option<u64> {
    let bytes = engine.encode_input(input).ok()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    Some(hasher.finish())
}

impl std::fmt::Debug for SeenInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeenInputs")
    }
}

/// A table is the fault's run-time state, not part of what the fault is: all compare equal.
impl PartialEq for SeenInputs {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Eq for SeenInputs {}

impl Fault {
    /// The fault named by [`FAULT_ENV`], if set.
    pub(crate) fn from_env() -> Result<Option<Self>, ConfigError> {
        match std::env::var(FAULT_ENV) {
            Ok(value) if !value.trim().is_empty() => Self::parse(value.trim()).map(Some),
            _ => Ok(None),
        }
    }

    fn parse(value: &str) -> Result<Self, ConfigError> {
        let bad = |reason: String| ConfigError::Invalid {
            field: "fault",
            reason,
        };
        let (kind, arg) = value.split_once(':').unwrap_or((value, ""));
        match kind {
            "garbage" => Ok(Self::Garbage),
            "drop" => Ok(Self::Drop),
            "equivocate" => Ok(Self::Equivocate),
            "lookup-table" => Ok(Self::LookupTable(Arc::default())),
            "slow" => arg
                .parse::<u64>()
                .map(|ms| Self::Slow(Duration::from_millis(ms)))
                .map_err(|e| bad(format!("slow:MS needs milliseconds: {e}"))),
            "copy" => {
                let addr: Multiaddr = arg
                    .parse()
                    .map_err(|e| bad(format!("copy:MULTIADDR: {e}")))?;
                match addr.iter().last() {
                    Some(Protocol::P2p(peer)) => Ok(Self::Copy { peer, addr }),
                    _ => Err(bad("copy:MULTIADDR must end in /p2p/<peer id>".into())),
                }
            }
            other => Err(bad(format!(
                "unknown fault `{other}` (garbage, copy:ADDR, slow:MS, drop, equivocate, \
                 lookup-table)"
            ))),
        }
    }
}

/// Answers `request` with `fault` applied.
pub(crate) async fn answer(
    fault: &Fault,
    mesh: &MeshClient,
    server: &Arc<Server>,
    peer: PeerId,
    request: InferRequest,
    responder: Responder,
) {
    match fault {
        // With terms the signer garbles before it signs (`Signer::sign_garbage`).
        Fault::Garbage if request.challenge.is_some() => {
            responder.respond(server.answer(peer, request).await);
        }
        Fault::Garbage => {
            let honest = server.answer(peer, request).await;
            responder.respond(garble(honest));
        }
        // With terms the signer garbles what it has not seen before it signs
        // (`Signer::sign_garbage_when`).
        Fault::LookupTable(_) if request.challenge.is_some() => {
            responder.respond(server.answer(peer, request).await);
        }
        Fault::LookupTable(table) => {
            let seen = table.seen_before(&*server.engine, request.payload.get().as_bytes());
            let honest = server.answer(peer, request).await;
            responder.respond(if seen { honest } else { garble(honest) });
        }
        Fault::Slow(delay) => {
            let honest = server.answer(peer, request).await;
            tokio::time::sleep(*delay).await;
            responder.respond(honest);
        }
        Fault::Equivocate => responder.respond(equivocate(server, peer, request).await),
        Fault::Drop => {
            // Not tracked by shutdown: holding the responder is the misbehaviour.
            tokio::spawn(async move {
                tokio::time::sleep(DROP_HOLD).await;
                drop(responder);
            });
        }
        Fault::Copy { peer: target, addr } => {
            if let Err(e) = mesh.dial(addr.clone()).await {
                tracing::debug!(error = %e, "copy fault: cannot reach the copied miner");
            }
            let answer = mesh
                .request(*target, request, Duration::from_secs(10))
                .await
                .unwrap_or_else(|e| {
                    InferResponse::error(mindos_mesh::ErrorCode::Internal, e.to_string())
                });
            responder.respond(answer);
        }
    }
}

/// What an equivocating miner answers: a challenge seen before gets another output than the
/// one it signed and stored, freshly signed; anything else is answered honestly (and a new
/// challenge's answer signed and stored).
pub(crate) async fn equivocate(
    server: &Server,
    peer: PeerId,
    request: InferRequest,
) -> InferResponse {
    let arrived = Instant::now();
    let repeat = server
        .admit(&peer, request.netuid)
        .ok()
        .and_then(|()| server.signer.stored(&request));
    let Some((challenge, stored)) = repeat else {
        return server.answer(peer, request).await;
    };
    // `garble` drops the receipt: the other output is signed below.
    let other = garble(stored);
    let signed = other
        .payload_bytes()
        .ok_or_else(|| "the stored answer has no payload".to_owned())
        .and_then(|bytes| {
            server
                .engine
                .decode_output(bytes)
                .and_then(|output| server.engine.output_hash(&output))
                .map_err(|e| e.to_string())
        })
        .and_then(|hash| {
            server
                .signer
                .sign_again(challenge, hash, arrived)
                .map_err(|e| e.to_string())
        });
    match signed {
        Ok(receipt) => other.with_receipt(receipt),
        Err(e) => InferResponse::error(mindos_mesh::ErrorCode::Internal, e),
    }
}

/// A well-formed wrong output in place of `output` (what [`garble`] makes of its answer).
pub(crate) fn garble_output(
    engine: &dyn mindos_subnets::SubnetEngine,
    output: &mindos_subnets::Output,
) -> Result<mindos_subnets::Output, crate::ServeError> {
    let internal = |e: String| crate::ServeError::Internal(e);
    let honest = InferResponse::encode_ok(output).map_err(|e| internal(e.to_string()))?;
    let wrong = garble(honest);
    let bytes = wrong
        .payload_bytes()
        .ok_or_else(|| internal("no payload".to_owned()))?;
    engine
        .decode_output(bytes)
        .map_err(|e| internal(e.to_string()))
}

/// A well-formed wrong answer in place of an honest one: another label (probabilities to
/// match) or a random unit vector of the same length. Refusals pass through unchanged.
fn garble(response: InferResponse) -> InferResponse {
    // A test-only fault: parsing the honest answer into a tree is fine here.
    let Some(Ok(mut payload)) = response
        .payload_bytes()
        .map(serde_json::from_slice::<serde_json::Value>)
    else {
        return response;
    };
    let mut seed = [0u8; 8];
    let _ = getrandom::getrandom(&mut seed);
    let mut state = u64::from_le_bytes(seed) | 1;
    let mut next = move || {
        // xorshift64: cheap noise, nothing depends on its quality.
        state ^= state.wrapping_shl(13);
        state ^= state.wrapping_shr(7);
        state ^= state.wrapping_shl(17);
        state
    };
    if let Some(label) = payload.get("label").and_then(serde_json::Value::as_u64) {
        let wrong = label
            .wrapping_add(1)
            .wrapping_add(next().checked_rem(9).unwrap_or(0))
            .checked_rem(10)
            .unwrap_or(0);
        let probabilities: Vec<f32> = (0..10u64)
            .map(|i| if i == wrong { 0.91 } else { 0.01 })
            .collect();
        if let Some(fields) = payload.as_object_mut() {
            fields.insert("label".into(), serde_json::json!(wrong));
            fields.insert("probabilities".into(), serde_json::json!(probabilities));
        }
    } else if let Some(len) = payload
        .get("embedding")
        .and_then(serde_json::Value::as_array)
        .map(Vec::len)
    {
        let raw: Vec<f64> = (0..len)
            .map(|_| (next().wrapping_shr(11) as f64 / (1u64 << 53) as f64) - 0.5)
            .collect();
        let norm = raw.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-9);
        let unit: Vec<f32> = raw.iter().map(|x| (x / norm) as f32).collect();
        if let Some(fields) = payload.as_object_mut() {
            fields.insert("embedding".into(), serde_json::json!(unit));
        }
    }
    InferResponse::encode_ok(&payload).unwrap_or(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse() {
        assert_eq!(Fault::parse("garbage").unwrap(), Fault::Garbage);
        assert_eq!(Fault::parse("drop").unwrap(), Fault::Drop);
        assert_eq!(
            Fault::parse("slow:250").unwrap(),
            Fault::Slow(Duration::from_millis(250))
        );
        assert_eq!(Fault::parse("equivocate").unwrap(), Fault::Equivocate);
        let peer = PeerId::random();
        let copy = Fault::parse(&format!("copy:/ip4/127.0.0.1/tcp/1/p2p/{peer}")).unwrap();
        assert!(matches!(copy, Fault::Copy { peer: p, .. } if p == peer));
        assert!(matches!(
            Fault::parse("lookup-table").unwrap(),
            Fault::LookupTable(_)
        ));
        for bad in ["slow:x", "copy:/ip4/127.0.0.1/tcp/1", "explode"] {
            assert!(Fault::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn faults_run_only_on_test_chains() {
        assert!(check_chain_type(Some("Development")).is_ok());
        assert!(check_chain_type(Some("Local")).is_ok());
        for refused in [Some("Live"), Some("Custom"), None] {
            let error = check_chain_type(refused).unwrap_err().to_string();
            assert!(error.contains("refusing fault injection"), "{error}");
        }
    }

    fn garbled(payload: serde_json::Value) -> serde_json::Value {
        let answer = garble(InferResponse::encode_ok(&payload).unwrap());
        serde_json::from_slice(answer.payload_bytes().expect("an answer")).unwrap()
    }

    #[test]
    fn garbage_is_well_formed_and_wrong() {
        let honest = serde_json::json!({"label": 3, "probabilities": vec![0.1; 10]});
        for _ in 0..50 {
            let payload = garbled(honest.clone());
            let label = payload["label"].as_u64().unwrap();
            assert!(label < 10 && label != 3, "{payload}");
        }
        let payload = garbled(serde_json::json!({"embedding": [1.0, 0.0, 0.0, 0.0]}));
        let norm: f64 = payload["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap().powi(2))
            .sum();
        assert!((norm - 1.0).abs() < 1e-4);
    }

    #[test]
    fn a_lookup_table_knows_the_validation_set_and_what_it_was_sent() {
        let engine =
            mindos_subnets::load("digits", &mindos_subnets::EngineConfig::default()).unwrap();
        let table = SeenInputs::default();
        let payload = |input: &mindos_subnets::Input| engine.encode_input(input).unwrap();
        // The compiled-in set is known from the start, however a number is spelled.
        let sample = engine.challenge(17).unwrap().input;
        assert!(table.seen_before(&*engine, &payload(&sample)));
        let spelled = String::from_utf8(payload(&sample))
            .unwrap()
            .replace(".0", ".00");
        assert!(table.seen_before(&*engine, spelled.as_bytes()));
        // A fresh input is new once, then known.
        let fresh = engine.fresh_input(5);
        assert!(!table.seen_before(&*engine, &payload(&fresh)));
        assert!(table.seen_before(&*engine, &payload(&fresh)));
        assert!(!table.seen_before(&*engine, &payload(&engine.fresh_input(6))));
        // Undecodable input is passed on to be refused as it would be.
        assert!(table.seen_before(&*engine, b"{\"pixels\": [1]}"));
    }
}
