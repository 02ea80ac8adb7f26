//! Who may fetch this validator's transcripts: per subnet, the PeerIds the metagraph binds to
//! the hotkeys entitled to judge its miners ([`entitled`]): the members of its sentinel
//! committee of the current and the next epoch, the members of each open case (a case
//! outlives the epoch of its committee) and audit, and the electors of an audit escalated to
//! every permit holder. Everyone else is refused.
//!
//! The sets are read from the chain at each new best block ([`follow`]: one `mindos_cases`
//! call for all subnets and one `mindos_committee` call per subnet; the next epoch's
//! committee, drawn at the last boundary, is read once per epoch), mapped to PeerIds through
//! the subnets' metagraphs (each validator serves its PeerId on the subnets it validates),
//! and replaced whole. A failed read keeps the previous set.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    sync::{Arc, PoisonError, RwLock},
};

use mindos_chain_client::{
    runtime,
    sentinels::{Cases, Committee},
    ChainError,
};
use mindos_mesh::{NetUid, PeerId};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::{sink::KeepFrom, DEFAULT_RETENTION_EPOCHS};
use crate::{
    chain::ChainSession,
    metagraph::{Neuron, SubnetState},
};

/// The peers allowed to fetch each subnet's transcripts.
#[derive(Debug, Default)]
pub(crate) struct Access {
    allowed: RwLock<HashMap<NetUid, HashSet<PeerId>>>,
}

impl Access {
    /// Whether `peer` may fetch transcripts of `netuid`; `Err` says why not.
    pub(crate) fn authorize(&self, peer: &PeerId, netuid: NetUid) -> Result<(), String> {
        let allowed = self.allowed.read().unwrap_or_else(PoisonError::into_inner);
        if allowed
            .get(&netuid)
            .is_some_and(|peers| peers.contains(peer))
        {
            Ok(())
        } else {
            Err(format!(
                "{peer} is not a member of a sentinel committee, open case or audit of subnet \
                 {netuid} (by the PeerId its hotkey serves)"
            ))
        }
    }

    /// Replaces the peers allowed to fetch `netuid`'s transcripts.
    pub(crate) fn set(&self, netuid: NetUid, peers: HashSet<PeerId>) {
        self.allowed
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(netuid, peers);
    }
}

/// The hotkeys entitled to `netuid`'s evidence: the members of `committees`, and of the
/// subnet's open cases and audits in `cases` (with the electors of escalated audits).
pub(crate) fn entitled(
    netuid: NetUid,
    committees: &[Committee],
    cases: &Cases,
) -> BTreeSet<[u8; 32]> {
    let mut hotkeys = BTreeSet::new();
    for committee in committees.iter().filter(|c| c.netuid == netuid) {
        hotkeys.extend(committee.members.iter().map(|m| m.hotkey.0));
    }
    for case in cases.cases.iter().filter(|c| c.netuid == netuid) {
        hotkeys.extend(case.members.iter().map(|m| m.0));
    }
    for audit in cases.audits.iter().filter(|a| a.netuid == netuid) {
        hotkeys.extend(audit.members.iter().map(|m| m.0));
        if let Some(escalation) = &audit.escalation {
            hotkeys.extend(escalation.electors.iter().map(|e| e.hotkey.0));
        }
    }
    hotkeys
}

/// The PeerIds `neurons` serve for `hotkeys` (a hotkey that serves none cannot fetch).
pub(crate) fn peers_of(hotkeys: &BTreeSet<[u8; 32]>, neurons: &[Neuron]) -> HashSet<PeerId> {
    neurons
        .iter()
        .filter(|n| hotkeys.contains(&n.hotkey))
        .filter_map(|n| n.peer)
        .collect()
}

/// Sentinel epochs a transcript is kept: evidence is usable for `MaxEvidenceAgeEpochs`, and
/// an audit can ask for it until the `AuditWindowEpochs` after that. Read from the runtime's
/// constants; the runtime's launch values if they cannot be read.
pub(crate) async fn retention_epochs(session: &ChainSession) -> u64 {
    let read = async {
        let at = session.at_best().await.map_err(|e| e.to_string())?;
        let constants = runtime::constants().sentinels();
        let age = at
            .constants()
            .entry(constants.max_evidence_age_epochs())
            .map_err(|e| e.to_string())?;
        let audit = at
            .constants()
            .entry(constants.audit_window_epochs())
            .map_err(|e| e.to_string())?;
        Ok::<u64, String>(u64::from(age).saturating_add(u64::from(audit)))
    };
    match read.await {
        Ok(epochs) => epochs,
        Err(e) => {
            tracing::warn!(error = %e, default = DEFAULT_RETENTION_EPOCHS, "cannot read the evidence window from the chain");
            DEFAULT_RETENTION_EPOCHS
        }
    }
}

