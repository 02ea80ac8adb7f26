//! A validator's JSON-RPC query gateway, as `mindos query` calls it: `subnet_info`,
//! `subnet_list` and `subnet_query` over HTTP (the methods, their shapes, limits and error
//! codes are in `validator/README.md`, "Gateway reference", which the validator's own tests
//! keep in sync with its code; this module's tests keep the constants here in sync with that
//! page).
//!
//! Every failure becomes a [`GatewayError`] that names what happened in the user's terms and
//! carries its exit code: the gateway unreachable or unable to serve (2), or the user's
//! mistake — an unknown subnet, an input the subnet refuses, an option out of range, a
//! method that needs an API key (1).

use std::{ops::RangeInclusive, path::Path, time::Duration};

use anyhow::{bail, Context as _};
use jsonrpsee::{
    core::{
        client::{ClientT, Error as RpcError},
        http_helpers::HttpError as BodyError,
    },
    http_client::{transport::Error as HttpError, HeaderMap, HttpClient, HttpClientBuilder},
    rpc_params,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{EXIT_CHAIN, EXIT_INPUT};

/// The gateway `scripts/run.sh` starts (its `MINDOS_GATEWAY_PORT` default).
pub const DEFAULT_GATEWAY: &str = "http://127.0.0.1:9946";
/// The environment variable that names the gateway when `--gateway` does not.
pub const GATEWAY_ENV: &str = "MINDOS_GATEWAY";
/// The environment variable that holds a gateway API key when `--api-key-file` does not.
pub const API_KEY_ENV: &str = "MINDOS_GATEWAY_API_KEY";

/// The largest request body a gateway takes by default (`--gateway-max-request-bytes`); a
/// larger one is refused with HTTP 413 before it is read.
pub const MAX_REQUEST_BYTES: usize = 65_536;
/// Calls per second a gateway takes from one client by default (`--gateway-rate`), in
/// bursts of up to twice that.
pub const RATE: u32 = 5;
/// Calls a gateway runs at once for one client by default (`--gateway-concurrency`).
pub const CONCURRENCY: u32 = 4;
/// Connections a gateway keeps open for one client by default
/// (`--gateway-max-connections-per-ip`); it closes more at once.
pub const CONNECTIONS_PER_CLIENT: u32 = 8;
/// Miners a query may ask without an API key.
pub const PUBLIC_REDUNDANCY: RangeInclusive<u32> = 2..=3;
/// Miners a query may ask with an API key.
pub const KEYED_REDUNDANCY: RangeInclusive<u32> = 1..=16;
/// A query's time budget, in milliseconds.
pub const TIMEOUT_MS: RangeInclusive<u64> = 1..=120_000;

/// No validated subnet has this netuid.
pub const UNKNOWN_SUBNET: i32 = 4201;
/// No miner could be asked, or every miner asked failed.
pub const NO_MINER_AVAILABLE: i32 = 4202;
/// No miner answered within the query's time budget.
pub const TIMEOUT: i32 = 4203;
/// The input does not fit the subnet's schema, or an option is out of range.
pub const INVALID_INPUT: i32 = 4204;
/// The client exceeded its call rate or its calls in flight, or the gateway its miner budget.
pub const RATE_LIMITED: i32 = 4205;
/// The answers agree less than `min_agreement`.
pub const LOW_AGREEMENT: i32 = 4206;
/// The method or option needs an API key.
pub const UNAUTHORIZED: i32 = 4207;
/// JSON-RPC: unknown method.
pub const METHOD_NOT_FOUND: i32 = -32601;
/// JSON-RPC: wrong parameter types or an unknown option.
pub const INVALID_PARAMS: i32 = -32602;
/// jsonrpsee: the body exceeds the gateway's `--gateway-max-request-bytes`.
pub const REQUEST_TOO_BIG: i32 = -32007;

/// How long `subnet_info` and `subnet_list` may take: they read the validator's memory.
const READ_TIMEOUT: Duration = Duration::from_secs(20);
/// What a query's answer may take beyond its time budget at the gateway (HTTP, aggregation).
const QUERY_MARGIN: Duration = Duration::from_secs(10);

/// What went wrong, as the exit code sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayErrorKind {
    /// Nothing answers at the URL (exit 2).
    Unreachable,
    /// The gateway answered but could not serve the call: no miner, a timeout, answers that
    /// agree too little, a rate limit, not a gateway (exit 2).
    Failed,
    /// The call itself is wrong: an unknown subnet, an input or option the gateway refuses,
    /// a method that needs an API key (exit 1).
    BadInput,
}

