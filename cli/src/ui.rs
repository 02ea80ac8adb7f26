//! Talking to the user: results on stdout (text or one JSON document), notes and progress on
//! stderr, hidden prompts for passwords and secrets, and confirmations.
//!
//! With `--json` nothing prompts: what a prompt would ask must come from a flag, a file or
//! the environment, so a script never hangs on a question mixed into its output.

use std::{
    io::{BufRead, IsTerminal, Write},
    path::PathBuf,
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
