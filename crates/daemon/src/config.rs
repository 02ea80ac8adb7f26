//! How the binaries read their settings: flags, environment variables and a sectioned TOML
//! file laid over one another ([`CommandLine`]), and the helpers that check single settings
//! with errors naming the setting as flag and file key.
//!
//! # One rule from flag to file key
//!
//! A setting's section in the file is its `--help` heading, lowercased; its key is the flag's
//! name with `_` for `-`, less the section's name where the flag starts with it:
//! `--chain-rpc` is `rpc` under `[chain]`, `--max-burn` is `max_burn` under `[chain]`,
//! `--gateway-rate` is `rate` under `[gateway]`. [`file_key`] is that rule, and the layering
//! relies on it, so each binary's tests check that every flag's key is one its file accepts.
//!
//! # Precedence
//!
//! A flag or its environment variable wins over the file, the file over the default shown in
//! `--help`. A repeatable flag replaces the file's list when given. The defaults live in
//! clap (`default_value = CONST`) so `--help` shows the constant the code uses; the layering
//! asks clap which values are only defaults (`ArgMatches::value_source`) and lets the file
//! replace those.

use std::{
    fmt::Display,
    net::SocketAddr,
    path::{Path, PathBuf},
    str::FromStr,
};

use clap::{parser::ValueSource, Arg, ArgMatches, Command, CommandFactory, FromArgMatches, Parser};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{Map, Value};

/// Planck per MIND (12 decimals): [`mindos_primitives::MIND`].
pub const PLANCK_PER_MIND: u128 = mindos_primitives::MIND;

