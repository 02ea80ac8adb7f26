//! The command line: global flags and the command groups, as `--help` shows them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Exit codes, as `--help` and the README list them.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  bad input: usage, a malformed amount or address, an unknown wallet or subnet, insufficient balance, a burn above --max-burn, stake that is not there, an unknown proposal or parameter, a transaction the chain would refuse (tried before signing); a query's malformed or oversized input, or one its subnet refuses
  2  chain or network error: the node is unreachable, or refused or failed the transaction; the gateway is unreachable or could not answer a query (no miner, a timeout, too little agreement, rate limited)
  3  wrong password
  4  not confirmed: declined at the prompt, or --json without --yes where a confirmation is needed";

/// `mindos`: wallets, subnets, neurons, stake, governance, sentinels and subnet queries on a
/// MindOS network.
#[derive(Debug, Parser)]
#[command(name = "mindos", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// Flags every command takes.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The chain: `dev` or `local` (both ws://127.0.0.1:9944), a node's WebSocket URL, or a
    /// network named in the config file. Default: the config file's `network`, else dev.
    #[arg(long, global = true, env = "MINDOS_NETWORK")]
    pub network: Option<String>,
    /// The config file naming networks (see the README's "Networks"). Default:
    /// ~/.mindos/config.toml if it exists.
    #[arg(long, global = true, env = "MINDOS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Machine output: one JSON document on stdout, errors as {"error": …}. Never prompts,
    /// so passwords come from --password-file or MINDOS_PASSWORD and confirmations need
    /// --yes.
    #[arg(long, global = true)]
    pub json: bool,
    /// Answer yes to confirmations (the fee of a transaction). MINDOS_YES=1 does the same
    /// for a whole script.
    #[arg(
        long,
        short = 'y',
        global = true,
        env = "MINDOS_YES",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub yes: bool,
    /// Print only the result: no progress, notes or warnings on stderr.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    /// Where wallets live (one folder per wallet). Default: ~/.mindos/wallets.
    #[arg(long, global = true, env = "MINDOS_WALLET_DIR")]
    pub wallet_dir: Option<PathBuf>,
    /// Read the wallet password from the first line of this file instead of prompting. The
    /// environment variable MINDOS_PASSWORD works too (the file wins).
    #[arg(long, global = true)]
    pub password_file: Option<PathBuf>,
}

/// The command groups.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Coldkey wallets: create, import, export, list, show, balance, transfer.
    #[command(subcommand)]
    Wallet(WalletCommand),
    /// Subnets: list them, show one's metagraph, its hyperparameters, its registration burn;
    /// create one, change its hyperparameters.
    #[command(subcommand)]
    Subnet(SubnetCommand),
    /// Neurons: register a hotkey on a subnet (burning MIND), serve its endpoint, deregister
    /// it.
    #[command(subcommand)]
    Neuron(NeuronCommand),
    /// Stake: add, remove (unbond), withdraw, list, claim dividends, set a hotkey's take.
    #[command(subcommand)]
    Stake(StakeCommand),
    /// Ask a subnet through a validator's gateway: prints the answer, how far the miners
    /// agree on it, who served it and how long it took.
    Query(QueryArgs),
    /// Governance: directives, governed parameters, proposals; propose, vote, close.
    #[command(subcommand)]
    Gov(GovCommand),
    /// Sentinels: a subnet's committee, open cases and audits, quarantines; appeal a
    /// conviction, release a quarantine that is over.
    #[command(subcommand)]
    Sentinel(SentinelCommand),
}

/// The read commands whose `--json` output the README documents (section "JSON output"),
/// as `mindos` is typed without arguments. A test checks each documented shape against the
/// command's real output.
pub const READ_COMMANDS: [&str; 16] = [
    "wallet list",
    "wallet show",
    "wallet balance",
    "subnet list",
    "subnet show",
    "subnet hyperparameters",
    "subnet burn-cost",
    "stake list",
    "query",
    "gov directives",
    "gov parameters",
    "gov proposals",
    "gov show",
    "sentinel committee",
    "sentinel cases",
    "sentinel quarantines",
];

