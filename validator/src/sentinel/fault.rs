//! Fault injection for the sentinel duty (cargo feature `fault-injection`, off by default): a
//! validator that lies or keeps silent on purpose, so end-to-end tests can check that the
//! committees, the audit layer and the bonds contain it. Nothing in the build stops a release
//! build from enabling the feature. What keeps it out of a validator on a real network: only
//! test builds enable it (the validator's dev-dependency on itself), `scripts/run.sh` runs
//! binaries it built with `cargo build -p` (no dev-dependencies, so the feature is not unified
//! in), and a fault runs only against a test chain (below).
//!
//! The behaviour comes from `MINDOS_VALIDATOR_FAULT` at start (one per process):
//!
//! | value | behaviour |
//! |---|---|
//! | `lying-reporter` | reports an honest miner: picks one of its own transcripts of an answer that agreed with the pinned model and reports it as `WrongOutput` (its checks' real mismatches are not reported) |
//! | `vote-guilty` | votes guilty on every case it may vote on, without fetching or re-executing |
//! | `vote-not-guilty` | votes not guilty on every case it may vote on, without fetching or re-executing |
//! | `silent` | never reports, votes, audits or submits equivocations |
//!
//! Audits and escalations are judged honestly in every mode but `silent`: the faults model a
//! lying *case* committee member, which the audit layer is there to catch.
//!
//! Even compiled in, a fault runs only against a chain whose node declares itself
//! `Development` or `Local` (`system_chainType`), checked at start before anything is spent
//! ([`check_chain_type`]); a validator asked to misbehave on any other chain refuses to start.
//! Without the feature the variable is ignored: the duty is honest ([`Fault::from_env`] is
//! `None`).

use std::str::FromStr;

/// The environment variable that selects the fault.
#[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
pub(crate) const FAULT_ENV: &str = "MINDOS_VALIDATOR_FAULT";

/// One injected misbehaviour of the sentinel duty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Reports an honest miner's agreeing answer as a wrong output.
    LyingReporter,
    /// Votes guilty on every case.
    VoteGuilty,
    /// Votes not guilty on every case.
    VoteNotGuilty,
    /// Never reports or votes.
    Silent,
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value.trim() {
            "lying-reporter" => Ok(Fault::LyingReporter),
            "vote-guilty" => Ok(Fault::VoteGuilty),
            "vote-not-guilty" => Ok(Fault::VoteNotGuilty),
            "silent" => Ok(Fault::Silent),
            other => Err(format!(
                "unknown validator fault `{other}`: expected lying-reporter, vote-guilty, \
                 vote-not-guilty or silent"
            )),
        }
    }
}

impl Fault {
    /// The fault `MINDOS_VALIDATOR_FAULT` selects; always `None` without the
    /// `fault-injection` feature. An unknown value is an error (a test that asks for a fault
    /// must not run an honest validator by a typo).
    pub(crate) fn from_env() -> Result<Option<Fault>, String> {
        #[cfg(feature = "fault-injection")]
        {
            match std::env::var(FAULT_ENV) {
                Ok(value) if !value.trim().is_empty() => value.parse().map(Some),
                _ => Ok(None),
            }
        }
        #[cfg(not(feature = "fault-injection"))]
        {
            Ok(None)
        }
    }
}

/// Fails unless a fault may run against a chain of `chain_type`.
#[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
pub(crate) fn check_chain_type(chain_type: &str) -> Result<(), String> {
    if mindos_chain_client::TEST_CHAIN_TYPES.contains(&chain_type) {
        Ok(())
    } else {
        Err(format!(
            "refusing fault injection ({FAULT_ENV}) on a `{chain_type}` chain: it runs only \
             against a Development or Local chain; unset {FAULT_ENV}"
        ))
    }
}

/// The configured fault, refused unless the validator's chain (`None`: a private mesh) is a
/// test chain; logs loudly when one is set.
pub(crate) async fn refuse_outside_test_chains(
    client: Option<&mindos_chain_client::ChainClient>,
) -> Result<Option<Fault>, crate::ValidatorError> {
    let refuse = |reason: String| {
        crate::ValidatorError::from(mindos_daemon::start::StartError::runtime(
            "sentinel fault injection",
            std::io::Error::other(reason),
        ))
    };
    let Some(fault) = Fault::from_env().map_err(refuse)? else {
        return Ok(None);
    };
    let Some(client) = client else {
        return Err(refuse(format!(
            "refusing fault injection ({FAULT_ENV}) on a private mesh: it runs only against a \
             Development or Local chain; unset {FAULT_ENV}"
        )));
    };
    check_chain_type(&client.chain_type().await?).map_err(refuse)?;
    // `Duty::new` says so loudly when the duty starts.
    Ok(Some(fault))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_and_unknown_ones_are_refused() {
        assert_eq!("lying-reporter".parse(), Ok(Fault::LyingReporter));
        assert_eq!(" vote-guilty".parse(), Ok(Fault::VoteGuilty));
        assert_eq!("vote-not-guilty".parse(), Ok(Fault::VoteNotGuilty));
        assert_eq!("silent".parse(), Ok(Fault::Silent));
        assert!("liar".parse::<Fault>().is_err());
    }

    #[test]
    fn faults_run_only_on_test_chains() {
        assert!(check_chain_type("Development").is_ok());
        assert!(check_chain_type("Local").is_ok());
        let refused = check_chain_type("Live").unwrap_err();
        assert!(refused.contains("MINDOS_VALIDATOR_FAULT"), "{refused}");
    }
}
