//! The duty's decisions against a scripted chain and scripted checks.

use std::{collections::BTreeMap, sync::Mutex};

use mindos_chain_client::sentinels::{Cases, Committee};
use mindos_primitives::{
    evidence as ev, AuditKind, AuditView, CaseView, CasesView, CommitteeDuty, CommitteeMember,
    CommitteeView, ElectorView, EscalationView,
};
use subxt::utils::AccountId32;

use super::*;

const NET: NetUid = NetUid(1);
const ME: Hotkey = [1; 32];

fn acc(byte: u8) -> AccountId32 {
    AccountId32([byte; 32])
}

struct Script {
    epoch: u64,
    committees: BTreeMap<u64, Vec<u8>>,
    cases: Cases,
    quarantined: Vec<Hotkey>,
    submitted: Vec<Call>,
    /// Errors the next submissions get, in order.
    errors: Vec<SubmitError>,
}

struct ScriptedChain(Mutex<Script>);

impl Default for Script {
    fn default() -> Self {
        Self {
            epoch: 0,
            committees: BTreeMap::new(),
            cases: CasesView {
                cases: vec![],
                audits: vec![],
            },
            quarantined: vec![],
            submitted: vec![],
            errors: vec![],
        }
    }
}

impl ScriptedChain {
    fn with(f: impl FnOnce(&mut Script)) -> Self {
        let mut script = Script::default();
        f(&mut script);
        Self(Mutex::new(script))
    }
    fn edit(&self, f: impl FnOnce(&mut Script)) {
        f(&mut self.0.lock().unwrap());
    }
    fn submitted(&self) -> Vec<Call> {
        self.0.lock().unwrap().submitted.clone()
    }
}

fn committee(netuid: NetUid, epoch: u64, members: &[u8]) -> Committee {
    CommitteeView {
        netuid,
        epoch,
        current_epoch: epoch,
        duty: CommitteeDuty::Current,
        size: 4,
        fault_tolerance: 1,
        threshold: 3,
        members: members
            .iter()
            .enumerate()
            .map(|(i, b)| CommitteeMember {
                uid: i as u16,
                hotkey: acc(*b),
            })
            .collect(),
        drawn_at: 0,
        seed_epoch: 0,
        seed: None,
    }
}

impl DutyChain for ScriptedChain {
    async fn subnet_epoch(&self, _netuid: NetUid) -> Result<u64, String> {
        Ok(self.0.lock().unwrap().epoch)
    }
    async fn committee(&self, netuid: NetUid, epoch: u64) -> Result<Option<Committee>, String> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .committees
            .get(&epoch)
            .map(|m| committee(netuid, epoch, m)))
    }
    async fn cases(&self, _netuid: NetUid) -> Result<Cases, String> {
        Ok(self.0.lock().unwrap().cases.clone())
    }
    async fn quarantined(&self, _netuid: NetUid) -> Result<Vec<Hotkey>, String> {
        Ok(self.0.lock().unwrap().quarantined.clone())
    }
    async fn submit(&self, call: &Call) -> Result<(), SubmitError> {
        let mut script = self.0.lock().unwrap();
        script.submitted.push(call.clone());
        if script.errors.is_empty() {
            Ok(())
        } else {
            Err(script.errors.remove(0))
        }
    }
}

/// Judgments by evidence hash (absent: unavailable); counts the checks made.
#[derive(Default)]
struct ScriptedJudge {
    judgments: BTreeMap<[u8; 32], Judgment>,
    honest: Option<(u16, [u8; 32])>,
    asked: Mutex<Vec<([u8; 32], Hotkey)>>,
}

impl Judge for ScriptedJudge {
    async fn judge(&self, _netuid: NetUid, evidence_hash: [u8; 32], holder: Hotkey) -> Judgment {
        self.asked.lock().unwrap().push((evidence_hash, holder));
        self.judgments
            .get(&evidence_hash)
            .cloned()
            .unwrap_or_else(|| Judgment::Unavailable("unreachable".into()))
    }
    async fn honest_sample(&self, _netuid: NetUid) -> Option<(u16, [u8; 32])> {
        self.honest
    }
}