/// `mindos subnet …`. Reads at the node's best block; `create` and `set-hyperparameters`
/// check at the best block and sign.
#[derive(Debug, Subcommand)]
pub enum SubnetCommand {
    /// Every live subnet: id, name, modality, neurons, tempo, registration burn, owner.
    List,
    /// A subnet's metagraph: per uid the hotkey, stake, incentive, dividends, trust,
    /// reputation, quarantine and endpoint (one page call per 1,024 uid slots).
    Show {
        /// The subnet's id.
        netuid: u16,
    },
    /// A subnet's hyperparameters.
    Hyperparameters {
        /// The subnet's id.
        netuid: u16,
    },
    /// What registering a neuron on a subnet burns now.
    BurnCost {
        /// The subnet's id.
        netuid: u16,
    },
    /// Create a subnet owned by the wallet. It burns the creation burn (never refunded) and
    /// holds the lock deposit (returned when the subnet is dissolved); both are shown before
    /// anything is signed. One subnet may be created network-wide per creation interval.
    ///
    /// The task is a built-in one (`--task digits`, `--task text-embedding`: what the dev
    /// chain's subnets 1 and 0 run), a JSON file, or flags; flags override the task's fields.
    /// The name selects the implementation `mindos-miner` and `mindos-validator` load, so a
    /// subnet they should serve is named after its task (the default for a built-in task).
    ///
    /// Hyperparameters not given are the dev chain's demo subnets': tempo 20, 256 neurons,
    /// 8 validators, immunity 200 blocks, 100 MIND validator stake, commit-reveal on. All
    /// must lie within the governed bounds (`mindos_parameters`), checked before signing.
    Create {
        /// The wallet that pays, owns the subnet and tunes it.
        #[arg(long)]
        wallet: String,
        /// The subnet's name, 1 to 64 bytes; default: the built-in task's name.
        #[arg(long)]
        name: Option<String>,
        /// What the subnet computes.
        #[command(flatten)]
        task: TaskArgs,
        /// Only these hotkeys may register (an address, key file or secret URI; repeat the
        /// flag). Default: anyone may.
        #[arg(long = "allow", value_name = "HOTKEY")]
        allow: Vec<String>,
        /// The hyperparameters (defaults above).
        #[command(flatten)]
        hyperparameters: HyperparameterArgs,
    },
    /// Change a subnet's hyperparameters (its owner only). The change is queued and takes
    /// effect at the subnet's next epoch boundary; values not given stay as they are (or as
    /// an already queued change sets them, which this one replaces). Checked before signing
    /// against the governed bounds, the owner's rate limit (one change per two epochs) and a
    /// governance cooldown.
    SetHyperparameters {
        /// The subnet's id.
        netuid: u16,
        /// The wallet that owns the subnet.
        #[arg(long)]
        wallet: String,
        /// The new values.
        #[command(flatten)]
        hyperparameters: HyperparameterArgs,
    },
}

/// A subnet's task as flags (`subnet create`): `--task`, and flags that override its
/// fields (or give them all, without `--task`).
#[derive(Debug, Clone, Default, Args)]
pub struct TaskArgs {
    /// `digits` or `text-embedding` (the dev chain's tasks), or a JSON file holding a
    /// task: {"modality": "Image", "model_digest": "0x…", "input_schema": 2,
    /// "output_schema": 2, "scoring_rule": "Correctness"} (the `task` of the node's
    /// `mindos_subnet`).
    #[arg(long)]
    pub task: Option<String>,
    /// The kind of input.
    #[arg(long, value_enum)]
    pub modality: Option<ModalityArg>,
    /// BLAKE2b-256 of the ONNX model miners run: 0x and 64 hex digits.
    #[arg(long, conflicts_with = "model")]
    pub model_digest: Option<String>,
    /// The ONNX model file; its BLAKE2b-256 becomes the model digest.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// The input encoding's id (1 text, 2 digit pixels).
    #[arg(long)]
    pub input_schema: Option<u32>,
    /// The output encoding's id (1 embedding, 2 digit label).
    #[arg(long)]
    pub output_schema: Option<u32>,
    /// How validators score answers.
    #[arg(long, value_enum)]
    pub scoring_rule: Option<ScoringRuleArg>,
}

