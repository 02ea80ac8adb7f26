//! The README documents the `--json` shape of every read command (`READ_COMMANDS`), each once
//! and parseable; the dev-node test (`tests/dev_node.rs`) checks each shape against the
//! command's real output, so README and code cannot drift apart.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

#[test]
fn every_read_command_has_a_documented_json_shape() {
    for command in mindos_cli::cli::READ_COMMANDS {
        let shape = common::documented_shape(command);
        assert!(
            matches!(shape, common::Shape::Object(_)),
            "`{command}`: {shape:?}"
        );
    }
    // The checker is not vacuous: a document with an undocumented key fails it.
    let extra = serde_json::json!({"block": 1, "netuid": 1, "burn": {"planck": "1", "mind": "0.000000000001"}, "extra": 0});
    assert!(std::panic::catch_unwind(|| common::assert_shape("subnet burn-cost", &extra)).is_err());
    let missing = serde_json::json!({"block": 1, "netuid": 1, "burn": {"planck": "1"}});
    assert!(
        std::panic::catch_unwind(|| common::assert_shape("subnet burn-cost", &missing)).is_err()
    );
    let right = serde_json::json!({"block": 1, "netuid": 1, "burn": {"planck": "1", "mind": "0.000000000001"}});
    common::assert_shape("subnet burn-cost", &right);
}

/// The sentinel documents with rows in every list (which a fresh dev chain never has, so
/// the dev-node test sees them empty) have exactly the documented keys.
#[test]
fn sentinel_rows_have_their_documented_shapes() {
    use std::collections::BTreeMap;

    use mindos_cli::{sentinel, subnet::Pinned};
    use mindos_primitives::{
        AuditKind, AuditView, CaseView, CommitteeDuty, CommitteeMember, CommitteeView, ElectorView,
        EscalationView, NetUid, QuarantineView, SentinelOffence, VoteStatus,
    };

    let at = Pinned {
        hash: subxt::utils::H256::zero(),
        number: 120,
    };
    let account = |n: u8| mindos_cli::address::to_ss58(&subxt::utils::AccountId32([n; 32]));
    let committee = sentinel::CommitteeAnswer::Found(Box::new(CommitteeView {
        netuid: NetUid(1),
        epoch: 8,
        current_epoch: 7,
        duty: CommitteeDuty::Next,
        size: 4,
        fault_tolerance: 1,
        threshold: 3,
        members: (0..4)
            .map(|uid| CommitteeMember {
                uid,
                hotkey: account(uid as u8),
            })
            .collect(),
        drawn_at: 100,
        seed_epoch: 6,
        seed: Some([7; 32]),
    }));
    let (text, document) = sentinel::committee_output(1, &committee, at);
    common::assert_shape("sentinel committee", &document);
    assert_eq!(
        document["committee"]["members"].as_array().unwrap().len(),
        4
    );
    assert!(text.contains("3 guilty votes convict"), "{text}");

    let open = sentinel::Cases {
        cases: vec![CaseView {
            id: 4,
            netuid: NetUid(1),
            uid: 17,
            accused: account(9),
            offence: SentinelOffence::WrongOutput,
            reporter: account(1),
            evidence_hash: [5; 32],
            bond: 10_000_000_000_000,
            epoch: 7,
            members: vec![account(1), account(2), account(3), account(4)],
            guilty: vec![account(1)],
            not_guilty: vec![],
            threshold: 3,
            refute_at: 3,
            opened_at: 110,
            expires_at: 130,
            status: VoteStatus::Voting,
        }],
        audits: vec![AuditView {
            case: 2,
            netuid: NetUid(1),
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
            slash_due_epoch: 9,
            expires_at: 140,
            status: VoteStatus::Voting,
            escalation: Some(EscalationView {
                electors: vec![ElectorView {
                    hotkey: account(5),
                    stake: 40_000_000_000_000,
                    vote: Some(true),
                }],
                total: 40_000_000_000_000,
                overturn: 40_000_000_000_000,
                uphold: 0,
                decides_at: 26_666_666_666_667,
            }),
        }],
    };
    let convictions = [sentinel::Conviction {
        case: 3,
        netuid: 1,
        uid: 11,
        accused: subxt::utils::AccountId32([11; 32]),
        offence: SentinelOffence::Timeout,
        convicted: true,
        epoch: 6,
        due_epoch: 9,
        audited: false,
    }];
    let epochs = BTreeMap::from([(1u16, 7u64)]);
    let (text, document) = sentinel::cases_output(at, Some(1), &open, &convictions, &epochs);
    common::assert_shape("sentinel cases", &document);
    assert_eq!(document["convictions"][0]["appealable"], true);
    assert_eq!(document["cases"][0]["bond"]["mind"], "10");
    assert!(text.contains("open until epoch 9"), "{text}");

    let rows = [QuarantineView {
        netuid: NetUid(1),
        hotkey: account(4),
        uid: Some(3),
        offence: SentinelOffence::Equivocation,
        since_epoch: 3,
        since_block: 61,
        until_epoch: 5,
        offences: 1,
        releasable: true,
    }];
    let (text, document) = sentinel::quarantines_output(at, Some(1), &rows);
    common::assert_shape("sentinel quarantines", &document);
    assert!(text.contains("epoch 5"), "{text}");
}

/// `mindos --help` and every group's and command's `--help` explain themselves: each
/// command has an about text and each argument a help text, all the way down.
#[test]
fn every_command_and_argument_explains_itself() {
    use clap::CommandFactory;
    fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        command
            .get_about()
            .is_none()
            .then(|| missing.push(format!("`{path}` has no about")));
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg.get_help().is_none() {
                missing.push(format!("`{path}` argument `{id}` has no help"));
            }
        }
        for sub in command.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut command = mindos_cli::Cli::command();
    command.build();
    let mut missing = Vec::new();
    walk(&command, "mindos", &mut missing);
    assert!(missing.is_empty(), "{missing:#?}");
    // The checker is not vacuous: it sees the groups and their commands.
    let groups: Vec<&str> = command
        .get_subcommands()
        .map(clap::Command::get_name)
        .collect();
    for group in [
        "wallet", "subnet", "neuron", "stake", "gov", "sentinel", "query",
    ] {
        assert!(groups.contains(&group), "{groups:?}");
    }
}
