//! Crash points for the crash tests (cargo feature `crash-points`, off by default; the
//! validator's own tests turn it on): the weight task stops at a named step of a commit —
//! `before_store`, `after_store`, `after_submit` (the commit is in the node's pool, not yet
//! in a block), `after_inclusion`, `after_reveal` — logs that it did, and waits there to be
//! killed (`kill -9`), so a test can check that every crash ends with the commit revealed
//! or nothing on chain.
//!
//! The point comes from `MINDOS_VALIDATOR_CRASH_AT`. Like the miner's fault injection, a
//! validator with a point set refuses to start unless its node's chain type is
//! `Development` or `Local`.

/// The environment variable naming the crash point.
pub(crate) const CRASH_ENV: &str = "MINDOS_VALIDATOR_CRASH_AT";

/// The crash points, in the order a commit passes them.
pub(crate) const POINTS: [&str; 5] = [
    "before_store",
    "after_store",
    "after_submit",
    "after_inclusion",
    "after_reveal",
];

/// Whether the process is to stop at `point`.
pub(crate) fn armed(point: &str) -> bool {
    std::env::var(CRASH_ENV).is_ok_and(|v| v.trim() == point)
}

/// Stops here for good if armed at `point`: logs, then never returns (the test kills the
/// process).
pub(crate) async fn point(point: &'static str) {
    if armed(point) {
        tracing::warn!(point = %point, "crash point reached; waiting to be killed");
        std::future::pending::<()>().await;
    }
}

/// Refuses a crash point that is unknown, or set on a chain that is not a test network.
pub(crate) async fn refuse_outside_test_chains(
    client: &mindos_chain_client::ChainClient,
) -> Result<(), crate::ValidatorError> {
    let Ok(value) = std::env::var(CRASH_ENV) else {
        return Ok(());
    };
    let chain_type = client.chain_type().await?;
    check(&value, &chain_type).map_err(|reason| {
        crate::ValidatorError::from(mindos_daemon::start::StartError::runtime(
            "crash points",
            std::io::Error::other(reason),
        ))
    })?;
    tracing::warn!(
        point = value.trim(),
        "CRASH POINT set: this validator stops at that step"
    );
    Ok(())
}

/// Whether crash point `value` may be armed on a chain of `chain_type`, or why not.
fn check(value: &str, chain_type: &str) -> Result<(), String> {
    if !POINTS.contains(&value.trim()) {
        return Err(format!("{CRASH_ENV}={value} is not one of {POINTS:?}"));
    }
    if !mindos_chain_client::TEST_CHAIN_TYPES.contains(&chain_type) {
        return Err(format!(
            "refusing {CRASH_ENV} on a `{chain_type}` chain: crash points are for test networks"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_points_arm_only_on_test_chains() {
        for chain in ["Development", "Local"] {
            assert_eq!(check("after_store", chain), Ok(()));
        }
        for chain in ["Live", "Custom", ""] {
            let error = check("after_store", chain).unwrap_err();
            assert!(error.contains("refusing"), "{error}");
        }
        let error = check("halfway", "Development").unwrap_err();
        assert!(error.contains("is not one of"), "{error}");
    }
}
