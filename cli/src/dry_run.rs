//! Asking the node what a signed transaction would do, without sending it: the runtime's
//! `BlockBuilder_apply_extrinsic` run through `state_call` on the best block's state (what
//! `system_dryRun` does, but a safe RPC method every node serves). The block is not changed
//! and nothing reaches the pool, so a refusal costs nothing.
//!
//! The commands check the common mistakes themselves first, with their own messages; this is
//! the last check before the fee is shown, for the rules only the runtime knows in full (a
//! governed parameter that breaks a rule of the registry, say).

use mindos_chain_client::ChainClient;
use mindos_chain_client::ChainError;
use subxt::{
    error::{DispatchError, ModuleError},
    ext::scale_value::{Composite, Value, ValueDef},
};

use crate::tx::Signed;

/// The runtime would refuse the transaction: exit code 1 (bad input), nothing sent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WouldFail(pub String);

/// What the dry run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The transaction would succeed on the best block's state.
    Succeeds,
    /// It cannot be tried on that state: its nonce is ahead, because transactions of the same
    /// signer still wait in the pool. The reason, for a note.
    Untried(String),
}

/// Applies `signed` to the state of `client`'s best block and returns whether it would
/// succeed; a refusal is a [`WouldFail`] naming the pallet's error and its documentation.
pub async fn dry_run(client: &ChainClient, signed: &Signed) -> anyhow::Result<Outcome> {
    let at = client.at_best().await?;
    let bytes = at
        .runtime_apis()
        .call_raw("BlockBuilder_apply_extrinsic", Some(signed.encoded()))
        .await
        .map_err(ChainError::from_subxt)?;
    // ApplyExtrinsicResult = Result<Result<(), DispatchError>, TransactionValidityError>.
    match bytes.as_slice() {
        [0, 0] => Ok(Outcome::Succeeds),
        [0, 1, error @ ..] => {
            let metadata = at.metadata();
            let reason = match DispatchError::decode_from(error, metadata.clone()) {
                Ok(DispatchError::Module(module)) => module_error(&module, &metadata),
                Ok(other) => other.to_string(),
                Err(e) => format!("an error the metadata does not describe ({e})"),
            };
            let stop = if reason.ends_with('.') { "" } else { "." };
            Err(WouldFail(format!(
                "the chain would refuse this transaction: {reason}{stop} Nothing was sent."
            ))
            .into())
        }
        [1, 0, 2, ..] => Ok(Outcome::Untried(
            "earlier transactions of this wallet still wait in the pool, so the chain's checks \
             could not be tried first"
                .into(),
        )),
        [1, rest @ ..] => Err(WouldFail(format!(
            "the chain would refuse this transaction as invalid: {}. Nothing was sent.",
            validity_error(rest)
        ))
        .into()),
        other => anyhow::bail!(
            "the node's BlockBuilder_apply_extrinsic answered {} bytes this client cannot read",
            other.len()
        ),
    }
}

/// `Pallet::Error: its documentation`, with the value it carries and that value's own
/// documentation when it is an enum (`InvalidParameter(UnbondingNotLongerThanVoting)`).
fn module_error(module: &ModuleError, metadata: &subxt::Metadata) -> String {
    let Ok(details) = module.details() else {
        return module.to_string();
    };
    let mut name = format!("{}::{}", details.pallet.name(), details.variant.name);
    // The variant's value, `Pallet(Error(Inner))` decoded as a root error, and the inner
    // variant's own documentation when the metadata keeps it.
    let inner = module
        .as_root_error::<Value>()
        .ok()
        .and_then(|root| variant_name(first_field(&root)?.clone()));
    let mut inner_docs = String::new();
    if let Some(inner) = &inner {
        name = format!("{name}({inner})");
        if let Some(type_id) = details.variant.fields.first().map(|field| field.ty.id) {
            inner_docs = metadata
                .types()
                .resolve(type_id)
                .and_then(|ty| match &ty.type_def {
                    scale_info::TypeDef::Variant(def) => def
                        .variants
                        .iter()
                        .find(|v| v.name == *inner)
                        .map(|v| clean_docs(&v.docs)),
                    _ => None,
                })
                .unwrap_or_default();
        }
    }
    let docs = clean_docs(&details.variant.docs);
    [name, docs, inner_docs]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(": ")
}