/// A failed gateway call: what happened, in the user's terms, and the gateway's error code
/// if it answered with one.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct GatewayError {
    /// Its class, for the exit code.
    pub kind: GatewayErrorKind,
    /// The JSON-RPC error code the gateway answered, if it answered with one.
    pub code: Option<i32>,
    message: String,
}

impl GatewayError {
    fn new(kind: GatewayErrorKind, code: Option<i32>, message: String) -> Self {
        Self {
            kind,
            code,
            message,
        }
    }

    /// The exit code `--help` documents for it.
    pub fn exit_code(&self) -> u8 {
        match self.kind {
            GatewayErrorKind::BadInput => EXIT_INPUT,
            GatewayErrorKind::Unreachable | GatewayErrorKind::Failed => EXIT_CHAIN,
        }
    }

    /// An `unknown_subnet` answer, told with the subnets the gateway does serve (`None`: the
    /// list could not be read).
    pub fn unknown_subnet(self, served: Option<&[SubnetSummary]>) -> Self {
        let served = match served {
            Some([]) => " (it serves none)".to_owned(),
            Some(subnets) => format!(
                " (it serves {})",
                subnets
                    .iter()
                    .map(|s| format!("{} `{}`", s.netuid, s.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => String::new(),
        };
        Self {
            message: format!("{}{served}", self.message),
            ..self
        }
    }
}

/// A subnet in `subnet_list`.
#[derive(Debug, Clone, Deserialize)]
pub struct SubnetSummary {
    /// Its id.
    pub netuid: u16,
    /// Its task name.
    pub name: String,
}

/// `subnet_info`'s answer, the parts `mindos query` uses.
#[derive(Debug, Clone, Deserialize)]
pub struct SubnetInfo {
    /// Its id.
    pub netuid: u16,
    /// Its task name.
    pub name: String,
    /// `text`, `image`, …: what its input is.
    pub modality: String,
    /// Its served miners that are not quarantined.
    pub miners: Vec<MinerInfo>,
}

/// A miner in `subnet_info`.
#[derive(Debug, Clone, Deserialize)]
pub struct MinerInfo {
    /// Its uid.
    pub uid: u16,
    /// Its libp2p PeerId.
    pub peer_id: String,
}

/// `subnet_query`'s options; the gateway's defaults where `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct QueryOptions {
    /// Miners to ask at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redundancy: Option<u32>,
    /// The query's time budget at the gateway, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// The least share of the miners asked that must agree on the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_agreement: Option<f64>,
}

/// `subnet_query`'s answer.
#[derive(Debug, Clone, Deserialize)]
pub struct QueryResult {
    /// The aggregated output, in the subnet's wire format.
    pub output: serde_json::Value,
    /// The share of the miners asked whose answers agree with `output`, `0..=1`.
    pub agreement: f64,
    /// The miners whose answers were aggregated.
    pub served_by: Vec<ServedBy>,
}

/// A miner that answered a query.
#[derive(Debug, Clone, Deserialize)]
pub struct ServedBy {
    /// Its uid.
    pub uid: u16,
    /// From the gateway's request to the miner's answer, in milliseconds.
    pub latency_ms: f64,
}

/// `--gateway` as a URL: `http://` or `https://`, or `host:port` (taken as `http://`). The
/// gateway's WebSocket listens on the same address, but `mindos` speaks HTTP to it.
pub fn parse_url(text: &str) -> anyhow::Result<String> {
    let text = text.trim().trim_end_matches('/');
    if text.is_empty() {
        bail!("--gateway is empty: give the validator gateway's address, e.g. {DEFAULT_GATEWAY}");
    }
    if let Some(rest) = text
        .strip_prefix("ws://")
        .or_else(|| text.strip_prefix("wss://"))
    {
        let scheme = if text.starts_with("wss://") {
            "https"
        } else {
            "http"
        };
        bail!(
            "--gateway `{text}`: mindos calls the gateway over HTTP, on the same address as its \
             WebSocket: use {scheme}://{rest}"
        );
    }
    if text.starts_with("http://") || text.starts_with("https://") {
        return Ok(text.to_owned());
    }
    if text.contains("://") {
        bail!("--gateway `{text}`: use an http:// or https:// URL (e.g. {DEFAULT_GATEWAY})");
    }
    Ok(format!("http://{text}"))
}

/// The API key: the first line of `file`, else `MINDOS_GATEWAY_API_KEY`, else none.
pub fn api_key(file: Option<&Path>) -> anyhow::Result<Option<Zeroizing<String>>> {
    let key = match file {
        Some(file) => {
            let text = Zeroizing::new(
                std::fs::read_to_string(file)
                    .with_context(|| format!("reading the API key file {}", file.display()))?,
            );
            let line = text.lines().next().unwrap_or_default().trim();
            if line.is_empty() {
                bail!(
                    "the API key file {} is empty: its first line must be the key",
                    file.display()
                );
            }
            Zeroizing::new(line.to_owned())
        }
        None => match std::env::var(API_KEY_ENV) {
            Ok(key) if !key.trim().is_empty() => Zeroizing::new(key.trim().to_owned()),
            _ => return Ok(None),
        },
    };
    Ok(Some(key))
}

/// A client of one gateway.
#[derive(Debug)]
pub struct Gateway {
    url: String,
    client: HttpClient,
}

impl Gateway {
    /// A client of the gateway at `url` ([`parse_url`]), presenting `api_key` if given, whose
    /// queries may take up to `query_timeout` at the gateway. Nothing is sent yet.
    pub fn new(url: &str, api_key: Option<&str>, query_timeout: Duration) -> anyhow::Result<Self> {
        let mut headers = HeaderMap::new();
        if let Some(key) = api_key {
            let mut value: jsonrpsee::http_client::HeaderValue = format!("Bearer {key}")
                .parse()
                .context("the API key is not a valid HTTP header value (printable ASCII)")?;
            value.set_sensitive(true);
            headers.insert("authorization", value);
        }
        let client = HttpClientBuilder::default()
            .request_timeout(query_timeout.saturating_add(QUERY_MARGIN))
            .set_headers(headers)
            .build(url)
            .with_context(|| format!("--gateway `{url}` is not a usable URL"))?;
        Ok(Self {
            url: url.to_owned(),
            client,
        })
    }

    /// The gateway's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `subnet_info(netuid)`.
    pub async fn subnet_info(&self, netuid: u16) -> Result<SubnetInfo, GatewayError> {
        self.read("subnet_info", Some(netuid), rpc_params![netuid])
            .await
    }

    /// `subnet_list`.
    pub async fn subnet_list(&self) -> Result<Vec<SubnetSummary>, GatewayError> {
        self.read("subnet_list", None, rpc_params![]).await
    }

    /// `subnet_query(netuid, input, options)`.
    pub async fn query(
        &self,
        netuid: u16,
        input: &serde_json::Value,
        options: &QueryOptions,
    ) -> Result<QueryResult, GatewayError> {
        self.client
            .request("subnet_query", rpc_params![netuid, input, options])
            .await
            .map_err(|e| self.error("subnet_query", Some(netuid), e))
    }

    async fn read<T: DeserializeOwned>(
        &self,
        method: &'static str,
        netuid: Option<u16>,
        params: jsonrpsee::core::params::ArrayParams,
    ) -> Result<T, GatewayError> {
        match tokio::time::timeout(READ_TIMEOUT, self.client.request(method, params)).await {
            Ok(result) => result.map_err(|e| self.error(method, netuid, e)),
            Err(_) => Err(self.error(method, netuid, RpcError::RequestTimeout)),
        }
    }

    /// `error`, from calling `method` (on subnet `netuid`), in the user's terms.
    fn error(&self, method: &str, netuid: Option<u16>, error: RpcError) -> GatewayError {
        use GatewayErrorKind::{BadInput, Failed, Unreachable};
        let url = &self.url;
        let subnet = netuid.map_or_else(String::new, |n| format!(" on subnet {n}"));
        let (kind, code, message) = match error {
            RpcError::Call(e) => {
                let (code, said) = (e.code(), e.message().to_owned());
                let (kind, message) = match code {
                    UNKNOWN_SUBNET => (
                        BadInput,
                        format!(
                            "the gateway at {url} serves no subnet {}",
                            netuid.map_or_else(|| "with this id".to_owned(), |n| n.to_string())
                        ),
                    ),
                    INVALID_INPUT => (
                        BadInput,
                        format!("the gateway refused the query{subnet} as invalid input: {said}"),
                    ),
                    INVALID_PARAMS => (
                        BadInput,
                        format!("the gateway refused the parameters of {method}: {said}"),
                    ),
                    UNAUTHORIZED => (
                        BadInput,
                        format!(
                            "{said}: this needs a gateway API key (--api-key-file, or \
                             {API_KEY_ENV})"
                        ),
                    ),
                    REQUEST_TOO_BIG => (BadInput, too_big(&said)),
                    RATE_LIMITED => (
                        Failed,
                        format!(
                            "rate limited by the gateway at {url}: {said}. A gateway takes {RATE} \
                             calls a second from one client by default (bursts of {}) and {} at \
                             once (each `mindos query` makes two); wait a moment and try again",
                            RATE.saturating_mul(2),
                            CONCURRENCY
                        ),
                    ),
                    NO_MINER_AVAILABLE => {
                        (Failed, format!("no miner could answer{subnet}: {said}"))
                    }
                    TIMEOUT => (
                        Failed,
                        format!(
                            "no miner answered in time{subnet}: {said} (a longer --timeout-ms \
                             may help)"
                        ),
                    ),
                    LOW_AGREEMENT => (
                        Failed,
                        format!(
                            "the miners' answers{subnet} agree too little to be trusted: {said}"
                        ),
                    ),
                    METHOD_NOT_FOUND => (
                        Failed,
                        format!(
                            "{url} has no method {method}: is it a MindOS validator gateway? \
                             ({said})"
                        ),
                    ),
                    other => (
                        Failed,
                        format!(
                            "the gateway at {url} answered {method} with error {other}: {said}"
                        ),
                    ),
                };
                (kind, Some(code), message)
            }
            RpcError::Transport(e) => match e.downcast_ref::<HttpError>() {
                Some(HttpError::Rejected { status_code: 413 }) => (
                    BadInput,
                    Some(REQUEST_TOO_BIG),
                    too_big("HTTP 413 Payload Too Large"),
                ),
                Some(HttpError::Rejected { status_code: 403 }) => (
                    Failed,
                    None,
                    format!(
                        "the gateway at {url} refused this client (HTTP 403): a gateway on a \
                         loopback address takes calls only from this machine"
                    ),
                ),
                Some(HttpError::Rejected { status_code }) => (
                    Failed,
                    None,
                    format!("the gateway at {url} answered HTTP {status_code} to {method}"),
                ),
                // A body that is not JSON, or larger than a client takes: something answers,
                // but not a gateway.
                Some(HttpError::Http(BodyError::Malformed | BodyError::TooLarge)) => (
                    Failed,
                    None,
                    format!(
                        "the answer of {url} to {method} is not JSON-RPC: is it a MindOS \
                         validator gateway?"
                    ),
                ),
                _ if dropped(&*e) => (
                    Failed,
                    None,
                    format!(
                        "the gateway at {url} closed the connection before answering ({}): a \
                         gateway keeps {CONNECTIONS_PER_CLIENT} connections open per client by \
                         default and closes more at once; wait a moment and try again",
                        causes(&*e)
                    ),
                ),
                _ => (
                    Unreachable,
                    None,
                    format!("cannot reach the gateway at {url}: {}", causes(&*e)),
                ),
            },
            RpcError::RequestTimeout => (
                Unreachable,
                None,
                format!("the gateway at {url} did not answer {method} in time"),
            ),
            RpcError::ParseError(e) => (
                Failed,
                None,
                format!(
                    "the answer of {url} to {method} is not what a gateway answers ({e}): is \
                     it a MindOS validator gateway?"
                ),
            ),
            other => (
                Failed,
                None,
                format!("calling {method} on the gateway at {url}: {other}"),
            ),
        };
        GatewayError::new(kind, code, message)
    }
}

/// The message for a request the gateway found too large.
fn too_big(said: &str) -> String {
    format!(
        "the gateway refused the request as too large ({said}): it takes at most its \
         --gateway-max-request-bytes ({MAX_REQUEST_BYTES} by default)"
    )
}

/// Whether `error` is a connection that was made and then dropped by the other side (reset,
/// aborted, cut off), rather than one that could not be made (refused, no route, no name).
fn dropped(error: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
            );
        }
        next = e.source();
    }
    false
}

/// An error with its causes, `a: b: c`, each said once.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests;
