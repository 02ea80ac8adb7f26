//! `mindos query NETUID INPUT`: one query through a validator's gateway ([`crate::gateway`]),
//! printing the answer, how far the miners agree on it, who served it and how long it took.
//!
//! Everything that can be checked here is checked before anything is sent: the input is
//! JSON (an object, the subnet's wire format), the request fits the gateway's default size
//! limit, the options are in the gateway's ranges. Then one `subnet_info` call finds the
//! subnet (an unknown one is named with those the gateway serves), checks that a `--text`
//! or `--pixels` shorthand fits its modality and gives the miners' PeerIds; then the query.

use std::{
    io::Read,
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use crate::{
    cli::QueryArgs,
    gateway::{
        self, Gateway, QueryOptions, QueryResult, SubnetInfo, KEYED_REDUNDANCY, MAX_REQUEST_BYTES,
        PUBLIC_REDUNDANCY, TIMEOUT_MS, UNKNOWN_SUBNET,
    },
    subnet::table,
    wallet::Context,
};

/// Most bytes read from a file or stdin: far above any request a gateway takes, so a
/// pretty-printed input still fits, while a wrong file is not read whole.
const MAX_READ_BYTES: u64 = 1 << 20;
/// Items of an array shown in the text answer; longer arrays (an embedding) are cut.
const PREVIEW_ITEMS: usize = 10;
/// Items shown of an array that is cut.
const PREVIEW_HEAD: usize = 5;

/// Where the input came from, which decides what its modality must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// The subnet's own JSON: inline, a file or stdin.
    Json,
    /// `--text`: `{"text": …}`, for text subnets.
    Text,
    /// `--pixels`: `{"pixels": […]}`, for image subnets.
    Pixels,
}

impl Form {
    /// The modality a shorthand is for; `None` for the subnet's own JSON.
    fn modality(self) -> Option<(&'static str, &'static str)> {
        match self {
            Form::Json => None,
            Form::Text => Some(("text", "--text")),
            Form::Pixels => Some(("image", "--pixels")),
        }
    }
}

/// Runs `mindos query`.
pub async fn run(args: QueryArgs, cx: &Context<'_>) -> anyhow::Result<()> {
    // --gateway (or MINDOS_GATEWAY), else the gateway the config file names for the network,
    // else the one scripts/run.sh starts.
    let chosen = args
        .gateway
        .as_deref()
        .or(cx.network.gateway())
        .unwrap_or(gateway::DEFAULT_GATEWAY);
    let url = gateway::parse_url(chosen)?;
    let api_key = gateway::api_key(args.api_key_file.as_deref())?;
    let (input, form) = input(&args)?;
    let options = options(&args, api_key.is_some())?;
    let body = request_bytes(args.netuid, &input, &options)?;
    if body > MAX_REQUEST_BYTES {
        bail!(
            "the query is {body} bytes (the input as compact JSON, in its JSON-RPC request): a \
             gateway takes requests of at most {MAX_REQUEST_BYTES} bytes (its \
             --gateway-max-request-bytes default), so nothing was sent"
        );
    }
    if api_key.is_some() && url.starts_with("http://") && !is_loopback(&url) {
        cx.ui.warn(&format!(
            "warning: the API key goes to {url} unencrypted (http://); use https:// if the \
             gateway is behind TLS"
        ));
    }
    let budget = Duration::from_millis(options.timeout_ms.unwrap_or(*TIMEOUT_MS.end()));
    let gateway = Gateway::new(&url, api_key.as_deref().map(String::as_str), budget)?;

    let info = match gateway.subnet_info(args.netuid).await {
        Ok(info) => info,
        Err(e) if e.code == Some(UNKNOWN_SUBNET) => {
            let served = gateway.subnet_list().await.ok();
            return Err(e.unknown_subnet(served.as_deref()).into());
        }
        Err(e) => return Err(e.into()),
    };
    if let Some((modality, flag)) = form.modality() {
        if info.modality != modality {
            bail!(
                "subnet {} `{}` takes {} input, and {flag} is for {modality} subnets: give its \
                 JSON as INPUT instead (see `mindos query --help`); the query was not sent",
                info.netuid,
                info.name,
                info.modality
            );
        }
    }
    cx.ui.note(&format!(
        "asking subnet {} `{}` through {} ({} miners served)",
        info.netuid,
        info.name,
        gateway.url(),
        info.miners.len()
    ));
    let started = Instant::now();
    let result = gateway.query(args.netuid, &input, &options).await?;
    let latency_ms = round_ms(started.elapsed().as_secs_f64() * 1000.0);
    print(cx, &gateway, &info, &result, latency_ms);
    Ok(())
}

