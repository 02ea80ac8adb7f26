//! The sentinels on chain ([`ChainClient::sentinels`]): reading committees, open cases and
//! audits, and quarantines through the node's `mindos_committee`, `mindos_cases` and
//! `mindos_quarantines` (typed as the `mindos_primitives` views, node errors as
//! [`ChainError`] variants), and submitting the sentinels pallet's calls.
//!
//! The calls take the pallet's types as generated from the metadata (re-exported here:
//! [`SignedResponse`], [`JudgedOffence`], …); what each call checks and emits is documented on
//! the pallet (`pallet_mindos_sentinels::Pallet`). Each waits until its transaction is in a
//! finalized block and succeeded ([`ChainClient::submit`]).

use mindos_primitives::{
    rpc_errors::{COMMITTEE_NOT_STORED, UNKNOWN_SUBNET},
    CasesView, CommitteeView, NetUid, QuarantineView,
};
use subxt::{rpcs::rpc_params, utils::AccountId32};
use subxt_signer::sr25519::Keypair;

/// Evidence as the metadata generates it (defined in `mindos_primitives::evidence`): build it
/// with [`evidence_from`] from the primitives' own types, which miners sign.
pub use crate::runtime::runtime_types::mindos_primitives::evidence::{
    Challenge, Response, SeenBlock, SignedResponse,
};
/// The sentinels pallet's judged offences as the metadata generates them.
pub use crate::runtime::runtime_types::pallet_mindos_sentinels::types::JudgedOffence;
use crate::{
    neuron::AtBlock,
    runtime::{self, runtime_types::mindos_primitives::NetUid as ChainNetUid},
    Balance, ChainClient, ChainError, Finalized,
};

/// A miner's signed response as the sentinels calls take it, from the
/// `mindos_primitives::evidence` type miners sign and validators verify (the metadata
/// generates this one from that one, field for field).
pub fn evidence_from(
    signed: &mindos_primitives::evidence::SignedResponse<[u8; 32]>,
) -> SignedResponse<AccountId32> {
    let response = &signed.response;
    let challenge = &response.challenge;
    SignedResponse {
        response: Response {
            challenge: Challenge {
                netuid: ChainNetUid(challenge.netuid.0),
                uid: challenge.uid,
                hotkey: AccountId32(challenge.hotkey),
                epoch: challenge.epoch,
                nonce: challenge.nonce,
                input_hash: challenge.input_hash,
                model_digest: challenge.model_digest,
                deadline: challenge.deadline,
            },
            seen_block: SeenBlock {
                number: response.seen_block.number,
                hash: response.seen_block.hash,
            },
            output_hash: response.output_hash,
            latency_ms: response.latency_ms,
        },
        signature: signed.signature,
    }
}

/// The chain's block numbers.
pub type BlockNumber = u32;

/// A sentinel committee, as `mindos_committee` returns it.
pub type Committee = CommitteeView<AccountId32, BlockNumber>;

/// Open cases and audits, as `mindos_cases` returns them.
pub type Cases = CasesView<AccountId32, Balance, BlockNumber>;

/// A quarantined hotkey, as `mindos_quarantines` returns it.
pub type Quarantine = QuarantineView<AccountId32, BlockNumber>;

/// The data of the node's [`COMMITTEE_NOT_STORED`] error.
#[derive(serde::Deserialize)]
struct NotStored {
    current: u64,
    stored: Vec<u64>,
}

/// The sentinels' reads and calls, on one connection ([`ChainClient::sentinels`]).
#[derive(Clone, Copy)]
pub struct Sentinels<'a> {
    client: &'a ChainClient,
}

impl ChainClient {
    /// The sentinels' reads and calls.
    pub fn sentinels(&self) -> Sentinels<'_> {
        Sentinels { client: self }
    }
}

/// The [`ChainError`] of a failed `mindos_*` sentinel read about `netuid` (`requested`: the
/// committee epoch asked for, if any): the node's typed errors as their own variants.
pub(crate) fn read_error(
    error: subxt::rpcs::Error,
    netuid: Option<NetUid>,
    requested: Option<u64>,
) -> ChainError {
    if let subxt::rpcs::Error::User(user) = &error {
        match (user.code, netuid) {
            (UNKNOWN_SUBNET, Some(netuid)) => return ChainError::UnknownSubnet { netuid },
            (COMMITTEE_NOT_STORED, Some(netuid)) => {
                let data = user
                    .data
                    .as_ref()
                    .and_then(|data| serde_json::from_str::<NotStored>(data.get()).ok());
                if let Some(NotStored { current, stored }) = data {
                    return ChainError::CommitteeNotStored {
                        netuid,
                        requested: requested.unwrap_or(current),
                        current,
                        stored,
                    };
                }
            }
            _ => {}
        }
    }
    ChainError::Rpc(Box::new(error))
}