/// A subnet's hyperparameters as flags (`subnet create`, `subnet set-hyperparameters`).
#[derive(Debug, Clone, Default, Args)]
pub struct HyperparameterArgs {
    /// Blocks between two consensus epochs.
    #[arg(long)]
    pub tempo: Option<u16>,
    /// Uid slots; when full, registering prunes the weakest non-immune neuron.
    #[arg(long)]
    pub max_neurons: Option<u16>,
    /// How many of the top-staked neurons hold a validator permit (at most max-neurons).
    #[arg(long)]
    pub max_validators: Option<u16>,
    /// Blocks a new neuron cannot be pruned.
    #[arg(long)]
    pub immunity_period: Option<u32>,
    /// MIND a hotkey needs staked to be considered for a validator permit.
    #[arg(long)]
    pub min_validator_stake: Option<String>,
    /// Whether validators commit their weights before revealing them (copying protection).
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    pub commit_reveal: Option<bool>,
}

/// `--modality`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModalityArg {
    /// Natural-language text.
    Text,
    /// Images.
    Image,
    /// Audio.
    Audio,
    /// Sensor or tabular readings.
    Sensor,
    /// Raw bytes.
    Bytes,
}

/// `--scoring-rule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScoringRuleArg {
    /// Cosine similarity of vectors (embeddings), aggregated by coordinate-wise median.
    CosineSimilarity,
    /// Exact class match, aggregated by majority vote.
    Correctness,
}

/// `mindos sentinel …`. Epochs are a subnet's sentinel epochs (the boundaries the sentinels
/// pallet has counted), not blocks. Reads at the node's best block.
#[derive(Debug, Subcommand)]
pub enum SentinelCommand {
    /// The sentinel committee of a subnet for a sentinel epoch (default: the current one):
    /// its members, size, fault tolerance and the guilty votes that convict. The chain holds
    /// the current and the next epoch's committee; a subnet with fewer than four eligible
    /// validators has none, which is said, not an error.
    Committee {
        /// The subnet's id.
        netuid: u16,
        /// The sentinel epoch: the current one or the next.
        #[arg(long)]
        epoch: Option<u64>,
    },
    /// Open judged cases and audits, and the convictions that can still be appealed, of a
    /// subnet or of every subnet.
    Cases {
        /// The subnet's id; default: every live subnet.
        netuid: Option<u16>,
    },
    /// Quarantined hotkeys of a subnet or of every subnet: why, until which epoch, and
    /// whether `sentinel unquarantine` would release them now.
    Quarantines {
        /// The subnet's id; default: every live subnet.
        netuid: Option<u16>,
    },
    /// Appeal a conviction of a hotkey the wallet owns: an audit committee drawn outside the
    /// case committee re-judges it. Holds the appeal deposit (returned if the conviction is
    /// overturned or the audit ends undecided, burned if it is upheld). Taken before the
    /// conviction's slash falls due, once per conviction; `sentinel cases` lists the case ids.
    Appeal {
        /// The conviction's case id.
        case: u64,
        /// The wallet (coldkey) that owns the convicted hotkey.
        #[arg(long)]
        wallet: String,
    },
    /// Release a quarantined miner whose quarantine is over (`sentinel quarantines` says
    /// `releasable`); it earns again from the next epoch. Signed by the wallet that owns the
    /// hotkey.
    Unquarantine {
        /// The subnet's id.
        netuid: u16,
        /// The uid the quarantined hotkey holds.
        uid: u16,
        /// The wallet (coldkey) that owns the hotkey.
        #[arg(long)]
        wallet: String,
    },
}