/// The input and the form it was given in: `--text`, `--pixels`, or INPUT (inline JSON,
/// `@FILE`, `-` for stdin).
fn input(args: &QueryArgs) -> anyhow::Result<(Value, Form)> {
    if let Some(text) = &args.text {
        return Ok((json!({ "text": text }), Form::Text));
    }
    if let Some(pixels) = &args.pixels {
        return Ok((json!({ "pixels": parse_pixels(pixels)? }), Form::Pixels));
    }
    let Some(spec) = args.input.as_deref() else {
        bail!("no input: give INPUT (JSON, @FILE or - for stdin), --text or --pixels");
    };
    let (text, from) = if spec == "-" {
        (read_limited(std::io::stdin().lock(), "stdin")?, "stdin")
    } else if let Some(path) = spec.strip_prefix('@') {
        (read_file(Path::new(path))?, path)
    } else {
        (spec.to_owned(), "INPUT")
    };
    Ok((parse_input(&text, from)?, Form::Json))
}

/// `text` as the subnet's JSON input: one JSON object.
fn parse_input(text: &str, from: &str) -> anyhow::Result<Value> {
    if text.trim().is_empty() {
        bail!("the input from {from} is empty: give the subnet's JSON input");
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "the input from {from} is not valid JSON ({e}); give the subnet's JSON input \
             (e.g. '{{\"text\": \"…\"}}' or '{{\"pixels\": [64 numbers]}}'), @FILE, - for \
             stdin, or --text / --pixels; nothing was sent"
        )
    })?;
    if !value.is_object() {
        bail!(
            "the input from {from} is JSON but not an object: a subnet's input is an object \
             such as {{\"text\": \"…\"}} or {{\"pixels\": […]}}; nothing was sent"
        );
    }
    Ok(value)
}

fn read_file(path: &Path) -> anyhow::Result<String> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("reading the input file {}", path.display()))?;
    read_limited(file, &path.display().to_string())
}

/// At most [`MAX_READ_BYTES`] of UTF-8 from `reader`; more is an error.
fn read_limited(reader: impl Read, from: &str) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_READ_BYTES.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading the input from {from}"))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_READ_BYTES {
        bail!(
            "the input from {from} is over {MAX_READ_BYTES} bytes: a gateway takes requests of \
             at most {MAX_REQUEST_BYTES} bytes; nothing was sent"
        );
    }
    String::from_utf8(bytes).with_context(|| format!("the input from {from} is not UTF-8"))
}

/// `--pixels`: numbers separated by commas or spaces, optionally in brackets.
fn parse_pixels(text: &str) -> anyhow::Result<Vec<Value>> {
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    let pixels: Vec<Value> = inner
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|token| !token.is_empty())
        .map(
            |token| match serde_json::from_str::<serde_json::Number>(token) {
                Ok(number) => Ok(Value::Number(number)),
                Err(_) => Err(anyhow::anyhow!(
                    "--pixels: `{token}` is not a number (give grey levels separated by commas or \
                 spaces); nothing was sent"
                )),
            },
        )
        .collect::<anyhow::Result<_>>()?;
    if pixels.is_empty() {
        bail!("--pixels is empty: give the image's grey levels, row by row");
    }
    Ok(pixels)
}