/// The first value inside a variant or composite (`Directives(InvalidParameter(X))` →
/// `InvalidParameter(X)` → `X`).
fn first_field(value: &Value) -> Option<&Value> {
    let values = match &value.value {
        ValueDef::Variant(variant) => &variant.values,
        ValueDef::Composite(composite) => composite,
        _ => return None,
    };
    match values {
        Composite::Unnamed(values) => values.first(),
        Composite::Named(values) => values.first().map(|(_, v)| v),
    }
}

/// The variant inside `Error(Inner)`: `Inner`'s name.
fn variant_name(error: Value) -> Option<String> {
    let inner = first_field(&error)?;
    match &inner.value {
        ValueDef::Variant(variant) => Some(variant.name.clone()),
        _ => None,
    }
}

/// Doc lines as one sentence run, without rustdoc's link brackets.
fn clean_docs(lines: &[String]) -> String {
    let text = lines.join(" ").replace("[`", "`").replace("`]", "`");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A `TransactionValidityError` (after its leading `Err` byte) in words.
fn validity_error(bytes: &[u8]) -> String {
    let invalid = [
        "the call cannot be dispatched",
        "the wallet cannot pay the fee",
        "its nonce is ahead of the account's",
        "its nonce was used already",
        "its signature is bad",
        "it was signed at a block the node no longer knows",
        "it would exhaust the block's resources",
        "a custom check refused it",
        "a mandatory dispatch failed",
        "a mandatory dispatch cannot be signed",
        "the signer is wrong",
        "its origin is indeterminate",
        "its origin is unknown",
    ];
    match bytes {
        [0, index, ..] => invalid.get(usize::from(*index)).map_or_else(
            || format!("invalid transaction {index}"),
            |s| (*s).to_owned(),
        ),
        [1, 0, ..] => "an account it names cannot be looked up".to_owned(),
        [1, 1, ..] => "no unsigned validator for it".to_owned(),
        [1, _, ..] => "its validity cannot be determined".to_owned(),
        _ => "an unreadable validity error".to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn validity_errors_read_as_words() {
        assert_eq!(validity_error(&[0, 1]), "the wallet cannot pay the fee");
        assert_eq!(validity_error(&[0, 7, 3]), "a custom check refused it");
        assert_eq!(validity_error(&[0, 99]), "invalid transaction 99");
        assert_eq!(
            validity_error(&[1, 0]),
            "an account it names cannot be looked up"
        );
        assert_eq!(validity_error(&[]), "an unreadable validity error");
    }

    #[test]
    fn docs_lose_their_link_brackets() {
        let lines = [
            " A value breaks a rule; the [`ParameterError`]".to_owned(),
            " names which.".to_owned(),
        ];
        assert_eq!(
            clean_docs(&lines),
            "A value breaks a rule; the `ParameterError` names which."
        );
    }

    #[test]
    fn the_inner_variant_of_a_root_error_is_found() {
        let root = Value::unnamed_variant(
            "Directives",
            [Value::unnamed_variant(
                "InvalidParameter",
                [Value::unnamed_variant("ZeroBurnFloor", [])],
            )],
        );
        assert_eq!(
            variant_name(first_field(&root).unwrap().clone()).as_deref(),
            Some("ZeroBurnFloor")
        );
        let plain = Value::unnamed_variant("Directives", [Value::unnamed_variant("Empty", [])]);
        assert_eq!(variant_name(first_field(&plain).unwrap().clone()), None);
    }
}