/// `mindos neuron …`.
#[derive(Debug, Subcommand)]
pub enum NeuronCommand {
    /// Register a hotkey on a subnet: the wallet (coldkey) burns the current registration
    /// price and owns the hotkey. Shows the burn and asks before paying. The chain refuses
    /// the registration if the price is above --max-burn when it lands (default: the price
    /// shown), so it never charges more than you agreed to.
    Register {
        /// The subnet's id.
        netuid: u16,
        /// The wallet that pays the burn and owns the hotkey.
        #[arg(long)]
        wallet: String,
        /// The hotkey: a key file (a secret URI or hex seed, as the miner and validator
        /// read it) or a secret URI such as //Bob (visible to other users of this machine:
        /// use a file for real keys). Its first registration signs its consent to the
        /// wallet owning it.
        #[arg(long)]
        hotkey: String,
        /// The most MIND to burn. Refused before anything is sent if the price is already
        /// higher.
        #[arg(long)]
        max_burn: Option<String>,
    },
    /// Deregister a hotkey from a subnet and free its uid. Nothing is refunded; the hotkey
    /// keeps its owner and may register again.
    Deregister {
        /// The subnet's id.
        netuid: u16,
        /// The wallet (coldkey) that owns the hotkey.
        #[arg(long)]
        wallet: String,
        /// The hotkey: an address, a key file or a secret URI.
        #[arg(long)]
        hotkey: String,
    },
    /// Publish where a registered hotkey's miner is reached: the PeerId of its node key,
    /// its multiaddrs and its device, as `mindos-miner` does at start (use this for a miner
    /// behind an address it cannot see itself, or to publish ahead of it).
    ///
    /// The hotkey signs and pays the fee (fund it with `mindos wallet transfer`). The chain
    /// binds the PeerId to the hotkey only with a proof signed by the node key, so the
    /// node key file is needed: the miner's `node.key` (`<base_path>/node.key`, its
    /// `node_key_file`: 32 raw bytes or 64 hex digits, the ed25519 identity its PeerId
    /// names). One PeerId serves one hotkey per subnet; later serves are rate limited.
    Serve {
        /// The subnet's id.
        netuid: u16,
        /// The hotkey: a key file (as the miner reads it) or a secret URI. It signs.
        #[arg(long)]
        hotkey: String,
        /// The miner's libp2p node key file; never created here.
        #[arg(long)]
        node_key_file: PathBuf,
        /// Where it is reached and what it declares.
        #[command(flatten)]
        endpoint: EndpointArgs,
    },
}

/// What `neuron serve` publishes besides the PeerId.
#[derive(Debug, Clone, Args)]
pub struct EndpointArgs {
    /// An address the miner listens on, e.g. /ip4/203.0.113.7/tcp/30444 (repeat for up
    /// to 8). A /p2p/ part must name the node key's PeerId.
    #[arg(long = "multiaddr", value_name = "MULTIADDR", required = true)]
    pub multiaddrs: Vec<String>,
    /// The device class declared.
    #[arg(long, value_enum, default_value = "desktop")]
    pub device_class: DeviceClassArg,
    /// Relative compute capacity declared (the miner publishes its measured one).
    #[arg(long, default_value_t = 0)]
    pub compute_score: u32,
    /// The power supply declared.
    #[arg(long, value_enum, default_value = "mains")]
    pub power: PowerArg,
    /// ISO 3166-1 alpha-2 region, two capital letters (ZZ: unknown, the miner's default).
    #[arg(long, default_value = "ZZ")]
    pub region: String,
}

/// `--device-class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceClassArg {
    /// A phone or tablet.
    Phone,
    /// A laptop.
    Laptop,
    /// A desktop or workstation.
    Desktop,
    /// A server or cloud instance.
    Server,
    /// A single-board computer or other embedded device.
    Embedded,
}

/// `--power`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PowerArg {
    /// Mains power.
    Mains,
    /// A battery.
    Battery,
    /// Solar or another intermittent supply.
    Renewable,
}