/// The options from the flags, each in the gateway's range (the redundancy in the range for
/// a client with or without an API key).
fn options(args: &QueryArgs, keyed: bool) -> anyhow::Result<QueryOptions> {
    if let Some(redundancy) = args.redundancy {
        let range = if keyed {
            KEYED_REDUNDANCY
        } else {
            PUBLIC_REDUNDANCY
        };
        if !range.contains(&redundancy) {
            let hint = if keyed {
                String::new()
            } else {
                format!(
                    " without an API key ({}..={} with one)",
                    KEYED_REDUNDANCY.start(),
                    KEYED_REDUNDANCY.end()
                )
            };
            bail!(
                "--redundancy {redundancy}: a query asks {}..={} miners{hint}",
                range.start(),
                range.end()
            );
        }
    }
    if let Some(ms) = args.timeout_ms {
        if !TIMEOUT_MS.contains(&ms) {
            bail!(
                "--timeout-ms {ms}: a query's time budget is {}..={} ms",
                TIMEOUT_MS.start(),
                TIMEOUT_MS.end()
            );
        }
    }
    if let Some(share) = args.min_agreement {
        if !(0.0..=1.0).contains(&share) {
            bail!("--min-agreement {share}: a share of the miners asked, 0 to 1 (e.g. 0.75)");
        }
    }
    Ok(QueryOptions {
        redundancy: args.redundancy,
        timeout_ms: args.timeout_ms,
        min_agreement: args.min_agreement,
    })
}

/// The size of the `subnet_query` request that carries `input`: the JSON-RPC envelope with
/// the longest id a client may give it.
fn request_bytes(netuid: u16, input: &Value, options: &QueryOptions) -> anyhow::Result<usize> {
    let request = json!({
        "jsonrpc": "2.0",
        "id": u64::MAX,
        "method": "subnet_query",
        "params": [netuid, input, options],
    });
    Ok(serde_json::to_vec(&request)
        .context("encoding the query")?
        .len())
}