fn duty(fault: Option<Fault>) -> (Duty, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::new().unwrap());
    (Duty::new(ME, fault, metrics.clone()), metrics)
}

fn counted(metrics: &Metrics, action: &str, outcome: &str) -> u64 {
    metrics
        .sentinel_actions
        .with_label_values(&["1", action, outcome])
        .get()
}

fn candidate(miner: u8, epoch: u64) -> Candidate {
    Candidate {
        uid: u16::from(miner),
        hotkey: [miner; 32],
        offence: ReportOffence::WrongOutput,
        evidence_hash: [miner; 32],
        epoch,
    }
}

fn case(
    id: u64,
    accused: u8,
    reporter: u8,
    members: &[u8],
    evidence: u8,
) -> CaseView<AccountId32, u128, u32> {
    CaseView {
        id,
        netuid: NET,
        uid: u16::from(accused),
        accused: acc(accused),
        offence: SentinelOffence::WrongOutput,
        reporter: acc(reporter),
        evidence_hash: [evidence; 32],
        bond: 1,
        epoch: 5,
        members: members.iter().map(|b| acc(*b)).collect(),
        guilty: vec![acc(reporter)],
        not_guilty: vec![],
        threshold: 3,
        refute_at: 3,
        opened_at: 100,
        expires_at: 120,
        status: VoteStatus::Voting,
    }
}

fn audit(
    case: u64,
    accused: u8,
    members: &[u8],
    convicted: bool,
) -> AuditView<AccountId32, u128, u32> {
    AuditView {
        case,
        netuid: NET,
        uid: u16::from(accused),
        accused: acc(accused),
        offence: SentinelOffence::WrongOutput,
        convicted,
        reason: AuditKind::Random,
        appellant: None,
        deposit: 0,
        members: members.iter().map(|b| acc(*b)).collect(),
        uphold: vec![],
        overturn: vec![],
        overturn_at: 3,
        uphold_at: 2,
        slash_due_epoch: 9,
        expires_at: 200,
        status: VoteStatus::Voting,
        escalation: None,
    }
}

fn signed(output: u8) -> ev::SignedResponse<Hotkey> {
    ev::SignedResponse {
        response: ev::Response {
            challenge: ev::Challenge {
                netuid: NET,
                uid: 9,
                hotkey: [9; 32],
                epoch: 5,
                nonce: 77,
                input_hash: [4; 32],
                model_digest: [5; 32],
                deadline: 130,
            },
            seen_block: ev::SeenBlock {
                number: 100,
                hash: [6; 32],
            },
            output_hash: [output; 32],
            latency_ms: 3,
        },
        signature: [output; 64],
    }
}

#[tokio::test]
async fn a_member_reports_a_mismatch_once_and_a_non_member_does_not() {
    let chain = ScriptedChain::with(|s| {
        s.epoch = 5;
        s.committees.insert(5, vec![1, 2, 3, 4]);
    });
    let judge = ScriptedJudge::default();
    let (mut member, metrics) = duty(None);
    member.offer_report(NET, candidate(9, 5));
    member.on_block(&chain, &judge, NET, 100).await;
    assert!(member.is_current_member(NET));
    let report = Call::Report {
        netuid: NET,
        uid: 9,
        offence: ReportOffence::WrongOutput,
        evidence_hash: [9; 32],
    };
    assert_eq!(chain.submitted(), vec![report]);
    assert_eq!(counted(&metrics, "report", "submitted"), 1);
    assert_eq!(
        metrics
            .sentinel_member
            .with_label_values(&["1", "current"])
            .get(),
        1
    );
    // The next block: the case is open (the report made it), nothing more is sent.
    chain.edit(|s| s.cases.cases.push(case(0, 9, 1, &[1, 2, 3, 4], 9)));
    member.on_block(&chain, &judge, NET, 101).await;
    assert_eq!(chain.submitted().len(), 1);

    // Not on the committee: the candidate waits, nothing is sent.
    let chain = ScriptedChain::with(|s| {
        s.epoch = 5;
        s.committees.insert(5, vec![2, 3, 4, 5]);
        s.committees.insert(6, vec![1, 2, 3, 4]);
    });
    let (mut outsider, metrics) = duty(None);
    outsider.offer_report(NET, candidate(9, 5));
    outsider.on_block(&chain, &judge, NET, 100).await;
    assert!(chain.submitted().is_empty());
    assert_eq!(
        metrics
            .sentinel_member
            .with_label_values(&["1", "next"])
            .get(),
        1
    );
    // Its seat comes with the next epoch: then it reports.
    chain.edit(|s| s.epoch = 6);
    outsider.on_block(&chain, &judge, NET, 120).await;
    assert_eq!(chain.submitted().len(), 1);
}

