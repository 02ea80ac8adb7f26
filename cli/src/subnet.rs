//! `mindos subnet …`: subnets, their metagraphs, hyperparameters and registration burn, read
//! through the node's `mindos_*` JSON-RPC methods (`crates/rpc/README.md`).
//!
//! Every read is pinned to one block (the best block when the command starts), so a table
//! never mixes two states of the chain, and the metagraph comes in pages of
//! [`METAGRAPH_PAGE`] uid slots — one call for any subnet of up to 1,024 neurons — rather
//! than one call per neuron (btcli's slow metagraph).

use anyhow::Context as _;
use mindos_chain_client::{ChainClient, ChainError};
use mindos_primitives::{NetUid, NeuronView, Perbill, SubnetView};
use serde_json::json;
use subxt::{rpcs::rpc_params, utils::H256};

use crate::{amount::format_mind, cli::SubnetCommand, wallet::mind_json, wallet::Context};

/// Uid slots per `mindos_metagraph` call: the node's default page, which its README sizes
/// under the default 10 MiB response limit.
pub const METAGRAPH_PAGE: u16 = 1024;

/// A subnet as `mindos_subnets` returns it (accounts stay SS58 strings, prefix 2424).
pub type Subnet = SubnetView<String, u128, u32>;
/// A metagraph row as `mindos_metagraph` returns it.
pub type Neuron = NeuronView<String, u128, u32>;

/// The block every read of one command is pinned to.
#[derive(Debug, Clone, Copy)]
pub struct Pinned {
    /// Its hash, passed as the methods' `at`.
    pub hash: H256,
    /// Its number, shown to the user.
    pub number: u64,
}

/// The best block now: what the `mindos_*` methods read by default, pinned so the calls of
/// one command agree.
pub async fn pin(client: &ChainClient) -> anyhow::Result<Pinned> {
    let at = client.at_best().await?;
    Ok(Pinned {
        hash: at.block_hash(),
        number: at.block_number(),
    })
}

/// Every live subnet at `at`.
pub async fn subnets(client: &ChainClient, at: Pinned) -> anyhow::Result<Vec<Subnet>> {
    Ok(client
        .mindos_read("mindos_subnets", rpc_params![at.hash], None)
        .await?)
}

/// Subnet `netuid` at `at`; [`ChainError::UnknownSubnet`] if no live subnet has this id.
pub async fn subnet(client: &ChainClient, netuid: u16, at: Pinned) -> anyhow::Result<Subnet> {
    let netuid = NetUid(netuid);
    // The node answers 4001 for an unknown id; `null` would be a node that disagrees with its
    // README, reported as the same unknown subnet rather than a decoding error.
    let subnet: Option<Subnet> = client
        .mindos_read(
            "mindos_subnet",
            rpc_params![netuid.0, at.hash],
            Some(netuid),
        )
        .await?;
    Ok(subnet.ok_or(ChainError::UnknownSubnet { netuid })?)
}

/// The metagraph of `subnet` at `at`, in uid order: one `mindos_metagraph` call per
/// [`METAGRAPH_PAGE`] uid slots of its `max_neurons`.
pub async fn metagraph(
    client: &ChainClient,
    subnet: &Subnet,
    at: Pinned,
) -> anyhow::Result<Vec<Neuron>> {
    let netuid = subnet.netuid;
    let slots = subnet.hyperparameters.max_neurons;
    let mut neurons = Vec::with_capacity(usize::from(subnet.neurons));
    let mut offset: u16 = 0;
    loop {
        let page: Vec<Neuron> = client
            .mindos_read(
                "mindos_metagraph",
                rpc_params![netuid.0, at.hash, offset, METAGRAPH_PAGE],
                Some(netuid),
            )
            .await?;
        neurons.extend(page);
        match offset.checked_add(METAGRAPH_PAGE) {
            Some(next) if next < slots => offset = next,
            _ => break,
        }
    }
    Ok(neurons)
}

/// Runs a subnet command.
pub async fn run(command: SubnetCommand, cx: &Context<'_>) -> anyhow::Result<()> {
    let client = cx.network.connect().await?;
    let at = pin(&client).await?;
    match command {
        SubnetCommand::List => list(cx, &client, at).await,
        SubnetCommand::Show { netuid } => show(cx, &client, netuid, at).await,
        SubnetCommand::Hyperparameters { netuid } => hyperparameters(cx, &client, netuid, at).await,
        SubnetCommand::BurnCost { netuid } => burn_cost(cx, &client, netuid, at).await,
        SubnetCommand::Create {
            wallet,
            name,
            task,
            allow,
            hyperparameters,
        } => {
            crate::subnet_owner::create(
                cx,
                &client,
                &wallet,
                name.as_deref(),
                &task,
                &allow,
                &hyperparameters,
            )
            .await
        }
        SubnetCommand::SetHyperparameters {
            netuid,
            wallet,
            hyperparameters,
        } => {
            crate::subnet_owner::set_hyperparameters(cx, &client, netuid, &wallet, &hyperparameters)
                .await
        }
    }
}