/// A setting that is missing, malformed or out of range, or a config file that cannot be
/// read. The message names the setting as flag and file key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("reading config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not valid TOML or has unknown keys or wrong types.
    #[error("config file {}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// The config file uses a key from before the file had sections.
    #[error(
        "config file {}: `{key}` moved: write it as `{new_key}` under `[{section}]`",
        path.display()
    )]
    Moved {
        /// The file.
        path: PathBuf,
        /// The old top-level key.
        key: String,
        /// The section it belongs in now.
        section: String,
        /// Its name in that section.
        new_key: String,
    },
    /// A setting has a bad value, or a required one is missing.
    #[error("invalid setting `{field}` (--{}): {reason}", field.replace('_', "-"))]
    Invalid {
        /// The setting's flag name with `_` for `-`.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl ConfigError {
    /// The setting at fault, if the error is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// What a binary's clap arguments hold: the config file's path and the settings.
pub trait SettingsArgs: Parser {
    /// The settings, one field per section; `Default` is "nothing set".
    type Settings: Serialize + DeserializeOwned + Default;

    /// The config file given with `--config`, and the settings the command line holds.
    fn into_parts(self) -> (Option<PathBuf>, Self::Settings);
}

/// A parsed command line that remembers which settings hold only their default, so the
/// config file can replace them ([`CommandLine::into_settings`]). Parse it like any clap
/// parser: `CommandLine::<Args>::parse()`.
#[derive(Clone, Debug)]
pub struct CommandLine<A> {
    /// What clap parsed, defaults included.
    pub args: A,
    /// `(section, key)` of every setting that holds only clap's default.
    defaulted: Vec<(String, String)>,
}

impl<A: SettingsArgs> CommandLine<A> {
    /// The settings: the command line laid over the config file, if one was given.
    pub fn into_settings(self) -> Result<A::Settings, ConfigError> {
        let (config, flags) = self.args.into_parts();
        let Some(path) = config else {
            return Ok(flags);
        };
        let file = read_settings::<A::Settings>(&path, &A::command())?;
        layer(flags, &self.defaulted, file).map_err(|e| ConfigError::Parse {
            path,
            message: format!("cannot combine it with the command line: {e}"),
        })
    }
}

impl<A: CommandFactory> CommandFactory for CommandLine<A> {
    fn command() -> Command {
        A::command()
    }

    fn command_for_update() -> Command {
        A::command_for_update()
    }
}

impl<A: FromArgMatches + CommandFactory> FromArgMatches for CommandLine<A> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(Self {
            args: A::from_arg_matches(matches)?,
            defaulted: defaulted(&A::command(), matches),
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.args.update_from_arg_matches(matches)?;
        self.defaulted = defaulted(&A::command(), matches);
        Ok(())
    }
}

impl<A: Parser> Parser for CommandLine<A> {}

/// Where `arg` lives in the config file: `(section, key)` by the rule in the module docs, or
/// `None` for an argument that is not a setting (`--config`, `--help`).
pub fn file_key(arg: &Arg) -> Option<(String, String)> {
    let section = arg.get_help_heading()?.to_ascii_lowercase();
    let flag = arg.get_long()?.replace('-', "_");
    let key = flag
        .strip_prefix(&format!("{section}_"))
        .map_or_else(|| flag.clone(), str::to_owned);
    Some((section, key))
}

/// The flags of `command` whose file key (by [`file_key`]) the settings type `S` does not
/// accept; each binary's tests check this is empty, so the layering's rule holds for every
/// setting.
pub fn flags_without_file_key<S: DeserializeOwned>(command: &Command) -> Vec<String> {
    command
        .get_arguments()
        .filter_map(|arg| {
            let (section, key) = file_key(arg)?;
            // A value no setting accepts: a known key fails on its type, an unknown one on
            // its name.
            let err = toml::from_str::<S>(&format!("[{section}]\n{key} = {{}}\n")).err()?;
            err.to_string().contains("unknown field").then(|| {
                let flag = arg.get_long().unwrap_or_default();
                format!("--{flag} (`{key}` under `[{section}]`)")
            })
        })
        .collect()
}

/// The file keys of the settings in `matches` that hold only their default.
fn defaulted(command: &Command, matches: &ArgMatches) -> Vec<(String, String)> {
    command
        .get_arguments()
        .filter(|arg| {
            matches.value_source(arg.get_id().as_str()) == Some(ValueSource::DefaultValue)
        })
        .filter_map(file_key)
        .collect()
}

/// Reads a sectioned settings file: TOML whose unknown keys, wrong types and keys from
/// before the sections are errors naming the key.
pub fn read_settings<S: DeserializeOwned>(
    path: &Path,
    command: &Command,
) -> Result<S, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let parse_error = |e: toml::de::Error| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let table: toml::Table = toml::from_str(&text).map_err(parse_error)?;
    for (key, value) in &table {
        if value.is_table() {
            continue;
        }
        let moved = command
            .get_arguments()
            .filter(|arg| arg.get_long().map(|l| l.replace('-', "_")).as_ref() == Some(key))
            .find_map(file_key);
        if let Some((section, new_key)) = moved {
            return Err(ConfigError::Moved {
                path: path.to_owned(),
                key: key.clone(),
                section,
                new_key,
            });
        }
    }
    toml::from_str(&text).map_err(parse_error)
}

/// `flags` over `file`: a flag's value wins unless it is absent, an empty list, `false`, or
/// only clap's default (listed in `defaulted`).
fn layer<S: Serialize + DeserializeOwned>(
    flags: S,
    defaulted: &[(String, String)],
    file: S,
) -> Result<S, serde_json::Error> {
    let mut merged = serde_json::to_value(file)?;
    let Value::Object(flags) = serde_json::to_value(flags)? else {
        return serde_json::from_value(merged);
    };
    if let Value::Object(merged) = &mut merged {
        for (section, values) in flags {
            let Value::Object(values) = values else {
                continue;
            };
            let target = merged
                .entry(section.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(target) = target else {
                continue;
            };
            for (key, value) in values {
                let only_default = defaulted.iter().any(|(s, k)| *s == section && *k == key);
                if is_set(&value) && !only_default {
                    target.insert(key, value);
                }
            }
        }
    }
    serde_json::from_value(merged)
}

fn is_set(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

/// A [`ConfigError::Invalid`] for `field`.
pub fn invalid(field: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// `$HOME/.local/share/<name>`: where a binary keeps its files unless told otherwise.
pub fn default_base_path(name: &str) -> Result<PathBuf, ConfigError> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".local/share").join(name))
        .ok_or_else(|| {
            invalid(
                "base_path",
                "missing: $HOME is not set, so there is no default",
            )
        })
}

