//! Reading a process's log: the line that announces a bound address, and the tail printed
//! next to a failure.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

/// A line a process logs once it has bound a socket, and where in it the address stands.
///
/// The line is the first one (since the process started) that contains [`AddrLine::marker`];
/// the address is the word right after [`AddrLine::before`], which is looked for after the
/// marker (empty: right after the marker).
#[derive(Clone, Copy, Debug)]
pub struct AddrLine {
    /// Text that identifies the line.
    pub marker: &'static str,
    /// Text right before the address, after the marker.
    pub before: &'static str,
}

impl AddrLine {
    /// `mindos-node`'s JSON-RPC server (HTTP and WebSocket), from `sc-rpc-server`:
    /// `Running JSON-RPC server: addr=127.0.0.1:9944,[::1]:9944`.
    pub const NODE_RPC: Self = Self {
        marker: "Running JSON-RPC server:",
        before: "addr=",
    };
    /// `mindos-node`'s Prometheus endpoint, from `substrate-prometheus-endpoint`:
    /// `〽️ Prometheus exporter started at 127.0.0.1:9615`.
    pub const NODE_PROMETHEUS: Self = Self {
        marker: "Prometheus exporter started at",
        before: "",
    };
    /// A mesh listener of the miner or the validator (`mindos_mesh`):
    /// `listening address=/ip4/127.0.0.1/tcp/40000`.
    pub const MESH: Self = Self {
        marker: "listening address=",
        before: "",
    };
    /// The validator's gateway: `gateway listening (…) addr=127.0.0.1:9933`.
    pub const GATEWAY: Self = Self {
        marker: "gateway listening",
        before: "addr=",
    };
    /// The miner's owner JSON-RPC: `owner JSON-RPC listening addr=127.0.0.1:9944`.
    pub const OWNER_RPC: Self = Self {
        marker: "owner JSON-RPC listening",
        before: "addr=",
    };
    /// The Prometheus endpoint of the miner or the validator (`mindos_daemon::metrics`):
    /// `Prometheus metrics at /metrics addr=127.0.0.1:9616`.
    pub const METRICS: Self = Self {
        marker: "Prometheus metrics at /metrics",
        before: "addr=",
    };

    /// The address word of `line` if it is this line (colour codes ignored).
    pub(crate) fn value_in(&self, line: &str) -> Option<String> {
        let line = strip_ansi(line);
        let (_, rest) = line.split_once(self.marker)?;
        let rest = if self.before.is_empty() {
            rest
        } else {
            rest.split_once(self.before)?.1
        };
        rest.split_whitespace().next().map(str::to_owned)
    }
}

/// The socket address in `value`, a comma-separated list such as Substrate's
/// `127.0.0.1:9944,[::1]:9945`; IPv4 first, because the tests talk to `127.0.0.1`.
pub(crate) fn socket_addr(value: &str) -> Option<SocketAddr> {
    let addrs: Vec<SocketAddr> = value
        .split(',')
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    addrs
        .iter()
        .find(|addr| addr.is_ipv4())
        .or(addrs.first())
        .copied()
}

/// `line` without ANSI escape sequences (`ESC [ … letter`), which loggers add on a terminal.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip to the sequence's final letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The text of `log` from byte `start` on (empty if there is none yet).
pub(crate) fn read_from(log: &Path, start: u64) -> String {
    let bytes = std::fs::read(log).unwrap_or_default();
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    String::from_utf8_lossy(bytes.get(start..).unwrap_or_default()).into_owned()
}

/// Prints the last `lines` lines of `text` under a heading naming `log`, to stderr (next
/// to a test failure).
pub(crate) fn print_tail(log: &Path, text: &str, lines: usize) {
    let tail: Vec<&str> = text.lines().rev().take(lines).collect();
    eprintln!("--- {} (last {lines} lines) ---", log.display());
    for line in tail.into_iter().rev() {
        eprintln!("{line}");
    }
}

/// Prints the last `lines` lines of the log file `log` to stderr.
pub fn print_log_tail(log: impl Into<PathBuf>, lines: usize) {
    let log = log.into();
    print_tail(&log, &read_from(&log, 0), lines);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn substrate_rpc_line_gives_the_ipv4_address() {
        let line = "2026-12-06 19:20:01 Running JSON-RPC server: addr=[::1]:40001,127.0.0.1:40000";
        let value = AddrLine::NODE_RPC.value_in(line).unwrap();
        assert_eq!(
            socket_addr(&value),
            Some("127.0.0.1:40000".parse().unwrap())
        );
        // One address: Substrate ends it with a comma.
        let value = AddrLine::NODE_RPC
            .value_in("Running JSON-RPC server: addr=127.0.0.1:9944,")
            .unwrap();
        assert_eq!(socket_addr(&value), Some("127.0.0.1:9944".parse().unwrap()));
    }

    #[test]
    fn prometheus_line_with_colours() {
        let line =
            "\u{1b}[32m2026-12-06\u{1b}[0m INFO 〽️ Prometheus exporter started at 127.0.0.1:41234";
        let value = AddrLine::NODE_PROMETHEUS.value_in(line).unwrap();
        assert_eq!(
            socket_addr(&value),
            Some("127.0.0.1:41234".parse().unwrap())
        );
    }

    #[test]
    fn tracing_lines_give_their_addr_field() {
        let gateway =
            "2026-12-06T19:20:01.000Z  INFO mindos_validator::gateway: gateway listening \
                       (JSON-RPC over HTTP and WebSocket) addr=127.0.0.1:38000";
        assert_eq!(
            AddrLine::GATEWAY.value_in(gateway).as_deref(),
            Some("127.0.0.1:38000")
        );
        let mesh = "2026-12-06T19:20:01.000Z  INFO mindos_mesh::event_loop: listening \
                    address=/ip4/127.0.0.1/tcp/40123";
        assert_eq!(
            AddrLine::MESH.value_in(mesh).as_deref(),
            Some("/ip4/127.0.0.1/tcp/40123")
        );
        // The miner's summary line lists `addrs=[…]`, which is not the listener's line.
        let summary = "INFO mindos_miner: mesh listening peer_id=12D3 addrs=[/ip4/127.0.0.1/tcp/1]";
        assert_eq!(AddrLine::MESH.value_in(summary), None);
        assert_eq!(AddrLine::METRICS.value_in(gateway), None);
    }

    #[test]
    fn reading_from_an_offset() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("a.log");
        assert_eq!(read_from(&log, 0), "");
        std::fs::write(&log, "first run\nsecond run\n").unwrap();
        assert_eq!(read_from(&log, 10), "second run\n");
        assert_eq!(read_from(&log, 1000), "");
    }
}