/// A subnet's name, lossy UTF-8 (names are UTF-8 by convention only).
fn name(subnet: &Subnet) -> String {
    String::from_utf8_lossy(&subnet.name).into_owned()
}

fn modality(subnet: &Subnet) -> String {
    format!("{:?}", subnet.task.modality).to_lowercase()
}

async fn list(cx: &Context<'_>, client: &ChainClient, at: Pinned) -> anyhow::Result<()> {
    let subnets = subnets(client, at).await?;
    let mut rows = vec![[
        "NETUID".to_owned(),
        "NAME".to_owned(),
        "MODALITY".to_owned(),
        "NEURONS".to_owned(),
        "TEMPO".to_owned(),
        "BURN (MIND)".to_owned(),
        "OWNER".to_owned(),
    ]];
    let mut documents = Vec::with_capacity(subnets.len());
    for s in &subnets {
        rows.push([
            s.netuid.0.to_string(),
            name(s),
            modality(s),
            format!("{}/{}", s.neurons, s.hyperparameters.max_neurons),
            s.hyperparameters.tempo.to_string(),
            format_mind(s.registration_burn),
            short(&s.owner),
        ]);
        documents.push(json!({
            "netuid": s.netuid.0,
            "name": name(s),
            "owner": s.owner,
            "modality": modality(s),
            "neurons": s.neurons,
            "max_neurons": s.hyperparameters.max_neurons,
            "tempo": s.hyperparameters.tempo,
            "permissioned": s.permissioned,
            "registration_burn": mind_json(s.registration_burn),
            "created_at": s.created_at,
        }));
    }
    let text = format!("{}\n(best block #{})", table(&rows), at.number);
    cx.ui
        .result(&text, json!({"block": at.number, "subnets": documents}));
    Ok(())
}

/// A Perbill as a share with four decimals (`0.1234`), as the table shows it.
fn share(value: Perbill) -> String {
    let ppb = value.deconstruct();
    format!(
        "{}.{:04}",
        ppb / 1_000_000_000,
        (ppb % 1_000_000_000) / 100_000
    )
}

/// An SS58 address shortened for a table: its first and last six characters.
pub fn short(address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    if chars.len() <= 14 {
        return address.to_owned();
    }
    let head: String = chars.iter().take(6).collect();
    let tail: String = chars.iter().skip(chars.len().saturating_sub(6)).collect();
    format!("{head}…{tail}")
}

/// A binary multiaddr as text (`/ip4/…/tcp/…`); one that does not parse as `0x` hex, since
/// the chain stores bytes and binaries ignore what does not parse.
fn multiaddr(bytes: &[u8]) -> String {
    match multiaddr::Multiaddr::try_from(bytes.to_vec()) {
        Ok(address) => address.to_string(),
        Err(_) => format!("0x{}", mindos_chain_client::to_hex(bytes)),
    }
}

fn endpoint_json(neuron: &Neuron) -> serde_json::Value {
    match &neuron.endpoint {
        None => serde_json::Value::Null,
        Some(endpoint) => json!({
            // A PeerId's text form is the base58 of its bytes.
            "peer_id": bs58::encode(&endpoint.peer_id[..]).into_string(),
            "multiaddrs": endpoint
                .multiaddrs
                .iter()
                .map(|a| multiaddr(a))
                .collect::<Vec<_>>(),
        }),
    }
}

/// One metagraph row as `subnet show --json` prints it.
pub fn neuron_json(neuron: &Neuron) -> serde_json::Value {
    json!({
        "uid": neuron.uid,
        "hotkey": neuron.hotkey,
        "coldkey": neuron.coldkey,
        "stake": mind_json(neuron.stake),
        "validator_permit": neuron.validator_permit,
        "incentive": neuron.incentive.deconstruct(),
        "dividends": neuron.dividends.deconstruct(),
        "trust": neuron.trust.deconstruct(),
        "consensus": neuron.consensus.deconstruct(),
        "validator_trust": neuron.validator_trust.deconstruct(),
        "reputation": neuron.reputation.deconstruct(),
        "emission": mind_json(neuron.emission),
        "quarantined_until": neuron.quarantined_until,
        "endpoint": endpoint_json(neuron),
        "registered_at": neuron.registered_at,
        "immune": neuron.immune,
        "last_update": neuron.last_update,
    })
}