/// Refreshes `access` at each new block `blocks` announces, and tells the writer through
/// `keep_from` the first epoch to keep of each subnet (its current sentinel epoch less
/// `retention` epochs). Returns when `cancel` fires or the blocks end.
pub(crate) async fn follow(
    access: Arc<Access>,
    session: ChainSession,
    subnets: Arc<BTreeMap<NetUid, Arc<SubnetState>>>,
    mut blocks: watch::Receiver<u64>,
    keep_from: watch::Sender<KeepFrom>,
    cancel: CancellationToken,
) {
    let retention = retention_epochs(&session).await;
    tracing::info!(
        epochs = retention,
        "transcripts are kept this many sentinel epochs"
    );
    let mut next = NextCommittees::new();
    loop {
        refresh(
            &access, &session, &subnets, retention, &keep_from, &mut next,
        )
        .await;
        tokio::select! {
            changed = blocks.changed() => if changed.is_err() { return },
            () = cancel.cancelled() => return,
        }
    }
}

/// Each subnet's next committee once read: fixed once drawn, so read until the chain holds
/// it and then not again in the epoch.
type NextCommittees = HashMap<NetUid, Committee>;

async fn refresh(
    access: &Access,
    session: &ChainSession,
    subnets: &BTreeMap<NetUid, Arc<SubnetState>>,
    retention: u64,
    keep_from: &watch::Sender<KeepFrom>,
    next: &mut NextCommittees,
) {
    let client = session.client();
    let sentinels = client.sentinels();
    let cases = match sentinels.cases(None).await {
        Ok(cases) => cases,
        Err(e) => {
            tracing::debug!(error = %e, "cannot read the open cases; evidence access unchanged");
            return;
        }
    };
    for (netuid, subnet) in subnets {
        let (current, mut committees) = match sentinels.committee(*netuid, None).await {
            Ok(committee) => (committee.current_epoch, vec![committee]),
            // Fewer than four eligible validators: no committee, but the epoch still counts.
            Err(ChainError::CommitteeNotStored { current, .. }) => (current, Vec::new()),
            Err(e) => {
                tracing::debug!(%netuid, error = %e, "cannot read the committee; evidence access unchanged");
                continue;
            }
        };
        let upcoming_epoch = current.saturating_add(1);
        let cached = next.get(netuid).filter(|c| c.epoch == upcoming_epoch);
        let upcoming = match cached {
            Some(committee) => Some(committee.clone()),
            None => match sentinels.committee(*netuid, Some(upcoming_epoch)).await {
                Ok(committee) => Some(committee),
                Err(ChainError::CommitteeNotStored { .. }) => None,
                Err(e) => {
                    tracing::debug!(%netuid, error = %e, "cannot read the next committee; evidence access unchanged");
                    continue;
                }
            },
        };
        if let Some(committee) = &upcoming {
            next.insert(*netuid, committee.clone());
        }
        committees.extend(upcoming);
        let hotkeys = entitled(*netuid, &committees, &cases);
        access.set(*netuid, peers_of(&hotkeys, &subnet.neurons()));
        let from = current.saturating_sub(retention);
        keep_from.send_if_modified(|keep| keep.insert(*netuid, from) != Some(from));
    }
}

#[cfg(test)]
mod tests {
    use mindos_chain_client::sentinels::Committee;
    use mindos_mesh::Uid;
    use mindos_primitives::{
        AuditKind, AuditView, CaseView, CasesView, CommitteeDuty, CommitteeMember, SentinelOffence,
        VoteStatus,
    };
    use subxt::utils::AccountId32;

    use super::*;

    const NETUID: NetUid = NetUid(1);

    fn neuron(uid: u16, hotkey: u8) -> Neuron {
        Neuron {
            uid: Uid(uid),
            hotkey: [hotkey; 32],
            peer: Some(PeerId::random()),
            addrs: Vec::new(),
            validator_permit: true,
            stake: 0,
            reputation: 0.0,
            incentive: 0,
            emission: 0,
            quarantined: false,
        }
    }