#[tokio::test]
async fn reports_stay_within_the_cap_newest_first_and_stale_ones_go() {
    let chain = ScriptedChain::with(|s| {
        s.epoch = 10;
        s.committees.insert(10, vec![1, 2, 3, 4]);
        // One open report of this validator already.
        s.cases.cases.push(case(0, 20, 1, &[1, 2, 3, 4], 20));
    });
    let judge = ScriptedJudge::default();
    let (mut d, metrics) = duty(None);
    d.offer_report(NET, candidate(30, 5)); // stale: 5 + 4 < 10
    d.offer_report(NET, candidate(31, 8));
    d.offer_report(NET, candidate(32, 9));
    d.on_block(&chain, &judge, NET, 100).await;
    // Room for one: the newest.
    assert_eq!(
        chain.submitted(),
        vec![Call::Report {
            netuid: NET,
            uid: 32,
            offence: ReportOffence::WrongOutput,
            evidence_hash: [32; 32]
        }]
    );
    assert_eq!(counted(&metrics, "report", "skipped_stale"), 1);
    // At the cap (the scripted chain shows the new case): nothing more.
    chain.edit(|s| s.cases.cases.push(case(1, 32, 1, &[1, 2, 3, 4], 32)));
    d.on_block(&chain, &judge, NET, 101).await;
    assert_eq!(chain.submitted().len(), 1);
    // A case closes: the kept candidate goes.
    chain.edit(|s| s.cases.cases.retain(|c| c.id != 0));
    d.on_block(&chain, &judge, NET, 102).await;
    assert_eq!(chain.submitted().len(), 2);

    // The queue is bounded.
    let (mut d, metrics) = duty(None);
    for miner in 0..(MAX_CANDIDATES as u8 + 3) {
        d.offer_report(NET, candidate(miner, u64::from(miner)));
    }
    assert_eq!(d.subnets[&NET].candidates.len(), MAX_CANDIDATES);
    assert_eq!(counted(&metrics, "report", "skipped_overflow"), 3);
    assert_eq!(
        d.subnets[&NET].candidates[0].epoch,
        u64::from(MAX_CANDIDATES as u8 + 2)
    );
}

#[tokio::test]
async fn miners_with_an_open_case_or_a_quarantine_are_not_reported() {
    let chain = ScriptedChain::with(|s| {
        s.epoch = 5;
        s.committees.insert(5, vec![1, 2, 3, 4]);
        s.cases.cases.push(case(0, 9, 2, &[1, 2, 3, 4], 9));
        s.quarantined.push([8; 32]);
    });
    let judge = ScriptedJudge::default();
    let (mut d, metrics) = duty(None);
    d.offer_report(NET, candidate(9, 5));
    d.offer_report(NET, candidate(8, 5));
    d.on_block(&chain, &judge, NET, 100).await;
    // Only the vote on the other reporter's case (unavailable evidence: retried later).
    assert!(chain
        .submitted()
        .iter()
        .all(|c| !matches!(c, Call::Report { .. })));
    assert_eq!(counted(&metrics, "report", "skipped_case_open"), 1);
    assert_eq!(counted(&metrics, "report", "skipped_quarantined"), 1);
}

fn voting_chain() -> ScriptedChain {
    ScriptedChain::with(|s| {
        s.epoch = 5;
        s.committees.insert(5, vec![1, 2, 3, 4]);
        s.cases.cases = vec![
            case(10, 20, 2, &[1, 2, 3, 4], 0xd1), // disagrees
            case(11, 21, 2, &[1, 2, 3, 4], 0xa9), // agrees
            case(12, 22, 3, &[1, 2, 3, 4], 0x7a), // tampered
            case(13, 23, 3, &[2, 3, 4, 5], 0xd1), // not a member
        ];
    })
}