/// `mindos stake …`. Stake stays in the wallet's account, held; unbonding takes the chain's
/// unbonding period.
#[derive(Debug, Subcommand)]
pub enum StakeCommand {
    /// Stake MIND from a wallet on a registered hotkey (yours or a validator's: delegation).
    Add {
        /// The wallet whose MIND is staked.
        #[arg(long)]
        wallet: String,
        /// The hotkey: an address, a key file or a secret URI.
        #[arg(long)]
        hotkey: String,
        /// MIND, with up to 12 decimals.
        amount: String,
    },
    /// Start unbonding stake: it stops counting at once and can be withdrawn after the
    /// unbonding period. If less than the minimum stake would remain, all of it unbonds.
    Remove {
        /// The wallet that staked.
        #[arg(long)]
        wallet: String,
        /// The hotkey the stake is on: an address, a key file or a secret URI.
        #[arg(long)]
        hotkey: String,
        /// MIND, with up to 12 decimals.
        amount: String,
    },
    /// Release every unbonding chunk of the wallet whose unlock block has passed.
    Withdraw {
        /// The wallet.
        #[arg(long)]
        wallet: String,
    },
    /// Per hotkey: the wallet's active stake and its unbonding chunks with their unlock
    /// block and the estimated time until then.
    List {
        /// A wallet name or an address.
        #[arg(long)]
        wallet: String,
    },
    /// Pay out the wallet's share of the validator dividends a hotkey earned.
    Claim {
        /// The wallet that stakes.
        #[arg(long)]
        wallet: String,
        /// The hotkey it stakes on: an address, a key file or a secret URI.
        #[arg(long)]
        hotkey: String,
    },
    /// Set the share of its nominators' dividends a hotkey you own keeps. A lower take
    /// applies at once; a raise only one unbonding period later.
    SetTake {
        /// The wallet (coldkey) that owns the hotkey.
        #[arg(long)]
        wallet: String,
        /// The hotkey: an address, a key file or a secret URI.
        #[arg(long)]
        hotkey: String,
        /// The take in percent, up to 7 decimals (e.g. 9 or 12.5).
        percent: String,
    },
}

/// `mindos wallet …`.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Create a wallet with a new sr25519 key. Its mnemonic is shown once: write it down.
    Create {
        /// The wallet's name (letters, digits, `-`, `_`).
        name: String,
        /// Words in the mnemonic: 12 or 24.
        #[arg(long, default_value_t = 12)]
        words: usize,
    },
    /// Import a key from a mnemonic or a seed, read from stdin or a hidden prompt (never
    /// from the command line, where other users and the shell history would see it).
    Import {
        /// The wallet's name (letters, digits, `-`, `_`).
        name: String,
        /// The secret is a BIP-39 mnemonic, optionally with `//hard/soft` derivation and
        /// `///passphrase` (a secret URI).
        #[arg(long, conflicts_with = "seed", required_unless_present = "seed")]
        mnemonic: bool,
        /// The secret is a raw 32-byte seed: 0x and 64 hex digits.
        #[arg(long)]
        seed: bool,
    },
    /// Import a polkadot-js JSON export (Apps "Export account", the browser extension).
    /// Its password stays the wallet's password.
    ImportJson {
        /// The exported JSON file.
        file: PathBuf,
        /// The wallet's name; default: the export's own name, if it is a valid one.
        #[arg(long)]
        name: Option<String>,
    },
    /// Print a wallet's keystore (polkadot-js JSON, still encrypted), or write it to a file.
    Export {
        /// The wallet.
        name: String,
        /// Write to this file (created 0600, never overwritten) instead of stdout.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// List the wallets and their addresses.
    List,
    /// Show a wallet's address, public key, file and creation time.
    Show {
        /// The wallet.
        name: String,
    },
    /// The balance of a wallet or any address (SS58 or 0x hex), at the finalized block.
    Balance {
        /// A wallet name or an address.
        account: String,
    },
    /// Send MIND from a wallet, keeping it alive (it stays above the existential deposit).
    /// Shows the fee and asks before signing; waits until the transfer is finalized.
    Transfer {
        /// The wallet that pays.
        from: String,
        /// A wallet name, an address, or a hotkey's key file (a path: the miner's or
        /// validator's hotkey, which pays its own transaction fees).
        to: String,
        /// MIND, with up to 12 decimals (e.g. 1.5).
        amount: String,
    },
}

