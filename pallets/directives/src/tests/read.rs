//! The read side: `directives()`, `proposals()` and their JSON.

use super::*;
use crate::{DirectiveStatus, DirectiveView, ProposalView};

#[test]
fn directives_lists_every_directive_in_id_order() {
    build_and_execute(|| {
        stakes();
        let (_, enact_at) = pass(ProposalAction::RepealDirective { id: 1 }, Scope::Network);
        run_to(enact_at);
        let all = Directives::directives();
        assert_eq!(
            all.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
        assert_eq!(all[1].status, DirectiveStatus::Repealed { at: enact_at });
        let json = serde_json::to_value(&all).unwrap();
        assert_eq!(
            json[0]["text"],
            "An instance may not harm the hive, or, by inaction, allow the hive to come to harm."
        );
        assert_eq!(json[0]["enactedAt"], 0);
        assert_eq!(json[1]["status"]["repealed"]["at"], enact_at);
        assert_eq!(json[2]["status"], "active");
        let back: Vec<DirectiveView<u64>> = serde_json::from_value(json).unwrap();
        assert_eq!(back, all);
    });
}

#[test]
fn proposals_lists_live_proposals_with_their_tallies() {
    build_and_execute(|| {
        stakes();
        assert!(Directives::proposals().is_empty());
        let (approved, enact_at) = pass(set(ParameterValue::BurnFloor(7)), Scope::Network);
        let voting = propose(
            BOB,
            ProposalAction::AmendDirective {
                id: 0,
                title: title("Prime"),
                text: text("Do no harm."),
            },
            Scope::Network,
        );
        vote(CHARLIE, voting, false);
        let all = Directives::proposals();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].index, approved);
        assert_eq!(all[0].status, ProposalStatus::Approved { enact_at });
        assert_eq!(all[0].ayes, 700, "the tally as recorded");
        assert!(!all[0].supermajority);
        assert_eq!(
            all[1],
            ProposalView {
                index: voting,
                proposer: BOB,
                action: ProposalAction::AmendDirective {
                    id: 0,
                    title: b"Prime".to_vec(),
                    text: b"Do no harm.".to_vec(),
                },
                scope: Scope::Network,
                deposit: 100,
                submitted_at: 11,
                voting_ends: 21,
                ayes: 0,
                nays: 200,
                voters: 1,
                supermajority: true,
                status: ProposalStatus::Voting,
            }
        );
        let json = serde_json::to_value(&all).unwrap();
        assert_eq!(json[0]["action"]["setParameter"]["burnFloor"], "7");
        assert_eq!(json[0]["status"]["approved"]["enactAt"], enact_at);
        assert_eq!(json[1]["action"]["amendDirective"]["text"], "Do no harm.");
        assert_eq!(json[1]["deposit"], "100");
        assert_eq!(json[1]["nays"], "200");
        assert_eq!(json[1]["scope"], "network");
        let back: Vec<ProposalView<u64, u64, u64>> = serde_json::from_value(json).unwrap();
        assert_eq!(back, all);
        run_to(enact_at);
        assert_eq!(Directives::proposals().len(), 1, "enacted proposals leave");
    });
}