fn scripted_judgments() -> ScriptedJudge {
    ScriptedJudge {
        judgments: BTreeMap::from([
            ([0xd1; 32], Judgment::Disagrees("label 3, not 7".into())),
            ([0xa9; 32], Judgment::Agrees),
            ([0x7a; 32], Judgment::Invalid("bad signature".into())),
        ]),
        ..Default::default()
    }
}

#[tokio::test]
async fn votes_guilty_only_on_a_disagreeing_transcript_and_once_per_case() {
    let chain = voting_chain();
    let judge = scripted_judgments();
    let (mut d, metrics) = duty(None);
    d.on_block(&chain, &judge, NET, 100).await;
    assert_eq!(
        chain.submitted(),
        vec![
            Call::Vote {
                case: 10,
                guilty: true
            },
            Call::Vote {
                case: 11,
                guilty: false
            },
            Call::Vote {
                case: 12,
                guilty: false
            },
        ]
    );
    // Fetched from each case's reporter.
    assert_eq!(judge.asked.lock().unwrap()[0], ([0xd1; 32], [2; 32]));
    assert_eq!(counted(&metrics, "vote_guilty", "submitted"), 1);
    assert_eq!(counted(&metrics, "vote_not_guilty", "submitted"), 2);
    // The chain has not caught up with the votes yet: no second vote.
    d.on_block(&chain, &judge, NET, 101).await;
    assert_eq!(chain.submitted().len(), 3);
}

#[tokio::test]
async fn an_unreachable_reporter_is_retried_with_back_off_then_cleared_before_expiry() {
    let chain = ScriptedChain::with(|s| {
        s.epoch = 5;
        s.committees.insert(5, vec![1, 2, 3, 4]);
        let mut far = case(10, 20, 2, &[1, 2, 3, 4], 0xee);
        // Expiring far off: only the attempts decide.
        far.expires_at = 1_000;
        s.cases.cases = vec![far];
    });
    let judge = ScriptedJudge::default(); // everything unavailable
    let (mut d, _) = duty(None);
    for block in 100..227 {
        d.on_block(&chain, &judge, NET, block).await;
    }
    // Tried at 100, 101, 103, 107, 115, 131, 163: back-off doubling, no vote yet.
    assert_eq!(
        judge.asked.lock().unwrap().len(),
        MAX_JUDGE_ATTEMPTS as usize - 1
    );
    assert!(chain.submitted().is_empty());
    for block in 227..230 {
        d.on_block(&chain, &judge, NET, block).await;
    }
    // The eighth attempt (at 227) decides.
    assert_eq!(
        chain.submitted(),
        vec![Call::Vote {
            case: 10,
            guilty: false
        }]
    );

    // Near expiry it decides at once.
    let (mut d, _) = duty(None);
    let chain = ScriptedChain::with(|s| {
        s.epoch = 5;
        s.committees.insert(5, vec![1, 2, 3, 4]);
        s.cases.cases = vec![case(10, 20, 2, &[1, 2, 3, 4], 0xee)];
    });
    d.on_block(&chain, &judge, NET, 118).await;
    assert_eq!(
        chain.submitted(),
        vec![Call::Vote {
            case: 10,
            guilty: false
        }]
    );
}

#[tokio::test]
async fn a_failed_vote_is_retried_and_someone_elses_work_is_not_a_failure() {
    let chain = ScriptedChain::with(|s| {
        s.epoch = 5;
        s.committees.insert(5, vec![1, 2, 3, 4]);
        s.cases.cases = vec![case(10, 20, 2, &[1, 2, 3, 4], 0xd1)];
        s.errors = vec![
            SubmitError::Failed("timed out".into()),
            SubmitError::from_text("Module error: Sentinels::AlreadyVoted".into()),
        ];
    });
    let judge = scripted_judgments();
    let (mut d, metrics) = duty(None);
    d.on_block(&chain, &judge, NET, 100).await;
    d.on_block(&chain, &judge, NET, 101).await;
    d.on_block(&chain, &judge, NET, 102).await;
    assert_eq!(chain.submitted().len(), 2);
    assert_eq!(counted(&metrics, "vote_guilty", "failed"), 1);
    assert_eq!(counted(&metrics, "vote_guilty", "done_by_other"), 1);
}

