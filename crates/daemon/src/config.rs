//! Helpers for the binaries' configuration: reading the TOML settings file, merging it
//! under the command line ([`merge_settings!`](crate::merge_settings)), and checking single
//! settings with errors that name the setting as both flag and file key.
//!
//! Each binary keeps its own `Settings` and `Config` types (its flags differ); only the
//! mechanics they share are here.

use std::{
    fmt::Display,
    net::SocketAddr,
    path::{Path, PathBuf},
    str::FromStr,
};

use serde::de::DeserializeOwned;

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
    /// A setting has a bad value, or a required one is missing.
    #[error("invalid setting `{field}` (--{}): {reason}", field.replace('_', "-"))]
    Invalid {
        /// The setting's file key (the flag is the same with `-`).
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

/// Builds a `Settings` (the type of that name at the call site) from two, field by field:
/// options from `$a` unless absent, lists from `$a` unless empty, flags set in either.
/// Listing every field keeps the merge exhaustive (the struct literal does not compile if
/// one is missing).
#[macro_export]
macro_rules! merge_settings {
    ($a:ident, $b:ident; options: $($o:ident),*; lists: $($l:ident),*; flags: $($f:ident),* $(,)?) => {
        Settings {
            $($o: $a.$o.or($b.$o),)*
            $($l: if $a.$l.is_empty() { $b.$l } else { $a.$l },)*
            $($f: $a.$f || $b.$f,)*
        }
    };
}

/// Reads a TOML file of settings; unknown keys are an error if `T` denies them.
pub fn read_toml<T: DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
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
}