/// `value`, if it is within `min..=max`.
pub fn in_range<T: PartialOrd + Display + Copy>(
    field: &'static str,
    value: T,
    min: T,
    max: T,
) -> Result<T, ConfigError> {
    if value < min || value > max {
        Err(invalid(field, format!("{value} is outside {min}..={max}")))
    } else {
        Ok(value)
    }
}

/// Parses every item of a list setting; `what` names the expected form ("a multiaddr").
pub fn parse_each<T>(
    field: &'static str,
    items: &[String],
    what: &str,
) -> Result<Vec<T>, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    items
        .iter()
        .map(|item| {
            item.parse::<T>()
                .map_err(|e| invalid(field, format!("`{item}` is not {what}: {e}")))
        })
        .collect()
}

/// Parses an `IP:port` setting.
pub fn parse_socket(field: &'static str, addr: &str) -> Result<SocketAddr, ConfigError> {
    addr.parse()
        .map_err(|e| invalid(field, format!("`{addr}` is not an IP:port address: {e}")))
}

/// Parses a decimal MIND amount (`10`, `0.25`) into planck. At most 12 decimals.
pub fn parse_mind(field: &'static str, text: &str) -> Result<u128, ConfigError> {
    let bad = || {
        invalid(
            field,
            format!("`{text}` is not an amount of MIND like `10` or `0.5`"),
        )
    };
    let (whole, frac) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if (whole.is_empty() && frac.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    if frac.len() > 12 {
        return Err(invalid(
            field,
            format!("`{text}` has more than 12 decimals"),
        ));
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let frac_planck: u128 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<12}").parse().map_err(|_| bad())?
    };
    whole
        .checked_mul(PLANCK_PER_MIND)
        .and_then(|w| w.checked_add(frac_planck))
        .ok_or_else(|| invalid(field, format!("`{text}` is too large")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn mind_amounts_parse_to_planck() {
        assert_eq!(parse_mind("f", "10").unwrap(), 10 * PLANCK_PER_MIND);
        assert_eq!(parse_mind("f", "0.5").unwrap(), PLANCK_PER_MIND / 2);
        assert_eq!(parse_mind("f", ".000000000001").unwrap(), 1);
        assert_eq!(parse_mind("f", "1.").unwrap(), PLANCK_PER_MIND);
        for bad in ["", ".", "-1", "1e3", "1.2.3", "0.0000000000001", "x"] {
            assert!(parse_mind("f", bad).is_err(), "{bad:?} should be refused");
        }
        assert!(parse_mind("f", &"9".repeat(40)).is_err());
    }

    #[test]
    fn errors_name_the_setting_as_flag_and_key() {
        let err = in_range("max_batch", 0, 1, 8).unwrap_err();
        assert_eq!(err.field(), Some("max_batch"));
        assert!(err.to_string().contains("--max-batch"), "{err}");
        let err = parse_each::<u16>("netuid", &["x".to_owned()], "a netuid").unwrap_err();
        assert!(err.to_string().contains("`x` is not a netuid"), "{err}");
        assert!(parse_socket("rpc_addr", "127.0.0.1:1").is_ok());
    }

    /// A two-section command line: `[chain]` from this crate, `[work]` of its own.
    #[derive(Debug, clap::Parser)]
    #[command(name = "test")]
    struct Args {
        #[arg(long)]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: Settings,
    }

    #[derive(Debug, Default, PartialEq, clap::Args, Serialize, serde::Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Settings {
        #[command(flatten)]
        chain: crate::args::ChainArgs,
        #[command(flatten)]
        work: Work,
    }

    #[derive(Debug, Default, PartialEq, clap::Args, Serialize, serde::Deserialize)]
    #[serde(default, deny_unknown_fields)]
    #[command(next_help_heading = "Work")]
    struct Work {
        #[arg(long = "work-batch", default_value = "16")]
        batch: Option<usize>,
        #[arg(long = "peer")]
        peer: Vec<String>,
        #[arg(long)]
        quiet: bool,
    }

    impl SettingsArgs for Args {
        type Settings = Settings;
        fn into_parts(self) -> (Option<PathBuf>, Settings) {
            (self.config, self.settings)
        }
    }

    fn settings(file: &str, flags: &[&str]) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.toml");
        std::fs::write(&path, file).unwrap();
        let args = ["test", "--config", path.to_str().unwrap()];
        let cli = CommandLine::<Args>::try_parse_from(args.iter().chain(flags)).unwrap();
        cli.into_settings()
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let s = settings(
            "[chain]\nrpc = \"ws://file\"\nmax_burn = \"3\"\n[work]\nbatch = 4\npeer = [\"a\"]\nquiet = true\n",
            &["--max-burn", "5", "--peer", "b"],
        )
        .unwrap();
        assert_eq!(
            s.chain.rpc.as_deref(),
            Some("ws://file"),
            "the file over the default"
        );
        assert_eq!(s.chain.max_burn.as_deref(), Some("5"), "the flag wins");
        assert_eq!(s.work.batch, Some(4));
        assert_eq!(
            s.work.peer,
            vec!["b".to_owned()],
            "a given list replaces the file's"
        );
        assert!(s.work.quiet, "a flag set in the file stays set");

        let s = settings("[work]\nquiet = false\n", &["--work-batch", "2"]).unwrap();
        assert_eq!(s.work.batch, Some(2));
        assert_eq!(
            s.chain.max_burn, None,
            "a default neither gives stays unset: the group's check() applies it"
        );
    }

    #[test]
    fn file_errors_name_the_key() {
        let err = settings("[work]\nbacth = 4\n", &[]).unwrap_err();
        assert!(
            matches!(err, ConfigError::Parse { .. }) && err.to_string().contains("bacth"),
            "{err}"
        );
        let err = settings("[work]\nbatch = \"x\"\n", &[]).unwrap_err();
        assert!(err.to_string().contains("batch"), "{err}");
        let err = settings("[nonsense]\n", &[]).unwrap_err();
        assert!(err.to_string().contains("nonsense"), "{err}");
    }

    #[test]
    fn flat_keys_from_before_the_sections_are_refused_naming_the_section() {
        let err = settings("chain_rpc = \"ws://x\"\n", &[]).unwrap_err();
        assert_eq!(
            err.to_string().split_once(": ").map(|(_, m)| m),
            Some("`chain_rpc` moved: write it as `rpc` under `[chain]`"),
            "{err}"
        );
        let err = settings("max_burn = \"1\"\n", &[]).unwrap_err();
        assert!(
            err.to_string().contains("`max_burn` under `[chain]`"),
            "{err}"
        );
        let err = settings("work_batch = 1\n", &[]).unwrap_err();
        assert!(err.to_string().contains("`batch` under `[work]`"), "{err}");
    }

    #[test]
    fn a_flag_key_is_its_heading_and_name() {
        use clap::CommandFactory;
        let keys: Vec<_> = Args::command()
            .get_arguments()
            .filter_map(file_key)
            .collect();
        for expected in [
            ("chain", "rpc"),
            ("chain", "no_chain"),
            ("work", "batch"),
            ("work", "peer"),
        ] {
            assert!(
                keys.contains(&(expected.0.to_owned(), expected.1.to_owned())),
                "{keys:?}"
            );
        }
        assert_eq!(
            flags_without_file_key::<Settings>(&Args::command()),
            Vec::<String>::new()
        );
        #[derive(Debug, Default, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        struct NoWork {
            #[allow(dead_code)]
            chain: crate::args::ChainArgs,
        }
        assert_eq!(
            flags_without_file_key::<NoWork>(&Args::command()).len(),
            3,
            "--work-batch, --peer and --quiet have no key in a file without [work]"
        );
    }
}
