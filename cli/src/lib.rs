//! `mindos`: the MindOS command line for holders, miners, validators and voters.
//!
//! This crate holds the binary's logic so tests can drive it; `main.rs` only parses the
//! command line and turns the outcome into an exit code ([`exit_code`]).
//!
//! # Overview
//!
//! - [`cli`]: the flags and commands `--help` shows.
//! - [`keystore`]: encrypted sr25519 coldkeys in polkadot-js's JSON export format.
//! - [`wallets`]: the wallet directory (`NAME/coldkey.json`, mode `0600`).
//! - [`wallet`]: `mindos wallet …`.
//! - [`subnet`]: `mindos subnet …` (reads through the node's `mindos_*` methods).
//! - [`neuron`]: `mindos neuron register|deregister`.
//! - [`serve`]: `mindos neuron serve` (the hotkey signs, the node key proves the PeerId).
//! - [`subnet_owner`]: `mindos subnet create|set-hyperparameters`.
//! - [`sentinel`]: `mindos sentinel …` (committees, cases, quarantines, appeals).
//! - [`stake`]: `mindos stake …`.
//! - [`networks`]: what `--network` names; the optional config file of named networks.
//! - [`query`]: `mindos query NETUID INPUT`, through a validator's [`gateway`].
//! - [`gov`]: `mindos gov …` (directives, governed parameters, proposals and votes).
//! - [`dry_run`]: a signed transaction tried on the best block's state, nothing sent.
//! - [`amount`]: MIND with decimals to planck and back, exactly.
//! - [`address`]: SS58 with MindOS's prefix.
//! - [`tx`]: sign, show the fee, send, follow to finality.
//! - [`ui`]: results on stdout (text or `--json`), notes and prompts on stderr.
//!
//! # Errors and exit codes
//!
//! Commands return `anyhow` errors; [`exit_code`] sorts them by the typed error in their
//! chain ([`cli::EXIT_CODES`] lists the codes): a wrong password, a chain error, a declined
//! confirmation, anything else is bad input.

pub use mindos_chain_client::address;
pub mod amount;
pub mod cli;
pub mod dry_run;
pub mod gateway;
pub mod gov;
pub mod keystore;
pub mod networks;
pub mod neuron;
pub mod query;
pub mod sentinel;
pub mod serve;
pub mod stake;
pub mod subnet;
pub mod subnet_owner;
pub mod tx;
pub mod ui;
pub mod wallet;
pub mod wallets;

use anyhow::Context;
use mindos_chain_client::ChainError;

pub use cli::Cli;
pub use networks::Network;

/// Success.
pub const EXIT_OK: u8 = 0;
/// Bad input: usage, a malformed amount or address, an unknown wallet, insufficient balance.
pub const EXIT_INPUT: u8 = 1;
/// The chain or the network failed, or refused or failed the transaction.
pub const EXIT_CHAIN: u8 = 2;
/// A wrong password.
pub const EXIT_PASSWORD: u8 = 3;
/// A confirmation was declined or could not be asked.
pub const EXIT_NOT_CONFIRMED: u8 = 4;

/// The password does not unlock the wallet: exit code 3.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WrongPassword(pub String);

/// `~/.mindos`: where wallets and the config file live by default.
pub fn mindos_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(|home| std::path::PathBuf::from(home).join(".mindos"))
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let ui = ui::Ui {
        json: cli.global.json,
        quiet: cli.global.quiet,
        yes: cli.global.yes,
        password_file: cli.global.password_file.clone(),
    };
    let dir = match cli.global.wallet_dir.clone() {
        Some(dir) => dir,
        None => wallets::Wallets::default_dir()
            .context("no home directory for ~/.mindos/wallets: set --wallet-dir")?,
    };
    let wallets = wallets::Wallets::new(dir);
    let config = networks::Config::load(
        cli.global.config.as_deref(),
        mindos_dir().map(|dir| dir.join(networks::CONFIG_FILE)),
    )?;
    let network = config.resolve(cli.global.network.as_deref())?;
    let cx = wallet::Context {
        ui: &ui,
        wallets: &wallets,
        network: &network,
    };
    match cli.command {
        cli::Command::Wallet(command) => wallet::run(command, &cx).await,
        cli::Command::Subnet(command) => subnet::run(command, &cx).await,
        cli::Command::Neuron(command) => neuron::run(command, &cx).await,
        cli::Command::Stake(command) => stake::run(command, &cx).await,
        cli::Command::Query(args) => query::run(args, &cx).await,
        cli::Command::Gov(command) => gov::run(command, &cx).await,
        cli::Command::Sentinel(command) => sentinel::run(command, &cx).await,
    }
}

/// The exit code for a failed command, from the first typed error in its chain.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if cause.is::<WrongPassword>() {
            return EXIT_PASSWORD;
        }
        if cause.is::<ui::NotConfirmed>() {
            return EXIT_NOT_CONFIRMED;
        }
        if cause.is::<wallet::InsufficientBalance>() {
            return EXIT_INPUT;
        }
        if let Some(e) = cause.downcast_ref::<gateway::GatewayError>() {
            return e.exit_code();
        }
        // A subnet id the chain does not know is the user's mistake, not the chain's.
        if let Some(ChainError::UnknownSubnet { .. }) = cause.downcast_ref::<ChainError>() {
            return EXIT_INPUT;
        }
        if cause.is::<ChainError>() || cause.is::<subxt::Error>() {
            return EXIT_CHAIN;
        }
    }
    EXIT_INPUT
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_their_documented_exit_codes() {
        let wrong: anyhow::Error = WrongPassword("x".into()).into();
        assert_eq!(exit_code(&wrong.context("unlocking")), EXIT_PASSWORD);
        let chain: anyhow::Error = ChainError::Timeout {
            what: "x",
            after: std::time::Duration::from_secs(1),
        }
        .into();
        assert_eq!(exit_code(&chain.context("connecting")), EXIT_CHAIN);
        let declined: anyhow::Error = ui::NotConfirmed("no".into()).into();
        assert_eq!(exit_code(&declined), EXIT_NOT_CONFIRMED);
        let amount: anyhow::Error = amount::parse_mind("1.0000000000001").unwrap_err().into();
        assert_eq!(exit_code(&amount), EXIT_INPUT);
        for code in [
            EXIT_OK,
            EXIT_INPUT,
            EXIT_CHAIN,
            EXIT_PASSWORD,
            EXIT_NOT_CONFIRMED,
        ] {
            assert!(cli::EXIT_CODES.contains(&format!("  {code}  ")), "{code}");
        }
    }

    #[test]
    fn our_ss58_prefix_is_the_runtimes() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../crates/chain-client/artifacts/metadata.scale"
        ))
        .unwrap();
        let metadata = <subxt::Metadata as codec::Decode>::decode(&mut &bytes[..]).unwrap();
        let constant = metadata
            .pallet_by_name("System")
            .unwrap()
            .constant_by_name("SS58Prefix")
            .unwrap();
        let prefix = <u16 as codec::Decode>::decode(&mut constant.value()).unwrap();
        assert_eq!(prefix, address::SS58_PREFIX);
    }
}
