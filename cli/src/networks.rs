//! Which chain `--network` names: the built-in `dev` and `local`, a node's WebSocket URL, or
//! a network the user named in the config file.
//!
//! The config file (`~/.mindos/config.toml`, or `--config FILE` / `MINDOS_CONFIG`) is
//! optional; without it only the built-in names and URLs work:
//!
//! ```toml
//! # The network used when neither --network nor MINDOS_NETWORK is given (default: dev).
//! network = "home"
//!
//! [networks.home]
//! url = "ws://192.168.1.20:9944"
//! # Optional: the validator gateway `mindos query` uses on this network.
//! gateway = "http://192.168.1.20:9955"
//!
//! [networks.testnet]
//! url = "wss://rpc.testnet.example.org"
//! ```
//!
//! Unknown keys are errors, so a typo is reported rather than silently ignored.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context as _};
use mindos_chain_client::ChainClient;
use serde::Deserialize;

/// The node the built-in names `dev` and `local` mean: one on this machine.
pub const LOCAL_NODE: &str = "ws://127.0.0.1:9944";

/// Names that always mean [`LOCAL_NODE`]; the config file cannot redefine them.
pub const BUILT_IN: [&str; 2] = ["dev", "local"];

/// The network used when neither `--network`, `MINDOS_NETWORK` nor the config names one.
pub const DEFAULT_NETWORK: &str = "dev";

/// The config file's name in the `~/.mindos` directory.
pub const CONFIG_FILE: &str = "config.toml";

/// The config file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The default network's name (or URL).
    #[serde(default)]
    pub network: Option<String>,
    /// Named networks.
    #[serde(default)]
    pub networks: BTreeMap<String, NetworkEntry>,
}

/// One named network in the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkEntry {
    /// The node's WebSocket URL.
    pub url: String,
    /// A validator gateway's URL, for `mindos query`.
    #[serde(default)]
    pub gateway: Option<String>,
}

impl Config {
    /// Reads the config file: `explicit` (from `--config` or `MINDOS_CONFIG`) must exist; the
    /// default one (`~/.mindos/config.toml`) may be missing, which is an empty config.
    pub fn load(explicit: Option<&Path>, default: Option<PathBuf>) -> anyhow::Result<Self> {
        let (path, required) = match (explicit, default) {
            (Some(path), _) => (path.to_path_buf(), true),
            (None, Some(path)) => (path, false),
            (None, None) => return Ok(Self::default()),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Self::default())
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("reading the config file {}", path.display()))
            }
        };
        Self::parse(&text).with_context(|| format!("in the config file {}", path.display()))
    }

    /// Parses and checks a config file's text.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let config: Self = toml::from_str(text)?;
        for (name, entry) in &config.networks {
            if BUILT_IN.contains(&name.as_str()) {
                bail!("network `{name}` is built in ({LOCAL_NODE}) and cannot be redefined");
            }
            if is_url(name) {
                bail!("network name `{name}` looks like a URL; name it with a word");
            }
            if !is_url(&entry.url) {
                bail!(
                    "network `{name}`: url `{}` is not a ws:// or wss:// URL",
                    entry.url
                );
            }
            if let Some(gateway) = &entry.gateway {
                if !gateway.starts_with("http://") && !gateway.starts_with("https://") {
                    bail!(
                        "network `{name}`: gateway `{gateway}` is not an http:// or https:// URL"
                    );
                }
            }
        }
        Ok(config)
    }

    /// The network `requested` names (`--network` or `MINDOS_NETWORK`), else the config's
    /// default, else [`DEFAULT_NETWORK`].
    pub fn resolve(&self, requested: Option<&str>) -> anyhow::Result<Network> {
        let text = requested
            .or(self.network.as_deref())
            .unwrap_or(DEFAULT_NETWORK);
        if BUILT_IN.contains(&text) {
            return Ok(Network {
                url: LOCAL_NODE.to_owned(),
                gateway: None,
            });
        }
        if is_url(text) {
            return Ok(Network {
                url: text.to_owned(),
                gateway: None,
            });
        }
        if let Some(entry) = self.networks.get(text) {
            return Ok(Network {
                url: entry.url.clone(),
                gateway: entry.gateway.clone(),
            });
        }
        let mut known: Vec<&str> = BUILT_IN.to_vec();
        known.extend(self.networks.keys().map(String::as_str));
        bail!(
            "unknown network `{text}`: use {} or a node's WebSocket URL (ws://host:port); \
             name more networks in the config file (~/.mindos/{CONFIG_FILE})",
            known.join(", ")
        )
    }
}