/// Whether `url`'s host is this machine.
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split('/').next().unwrap_or_default();
    let host = host
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Milliseconds to one decimal.
fn round_ms(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

fn print(cx: &Context<'_>, gateway: &Gateway, info: &SubnetInfo, result: &QueryResult, ms: f64) {
    let peer_of = |uid: u16| {
        info.miners
            .iter()
            .find(|m| m.uid == uid)
            .map(|m| m.peer_id.clone())
    };
    let mut rows = vec![["UID", "PEER ID", "LATENCY"].map(str::to_owned)];
    let mut served = Vec::with_capacity(result.served_by.len());
    for s in &result.served_by {
        let peer = peer_of(s.uid);
        rows.push([
            s.uid.to_string(),
            peer.clone().unwrap_or_else(|| "-".to_owned()),
            format!("{:.1} ms", s.latency_ms),
        ]);
        served.push(json!({"uid": s.uid, "peer_id": peer, "latency_ms": s.latency_ms}));
    }
    let indented: Vec<String> = table(&rows)
        .lines()
        .map(|line| format!("  {line}"))
        .collect();
    let text = format!(
        "answer     {}\nagreement  {:.2} (the share of the miners asked whose answers agree)\n\
         latency    {ms:.1} ms, subnet {} `{}` through {}\nserved by\n{}",
        preview(&result.output),
        result.agreement,
        info.netuid,
        info.name,
        gateway.url(),
        indented.join("\n"),
    );
    cx.ui.result(
        &text,
        json!({
            "gateway": gateway.url(),
            "netuid": info.netuid,
            "subnet": info.name,
            "output": result.output,
            "agreement": result.agreement,
            "served_by": served,
            "latency_ms": ms,
        }),
    );
}

/// A JSON value for a person: numbers to four decimals, long arrays cut (`--json` has it all).
fn preview(value: &Value) -> String {
    match value {
        Value::Number(n) if n.is_f64() => n.as_f64().map_or_else(|| n.to_string(), decimal),
        Value::Array(items) if items.len() > PREVIEW_ITEMS => {
            let head: Vec<String> = items.iter().take(PREVIEW_HEAD).map(preview).collect();
            format!(
                "[{}, … {} in all; --json prints every one]",
                head.join(", "),
                items.len()
            )
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(preview).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), preview(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// `x` with at most four decimals, trailing zeros dropped; tiny values in scientific form.
fn decimal(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-4 {
        return format!("{x:.1e}");
    }
    let text = format!("{x:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(input: Option<&str>) -> QueryArgs {
        QueryArgs {
            netuid: 1,
            input: input.map(str::to_owned),
            text: None,
            pixels: None,
            gateway: None,
            redundancy: None,
            timeout_ms: None,
            min_agreement: None,
            api_key_file: None,
        }
    }

    #[test]
    fn inputs_are_json_objects_from_the_argument_a_file_or_a_shorthand() {
        let (value, form) = input(&args(Some(r#"{"pixels": [0, 16]}"#))).unwrap();
        assert_eq!((value, form), (json!({"pixels": [0, 16]}), Form::Json));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("q.json");
        std::fs::write(&file, "{\n  \"text\": \"hi\"\n}\n").unwrap();
        let (value, _) = input(&args(Some(&format!("@{}", file.display())))).unwrap();
        assert_eq!(value, json!({"text": "hi"}));
        let missing = input(&args(Some("@/nonexistent/q.json"))).unwrap_err();
        assert!(
            format!("{missing:#}").contains("reading the input file"),
            "{missing:#}"
        );

        let mut text = args(None);
        text.text = Some("a sentence".into());
        assert_eq!(
            input(&text).unwrap(),
            (json!({"text": "a sentence"}), Form::Text)
        );
        let mut pixels = args(None);
        pixels.pixels = Some("[0, 1.5 16,2]".into());
        assert_eq!(
            input(&pixels).unwrap(),
            (json!({"pixels": [0, 1.5, 16, 2]}), Form::Pixels)
        );
        pixels.pixels = Some("1, x".into());
        assert!(input(&pixels).unwrap_err().to_string().contains("`x`"));
    }

    #[test]
    fn malformed_inputs_are_refused_with_the_reason() {
        let broken = parse_input(r#"{"pixels": [1, 2"#, "INPUT").unwrap_err();
        assert!(broken.to_string().contains("not valid JSON"), "{broken}");
        let array = parse_input("[1, 2]", "INPUT").unwrap_err();
        assert!(array.to_string().contains("not an object"), "{array}");
        assert!(parse_input("  \n", "stdin")
            .unwrap_err()
            .to_string()
            .contains("empty"));
        let big = vec![b' '; usize::try_from(MAX_READ_BYTES).unwrap() + 1];
        let over = read_limited(&big[..], "stdin").unwrap_err();
        assert!(over.to_string().contains("65536"), "{over}");
    }

    #[test]
    fn options_are_checked_against_the_gateways_ranges() {
        let mut a = args(Some("{}"));
        a.redundancy = Some(1);
        let public = options(&a, false).unwrap_err().to_string();
        assert!(
            public.contains("2..=3 miners without an API key"),
            "{public}"
        );
        assert_eq!(options(&a, true).unwrap().redundancy, Some(1));
        a.redundancy = Some(17);
        assert!(options(&a, true).is_err());
        a.redundancy = None;
        a.timeout_ms = Some(0);
        assert!(options(&a, false).is_err());
        a.timeout_ms = Some(120_000);
        a.min_agreement = Some(1.5);
        assert!(options(&a, false).is_err());
        a.min_agreement = Some(f64::NAN);
        assert!(options(&a, false).is_err());
        a.min_agreement = Some(0.75);
        assert_eq!(
            options(&a, false).unwrap(),
            QueryOptions {
                redundancy: None,
                timeout_ms: Some(120_000),
                min_agreement: Some(0.75)
            }
        );
    }

    #[test]
    fn the_request_size_counts_the_envelope() {
        let input = json!({"text": "x".repeat(1000)});
        let size = request_bytes(1, &input, &QueryOptions::default()).unwrap();
        let bare = serde_json::to_vec(&input).unwrap().len();
        assert!(size > bare + 40 && size < bare + 120, "{size} for {bare}");
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        assert!(is_loopback("http://127.0.0.1:9946"));
        assert!(is_loopback("http://localhost:9946/"));
        assert!(is_loopback("http://[::1]:9946"));
        assert!(!is_loopback("http://gw.example:9946"));
        assert!(!is_loopback("http://10.0.0.2"));
    }

    #[test]
    fn answers_print_short_for_people() {
        assert_eq!(decimal(0.999_123_456), "0.9991");
        assert_eq!(decimal(1.0), "1");
        assert_eq!(decimal(0.0), "0");
        assert_eq!(decimal(-0.000_01), "-1.0e-5");
        let digits = json!({"label": 3, "probabilities": [0.0, 0.25, 1.0]});
        assert_eq!(
            preview(&digits),
            r#"{"label": 3, "probabilities": [0, 0.25, 1]}"#
        );
        let embedding = json!({"embedding": vec![0.5; 384]});
        assert_eq!(
            preview(&embedding),
            r#"{"embedding": [0.5, 0.5, 0.5, 0.5, 0.5, … 384 in all; --json prints every one]}"#
        );
    }
}