    fn committee(netuid: NetUid, hotkeys: &[u8]) -> Committee {
        Committee {
            netuid,
            epoch: 5,
            current_epoch: 5,
            duty: CommitteeDuty::Current,
            size: 4,
            fault_tolerance: 1,
            threshold: 3,
            members: hotkeys
                .iter()
                .map(|&h| CommitteeMember {
                    uid: u16::from(h),
                    hotkey: AccountId32([h; 32]),
                })
                .collect(),
            drawn_at: 10,
            seed_epoch: 3,
            seed: None,
        }
    }

    fn audit(netuid: NetUid, hotkeys: &[u8]) -> AuditView<AccountId32, u128, u32> {
        AuditView {
            case: 1,
            netuid,
            uid: 9,
            accused: AccountId32([9; 32]),
            offence: SentinelOffence::WrongOutput,
            convicted: true,
            reason: AuditKind::Appeal,
            appellant: None,
            deposit: 0,
            members: hotkeys.iter().map(|&h| AccountId32([h; 32])).collect(),
            uphold: Vec::new(),
            overturn: Vec::new(),
            overturn_at: 3,
            uphold_at: 2,
            slash_due_epoch: 7,
            expires_at: 50,
            status: VoteStatus::Voting,
            escalation: None,
        }
    }

    fn case(netuid: NetUid, hotkeys: &[u8]) -> CaseView<AccountId32, u128, u32> {
        CaseView {
            id: 2,
            netuid,
            uid: 9,
            accused: AccountId32([9; 32]),
            offence: SentinelOffence::WrongOutput,
            reporter: AccountId32([hotkeys[0]; 32]),
            evidence_hash: [0; 32],
            bond: 0,
            epoch: 4,
            members: hotkeys.iter().map(|&h| AccountId32([h; 32])).collect(),
            guilty: Vec::new(),
            not_guilty: Vec::new(),
            threshold: 3,
            refute_at: 3,
            opened_at: 20,
            expires_at: 40,
            status: VoteStatus::Voting,
        }
    }

    /// The authorization rule: committee (current or next), open case and audit members of
    /// the subnet may fetch, by the PeerId their hotkey serves; nobody else, and nobody for
    /// another subnet.
    #[test]
    fn only_members_of_a_committee_case_or_audit_of_the_subnet_may_fetch() {
        // Hotkeys 1-4: the current committee; 5: the next; 6: a case of the last epoch's
        // committee; 7-8: an audit; 10: a member only on another subnet; 11: nobody.
        let neurons: Vec<Neuron> = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]
            .iter()
            .map(|&h| neuron(u16::from(h), h))
            .collect();
        let peer = |h: u8| {
            neurons
                .iter()
                .find(|n| n.hotkey == [h; 32])
                .unwrap()
                .peer
                .unwrap()
        };
        let mut next = committee(NETUID, &[5, 1, 2, 3]);
        next.epoch = 6;
        next.duty = CommitteeDuty::Next;
        let committees = [
            committee(NETUID, &[1, 2, 3, 4]),
            next,
            committee(NetUid(2), &[10]),
        ];
        let cases: Cases = CasesView {
            cases: vec![case(NETUID, &[6, 1, 2, 3]), case(NetUid(2), &[10])],
            audits: vec![audit(NETUID, &[7, 8]), audit(NetUid(2), &[10])],
        };
        let access = Access::default();
        access.set(
            NETUID,
            peers_of(&entitled(NETUID, &committees, &cases), &neurons),
        );
        for member in [1, 2, 3, 4, 5, 6, 7, 8] {
            assert!(access.authorize(&peer(member), NETUID).is_ok(), "{member}");
        }
        for outsider in [10, 11] {
            let refused = access.authorize(&peer(outsider), NETUID);
            assert!(refused.unwrap_err().contains("not a member"), "{outsider}");
        }
        assert!(access.authorize(&PeerId::random(), NETUID).is_err());
        // No set for a subnet: nobody.
        assert!(access.authorize(&peer(1), NetUid(2)).is_err());
        // A set replaced: a member of the old committee only is out.
        access.set(
            NETUID,
            peers_of(
                &entitled(
                    NETUID,
                    &committees[1..2],
                    &CasesView {
                        cases: vec![],
                        audits: vec![],
                    },
                ),
                &neurons,
            ),
        );
        assert!(access.authorize(&peer(5), NETUID).is_ok());
        assert!(access.authorize(&peer(4), NETUID).is_err());
        assert!(access.authorize(&peer(7), NETUID).is_err());
    }
}
