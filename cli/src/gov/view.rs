//! What the node's `mindos_directives` and `mindos_proposals` return, and a proposal's action
//! read from its JSON for people (`summary`) and for `--json` (`json`).

use mindos_primitives::Hyperparameters;
use serde::Deserialize;
use serde_json::{json, Value};

use super::parameters::{self, Parameter};
use crate::{amount::format_mind, wallet::mind_json};

/// A directive as `mindos_directives` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Directive {
    /// Its id; 0 is the prime directive.
    pub id: u32,
    /// Its title.
    pub title: String,
    /// Its text.
    pub text: String,
    /// In force or repealed.
    pub status: DirectiveStatus,
    /// Block it was enacted (0 for genesis directives).
    pub enacted_at: u64,
    /// Block of its last amendment.
    pub amended_at: Option<u64>,
}

/// Whether a directive is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DirectiveStatus {
    /// In force.
    Active,
    /// Repealed at block `at`.
    Repealed {
        /// The block of the repeal.
        at: u64,
    },
}

/// Who votes on a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    /// All active stake.
    Network,
    /// Active stake on the hotkeys registered on one subnet.
    Subnet(u16),
}

impl Scope {
    /// `network` or `subnet`, as `--json` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Network => "network",
            Scope::Subnet(_) => "subnet",
        }
    }

    /// The subnet of a subnet proposal.
    pub fn netuid(self) -> Option<u16> {
        match self {
            Scope::Network => None,
            Scope::Subnet(netuid) => Some(netuid),
        }
    }

    /// Who votes, in words.
    pub fn describe(self) -> String {
        match self {
            Scope::Network => "network (all active stake votes)".to_owned(),
            Scope::Subnet(netuid) => {
                format!("subnet {netuid} (stake on hotkeys registered on it votes)")
            }
        }
    }
}

/// Where a live proposal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Status {
    /// Open for votes until `voting_ends`.
    Voting,
    /// Passed; enacted at the first block at or after `enact_at`.
    Approved {
        /// The block it is enacted in.
        enact_at: u64,
    },
}

/// A live proposal as `mindos_proposals` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proposal {
    /// Its index.
    pub index: u32,
    /// Who proposed it (SS58).
    pub proposer: String,
    /// What it does, in the node's JSON ([`Action::from_json`] reads it).
    pub action: Value,
    /// Who votes on it.
    pub scope: Scope,
    /// The deposit held.
    #[serde(with = "mindos_primitives::serde_helpers::balance")]
    pub deposit: u128,
    /// Block it was proposed.
    pub submitted_at: u64,
    /// The first block it can be closed in (and no longer voted on).
    pub voting_ends: u64,
    /// Stake behind ayes as recorded at each vote.
    #[serde(with = "mindos_primitives::serde_helpers::balance")]
    pub ayes: u128,
    /// Stake behind nays as recorded at each vote.
    #[serde(with = "mindos_primitives::serde_helpers::balance")]
    pub nays: u128,
    /// Votes recorded.
    pub voters: u32,
    /// Whether it needs the supermajority (it amends the prime directive).
    pub supermajority: bool,
    /// Voting or approved.
    pub status: Status,
}

/// What a proposal does, read from the node's JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Add a directive.
    AddDirective {
        /// Its title.
        title: String,
        /// Its text.
        text: String,
    },
    /// Replace a directive's title and text.
    AmendDirective {
        /// The directive.
        id: u32,
        /// The new title.
        title: String,
        /// The new text.
        text: String,
    },
    /// Repeal a directive.
    RepealDirective {
        /// The directive.
        id: u32,
    },
    /// Set a governed network parameter.
    SetParameter {
        /// Which.
        parameter: &'static Parameter,
        /// Its new value, in the chain's JSON form.
        value: Value,
    },
    /// Set a subnet's hyperparameters (the subnet is the proposal's scope).
    SetHyperparameters(Hyperparameters<u128>),
    /// An action this version of `mindos` does not know (a newer runtime), as the node
    /// wrote it.
    Other(Value),
}

impl Action {
    /// Reads `mindos_proposals`' `action`: `{"addDirective": {"title", "text"}}`,
    /// `{"setParameter": {"kappa": 600000000}}`, ….
    pub fn from_json(value: &Value) -> Self {
        let other = || Action::Other(value.clone());
        let Some((kind, body)) = value.as_object().and_then(|o| o.iter().next()) else {
            return other();
        };
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
        let id = || {
            body.get("id")
                .and_then(Value::as_u64)
                .and_then(|id| u32::try_from(id).ok())
        };
        match kind.as_str() {
            "addDirective" => match (text("title"), text("text")) {
                (Some(title), Some(text)) => Action::AddDirective { title, text },
                _ => other(),
            },
            "amendDirective" => match (id(), text("title"), text("text")) {
                (Some(id), Some(title), Some(text)) => Action::AmendDirective { id, title, text },
                _ => other(),
            },
            "repealDirective" => id().map_or_else(other, |id| Action::RepealDirective { id }),
            "setParameter" => {
                let Some((key, inner)) = body.as_object().and_then(|o| o.iter().next()) else {
                    return other();
                };
                if key == "subnetHyperparameters" {
                    return serde_json::from_value(inner.clone())
                        .map_or_else(|_| other(), Action::SetHyperparameters);
                }
                match parameters::PARAMETERS.iter().find(|p| p.key == key) {
                    Some(parameter) => Action::SetParameter {
                        parameter,
                        value: inner.clone(),
                    },
                    None => other(),
                }
            }
            _ => other(),
        }
    }

