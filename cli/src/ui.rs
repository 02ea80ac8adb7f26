//! Talking to the user: results on stdout (text or one JSON document), notes and progress on
//! stderr, hidden prompts for passwords and secrets, and confirmations.
//!
//! With `--json` nothing prompts: what a prompt would ask must come from a flag, a file or
//! the environment, so a script never hangs on a question mixed into its output.

use std::{
    io::{BufRead, IsTerminal, Write},
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use zeroize::Zeroizing;

use crate::WrongPassword;

/// The environment variable a script passes the wallet password in.
pub const PASSWORD_ENV: &str = "MINDOS_PASSWORD";

/// The user declined a confirmation, or `--json` was given without `--yes` where one is
/// needed: exit code 4.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotConfirmed(pub String);

/// How to talk to the user, from the global flags.
#[derive(Debug, Clone)]
pub struct Ui {
    /// One JSON document on stdout, no prompts.
    pub json: bool,
    /// No notes or progress on stderr.
    pub quiet: bool,
    /// Confirmations are answered yes.
    pub yes: bool,
    /// `--password-file`.
    pub password_file: Option<PathBuf>,
}

impl Ui {
    /// A note or progress line on stderr (not with `--quiet` or `--json`).
    pub fn note(&self, text: &str) {
        if !self.quiet && !self.json {
            eprintln!("{text}");
        }
    }

    /// Something the user must see even with `--quiet` (the mnemonic's back-up warning);
    /// not with `--json`, where it is part of the document.
    pub fn warn(&self, text: &str) {
        if !self.json {
            eprintln!("{text}");
        }
    }

    /// A progress reporter for something that waits on the chain: a spinner line on a
    /// terminal, plain lines when stderr is a file or a pipe, nothing with `--quiet` or
    /// `--json`.
    pub fn progress(&self) -> Progress {
        let shown = !self.quiet && !self.json;
        Progress {
            shown,
            live: shown && std::io::stderr().is_terminal(),
            frame: 0,
            stage: String::new(),
            started: Instant::now(),
        }
    }

    /// Prints the result: `json` with `--json`, `text` otherwise.
    pub fn result(&self, text: &str, json: serde_json::Value) {
        if self.json {
            println!("{json:#}");
        } else if !text.is_empty() {
            println!("{text}");
        }
    }

    /// Asks `question` (y/N) unless `--yes`; refuses with [`NotConfirmed`] under `--json`
    /// without `--yes`, on a "no", or without a terminal to ask on.
    pub fn confirm(&self, question: &str) -> anyhow::Result<()> {
        if self.yes {
            return Ok(());
        }
        if self.json {
            return Err(NotConfirmed(format!(
                "{question} — --json never prompts: add --yes to proceed"
            ))
            .into());
        }
        if !std::io::stdin().is_terminal() {
            return Err(NotConfirmed(format!(
                "{question} — no terminal to ask on: add --yes to proceed"
            ))
            .into());
        }
        eprint!("{question} [y/N] ");
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .context("reading the answer")?;
        match answer.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => Ok(()),
            _ => Err(NotConfirmed("declined; nothing was sent".into()).into()),
        }
    }

    /// The password of an existing wallet: `--password-file`, `MINDOS_PASSWORD`, or a
    /// hidden prompt.
    pub fn password(&self, wallet: &str) -> anyhow::Result<Zeroizing<String>> {
        if let Some(password) = self.scripted_password()? {
            return Ok(password);
        }
        self.no_prompt_under_json("the wallet password")?;
        let password = Zeroizing::new(
            rpassword::prompt_password(format!("Password of wallet `{wallet}`: "))
                .context("reading the password")?,
        );
        if password.is_empty() {
            return Err(WrongPassword("the password is empty".into()).into());
        }
        Ok(password)
    }

    /// The password for a new keystore: from the file or environment, or prompted twice.
    pub fn new_password(&self, wallet: &str) -> anyhow::Result<Zeroizing<String>> {
        if let Some(password) = self.scripted_password()? {
            if password.is_empty() {
                bail!("the password is empty; a coldkey keystore needs a password");
            }
            return Ok(password);
        }
        self.no_prompt_under_json("a password for the new wallet")?;
        let first = Zeroizing::new(
            rpassword::prompt_password(format!("New password for wallet `{wallet}`: "))
                .context("reading the password")?,
        );
        if first.is_empty() {
            bail!("the password is empty; a coldkey keystore needs a password");
        }
        let second = Zeroizing::new(
            rpassword::prompt_password("Repeat the password: ").context("reading the password")?,
        );
        if first != second {
            bail!("the two passwords differ; nothing was written");
        }
        Ok(first)
    }

    /// A secret (mnemonic or seed): the first line of stdin when it is not a terminal,
    /// otherwise a hidden prompt.
    pub fn secret(&self, what: &str) -> anyhow::Result<Zeroizing<String>> {
        let stdin = std::io::stdin();
        let secret = if stdin.is_terminal() {
            self.no_prompt_under_json(what)?;
            Zeroizing::new(
                rpassword::prompt_password(format!("{what} (input hidden): "))
                    .with_context(|| format!("reading the {what}"))?,
            )
        } else {
            let mut line = Zeroizing::new(String::new());
            stdin
                .lock()
                .read_line(&mut line)
                .with_context(|| format!("reading the {what} from stdin"))?;
            line
        };
        let trimmed = Zeroizing::new(secret.trim().to_owned());
        if trimmed.is_empty() {
            bail!("no {what} given (stdin was empty)");
        }
        Ok(trimmed)
    }

    fn scripted_password(&self) -> anyhow::Result<Option<Zeroizing<String>>> {
        if let Some(file) = &self.password_file {
            let text = Zeroizing::new(
                std::fs::read_to_string(file)
                    .with_context(|| format!("reading the password file {}", file.display()))?,
            );
            // The first line, without its line ending: `echo pw > file` must work.
            let line = text.lines().next().unwrap_or_default();
            return Ok(Some(Zeroizing::new(line.to_owned())));
        }
        Ok(std::env::var(PASSWORD_ENV).ok().map(Zeroizing::new))
    }

    fn no_prompt_under_json(&self, what: &str) -> anyhow::Result<()> {
        if self.json {
            bail!(
                "--json never prompts: give {what} with --password-file or {PASSWORD_ENV} \
                 (secrets for import on stdin)"
            );
        }
        Ok(())
    }
}