fn is_url(text: &str) -> bool {
    text.starts_with("ws://") || text.starts_with("wss://")
}

/// The chain a command talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    url: String,
    gateway: Option<String>,
}

impl Network {
    /// The node's WebSocket URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The validator gateway the config names for this network, if any.
    pub fn gateway(&self) -> Option<&str> {
        self.gateway.as_deref()
    }

    /// Connects to the node.
    pub async fn connect(&self) -> anyhow::Result<ChainClient> {
        ChainClient::connect(&self.url)
            .await
            .with_context(|| format!("connecting to {}", self.url))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
network = "home"

[networks.home]
url = "ws://192.168.1.20:9944"
gateway = "http://192.168.1.20:9955"

[networks.testnet]
url = "wss://rpc.testnet.example.org"
"#;

    #[test]
    fn built_in_names_and_urls_need_no_config() {
        let none = Config::default();
        assert_eq!(none.resolve(None).unwrap().url(), LOCAL_NODE);
        assert_eq!(none.resolve(Some("dev")).unwrap().url(), LOCAL_NODE);
        assert_eq!(none.resolve(Some("local")).unwrap().url(), LOCAL_NODE);
        assert_eq!(
            none.resolve(Some("wss://x:443")).unwrap().url(),
            "wss://x:443"
        );
        let unknown = none.resolve(Some("mainnet")).unwrap_err().to_string();
        assert!(
            unknown.contains("unknown network `mainnet`: use dev, local"),
            "{unknown}"
        );
        assert!(none.resolve(Some("http://x")).is_err());
    }

    #[test]
    fn the_config_names_networks_and_the_default() {
        let config = Config::parse(EXAMPLE).unwrap();
        let home = config.resolve(None).unwrap();
        assert_eq!(home.url(), "ws://192.168.1.20:9944");
        assert_eq!(home.gateway(), Some("http://192.168.1.20:9955"));
        let testnet = config.resolve(Some("testnet")).unwrap();
        assert_eq!(testnet.url(), "wss://rpc.testnet.example.org");
        assert_eq!(testnet.gateway(), None);
        // The flag wins over the config's default; the error lists the configured names.
        assert_eq!(config.resolve(Some("dev")).unwrap().url(), LOCAL_NODE);
        let unknown = config.resolve(Some("tsetnet")).unwrap_err().to_string();
        assert!(unknown.contains("dev, local, home, testnet"), "{unknown}");
    }

    #[test]
    fn a_bad_config_is_refused_with_the_reason() {
        for (text, reason) in [
            ("[networks.dev]\nurl = \"ws://x:1\"", "built in"),
            ("[networks.a]\nurl = \"http://x:1\"", "not a ws://"),
            (
                "[networks.a]\nurl = \"ws://x:1\"\ngateway = \"ws://x\"",
                "not an http://",
            ),
            ("[networks.a]\nurll = \"ws://x:1\"", "unknown field"),
            ("netwrok = \"a\"", "unknown field"),
        ] {
            let error = format!("{:#}", Config::parse(text).unwrap_err());
            assert!(error.contains(reason), "{text}: {error}");
        }
    }

    #[test]
    fn only_an_explicit_config_file_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("config.toml");
        assert!(Config::load(None, Some(missing.clone())).is_ok());
        let error = format!("{:#}", Config::load(Some(&missing), None).unwrap_err());
        assert!(error.contains("reading the config file"), "{error}");
        std::fs::write(&missing, EXAMPLE).unwrap();
        let config = Config::load(Some(&missing), None).unwrap();
        assert_eq!(config.networks.len(), 2);
    }
}