#[tokio::test]
async fn audits_overturn_a_wrong_conviction_and_uphold_a_right_one() {
    let chain = ScriptedChain::with(|s| {
        s.epoch = 5;
        s.committees.insert(5, vec![2, 3, 4, 5]);
        // Seen open first: the duty learns their evidence.
        s.cases.cases = vec![
            case(10, 20, 2, &[2, 3, 4, 5], 0xa9),
            case(11, 21, 2, &[2, 3, 4, 5], 0xd1),
        ];
    });
    let judge = scripted_judgments();
    let (mut d, metrics) = duty(None);
    d.on_block(&chain, &judge, NET, 100).await;
    assert!(chain.submitted().is_empty());
    chain.edit(|s| {
        s.cases.cases.clear();
        s.cases.audits = vec![
            audit(10, 20, &[1, 6, 7, 8], true), // the miner was right
            audit(11, 21, &[1, 6, 7, 8], true), // it was wrong
            audit(12, 22, &[1, 6, 7, 8], true), // never seen
            audit(13, 23, &[6, 7, 8, 9], true), // not on its committee
        ];
    });
    d.on_block(&chain, &judge, NET, 101).await;
    assert_eq!(
        chain.submitted(),
        vec![
            Call::AuditVote {
                case: 10,
                uphold: false
            },
            Call::AuditVote {
                case: 11,
                uphold: true
            },
        ]
    );
    assert_eq!(counted(&metrics, "audit_overturn", "submitted"), 1);
    assert_eq!(counted(&metrics, "audit_uphold", "submitted"), 1);
    assert_eq!(counted(&metrics, "audit", "skipped_evidence_unknown"), 1);
    // Once each.
    d.on_block(&chain, &judge, NET, 102).await;
    assert_eq!(chain.submitted().len(), 2);
    assert_eq!(counted(&metrics, "audit", "skipped_evidence_unknown"), 1);

    // A split dismissal of a wrong answer is overturned.
    assert_eq!(
        audit_decision(false, &Judgment::Disagrees("x".into())).map(|d| d.0),
        Some(true)
    );
    assert_eq!(
        audit_decision(false, &Judgment::Agrees).map(|d| d.0),
        Some(false)
    );
    assert_eq!(
        audit_decision(true, &Judgment::Unavailable("x".into())),
        None
    );
}

#[tokio::test]
async fn an_elector_votes_on_an_escalation_once() {
    let chain = ScriptedChain::with(|s| {
        s.epoch = 5;
        s.cases.cases = vec![case(10, 20, 2, &[2, 3, 4, 5], 0xa9)];
    });
    let judge = scripted_judgments();
    let (mut d, metrics) = duty(None);
    d.on_block(&chain, &judge, NET, 100).await;
    chain.edit(|s| {
        s.cases.cases.clear();
        let mut escalated = audit(10, 20, &[6, 7, 8, 9], true);
        escalated.escalation = Some(EscalationView {
            electors: vec![
                ElectorView {
                    hotkey: acc(1),
                    stake: 10,
                    vote: None,
                },
                ElectorView {
                    hotkey: acc(6),
                    stake: 10,
                    vote: Some(true),
                },
            ],
            total: 20,
            overturn: 10,
            uphold: 0,
            decides_at: 14,
        });
        s.cases.audits = vec![escalated];
    });
    d.on_block(&chain, &judge, NET, 101).await;
    d.on_block(&chain, &judge, NET, 102).await;
    assert_eq!(
        chain.submitted(),
        vec![Call::EscalationVote {
            case: 10,
            overturn: true
        }]
    );
    assert_eq!(counted(&metrics, "escalation_overturn", "submitted"), 1);
}

