//! [`Proc`]: a child process of a test, with its stderr in a log file.

use std::{
    ffi::OsStr,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{ExitStatus, Stdio},
    time::Duration,
};

use mindos_mesh::Multiaddr;
use tokio::process::Child;

use crate::log::{print_tail, read_from, socket_addr, AddrLine};

/// How long [`Proc::terminate`] waits for the process to exit after SIGTERM.
const TERMINATE_WAIT: Duration = Duration::from_secs(30);
/// How long [`Proc::socket_addr`] and [`Proc::multiaddr`] wait for an address line. A debug
/// `mindos-node` compiles its Wasm runtime before it opens its JSON-RPC port.
const ADDR_WAIT: Duration = Duration::from_secs(180);
/// How often the log is read while waiting for a line.
const LOG_POLL: Duration = Duration::from_millis(100);
/// Lines of log printed when a `Proc` is dropped during a panic.
const TAIL_ON_PANIC: usize = 30;

/// A child process whose stderr is appended to a log file; stdout is discarded.
///
/// Dropping it kills the process (SIGKILL). Dropped while the thread panics (a failed
/// assertion), it first prints the last lines of its log. Everything it reads from the log
/// starts at the log's length when the process was spawned, so a restarted process that
/// appends to the same file does not see its predecessor's lines.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    log: PathBuf,
    log_start: u64,
}

impl Proc {
    /// Starts `bin` with `args` and the extra environment `envs`, appending its stderr to
    /// `log`. `RUST_LOG` is set to `$E2E_LOG`, or `info` without it.
    pub fn spawn<I, S>(bin: &Path, args: I, envs: &[(&str, &str)], log: &Path) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap_or_else(|e| panic!("open {}: {e}", log.display()));
        let log_start = file.metadata().map(|m| m.len()).unwrap_or(0);
        let child = tokio::process::Command::new(bin)
            .args(args)
            .envs(envs.iter().copied())
            .env(
                "RUST_LOG",
                std::env::var("E2E_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::from(file))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
        Self {
            child,
            log: log.to_owned(),
            log_start,
        }
    }

    /// The log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// What this process has logged so far.
    pub fn log_text(&self) -> String {
        read_from(&self.log, self.log_start)
    }

    /// Prints the last `lines` lines this process logged, to stderr.
    pub fn print_tail(&self, lines: usize) {
        print_tail(&self.log, &self.log_text(), lines);
    }

    /// The process's exit status if it has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// SIGKILL: no goodbye, the way a crashed or unplugged device disappears.
    pub async fn kill(&mut self) {
        self.child
            .kill()
            .await
            .unwrap_or_else(|e| panic!("kill {}: {e}", self.log.display()));
    }

    /// SIGTERM, then waits up to 30 s for the process to exit.
    pub async fn terminate(&mut self) -> ExitStatus {
        self.terminate_within(TERMINATE_WAIT).await
    }

    /// SIGTERM, as an operator stops a service, then waits up to `limit` for the exit.
    pub async fn terminate_within(&mut self, limit: Duration) -> ExitStatus {
        let pid = self
            .child
            .id()
            .unwrap_or_else(|| panic!("{} already exited", self.log.display()));
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .is_ok_and(|status| status.success());
        assert!(sent, "kill -TERM {pid} failed");
        match tokio::time::timeout(limit, self.child.wait()).await {
            Ok(Ok(status)) => status,
            Ok(Err(e)) => panic!("waiting for {}: {e}", self.log.display()),
            Err(_) => panic!(
                "{} did not exit within {limit:?} of SIGTERM",
                self.log.display()
            ),
        }
    }

    /// The first line this process logged that contains `marker`, waiting up to `limit`
    /// for it. Panics if the process exits first or the time runs out.
    pub async fn wait_for_line(&mut self, marker: &str, limit: Duration) -> String {
        let found = tokio::time::timeout(limit, async {
            loop {
                // The exit status is read before the log, so a line logged just before the
                // exit is still found.
                let exited = self.exited();
                if let Some(line) = self.log_text().lines().find(|line| line.contains(marker)) {
                    return Ok(line.to_owned());
                }
                if let Some(status) = exited {
                    return Err(status);
                }
                tokio::time::sleep(LOG_POLL).await;
            }
        })
        .await;
        match found {
            Ok(Ok(line)) => line,
            Ok(Err(status)) => panic!(
                "{} exited ({status}) before logging `{marker}`",
                self.log.display()
            ),
            Err(_) => panic!(
                "{} did not log `{marker}` within {limit:?}",
                self.log.display()
            ),
        }
    }

    /// The socket address announced by `line` (the process bound port 0), waiting for it.
    pub async fn socket_addr(&mut self, line: AddrLine) -> SocketAddr {
        let text = self.wait_for_line(line.marker, ADDR_WAIT).await;
        line.value_in(&text)
            .as_deref()
            .and_then(socket_addr)
            .unwrap_or_else(|| panic!("no socket address in `{text}`"))
    }

    /// The multiaddr announced by `line` (a mesh listener on port 0), waiting for it.
    pub async fn multiaddr(&mut self, line: AddrLine) -> Multiaddr {
        let text = self.wait_for_line(line.marker, ADDR_WAIT).await;
        line.value_in(&text)
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no multiaddr in `{text}`"))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.print_tail(TAIL_ON_PANIC);
        }
        // `kill_on_drop` ends the process.
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sh(script: &str, log: &Path) -> Proc {
        Proc::spawn(Path::new("/bin/sh"), ["-c", script], &[], log)
    }

    #[tokio::test]
    async fn reads_back_an_address_and_only_its_own_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("p.log");
        std::fs::write(&log, "old run: gateway listening addr=127.0.0.1:1\n").unwrap();
        let mut proc = sh(
            "sleep 0.2; echo 'INFO x: gateway listening (HTTP) addr=127.0.0.1:4321' >&2; sleep 30",
            &log,
        );
        assert_eq!(
            proc.socket_addr(AddrLine::GATEWAY).await,
            "127.0.0.1:4321".parse().unwrap()
        );
        assert!(!proc.log_text().contains("old run"));
        let status = proc.terminate().await;
        assert!(!status.success(), "sh dies of SIGTERM: {status}");
    }

    #[tokio::test]
    async fn environment_reaches_the_child() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("p.log");
        let mut proc = Proc::spawn(
            Path::new("/bin/sh"),
            ["-c", "echo \"fault=$FAULT log=$RUST_LOG\" >&2"],
            &[("FAULT", "garbage")],
            &log,
        );
        let line = proc.wait_for_line("fault=", Duration::from_secs(10)).await;
        assert!(line.starts_with("fault=garbage log="), "{line}");
    }

    #[tokio::test]
    #[should_panic(expected = "before logging `never`")]
    async fn an_early_exit_fails_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        let mut proc = sh("echo bye >&2", &dir.path().join("p.log"));
        proc.wait_for_line("never", Duration::from_secs(10)).await;
    }

    #[tokio::test]
    async fn dropping_kills_the_process() {
        let dir = tempfile::tempdir().unwrap();
        let proc = sh("echo $$ >&2; sleep 30", &dir.path().join("p.log"));
        let pid = proc.child.id().unwrap();
        drop(proc);
        // SIGKILL is sent on drop; the kernel may take a moment to reap it.
        crate::wait_for("the child to die", Duration::from_secs(10), || async {
            let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| !stat.contains(") Z "));
            (!alive).then_some(())
        })
        .await;
    }
}