/// The chain's heads as a progress line shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heads {
    /// The best block's number.
    pub best: u64,
    /// The finalized block's number.
    pub finalized: u64,
}

/// How often a spinner redraws.
pub const SPINNER_INTERVAL: Duration = Duration::from_millis(125);

const SPINNER_FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Progress of a wait on the chain ([`Ui::progress`]). On a terminal one line is redrawn in
/// place — a spinner, the stage, the chain's best and finalized block and the seconds
/// waited — and cleared when done; elsewhere each stage is printed once, so logs stay
/// readable and free of control characters.
#[derive(Debug)]
pub struct Progress {
    shown: bool,
    live: bool,
    frame: usize,
    stage: String,
    started: Instant,
}

impl Progress {
    /// Whether a spinner is drawn (stderr is a terminal): only then are the chain's heads
    /// worth reading.
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// Enters a new stage, e.g. "in block #12, waiting for finality".
    pub fn stage(&mut self, stage: String) {
        if !self.shown {
            return;
        }
        if !self.live {
            eprintln!("{stage}");
        }
        self.stage = stage;
    }

    /// Redraws the spinner line (on a terminal; otherwise nothing).
    pub fn tick(&mut self, heads: Option<Heads>) {
        if !self.live {
            return;
        }
        self.frame = self.frame.wrapping_add(1);
        let line = spinner_line(self.frame, &self.stage, heads, self.started.elapsed());
        let mut stderr = std::io::stderr().lock();
        // Carriage return and "erase line", then the new text: the line is redrawn in place.
        write!(stderr, "\r\x1b[2K{line}").ok();
        stderr.flush().ok();
    }

    /// Clears the spinner line, leaving the terminal as it was.
    pub fn finish(&mut self) {
        if self.live {
            eprint!("\r\x1b[2K");
            std::io::stderr().flush().ok();
            self.live = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// One frame of the spinner line: `⠹ in block #12, waiting for finality · best #13,
/// finalized #11 · 4 s`.
pub fn spinner_line(frame: usize, stage: &str, heads: Option<Heads>, waited: Duration) -> String {
    let spinner = SPINNER_FRAMES
        .get(frame.checked_rem(SPINNER_FRAMES.len()).unwrap_or_default())
        .copied()
        .unwrap_or('·');
    let heads = heads.map_or(String::new(), |h| {
        format!(" · best #{}, finalized #{}", h.best, h.finalized)
    });
    format!("{spinner} {stage}{heads} · {} s", waited.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spinner_line_shows_the_stage_the_heads_and_the_wait() {
        let heads = Heads {
            best: 13,
            finalized: 11,
        };
        let line = spinner_line(
            2,
            "in block #12, waiting for finality",
            Some(heads),
            Duration::from_millis(4_900),
        );
        assert_eq!(
            line,
            "⠹ in block #12, waiting for finality · best #13, finalized #11 · 4 s"
        );
        // Before the heads are read, and the frames cycle.
        assert_eq!(
            spinner_line(10, "in the pool", None, Duration::ZERO),
            "⠋ in the pool · 0 s"
        );
    }

    #[test]
    fn without_a_terminal_or_with_quiet_there_is_no_spinner() {
        let ui = Ui {
            json: false,
            quiet: true,
            yes: false,
            password_file: None,
        };
        assert!(!ui.progress().is_live());
        let ui = Ui { json: true, ..ui };
        assert!(!ui.progress().is_live());
    }
}