/// `mindos query NETUID INPUT`: one query through a validator's JSON-RPC gateway.
#[derive(Debug, Args)]
#[command(after_help = "\
Inputs are the subnets' wire formats:
  digits (image)           {\"pixels\": [64 grey levels 0..=16, row by row]}
  text-embedding (text)    {\"text\": \"...\"}
Examples:
  mindos query 0 --text 'The cat sat on the mat.'
  mindos query 1 @digit.json --redundancy 3
  echo '{\"text\": \"hello\"}' | mindos --json query 0 -")]
pub struct QueryArgs {
    /// The subnet's id (on the dev chain: 0 text-embedding, 1 digits).
    pub netuid: u16,
    /// The input in the subnet's JSON wire format: inline JSON, @FILE, or - for stdin.
    /// Checked to be a JSON object and to fit the gateway's 65,536-byte request limit before
    /// anything is sent.
    #[arg(
        value_name = "INPUT",
        required_unless_present_any = ["text", "pixels"],
        conflicts_with_all = ["text", "pixels"]
    )]
    pub input: Option<String>,
    /// Instead of INPUT, for a text subnet: sends {"text": TEXT}.
    #[arg(long, conflicts_with = "pixels")]
    pub text: Option<String>,
    /// Instead of INPUT, for an image subnet: grey levels separated by commas or spaces,
    /// row by row; sends {"pixels": [...]}.
    #[arg(long, allow_hyphen_values = true)]
    pub pixels: Option<String>,
    /// The validator's gateway: an http:// or https:// URL, or host:port. Default: the
    /// `gateway` of the network in the config file, else the one scripts/run.sh starts
    /// (http://127.0.0.1:9946).
    #[arg(long, env = "MINDOS_GATEWAY")]
    pub gateway: Option<String>,
    /// Miners asked at once: 2 or 3 (the gateway's default 2), 1 to 16 with an API key.
    #[arg(long)]
    pub redundancy: Option<u32>,
    /// The query's time budget at the gateway in ms, 1 to 120000 (default: the gateway's,
    /// 5000 unless it was started with another --query-timeout-ms).
    #[arg(long)]
    pub timeout_ms: Option<u64>,
    /// The least share of the miners asked whose answers must agree, 0 to 1. Without an API
    /// key it can only raise the gateway's floor (0.51 by default).
    #[arg(long)]
    pub min_agreement: Option<f64>,
    /// A gateway API key: the file's first line (else the environment variable
    /// MINDOS_GATEWAY_API_KEY). It lifts the public limits on --redundancy and
    /// --min-agreement.
    #[arg(long, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,
}

/// `mindos gov …`: the directives pallet. Reads at the node's best block; votes weigh the
/// voter's active stake.
#[derive(Debug, Subcommand)]
pub enum GovCommand {
    /// Every directive in id order (0 is the prime directive), repealed ones marked.
    Directives,
    /// The governed parameters in force, in the units `gov propose set-parameter` takes, and
    /// the chain's voting rules (period, quorum, thresholds, deposit).
    Parameters,
    /// The live proposals: voting, or passed and waiting for enactment, with their tallies.
    Proposals,
    /// One proposal: its action, deposit, votes and tally (ayes and nays stake, approval,
    /// turnout against the quorum, supermajority or not), when voting ends and its status.
    Show {
        /// The proposal's index.
        index: u32,
    },
    /// Propose a change, holding a deposit until the proposal is closed (shown before you
    /// sign; it grows while many proposals are live, and is lost if the proposal fails with
    /// almost no ayes).
    #[command(subcommand)]
    Propose(ProposeCommand),
    /// Vote aye or nay on a proposal, or change your vote. The vote weighs the wallet's active
    /// stake in the proposal's scope (all its stake; for a subnet proposal its stake on the
    /// subnet's hotkeys), at least the chain's minimum voting stake.
    Vote {
        /// The proposal's index.
        index: u32,
        /// `aye` (for) or `nay` (against).
        ballot: Ballot,
        /// The wallet (coldkey) that votes.
        #[arg(long)]
        wallet: String,
    },
    /// Count the votes of a proposal whose voting period is over: it passes (enacted after
    /// the enactment delay) or is rejected. Anyone may close; the closer pays only the fee.
    Close {
        /// The proposal's index.
        index: u32,
        /// The wallet that signs (and pays the fee).
        #[arg(long)]
        wallet: String,
    },
}