    /// The command that proposes it: `add-directive`, `set-parameter`, ….
    pub fn kind(&self) -> &'static str {
        match self {
            Action::AddDirective { .. } => "add-directive",
            Action::AmendDirective { .. } => "amend-directive",
            Action::RepealDirective { .. } => "repeal-directive",
            Action::SetParameter { .. } => "set-parameter",
            Action::SetHyperparameters(_) => "set-hyperparameters",
            Action::Other(_) => "other",
        }
    }

    /// One line for people.
    pub fn summary(&self, scope: Scope, block_ms: u64) -> String {
        match self {
            Action::AddDirective { title, .. } => {
                format!("add directive “{}”", printable(title, false))
            }
            Action::AmendDirective { id, title, .. } => {
                format!("amend directive {id}, titled “{}”", printable(title, false))
            }
            Action::RepealDirective { id } => format!("repeal directive {id}"),
            Action::SetParameter { parameter, value } => format!(
                "set {} to {}",
                parameter.name,
                parameters::describe(parameter, value, block_ms)
            ),
            Action::SetHyperparameters(h) => format!(
                "set the hyperparameters of subnet {}: {}",
                scope.netuid().map_or("?".to_owned(), |n| n.to_string()),
                hyperparameters_text(h)
            ),
            Action::Other(value) => format!("(an action this mindos does not know: {value})"),
        }
    }

    /// The action as `--json` prints it: every key always present, `null` where it does not
    /// apply.
    pub fn json(&self, scope: Scope, block_ms: u64) -> Value {
        let (directive, title, text, parameter, value) = match self {
            Action::AddDirective { title, text } => (None, Some(title), Some(text), None, None),
            Action::AmendDirective { id, title, text } => {
                (Some(*id), Some(title), Some(text), None, None)
            }
            Action::RepealDirective { id } => (Some(*id), None, None, None, None),
            Action::SetParameter { parameter, value } => (
                None,
                None,
                None,
                Some(parameter.name),
                Some(json!(parameters::format(parameter, value))),
            ),
            Action::SetHyperparameters(h) => (
                None,
                None,
                None,
                Some("hyperparameters"),
                Some(hyperparameters_json(h)),
            ),
            Action::Other(value) => (None, None, None, None, Some(value.clone())),
        };
        json!({
            "kind": self.kind(),
            "summary": self.summary(scope, block_ms),
            "directive": directive,
            "title": title,
            "text": text,
            "parameter": parameter,
            "value": value,
        })
    }
}

/// Text from the chain made safe for a terminal: control characters (an escape sequence in
/// a directive someone proposed) become `�`; newlines stay where `multiline`.
pub fn printable(text: &str, multiline: bool) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && !(multiline && c == '\n') {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// Hyperparameters in one line.
pub(super) fn hyperparameters_text(h: &Hyperparameters<u128>) -> String {
    format!(
        "tempo {}, max-neurons {}, max-validators {}, immunity-period {}, \
         min-validator-stake {} MIND, commit-reveal {}",
        h.tempo,
        h.max_neurons,
        h.max_validators,
        h.immunity_period,
        format_mind(h.min_validator_stake),
        h.commit_reveal
    )
}

/// Hyperparameters as `--json` prints them.
fn hyperparameters_json(h: &Hyperparameters<u128>) -> Value {
    json!({
        "tempo": h.tempo,
        "max_neurons": h.max_neurons,
        "max_validators": h.max_validators,
        "immunity_period": h.immunity_period,
        "min_validator_stake": mind_json(h.min_validator_stake),
        "commit_reveal": h.commit_reveal,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn chain_text_is_made_printable() {
        assert_eq!(printable("a\u{1b}[2Jb", false), "a\u{fffd}[2Jb");
        assert_eq!(printable("a\nb", false), "a\u{fffd}b");
        assert_eq!(printable("a\nb", true), "a\nb");
    }

    #[test]
    fn actions_are_read_from_the_nodes_json() {
        let add = Action::from_json(&json!({"addDirective": {"title": "T", "text": "X"}}));
        assert_eq!(
            add,
            Action::AddDirective {
                title: "T".into(),
                text: "X".into()
            }
        );
        assert_eq!(add.kind(), "add-directive");
        let repeal = Action::from_json(&json!({"repealDirective": {"id": 3}}));
        assert_eq!(repeal, Action::RepealDirective { id: 3 });
        let kappa = Action::from_json(&json!({"setParameter": {"kappa": 600_000_000}}));
        assert_eq!(kappa.summary(Scope::Network, 1000), "set kappa to 60 %");
        assert_eq!(kappa.json(Scope::Network, 1000)["value"], "60");
        let hyper = Action::from_json(&json!({"setParameter": {"subnetHyperparameters": {
            "tempo": 30, "max_neurons": 256, "max_validators": 8, "immunity_period": 200,
            "min_validator_stake": "100000000000000", "commit_reveal": true
        }}}));
        assert!(matches!(&hyper, Action::SetHyperparameters(h) if h.tempo == 30));
        assert!(hyper
            .summary(Scope::Subnet(1), 1000)
            .contains("subnet 1: tempo 30"));
        let unknown = Action::from_json(&json!({"somethingNew": {}}));
        assert!(matches!(unknown, Action::Other(_)));
        // Every action's JSON has the same keys.
        let keys = |a: &Action| {
            a.json(Scope::Network, 1000)
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        for action in [&repeal, &kappa, &hyper, &unknown] {
            assert_eq!(keys(action), keys(&add));
        }
    }
}