impl Sentinels<'_> {
    /// `netuid`'s sentinel epoch at `at` (`Sentinels::SubnetEpoch`): the epoch challenges,
    /// canary commitments and quarantines count in, which a signed answer names. 0 for a subnet
    /// the pallet has seen no boundary of (the storage's default).
    pub async fn subnet_epoch(&self, at: &AtBlock, netuid: NetUid) -> Result<u64, ChainError> {
        let value = at
            .storage()
            .try_fetch(
                runtime::storage().sentinels().subnet_epoch(),
                (ChainNetUid(netuid.0),),
            )
            .await
            .map_err(ChainError::from_subxt)?;
        Ok(value
            .map(|v| v.decode().map_err(ChainError::from_subxt))
            .transpose()?
            .unwrap_or(0))
    }

    /// `netuid`'s sentinel committee for sentinel `epoch` (default: the current one) at the
    /// best block. Fails with [`ChainError::UnknownSubnet`], or
    /// [`ChainError::CommitteeNotStored`] for an epoch the chain holds no committee of (it
    /// holds the current and the next epoch's).
    pub async fn committee(
        &self,
        netuid: NetUid,
        epoch: Option<u64>,
    ) -> Result<Committee, ChainError> {
        crate::bounded("mindos_committee", crate::RPC_TIMEOUT, async {
            self.client
                .raw_rpc
                .request("mindos_committee", rpc_params![netuid.0, epoch])
                .await
                .map_err(|e| read_error(e, Some(netuid), epoch))
        })
        .await
    }

    /// The open judged cases and audits of `netuid`, or of every live subnet for `None`, at
    /// the best block. Fails with [`ChainError::UnknownSubnet`].
    pub async fn cases(&self, netuid: Option<NetUid>) -> Result<Cases, ChainError> {
        crate::bounded("mindos_cases", crate::RPC_TIMEOUT, async {
            self.client
                .raw_rpc
                .request("mindos_cases", rpc_params![netuid.map(|n| n.0)])
                .await
                .map_err(|e| read_error(e, netuid, None))
        })
        .await
    }

    /// The quarantined hotkeys of `netuid`, or of every live subnet for `None`, at the best
    /// block. Fails with [`ChainError::UnknownSubnet`].
    pub async fn quarantines(&self, netuid: Option<NetUid>) -> Result<Vec<Quarantine>, ChainError> {
        crate::bounded("mindos_quarantines", crate::RPC_TIMEOUT, async {
            self.client
                .raw_rpc
                .request("mindos_quarantines", rpc_params![netuid.map(|n| n.0)])
                .await
                .map_err(|e| read_error(e, netuid, None))
        })
        .await
    }

    /// `Sentinels::submit_equivocation`: `signer` (a validator-permit holder's hotkey) proves
    /// that the miner at `uid` signed two different outputs for one challenge.
    pub async fn submit_equivocation(
        &self,
        signer: &Keypair,
        netuid: NetUid,
        uid: u16,
        first: SignedResponse<AccountId32>,
        second: SignedResponse<AccountId32>,
    ) -> Result<Finalized, ChainError> {
        let call = runtime::transactions().sentinels().submit_equivocation(
            ChainNetUid(netuid.0),
            uid,
            first,
            second,
        );
        self.client.submit(&call, signer).await
    }

    /// `Sentinels::commit_canary`: `signer` (a validator-permit holder's hotkey) commits a
    /// canary, holding the canary deposit.
    pub async fn commit_canary(
        &self,
        signer: &Keypair,
        netuid: NetUid,
        commitment: [u8; 32],
    ) -> Result<Finalized, ChainError> {
        let call = runtime::transactions()
            .sentinels()
            .commit_canary(ChainNetUid(netuid.0), commitment);
        self.client.submit(&call, signer).await
    }

    /// `Sentinels::submit_canary_failure`: `signer` (a validator-permit holder's hotkey) opens
    /// a canary the miner at `uid` answered wrongly.
    pub async fn submit_canary_failure(
        &self,
        signer: &Keypair,
        netuid: NetUid,
        uid: u16,
        response: SignedResponse<AccountId32>,
        expected_output_hash: [u8; 32],
        salt: [u8; 32],
    ) -> Result<Finalized, ChainError> {
        let call = runtime::transactions().sentinels().submit_canary_failure(
            ChainNetUid(netuid.0),
            uid,
            response,
            expected_output_hash,
            salt,
        );
        self.client.submit(&call, signer).await
    }

    /// `Sentinels::report`: `signer` (a member of the current committee) reports the miner at
    /// `uid` for `offence`, holding the report bond; opens a case.
    pub async fn report(
        &self,
        signer: &Keypair,
        netuid: NetUid,
        uid: u16,
        offence: JudgedOffence,
        evidence_hash: [u8; 32],
    ) -> Result<Finalized, ChainError> {
        let call = runtime::transactions().sentinels().report(
            ChainNetUid(netuid.0),
            uid,
            offence,
            evidence_hash,
        );
        self.client.submit(&call, signer).await
    }

    /// `Sentinels::vote`: `signer` (a member of the case's committee) votes on `case`.
    pub async fn vote(
        &self,
        signer: &Keypair,
        case: u64,
        guilty: bool,
    ) -> Result<Finalized, ChainError> {
        let call = runtime::transactions().sentinels().vote(case, guilty);
        self.client.submit(&call, signer).await
    }

    /// `Sentinels::close_case`: anyone dismisses `case` once its voting period is over.
    pub async fn close_case(&self, signer: &Keypair, case: u64) -> Result<Finalized, ChainError> {
        let call = runtime::transactions().sentinels().close_case(case);
        self.client.submit(&call, signer).await
    }

    /// `Sentinels::unquarantine`: the quarantined hotkey, or its coldkey, releases the miner
    /// at `uid` once its quarantine is over.
    pub async fn unquarantine(
        &self,
        signer: &Keypair,
        netuid: NetUid,
        uid: u16,
    ) -> Result<Finalized, ChainError> {
        let call = runtime::transactions()
            .sentinels()
            .unquarantine(ChainNetUid(netuid.0), uid);
        self.client.submit(&call, signer).await
    }

    /// `Sentinels::appeal`: the convicted hotkey's coldkey appeals the conviction of `case`,
    /// holding the appeal deposit.
    pub async fn appeal(&self, signer: &Keypair, case: u64) -> Result<Finalized, ChainError> {
        let call = runtime::transactions().sentinels().appeal(case);
        self.client.submit(&call, signer).await
    }

    /// `Sentinels::audit_vote`: `signer` (a member of the audit committee) votes to uphold
    /// or overturn the verdict of `case`.
    pub async fn audit_vote(
        &self,
        signer: &Keypair,
        case: u64,
        uphold: bool,
    ) -> Result<Finalized, ChainError> {
        let call = runtime::transactions().sentinels().audit_vote(case, uphold);
        self.client.submit(&call, signer).await
    }

    /// `Sentinels::close_audit`: anyone closes the audit of `case` (or its escalation) once
    /// its voting period is over; the verdict stands.
    pub async fn close_audit(&self, signer: &Keypair, case: u64) -> Result<Finalized, ChainError> {
        let call = runtime::transactions().sentinels().close_audit(case);
        self.client.submit(&call, signer).await
    }

    /// `Sentinels::escalation_vote`: `signer` (a permit holder in the escalation's
    /// electorate) votes, with the stake it held when the escalation opened, to overturn the
    /// verdict of `case` (`true`) or uphold it.
    pub async fn escalation_vote(
        &self,
        signer: &Keypair,
        case: u64,
        overturn: bool,
    ) -> Result<Finalized, ChainError> {
        let call = runtime::transactions()
            .sentinels()
            .escalation_vote(case, overturn);
        self.client.submit(&call, signer).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mindos_primitives::{
        AuditKind, AuditView, CaseView, CommitteeDuty, CommitteeMember, ElectorView,
        EscalationView, SentinelOffence, VoteStatus,
    };
    use serde_json::json;
    use sp_core::crypto::{Ss58AddressFormat, Ss58Codec};

    /// `[byte; 32]` as the node writes accounts: SS58 with MindOS's prefix 2424.
    #[test]
    fn evidence_converts_field_for_field() {
        use mindos_primitives::evidence as ev;
        let signed = ev::SignedResponse {
            response: ev::Response {
                challenge: ev::Challenge {
                    netuid: NetUid(1),
                    uid: 7,
                    hotkey: [3; 32],
                    epoch: 12,
                    nonce: u64::MAX - 1,
                    input_hash: [4; 32],
                    model_digest: [5; 32],
                    deadline: 4_100,
                },
                seen_block: ev::SeenBlock {
                    number: 4_093,
                    hash: [6; 32],
                },
                output_hash: [8; 32],
                latency_ms: 12,
            },
            signature: [9; 64],
        };
        let chain = evidence_from(&signed);
        let challenge = &chain.response.challenge;
        assert_eq!(challenge.netuid.0, 1);
        assert_eq!(challenge.uid, 7);
        assert_eq!(challenge.hotkey, AccountId32([3; 32]));
        assert_eq!(challenge.epoch, 12);
        assert_eq!(challenge.nonce, u64::MAX - 1);
        assert_eq!(challenge.deadline, 4_100);
        assert_eq!(chain.response.seen_block.number, 4_093);
        assert_eq!(chain.response.output_hash, [8; 32]);
        assert_eq!(chain.response.latency_ms, 12);
        assert_eq!(chain.signature, [9; 64]);
    }

    fn ss58(byte: u8) -> String {
        sp_core::crypto::AccountId32::from([byte; 32])
            .to_ss58check_with_version(Ss58AddressFormat::custom(2424))
    }

    fn account(byte: u8) -> AccountId32 {
        AccountId32([byte; 32])
    }

    #[test]
    fn a_committee_as_the_node_writes_it_decodes() {
        let json = json!({
            "netuid": 1,
            "epoch": 8,
            "currentEpoch": 7,
            "duty": "next",
            "size": 4,
            "faultTolerance": 1,
            "threshold": 3,
            "members": [
                {"uid": 0, "hotkey": ss58(1)},
                {"uid": 3, "hotkey": ss58(2)},
                {"uid": 5, "hotkey": ss58(3)},
                {"uid": 9, "hotkey": ss58(4)}
            ],
            "drawnAt": 140,
            "seedEpoch": 6,
            "seed": format!("0x{}", "ab".repeat(32))
        });
        let committee: Committee = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(committee.netuid, NetUid(1));
        assert_eq!(committee.duty, CommitteeDuty::Next);
        assert_eq!(
            committee.members[1],
            CommitteeMember {
                uid: 3,
                hotkey: account(2)
            }
        );
        assert_eq!(committee.drawn_at, 140);
        assert_eq!(committee.seed, Some([0xab; 32]));

        // What this client writes back reads the same (accounts in the generic prefix).
        let again: Committee =
            serde_json::from_value(serde_json::to_value(&committee).unwrap()).unwrap();
        assert_eq!(again, committee);
        // The current committee's seed is gone with its mix.
        let mut current = json;
        current["seed"] = serde_json::Value::Null;
        let current: Committee = serde_json::from_value(current).unwrap();
        assert_eq!(current.seed, None);
    }

    #[test]
    fn cases_and_audits_round_trip_with_balances_as_decimal_strings() {
        let cases: Cases = CasesView {
            cases: vec![CaseView {
                id: 4,
                netuid: NetUid(2),
                uid: 17,
                accused: account(9),
                offence: SentinelOffence::WrongOutput,
                reporter: account(1),
                evidence_hash: [5; 32],
                // Above 2^53: a JSON number would lose it.
                bond: 10_000_000_000_000_001,
                epoch: 12,
                members: vec![account(1), account(2), account(3), account(4)],
                guilty: vec![account(1)],
                not_guilty: vec![account(3)],
                threshold: 3,
                refute_at: 3,
                opened_at: 300,
                expires_at: 1_500,
                status: VoteStatus::Voting,
            }],
            audits: vec![AuditView {
                case: 2,
                netuid: NetUid(2),
                uid: 8,
                accused: account(8),
                offence: SentinelOffence::CanaryFailure,
                convicted: true,
                reason: AuditKind::Appeal,
                appellant: Some(account(7)),
                deposit: 5_000_000_000_000,
                members: vec![account(5), account(6)],
                uphold: vec![],
                overturn: vec![account(6)],
                overturn_at: 3,
                uphold_at: 2,
                slash_due_epoch: 14,
                expires_at: 1_300,
                status: VoteStatus::Expired,
                escalation: Some(EscalationView {
                    electors: vec![
                        ElectorView {
                            hotkey: account(5),
                            stake: 40_000_000_000_000_000_001,
                            vote: Some(true),
                        },
                        ElectorView {
                            hotkey: account(9),
                            stake: 20_000_000_000_000_000_000,
                            vote: None,
                        },
                    ],
                    total: 60_000_000_000_000_000_001,
                    overturn: 40_000_000_000_000_000_001,
                    uphold: 0,
                    decides_at: 40_000_000_000_000_000_001,
                }),
            }],
        };
        let json = serde_json::to_value(&cases).unwrap();
        let case = &json["cases"][0];
        assert_eq!(case["bond"], json!("10000000000000001"));
        assert_eq!(
            case["evidenceHash"],
            json!(format!("0x{}", "05".repeat(32)))
        );
        assert_eq!(case["offence"], json!("wrongOutput"));
        assert_eq!(case["notGuilty"], json!([account(3).to_string()]));
        assert_eq!(case["refuteAt"], json!(3));
        assert_eq!(case["status"], json!("voting"));
        let audit = &json["audits"][0];
        assert_eq!(audit["deposit"], json!("5000000000000"));
        assert_eq!(audit["reason"], json!("appeal"));
        assert_eq!(audit["offence"], json!("canaryFailure"));
        assert_eq!(audit["slashDueEpoch"], json!(14));
        assert_eq!(audit["status"], json!("expired"));
        let escalation = &audit["escalation"];
        assert_eq!(escalation["decidesAt"], json!("40000000000000000001"));
        assert_eq!(
            escalation["electors"][0]["stake"],
            json!("40000000000000000001")
        );
        assert_eq!(escalation["electors"][0]["vote"], json!(true));
        assert_eq!(escalation["electors"][1]["vote"], json!(null));
        assert_eq!(serde_json::from_value::<Cases>(json).unwrap(), cases);
    }

    #[test]
    fn a_quarantine_of_a_hotkey_that_left_decodes() {
        let json = json!([{
            "netuid": 1,
            "hotkey": ss58(4),
            "uid": null,
            "offence": "equivocation",
            "sinceEpoch": 3,
            "sinceBlock": 61,
            "untilEpoch": 5,
            "offences": 1,
            "releasable": false
        }]);
        let rows: Vec<Quarantine> = serde_json::from_value(json).unwrap();
        let [row] = rows.as_slice() else {
            panic!("one row: {rows:?}")
        };
        assert_eq!((row.hotkey, row.uid), (account(4), None));
        assert_eq!(row.offence, SentinelOffence::Equivocation);
        assert_eq!((row.since_block, row.until_epoch), (61, 5));
        assert_eq!(
            serde_json::from_value::<Vec<Quarantine>>(serde_json::to_value(&rows).unwrap())
                .unwrap(),
            rows
        );
    }

    fn user_error(code: i32, data: Option<&str>) -> subxt::rpcs::Error {
        subxt::rpcs::Error::User(subxt::rpcs::UserError {
            code,
            message: "from the node".into(),
            data: data.map(|d| serde_json::value::RawValue::from_string(d.into()).unwrap()),
        })
    }

    #[test]
    fn the_nodes_errors_become_typed_errors() {
        assert!(matches!(
            read_error(user_error(4001, None), Some(NetUid(7)), None),
            ChainError::UnknownSubnet { netuid: NetUid(7) }
        ));
        match read_error(
            user_error(4003, Some(r#"{"current":4,"stored":[4]}"#)),
            Some(NetUid(3)),
            None,
        ) {
            ChainError::CommitteeNotStored {
                netuid,
                requested,
                current,
                stored,
            } => {
                assert_eq!(
                    (netuid, requested, current, stored),
                    (NetUid(3), 4, 4, vec![4])
                );
            }
            other => panic!("{other:?}"),
        }
        // Anything else stays an RPC error.
        assert!(matches!(
            read_error(user_error(5001, None), Some(NetUid(3)), None),
            ChainError::Rpc(_)
        ));
        assert!(matches!(
            read_error(user_error(4003, None), Some(NetUid(3)), Some(9)),
            ChainError::Rpc(_)
        ));
    }
}