#[tokio::test]
async fn an_equivocation_is_submitted_without_a_committee() {
    let chain = ScriptedChain::with(|s| s.epoch = 5); // no committee at all
    let judge = ScriptedJudge::default();
    let (mut d, metrics) = duty(None);
    // The same output twice is no equivocation.
    d.offer_equivocation(NET, 9, signed(1), signed(1));
    d.on_block(&chain, &judge, NET, 100).await;
    assert!(chain.submitted().is_empty());
    // Two outputs for one challenge: submitted once, at the next block.
    d.offer_equivocation(NET, 9, signed(1), signed(2));
    d.offer_equivocation(NET, 9, signed(1), signed(3));
    d.on_block(&chain, &judge, NET, 101).await;
    assert_eq!(
        chain.submitted(),
        vec![Call::Equivocation {
            netuid: NET,
            uid: 9,
            first: Box::new(signed(1)),
            second: Box::new(signed(2)),
        }]
    );
    assert_eq!(counted(&metrics, "equivocation", "submitted"), 1);
    d.on_block(&chain, &judge, NET, 102).await;
    assert_eq!(chain.submitted().len(), 1);
    // Another validator was first: counted as such.
    chain.edit(|s| {
        s.errors = vec![SubmitError::from_text(
            "Module error: Sentinels::EvidenceAlreadySanctioned".into(),
        )]
    });
    d.offer_equivocation(NET, 9, signed(1), signed(2));
    d.on_block(&chain, &judge, NET, 103).await;
    assert_eq!(counted(&metrics, "equivocation", "done_by_other"), 1);
    // A miner quarantined meanwhile is not accused again.
    chain.edit(|s| s.quarantined.push([9; 32]));
    d.offer_equivocation(NET, 9, signed(1), signed(2));
    d.on_block(&chain, &judge, NET, 104).await;
    assert_eq!(chain.submitted().len(), 2);
    assert_eq!(counted(&metrics, "equivocation", "skipped_quarantined"), 1);
    // Different challenges are no equivocation either.
    let mut other = signed(2);
    other.response.challenge.nonce = 78;
    assert!(!is_equivocation(&signed(1), &other));
}

#[tokio::test]
async fn a_lying_reporter_reports_an_honest_answer() {
    let chain = ScriptedChain::with(|s| {
        s.epoch = 5;
        s.committees.insert(5, vec![1, 2, 3, 4]);
    });
    let judge = ScriptedJudge {
        honest: Some((12, [0xa9; 32])),
        ..Default::default()
    };
    let (mut d, _) = duty(Some(Fault::LyingReporter));
    d.offer_report(NET, candidate(9, 5)); // its real finding is not what it reports
    d.on_block(&chain, &judge, NET, 100).await;
    assert_eq!(
        chain.submitted(),
        vec![Call::Report {
            netuid: NET,
            uid: 12,
            offence: ReportOffence::WrongOutput,
            evidence_hash: [0xa9; 32]
        }]
    );
    // One lie at a time.
    chain.edit(|s| s.cases.cases.push(case(0, 12, 1, &[1, 2, 3, 4], 0xa9)));
    d.on_block(&chain, &judge, NET, 101).await;
    assert_eq!(chain.submitted().len(), 1);
}

#[tokio::test]
async fn lying_voters_vote_their_fault_without_checking() {
    for (fault, guilty) in [(Fault::VoteGuilty, true), (Fault::VoteNotGuilty, false)] {
        let chain = voting_chain();
        let judge = scripted_judgments();
        let (mut d, _) = duty(Some(fault));
        d.on_block(&chain, &judge, NET, 100).await;
        assert_eq!(
            chain.submitted(),
            [10, 11, 12]
                .map(|case| Call::Vote { case, guilty })
                .to_vec(),
            "{fault:?}"
        );
        assert!(judge.asked.lock().unwrap().is_empty(), "{fault:?}");
    }
}

#[tokio::test]
async fn a_silent_sentinel_never_reports_or_votes() {
    let chain = voting_chain();
    chain.edit(|s| s.cases.audits = vec![audit(10, 20, &[1, 6, 7, 8], true)]);
    let judge = scripted_judgments();
    let (mut d, _) = duty(Some(Fault::Silent));
    d.offer_report(NET, candidate(30, 5));
    d.offer_equivocation(NET, 9, signed(1), signed(2));
    d.on_block(&chain, &judge, NET, 100).await;
    d.on_block(&chain, &judge, NET, 101).await;
    assert!(chain.submitted().is_empty());
    // It still follows its duty.
    assert!(d.is_current_member(NET));
}