async fn show(
    cx: &Context<'_>,
    client: &ChainClient,
    netuid: u16,
    at: Pinned,
) -> anyhow::Result<()> {
    let subnet = subnet(client, netuid, at).await?;
    let neurons = metagraph(client, &subnet, at)
        .await
        .with_context(|| format!("reading the metagraph of subnet {netuid}"))?;
    let mut rows = vec![[
        "UID",
        "HOTKEY",
        "STAKE",
        "INCENTIVE",
        "DIVIDENDS",
        "TRUST",
        "REPUTATION",
        "QUARANTINE",
        "ENDPOINT",
    ]
    .map(str::to_owned)];
    for n in &neurons {
        let permit = if n.validator_permit { " (v)" } else { "" };
        rows.push([
            format!("{}{permit}", n.uid),
            short(&n.hotkey),
            format_mind(n.stake),
            share(n.incentive),
            share(n.dividends),
            share(n.trust),
            share(n.reputation),
            n.quarantined_until
                .map_or("-".to_owned(), |epoch| format!("until epoch {epoch}")),
            n.endpoint
                .as_ref()
                .and_then(|e| e.multiaddrs.first().map(|a| multiaddr(a)))
                .unwrap_or_else(|| "-".to_owned()),
        ]);
    }
    let text = format!(
        "subnet {netuid} `{}`: {} of {} uid slots used, registration burn {} MIND\n\n{}\n\
         (v): validator permit. Shares of the last epoch; best block #{}",
        name(&subnet),
        subnet.neurons,
        subnet.hyperparameters.max_neurons,
        format_mind(subnet.registration_burn),
        table(&rows),
        at.number
    );
    cx.ui.result(
        &text,
        json!({
            "block": at.number,
            "netuid": netuid,
            "name": name(&subnet),
            "neurons": neurons.iter().map(neuron_json).collect::<Vec<_>>(),
        }),
    );
    Ok(())
}

async fn hyperparameters(
    cx: &Context<'_>,
    client: &ChainClient,
    netuid: u16,
    at: Pinned,
) -> anyhow::Result<()> {
    let subnet = subnet(client, netuid, at).await?;
    let h = &subnet.hyperparameters;
    let text = format!(
        "subnet {netuid} `{}` (best block #{})\n  tempo:                {} blocks\n  \
         max_neurons:          {}\n  max_validators:       {}\n  immunity_period:      {} \
         blocks\n  min_validator_stake:  {} MIND\n  commit_reveal:        {}\n  permissioned:         {}",
        name(&subnet),
        at.number,
        h.tempo,
        h.max_neurons,
        h.max_validators,
        h.immunity_period,
        format_mind(h.min_validator_stake),
        h.commit_reveal,
        subnet.permissioned,
    );
    cx.ui.result(
        &text,
        json!({
            "block": at.number,
            "netuid": netuid,
            "hyperparameters": hyperparameters_json(h),
            "permissioned": subnet.permissioned,
        }),
    );
    Ok(())
}

async fn burn_cost(
    cx: &Context<'_>,
    client: &ChainClient,
    netuid: u16,
    at: Pinned,
) -> anyhow::Result<()> {
    let subnet = subnet(client, netuid, at).await?;
    let text = format!(
        "registering on subnet {netuid} burns {} MIND now (best block #{}); the price rises \
         with each registration and decays toward its floor",
        format_mind(subnet.registration_burn),
        at.number
    );
    cx.ui.result(
        &text,
        json!({
            "block": at.number,
            "netuid": netuid,
            "burn": mind_json(subnet.registration_burn),
        }),
    );
    Ok(())
}

/// A subnet's hyperparameters as `subnet hyperparameters --json` prints them.
pub fn hyperparameters_json(h: &mindos_primitives::Hyperparameters<u128>) -> serde_json::Value {
    json!({
        "tempo": h.tempo,
        "max_neurons": h.max_neurons,
        "max_validators": h.max_validators,
        "immunity_period": h.immunity_period,
        "min_validator_stake": mind_json(h.min_validator_stake),
        "commit_reveal": h.commit_reveal,
    })
}

/// Rows as a left-aligned table, columns two spaces apart.
pub fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, width)| {
                    let pad = width.saturating_sub(cell.chars().count());
                    format!("{cell}{}", " ".repeat(pad))
                })
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_short_addresses_print_for_a_table() {
        assert_eq!(share(Perbill::from_parts(0)), "0.0000");
        assert_eq!(share(Perbill::from_parts(123_456_789)), "0.1234");
        assert_eq!(share(Perbill::one()), "1.0000");
        assert_eq!(
            short("iR5uVZaS1qc44HgzmnBAC4SV5EXfC9ajoMsairdUnbhS72Bv6"),
            "iR5uVZ…S72Bv6"
        );
        assert_eq!(short("short"), "short");
    }

    #[test]
    fn multiaddrs_print_as_text_or_hex() {
        let address: multiaddr::Multiaddr = "/ip4/127.0.0.1/tcp/30333".parse().unwrap();
        assert_eq!(multiaddr(&address.to_vec()), "/ip4/127.0.0.1/tcp/30333");
        assert_eq!(multiaddr(&[0xff, 0xff]), "0xffff");
    }

    #[test]
    fn tables_align_their_columns() {
        let rows = [
            ["A".to_owned(), "BB".to_owned()],
            ["ccc".to_owned(), "d".to_owned()],
        ];
        assert_eq!(table(&rows), "A    BB\nccc  d");
    }
}