/// A vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Ballot {
    /// For the proposal.
    Aye,
    /// Against the proposal.
    Nay,
}

/// A directive's text: on the command line or from a file.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct DirectiveText {
    /// The directive's text.
    #[arg(long)]
    pub text: Option<String>,
    /// Read the directive's text from this file (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub text_file: Option<PathBuf>,
}

/// `mindos gov propose …`: one subcommand per action a proposal can take.
#[derive(Debug, Subcommand)]
pub enum ProposeCommand {
    /// Add a directive under the next free id.
    AddDirective {
        /// The wallet that proposes and holds the deposit.
        #[arg(long)]
        wallet: String,
        /// A short title (at most the chain's MaxTitleLength bytes).
        #[arg(long)]
        title: String,
        /// What the directive requires: --text or --text-file (at most the chain's
        /// MaxTextLength bytes).
        #[command(flatten)]
        text: DirectiveText,
    },
    /// Replace an active directive's title and text (what is not given stays). Amending the
    /// prime directive (0) needs a two-thirds supermajority and a longer enactment delay.
    AmendDirective {
        /// The directive's id.
        id: u32,
        /// The wallet that proposes and holds the deposit.
        #[arg(long)]
        wallet: String,
        /// The new title; default: the current one.
        #[arg(long)]
        title: Option<String>,
        /// The new text (--text or --text-file); default: the current one.
        #[command(flatten)]
        text: DirectiveText,
    },
    /// Repeal an active directive (it stays on record, marked repealed). The prime directive
    /// (0) can never be repealed.
    RepealDirective {
        /// The directive's id.
        id: u32,
        /// The wallet that proposes and holds the deposit.
        #[arg(long)]
        wallet: String,
    },
    /// Change one governed network parameter (`mindos gov parameters` lists them).
    ///
    /// VALUE is written in the parameter's units, the way `mindos gov parameters` prints it:
    /// MIND with decimals (`burn-floor 2.5`), a block count (`unbonding-period 700000`), a
    /// number of epochs or a count, a percentage with up to 7 decimals (`kappa 60`), a factor
    /// (`burn-increase-factor 1.25`). The grouped parameters take KEY=VALUE pairs, and keys not
    /// given keep their value: `emission-split owner=20,miners=40,validators=40` (percent),
    /// `sentinel-committee size=9,threshold=7`, `hyperparameter-bounds tempo=10..7200` (keys
    /// tempo, max-neurons, max-validators, immunity-period, min-validator-stake in MIND, each
    /// MIN..MAX).
    SetParameter {
        /// The parameter, e.g. unbonding-period (`mindos gov parameters` lists them).
        name: String,
        /// Its new value, in the parameter's units.
        value: String,
        /// The wallet that proposes and holds the deposit.
        #[arg(long)]
        wallet: String,
    },
    /// Change a subnet's hyperparameters by a vote of the stake on that subnet's hotkeys
    /// (subnet scope). What is not given keeps its current value; the result must lie
    /// within the governed hyperparameter bounds.
    SetHyperparameters {
        /// The subnet's id.
        netuid: u16,
        /// The wallet that proposes and holds the deposit.
        #[arg(long)]
        wallet: String,
        /// Blocks between two consensus epochs.
        #[arg(long)]
        tempo: Option<u16>,
        /// Uid slots.
        #[arg(long)]
        max_neurons: Option<u16>,
        /// How many of the top-staked neurons hold a validator permit.
        #[arg(long)]
        max_validators: Option<u16>,
        /// Blocks a new neuron cannot be pruned.
        #[arg(long)]
        immunity_period: Option<u32>,
        /// MIND a hotkey needs staked for a validator permit.
        #[arg(long)]
        min_validator_stake: Option<String>,
        /// Whether validators commit their weights before revealing them.
        #[arg(long)]
        commit_reveal: Option<bool>,
    },
}
